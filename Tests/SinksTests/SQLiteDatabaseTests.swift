import XCTest
import QueryModel
@testable import Sinks

final class SQLiteDatabaseTests: XCTestCase {
    func testRoundTripEveryValueKind() throws {
        let db = try SQLiteDatabase(path: ":memory:")
        try db.execute("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n INTEGER)")
        try db.execute("INSERT INTO t VALUES (?, ?, ?, ?, ?)", [.long(42), .float(86769.94), .string("BTC-USD"), .binary([1, 2, 3]), .null])
        let (cols, rows) = try db.query("SELECT i, r, s, b, n FROM t")
        XCTAssertEqual(cols, ["i", "r", "s", "b", "n"])
        XCTAssertEqual(rows, [Row([.long(42), .double(86769.9375), .string("BTC-USD"), .binary([1, 2, 3]), .null])],
                       "a float32 price is stored widened, keeping its truncation (86769.94 → 86769.9375)")
    }

    func testTransactionRollsBackOnError() throws {
        let db = try SQLiteDatabase(path: ":memory:")
        try db.execute("CREATE TABLE t (k INTEGER PRIMARY KEY)")
        XCTAssertThrowsError(try db.transaction {
            try db.execute("INSERT INTO t VALUES (1)")
            try db.execute("INSERT INTO t VALUES (1)")  // constraint violation
        }) { error in
            let e = error as? SQLiteError
            XCTAssertEqual(e.map { $0.code & 0xff }, 19)  // SQLITE_CONSTRAINT
            XCTAssertTrue("\(error)".contains("SQLITE_CONSTRAINT"), "\(error)")
        }
        XCTAssertEqual(try db.query("SELECT count(*) FROM t").rows, [Row([.long(0)])])
    }

    func testErrorsNameTheStatement() throws {
        let db = try SQLiteDatabase(path: ":memory:")
        XCTAssertThrowsError(try db.query("SELECT * FROM missing")) { error in
            XCTAssertTrue("\(error)".contains("no such table: missing"), "\(error)")
            XCTAssertTrue("\(error)".contains("in: SELECT * FROM missing"), "\(error)")
        }
        XCTAssertThrowsError(try SQLiteDatabase(readingExisting: "/nonexistent/dir/x.sqlite"))
        XCTAssertEqual(SQLiteDatabase.quoteIdentifier("a\"b"), "\"a\"\"b\"")
    }
}
