import QueryModel
public import SparkEngine

/// Mirrors a Spark `MemorySink` into an SQLite table so it can be queried with SQL, as
/// `spark.sql("select * from <queryName>")` queries the memory table: complete mode replaces the table's rows,
/// append/update add the batch's rows; batches the memory sink skipped (ids not above the latest) never arrive.
public final class SparkMemoryTableMirror {
    public let database: SQLiteDatabase
    public let table: String
    private var created = false

    /// Attaches to `sink` (replacing its `onChange`).
    public init(sink: MemorySink, database: SQLiteDatabase) {
        self.database = database
        self.table = sink.queryName
        // The sink keeps the mirror alive (the mirror holds no reference back).
        sink.onChange = { [self] sink, batch in
            try? self.apply(sink: sink, batch: batch)
        }
    }

    func apply(sink: MemorySink, batch: SinkBatch) throws {
        let q = SQLiteDatabase.quoteIdentifier(table)
        if !created {
            let cols = batch.schema.fields.map { SQLiteDatabase.quoteIdentifier($0.name) + " " + SQLiteDatabase.columnType($0.type) }
            try database.execute("CREATE TABLE IF NOT EXISTS \(q) (\(cols.joined(separator: ", ")))")
            created = true
        }
        try database.transaction {
            if batch.outputMode == .complete { try database.execute("DELETE FROM \(q)") }
            let marks = Array(repeating: "?", count: batch.schema.count).joined(separator: ", ")
            let st = try database.prepare("INSERT INTO \(q) VALUES (\(marks))")
            for row in batch.rows {
                try st.bind(row.values)
                try st.stepToEnd()
            }
        }
    }
}

/// The seed "Spark vs Flink" job's `foreachBatch` writer: `df.write.jdbc(table="crypto_prices_realtime", mode="append")`
/// into SQLite. At-least-once like the original: a re-executed batch appends its rows again — unless
/// `idempotentByBatchId` is set, in which case the batch id is recorded in `_spark_batches` in the same transaction
/// and a batch id already recorded is skipped.
public final class CryptoPricesRealtimeWriter {
    public let database: SQLiteDatabase
    public let idempotentByBatchId: Bool
    public static let table = "crypto_prices_realtime"
    /// The table's columns after `id`, in the order of `init-db.sql`.
    public static let columns = ["timestamp", "symbol", "base", "currency", "price", "volume_24h", "source", "iteration", "processed_at"]

    public init(database: SQLiteDatabase, idempotentByBatchId: Bool = false) throws {
        self.database = database
        self.idempotentByBatchId = idempotentByBatchId
        // `processed_at` holds Spark's timestamp as INTEGER microseconds (the project's SQLite convention).
        try database.execute("""
            CREATE TABLE IF NOT EXISTS crypto_prices_realtime (id INTEGER PRIMARY KEY AUTOINCREMENT, timestamp BIGINT, symbol VARCHAR(20),
              base VARCHAR(10), currency VARCHAR(10), price DOUBLE PRECISION, volume_24h DOUBLE PRECISION, source VARCHAR(50),
              iteration INTEGER, processed_at INTEGER)
            """)
        try database.execute("CREATE INDEX IF NOT EXISTS idx_realtime_symbol ON crypto_prices_realtime(symbol)")
        try database.execute("CREATE INDEX IF NOT EXISTS idx_realtime_processed_at ON crypto_prices_realtime(processed_at)")
        if idempotentByBatchId { try database.execute("CREATE TABLE IF NOT EXISTS _spark_batches (batch_id INTEGER PRIMARY KEY)") }
    }

    /// A `ForeachBatchSink` that writes through this writer.
    public func sink() -> ForeachBatchSink { ForeachBatchSink { [self] batch in try write(batch) } }

    public func write(_ batch: SinkBatch) throws {
        let idx = Self.columns.map { batch.schema.index(of: $0) }
        try database.transaction {
            if idempotentByBatchId {
                let seen = try database.query("SELECT 1 FROM _spark_batches WHERE batch_id = ?", [.long(batch.batchId)])
                if !seen.rows.isEmpty { return }
                try database.execute("INSERT INTO _spark_batches VALUES (?)", [.long(batch.batchId)])
            }
            let st = try database.prepare("INSERT INTO crypto_prices_realtime (\(Self.columns.joined(separator: ", "))) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
            for row in batch.rows {
                try st.bind(idx.map { $0.map { row[$0] } ?? .null })
                try st.stepToEnd()
            }
        }
    }
}
