import ArgumentParser
import Scenario
import Sinks
import QueryModel

struct QueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Run SQL over a run's results database and print the answer as a table.",
        discussion: """
            Every `sim run` leaves a SQLite file (runs/<scenario>-<seed>.sqlite) with the jobs' output tables — the \
            tables your Spark foreachBatch, Spark memory sink and Flink JDBC sink wrote — and the simulation's own \
            record of the run: run, metrics, batches, checkpoints, watermarks, late_records, firings, faults, diff, \
            row_diff, retention_losses and log_records (every record that entered the log). The columns are listed \
            in docs/results-format.md. The file is opened read-only.

            Things to try on the late-data run:
              sim query runs/late-data-42.sqlite "SELECT engine, fate, rule FROM late_records"
              sim query runs/late-data-42.sqlite "SELECT batch_id, trigger_ms, watermark_ms, rows_in FROM batches WHERE engine = 'spark'"
              sim query runs/late-data-42.sqlite "SELECT * FROM candles_spark ORDER BY window_start"
              sim query runs/late-data-42.sqlite "SELECT name, value FROM metrics"
              sim query runs/late-data-42.sqlite --tables

            Timestamps: columns ending in _ms are epoch milliseconds; timestamp columns of job tables (window_start, \
            window_end, current_timestamp() results) are epoch microseconds, as Spark stores them. In SQLite, \
            datetime(x / 1000, 'unixepoch') shows milliseconds as text and json_extract(value, '$.price') reads a \
            field of a logged record.
            """
    )

    @Argument(help: "A results database written by `sim run`.") var database: String
    @Argument(help: "One SQL statement (quote it). Omit it with --tables.") var sql: String?
    @Flag(help: "List the tables and their row counts.") var tables = false
    @Flag(help: "Print CSV instead of a table.") var csv = false
    @Option(help: "Cut text cells longer than this many characters.") var width = 60

    func run() throws {
        let db: SQLiteDatabase
        do { db = try ResultsFile.open(database) } catch {
            printError("sim query: \(error)")
            throw ExitCode(2)
        }
        if tables || sql == nil {
            guard tables else {
                printError("sim query: give an SQL statement, e.g. sim query \(database) \"SELECT * FROM metrics\", or --tables")
                throw ExitCode(2)
            }
            var rows: [Row] = []
            for t in ResultsFile.tables(db) {
                let n = (try? db.query("SELECT COUNT(*) FROM \(SQLiteDatabase.quoteIdentifier(t))"))?.rows.first?[0] ?? .null
                let kind = ResultsFile.simulationTables.contains(t) ? "simulation" : (t.hasPrefix("_") || t.hasSuffix("__flink_txn") ? "sink bookkeeping" : "job output")
                rows.append(Row([.string(t), n, .string(kind)]))
            }
            print(ResultsFile.render(columns: ["table", "rows", "what"], rows: rows), terminator: "")
            return
        }
        do {
            let result = try ResultsFile.query(db, sql!)
            print(csv ? ResultsFile.csv(columns: result.columns, rows: result.rows) : ResultsFile.render(columns: result.columns, rows: result.rows, maxWidth: width),
                  terminator: "")
        } catch {
            printError("sim query: \(error)")
            throw ExitCode(1)
        }
    }
}
