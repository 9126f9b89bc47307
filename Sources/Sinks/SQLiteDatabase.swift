import CSQLite
public import QueryModel

/// An error from SQLite, with the statement that caused it.
public struct SQLiteError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The SQLite primary result code (`SQLITE_BUSY`, `SQLITE_CONSTRAINT`, …).
    public var code: Int32
    public var message: String
    public var sql: String?

    public var description: String {
        var s = "SQLite error \(code) (\(SQLiteError.name(code))): \(message)"
        if let sql { s += "\n  in: \(sql.prefix(200))" }
        return s
    }

    static func name(_ code: Int32) -> String {
        switch code & 0xff {
        case SQLITE_ERROR: return "SQLITE_ERROR"
        case SQLITE_BUSY: return "SQLITE_BUSY"
        case SQLITE_LOCKED: return "SQLITE_LOCKED"
        case SQLITE_READONLY: return "SQLITE_READONLY"
        case SQLITE_IOERR: return "SQLITE_IOERR"
        case SQLITE_CORRUPT: return "SQLITE_CORRUPT"
        case SQLITE_CANTOPEN: return "SQLITE_CANTOPEN"
        case SQLITE_CONSTRAINT: return "SQLITE_CONSTRAINT"
        case SQLITE_MISMATCH: return "SQLITE_MISMATCH"
        case SQLITE_NOTADB: return "SQLITE_NOTADB"
        default: return "code \(code)"
        }
    }
}

/// A connection to a real SQLite database (the system libsqlite3), used synchronously.
///
/// Results of a run land here (`runs/<scenario>-<seed>.sqlite`), and sinks write their tables here. Every call is
/// synchronous and the simulation never sees SQLite's own clock: `processed_at`-style values are bound explicitly
/// from virtual time, never taken from `CURRENT_TIMESTAMP`, so the database content is reproducible.
public final class SQLiteDatabase {
    private var handle: OpaquePointer?
    public let path: String

    /// Opens (creating if needed) the database at `path`; `":memory:"` for an in-memory database.
    public init(path: String) throws(SQLiteError) {
        self.path = path
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK, let db else {
            let msg = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close(db)
            throw SQLiteError(code: rc, message: "\(msg): \(path)", sql: nil)
        }
        handle = db
    }

    /// Opens an existing database read-only; fails if it does not exist.
    public init(readingExisting path: String) throws(SQLiteError) {
        self.path = path
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK, let db else {
            let msg = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close(db)
            throw SQLiteError(code: rc, message: "\(msg): \(path)", sql: nil)
        }
        handle = db
    }

    deinit { sqlite3_close_v2(handle) }

    /// The library version, e.g. `3.40.1`.
    public static var libraryVersion: String { String(cString: sqlite3_libversion()) }

    /// Runs one or more statements that return no rows.
    public func execute(_ sql: String) throws(SQLiteError) {
        var err: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &err)
        if rc != SQLITE_OK {
            let msg = err.map { String(cString: $0) } ?? "error"
            sqlite3_free(err)
            throw SQLiteError(code: rc, message: msg, sql: sql)
        }
    }

    /// Runs a statement with bound parameters (`?` placeholders).
    public func execute(_ sql: String, _ parameters: [Value]) throws(SQLiteError) {
        let st = try prepare(sql)
        try st.bind(parameters)
        try st.stepToEnd()
    }

    /// Runs a query and returns every row, with values typed by SQLite's storage class (INTEGER → `.long`,
    /// REAL → `.double`, TEXT → `.string`, BLOB → `.binary`, NULL → `.null`).
    public func query(_ sql: String, _ parameters: [Value] = []) throws(SQLiteError) -> (columns: [String], rows: [Row]) {
        let st = try prepare(sql)
        try st.bind(parameters)
        var rows: [Row] = []
        while try st.step() { rows.append(st.currentRow()) }
        return (st.columnNames, rows)
    }

    /// Prepares a statement for repeated use (bind, step, reset).
    public func prepare(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        var st: OpaquePointer?
        let rc = sqlite3_prepare_v2(handle, sql, -1, &st, nil)
        guard rc == SQLITE_OK, let st else { throw error(rc, sql) }
        return SQLiteStatement(st, db: self, sql: sql)
    }

    /// Runs `body` inside `BEGIN IMMEDIATE … COMMIT`, rolling back if it throws.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let v = try body()
            try execute("COMMIT")
            return v
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// Rows changed by the last statement.
    public var changes: Int { Int(sqlite3_changes(handle)) }
    /// The rowid of the last insert.
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    func error(_ rc: Int32, _ sql: String?) -> SQLiteError {
        SQLiteError(code: rc, message: String(cString: sqlite3_errmsg(handle)), sql: sql)
    }

    /// Quotes an identifier for SQL (`"name"`, doubling inner quotes).
    public static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacingAll("\"", with: "\"\"") + "\""
    }

    /// The SQLite column type used for a `DataType` (timestamps as INTEGER microseconds, dates as INTEGER days).
    public static func columnType(_ t: DataType) -> String {
        switch t {
        case .boolean, .int, .long, .timestamp, .date: return "INTEGER"
        case .float, .double: return "REAL"
        case .string: return "TEXT"
        case .binary: return "BLOB"
        }
    }
}

/// A prepared statement.
public final class SQLiteStatement {
    private let st: OpaquePointer
    private let db: SQLiteDatabase
    public let sql: String

    init(_ st: OpaquePointer, db: SQLiteDatabase, sql: String) {
        self.st = st
        self.db = db
        self.sql = sql
    }

    deinit { sqlite3_finalize(st) }

    /// Binds values to `?1…?n`. Floats are widened to double exactly (SQLite has one REAL type), which keeps the
    /// float32 truncation of Spark's `FloatType` visible in the stored value.
    public func bind(_ values: [Value]) throws(SQLiteError) {
        sqlite3_reset(st)
        sqlite3_clear_bindings(st)
        for (i, v) in values.enumerated() {
            let idx = Int32(i + 1)
            let rc: Int32
            switch v {
            case .null: rc = sqlite3_bind_null(st, idx)
            case .bool(let b): rc = sqlite3_bind_int64(st, idx, b ? 1 : 0)
            case .int(let x): rc = sqlite3_bind_int64(st, idx, Int64(x))
            case .long(let x): rc = sqlite3_bind_int64(st, idx, x)
            case .float(let x): rc = sqlite3_bind_double(st, idx, Double(x))
            case .double(let x): rc = sqlite3_bind_double(st, idx, x)
            case .string(let s): rc = sqlite3_bind_text(st, idx, s, -1, csqlite_transient())
            case .binary(let b):
                rc = b.withUnsafeBytes { p in sqlite3_bind_blob(st, idx, p.baseAddress, Int32(b.count), csqlite_transient()) }
            case .timestamp(let us): rc = sqlite3_bind_int64(st, idx, us)
            case .date(let d): rc = sqlite3_bind_int64(st, idx, Int64(d))
            }
            if rc != SQLITE_OK { throw db.error(rc, sql) }
        }
    }

    /// Advances; true when a row is available.
    public func step() throws(SQLiteError) -> Bool {
        let rc = sqlite3_step(st)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        throw db.error(rc, sql)
    }

    /// Steps until done (for statements that return no rows).
    public func stepToEnd() throws(SQLiteError) {
        while try step() {}
    }

    public var columnNames: [String] {
        (0..<sqlite3_column_count(st)).map { String(cString: sqlite3_column_name(st, $0)) }
    }

    /// The current row, typed by storage class.
    public func currentRow() -> Row {
        let n = sqlite3_column_count(st)
        var values: [Value] = []
        values.reserveCapacity(Int(n))
        for i in 0..<n {
            switch sqlite3_column_type(st, i) {
            case SQLITE_INTEGER: values.append(.long(sqlite3_column_int64(st, i)))
            case SQLITE_FLOAT: values.append(.double(sqlite3_column_double(st, i)))
            case SQLITE_TEXT: values.append(.string(String(cString: sqlite3_column_text(st, i))))
            case SQLITE_BLOB:
                let count = Int(sqlite3_column_bytes(st, i))
                if let p = sqlite3_column_blob(st, i) {
                    values.append(.binary(Array(UnsafeRawBufferPointer(start: p, count: count))))
                } else {
                    values.append(.binary([]))
                }
            default: values.append(.null)
            }
        }
        return Row(values)
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        var rest = Substring(self)
        while let r = rest.range(of: target) {
            out += rest[..<r.lowerBound]
            out += replacement
            rest = rest[r.upperBound...]
        }
        out += rest
        return out
    }
}

extension Substring {
    func range(of target: String) -> Range<Substring.Index>? {
        guard !target.isEmpty, count >= target.count else { return nil }
        var i = startIndex
        while i < endIndex {
            if self[i...].hasPrefix(target) { return i..<index(i, offsetBy: target.count) }
            i = index(after: i)
        }
        return nil
    }
}
