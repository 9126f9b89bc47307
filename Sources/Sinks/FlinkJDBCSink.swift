public import SimCore
public import QueryModel
public import FlinkEngine

/// The SQLite stand-in for the seed's PostgreSQL table behind Flink's JDBC sink (`crypto_prices_flink`: `id SERIAL`,
/// the seed columns, `processed_at` = the virtual time of the INSERT, in epoch ms). It serves both sink modes:
/// - at-least-once (`SinkBatchStore`): `executeBatch` appends the rows, visible at once;
/// - exactly-once (`TransactionalSinkStore`): rows of a transaction are staged in `<table>__flink_txn` at `prepare`
///   (durable, invisible — the XA "prepared" state) and moved into the table at `commit`; committing an unknown
///   transaction is a no-op, so `recoverAndCommit` after a restore is idempotent.
/// Outages: while `unavailable` contains the virtual time every call fails with `SinkStoreError.unavailable`;
/// `transientFailures` makes the next n batch executions fail with a transient error (a lock timeout).
public final class FlinkSQLiteStore: SinkBatchStore, TransactionalSinkStore {
    public let database: SQLiteDatabase
    public let table: String
    public let columns: [(name: String, type: DataType)]
    public var outages: [Range<ProcessingTime>] = []
    public var transientFailures = 0
    private var nextTransaction = 0
    private let transactionPrefix: String

    /// The seed table's columns after `id`, without `processed_at`.
    public static let seedColumns: [(name: String, type: DataType)] = [
        ("timestamp", .long), ("symbol", .string), ("base", .string), ("currency", .string), ("price", .double),
        ("volume_24h", .double), ("source", .string), ("iteration", .long),
    ]

    public init(database: SQLiteDatabase, table: String = "crypto_prices_flink", columns: [(name: String, type: DataType)] = FlinkSQLiteStore.seedColumns,
                transactionPrefix: String = "flink-txn") throws(SQLiteError) {
        self.database = database
        self.table = table
        self.columns = columns
        self.transactionPrefix = transactionPrefix
        let q = SQLiteDatabase.quoteIdentifier
        let cols = columns.map { "\(q($0.name)) \(SQLiteDatabase.columnType($0.type))" }.joined(separator: ", ")
        try database.execute("CREATE TABLE IF NOT EXISTS \(q(table)) (id INTEGER PRIMARY KEY AUTOINCREMENT, \(cols), processed_at INTEGER)")
        try database.execute("CREATE TABLE IF NOT EXISTS \(q(table + "__flink_txn")) (txn TEXT NOT NULL, seq INTEGER NOT NULL, \(cols), processed_at INTEGER)")
        // Resume transaction numbering after a process restart (ids must not collide with staged ones).
        let staged = try database.query("SELECT COUNT(DISTINCT txn) FROM \(q(table + "__flink_txn"))")
        nextTransaction = Int(staged.rows.first?[0].int64Value ?? 0)
    }

    public func isAvailable(now: ProcessingTime) -> Bool { !outages.contains { $0.contains(now) } }

    private func check(_ now: ProcessingTime) throws(SinkStoreError) {
        if !isAvailable(now: now) { throw .unavailable("connection refused") }
    }

    private var insertSQL: String {
        let q = SQLiteDatabase.quoteIdentifier
        let names = columns.map { q($0.name) }.joined(separator: ", ")
        return "INSERT INTO \(q(table)) (\(names), processed_at) VALUES (\(Array(repeating: "?", count: columns.count + 1).joined(separator: ", ")))"
    }

    public func executeBatch(_ rows: [Row], now: ProcessingTime) throws(SinkStoreError) {
        try check(now)
        if transientFailures > 0 { transientFailures -= 1; throw .transient("lock timeout") }
        do {
            try database.transaction {
                let st = try database.prepare(insertSQL)
                for r in rows {
                    try st.bind(Array(r.values.prefix(columns.count)) + [.long(now.millisecondsSinceEpoch)])
                    try st.stepToEnd()
                }
            }
        } catch {
            throw .transient("\(error)")
        }
    }

    public func beginTransaction(now: ProcessingTime) -> String {
        nextTransaction += 1
        return "\(transactionPrefix)-\(nextTransaction)"
    }

    public func prepare(_ transaction: String, rows: [Row], now: ProcessingTime) throws(SinkStoreError) {
        try check(now)
        let q = SQLiteDatabase.quoteIdentifier
        let names = columns.map { q($0.name) }.joined(separator: ", ")
        let sql = "INSERT INTO \(q(table + "__flink_txn")) (txn, seq, \(names), processed_at) VALUES (\(Array(repeating: "?", count: columns.count + 3).joined(separator: ", ")))"
        do {
            try database.transaction {
                let st = try database.prepare(sql)
                for (i, r) in rows.enumerated() {
                    try st.bind([.string(transaction), .long(Int64(i))] + Array(r.values.prefix(columns.count)) + [.long(now.millisecondsSinceEpoch)])
                    try st.stepToEnd()
                }
            }
        } catch {
            throw .transient("\(error)")
        }
    }

    public func commit(_ transaction: String, now: ProcessingTime) throws(SinkStoreError) {
        try check(now)
        let q = SQLiteDatabase.quoteIdentifier
        let names = columns.map { q($0.name) }.joined(separator: ", ")
        let staging = q(table + "__flink_txn")
        do {
            try database.transaction {
                try database.execute("INSERT INTO \(q(table)) (\(names), processed_at) SELECT \(names), processed_at FROM \(staging) WHERE txn = ? ORDER BY seq", [.string(transaction)])
                try database.execute("DELETE FROM \(staging) WHERE txn = ?", [.string(transaction)])
            }
        } catch {
            throw .transient("\(error)")
        }
    }

    public func abort(_ transaction: String, now: ProcessingTime) {
        let staging = SQLiteDatabase.quoteIdentifier(table + "__flink_txn")
        try? database.execute("DELETE FROM \(staging) WHERE txn = ?", [.string(transaction)])
    }

    /// The visible rows (without `id` and `processed_at`), in insertion order.
    public func visibleRows() throws(SQLiteError) -> [Row] {
        let q = SQLiteDatabase.quoteIdentifier
        return try database.query("SELECT \(columns.map { q($0.name) }.joined(separator: ", ")) FROM \(q(table)) ORDER BY id").rows
    }
}

/// The seed job's JDBC sink into SQLite, at-least-once (`JdbcSink.sink` with `JdbcExecutionOptions`).
public typealias FlinkSQLiteAtLeastOnceSink = AtLeastOnceJdbcSink<FlinkSQLiteStore>
/// The seed job's JDBC sink into SQLite, exactly-once by two-phase commit (`JdbcSink.exactlyOnceSink`).
public typealias FlinkSQLiteExactlyOnceSink = TwoPhaseCommitSink<FlinkSQLiteStore>
