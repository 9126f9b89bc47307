public import QueryModel
public import SimCore

/// Windows of virtual time in which the results database refuses writes — the `database_down` fault. Sinks that
/// write through an `OutputTable` see an error and retry (Flink's JDBC sink) or fail the query (Spark's
/// `foreachBatch`), exactly as they would against a database that is down.
public final class DatabaseAvailability {
    private var outages: [Range<ProcessingTime>] = []
    private let scheduler: Scheduler

    public init(scheduler: Scheduler) { self.scheduler = scheduler }

    public func addOutage(_ window: Range<ProcessingTime>) { outages.append(window) }

    public var isDown: Bool { outages.contains { $0.contains(scheduler.now) } }

    /// Throws the error a client sees when the database cannot be reached.
    public func check() throws(SQLiteError) {
        if isDown {
            throw SQLiteError(code: 10, message: "database unavailable (simulated outage at \(scheduler.now)): connection refused", sql: nil)
        }
    }
}

/// A table that a job's results are written into: the output schema's columns, then `batch_id` (Spark's batch or
/// Flink's checkpoint/flush sequence) and `processed_at` (the virtual time of the write, in epoch ms — bound
/// explicitly, never SQLite's clock, so the file is reproducible).
public final class OutputTable {
    public let database: SQLiteDatabase
    public let name: String
    public let schema: Schema
    public let availability: DatabaseAvailability?
    /// Skip a batch id already written (Spark `foreachBatch` made idempotent by batch id).
    public let idempotentByBatchId: Bool
    private var insert: SQLiteStatement?
    /// Rows written so far (including duplicates from replays).
    public private(set) var rowsWritten = 0

    public init(database: SQLiteDatabase, name: String, schema: Schema, availability: DatabaseAvailability? = nil, idempotentByBatchId: Bool = false) throws(SQLiteError) {
        self.database = database
        self.name = name
        self.schema = schema
        self.availability = availability
        self.idempotentByBatchId = idempotentByBatchId
        let q = SQLiteDatabase.quoteIdentifier(name)
        let cols = schema.fields.map { SQLiteDatabase.quoteIdentifier($0.name) + " " + SQLiteDatabase.columnType($0.type) }
        try database.execute("CREATE TABLE IF NOT EXISTS \(q) (id INTEGER PRIMARY KEY AUTOINCREMENT, \(cols.joined(separator: ", ")), batch_id INTEGER, processed_at INTEGER)")
        if idempotentByBatchId {
            try database.execute("CREATE TABLE IF NOT EXISTS \(SQLiteDatabase.quoteIdentifier("_batches_" + name)) (batch_id INTEGER PRIMARY KEY)")
        }
    }

    /// Writes `rows` in one transaction; returns false when the batch id was already written (idempotent mode).
    @discardableResult
    public func write(rows: [Row], batchId: Int64, at time: ProcessingTime) throws -> Bool {
        try availability?.check()
        return try database.transaction {
            if idempotentByBatchId {
                let marker = SQLiteDatabase.quoteIdentifier("_batches_" + name)
                if !(try database.query("SELECT 1 FROM \(marker) WHERE batch_id = ?", [.long(batchId)]).rows.isEmpty) { return false }
                try database.execute("INSERT INTO \(marker) VALUES (?)", [.long(batchId)])
            }
            if insert == nil {
                let names = schema.fields.map { SQLiteDatabase.quoteIdentifier($0.name) } + ["batch_id", "processed_at"]
                let marks = Array(repeating: "?", count: names.count).joined(separator: ", ")
                insert = try database.prepare("INSERT INTO \(SQLiteDatabase.quoteIdentifier(name)) (\(names.joined(separator: ", "))) VALUES (\(marks))")
            }
            for row in rows {
                try insert!.bind(row.values + [.long(batchId), .long(time.millisecondsSinceEpoch)])
                try insert!.stepToEnd()
            }
            rowsWritten += rows.count
            return true
        }
    }
}

/// The simulation's own tables in a run's database, beside the jobs' result tables.
public final class ResultsDatabase {
    public let database: SQLiteDatabase
    public let path: String

    /// Creates (replacing any existing file at `path`) and prepares the simulation tables.
    public init(path: String) throws(SQLiteError) {
        self.path = path
        database = try SQLiteDatabase(path: path)
        try database.execute("""
            PRAGMA journal_mode = MEMORY;
            PRAGMA synchronous = OFF;
            CREATE TABLE IF NOT EXISTS run (key TEXT PRIMARY KEY, value TEXT);
            CREATE TABLE IF NOT EXISTS batches (engine TEXT, job TEXT, batch_id INTEGER, kind TEXT, trigger_ms INTEGER, watermark_ms INTEGER,
              rows_in INTEGER, rows_out INTEGER, dropped_groups INTEGER, rerun INTEGER, duration_ms INTEGER);
            CREATE TABLE IF NOT EXISTS checkpoints (engine TEXT, job TEXT, checkpoint_id INTEGER, triggered_ms INTEGER, finished_ms INTEGER, status TEXT);
            CREATE TABLE IF NOT EXISTS watermarks (engine TEXT, job TEXT, at_ms INTEGER, watermark_ms INTEGER, source TEXT, reason TEXT);
            CREATE TABLE IF NOT EXISTS late_records (engine TEXT, job TEXT, at_ms INTEGER, topic TEXT, partition INTEGER, "offset" INTEGER,
              event_time_ms INTEGER, watermark_ms INTEGER, window_start_ms INTEGER, window_end_ms INTEGER, key TEXT, fate TEXT, rule TEXT, batch_id INTEGER);
            CREATE TABLE IF NOT EXISTS firings (engine TEXT, job TEXT, at_ms INTEGER, window_start_ms INTEGER, window_end_ms INTEGER, key TEXT,
              pane INTEGER, cause TEXT, "values" TEXT);
            CREATE TABLE IF NOT EXISTS faults (at_ms INTEGER, kind TEXT, detail TEXT);
            CREATE TABLE IF NOT EXISTS metrics (name TEXT PRIMARY KEY, value REAL);
            CREATE TABLE IF NOT EXISTS diff (job TEXT, window_start_ms INTEGER, window_end_ms INTEGER, key TEXT, spark TEXT, flink TEXT, label TEXT);
            CREATE TABLE IF NOT EXISTS row_diff (job TEXT, "column" TEXT, differing INTEGER, matched INTEGER, only_spark INTEGER, only_flink INTEGER,
              example_key TEXT, spark TEXT, flink TEXT, label TEXT);
            CREATE TABLE IF NOT EXISTS retention_losses (at_ms INTEGER, topic TEXT, partition INTEGER, from_offset INTEGER, to_offset INTEGER, records INTEGER,
              jobs TEXT);
            CREATE TABLE IF NOT EXISTS log_records (topic TEXT, partition INTEGER, "offset" INTEGER, append_ms INTEGER, timestamp_ms INTEGER,
              key TEXT, value TEXT);
            """)
    }

    /// Inserts many rows into a simulation table in one transaction.
    public func insert(_ table: String, columns: [String], rows: [[Value]]) throws {
        guard !rows.isEmpty else { return }
        let names = columns.map { SQLiteDatabase.quoteIdentifier($0) }.joined(separator: ", ")
        let marks = Array(repeating: "?", count: columns.count).joined(separator: ", ")
        try database.transaction {
            let st = try database.prepare("INSERT INTO \(SQLiteDatabase.quoteIdentifier(table)) (\(names)) VALUES (\(marks))")
            for r in rows {
                try st.bind(r)
                try st.stepToEnd()
            }
        }
    }

    public func setRun(_ pairs: [(String, String)]) throws {
        try insert("run", columns: ["key", "value"], rows: pairs.map { [.string($0.0), .string($0.1)] })
    }
}
