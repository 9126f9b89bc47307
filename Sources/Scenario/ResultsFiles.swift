import SimCore
public import QueryModel
public import Sinks

/// Reading a run's results database back: `sim query` (any SQL, printed as a table) and `sim diff` (what changed
/// between two runs). Both open the file read-only, so they can never alter a run's record.
public enum ResultsFile {
    /// The simulation's own tables (docs/results-format.md); every other table holds a job's output.
    public static let simulationTables = ["run", "metrics", "batches", "checkpoints", "watermarks", "late_records", "firings", "faults", "diff",
                                          "row_diff", "retention_losses", "log_records"]

    /// Opens `path` read-only, with an error that says what to do when it is not a results database.
    public static func open(_ path: String) throws(ResultsFileError) -> SQLiteDatabase {
        let db: SQLiteDatabase
        do { db = try SQLiteDatabase(readingExisting: path) } catch {
            throw ResultsFileError("\(path): cannot open (\(error.message)); a results database is written by `sim run` to runs/<scenario>-<seed>.sqlite")
        }
        guard (try? db.query("SELECT 1 FROM run LIMIT 1")) != nil else {
            throw ResultsFileError("\(path): not a StreamSim results database (it has no `run` table)")
        }
        return db
    }

    /// Tables in `db` by name, sorted; `jobTables` leaves out the simulation's own and the sinks' bookkeeping
    /// (`_spark_batches`, `_batches_<table>`, `<table>__flink_txn`).
    public static func tables(_ db: SQLiteDatabase, jobTablesOnly: Bool = false) -> [String] {
        let names = ((try? db.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"))?.rows ?? [])
            .compactMap { $0[0].stringValue }
        guard jobTablesOnly else { return names }
        return names.filter { !simulationTables.contains($0) && !$0.hasPrefix("_") && !$0.hasSuffix("__flink_txn") }
    }

    /// Runs `sql` with an error that lists the tables when one is misspelt.
    public static func query(_ db: SQLiteDatabase, _ sql: String) throws(ResultsFileError) -> (columns: [String], rows: [Row]) {
        do { return try db.query(sql) } catch {
            var message = "SQL error: \(error.message)"
            if error.message.contains("no such table") || error.message.contains("no such column") {
                message += "\n  tables: " + tables(db).joined(separator: ", ")
                message += "\n  (columns of a table: sim query FILE \"SELECT name, type FROM pragma_table_info('late_records')\")"
            }
            throw ResultsFileError(message)
        }
    }

    /// An aligned text table, numbers right-aligned, `NULL` for nulls, long text cut at `maxWidth` with `…`.
    public static func render(columns: [String], rows: [Row], maxWidth: Int = 60) -> String {
        func cell(_ v: Value) -> String {
            let text: String
            switch v {
            case .null: text = "NULL"
            case .string(let s): text = s
            case .binary(let b): text = "<\(b.count) bytes>"
            default: text = v.description
            }
            let flat = text.map { $0 == "\n" ? " " : $0 }
            return flat.count > maxWidth ? String(flat.prefix(maxWidth - 1)) + "…" : String(flat)
        }
        let cells = rows.map { $0.values.map(cell) }
        var widths = columns.map(\.count)
        for r in cells { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
        let numeric = columns.indices.map { i in rows.allSatisfy { r in
            switch r[i] { case .long, .int, .double, .float, .null: return true; default: return false }
        } && !rows.isEmpty }
        func line(_ values: [String]) -> String {
            values.enumerated().map { i, v in
                let padding = String(repeating: " ", count: max(0, widths[i] - v.count))
                return numeric[i] ? padding + v : v + padding
            }.joined(separator: "  ").trimmingTrailingSpaces
        }
        var out = line(columns) + "\n" + widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ") + "\n"
        for r in cells { out += line(r) + "\n" }
        out += "(\(rows.count) row\(rows.count == 1 ? "" : "s"))\n"
        return out
    }

    /// CSV (RFC 4180 quoting), header first.
    public static func csv(columns: [String], rows: [Row]) -> String {
        func quote(_ s: String) -> String {
            s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replacingAll("\"", with: "\"\"") + "\"" : s
        }
        var out = columns.map(quote).joined(separator: ",") + "\n"
        for r in rows {
            out += r.values.map { v -> String in
                switch v {
                case .null: return ""
                case .string(let s): return quote(s)
                default: return quote(v.description)
                }
            }.joined(separator: ",") + "\n"
        }
        return out
    }
}

/// A results file that cannot be read, or a query that failed, in words a user can act on.
public struct ResultsFileError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension String {
    var trimmingTrailingSpaces: String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }

    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        var i = startIndex
        while i < endIndex {
            if self[i...].hasPrefix(target) {
                out += replacement
                i = index(i, offsetBy: target.count)
            } else {
                out.append(self[i])
                i = index(after: i)
            }
        }
        return out
    }
}
