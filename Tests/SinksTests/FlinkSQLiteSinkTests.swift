import XCTest
import SimCore
import QueryModel
import FlinkEngine
@testable import Sinks

final class FlinkSQLiteSinkTests: XCTestCase {
    func row(_ i: Int64, price: Double = 100) -> Row {
        Row([.long(1_732_867_200 + i), .string("BTC-USD"), .string("BTC"), .string("USD"), .double(price), .null, .string("coinbase"), .long(i)])
    }

    /// At-least-once: a batch is executed at `batchSize` and at the checkpoint flush; rows are visible at once.
    func testAtLeastOnceBatchesAndFlushesAtCheckpoint() throws {
        let db = try SQLiteDatabase(path: ":memory:")
        let store = try FlinkSQLiteStore(database: db)
        let sink = FlinkSQLiteAtLeastOnceSink(store: store, options: JdbcExecutionOptions(batchSize: 3))
        for i in 1...4 { XCTAssertEqual(sink.write(row(Int64(i)), now: ProcessingTime(1000)), .done) }
        XCTAssertEqual(try store.visibleRows().count, 3)
        XCTAssertEqual(sink.prepareSnapshotPreBarrier(checkpointId: 1, now: ProcessingTime(2000)), .done)
        XCTAssertEqual(try store.visibleRows().count, 4)
        let t = try db.query("SELECT processed_at FROM crypto_prices_flink ORDER BY id").rows.map { $0[0] }
        XCTAssertEqual(t, [.long(1000), .long(1000), .long(1000), .long(2000)])
    }

    /// JdbcOutputFormat.flush: transient failures sleep 1000·i ms (0, 1000, 2000) and give up after maxRetries.
    func testAtLeastOnceRetriesWithBackoffThenFails() throws {
        let store = try FlinkSQLiteStore(database: try SQLiteDatabase(path: ":memory:"))
        store.transientFailures = 2
        let sink = FlinkSQLiteAtLeastOnceSink(store: store, options: JdbcExecutionOptions(batchSize: 1, maxRetries: 3))
        XCTAssertEqual(sink.write(row(1), now: ProcessingTime(0)), .retryAfter(.milliseconds(0)))
        XCTAssertEqual(sink.retry(now: ProcessingTime(0)), .retryAfter(.milliseconds(1000)))
        XCTAssertEqual(sink.retry(now: ProcessingTime(1000)), .done)
        store.transientFailures = 10
        XCTAssertEqual(sink.write(row(2), now: ProcessingTime(2000)), .retryAfter(.zero))
        XCTAssertEqual(sink.retry(now: ProcessingTime(2000)), .retryAfter(.seconds(1)))
        XCTAssertEqual(sink.retry(now: ProcessingTime(3000)), .retryAfter(.seconds(2)))
        guard case .failed = sink.retry(now: ProcessingTime(5000)) else { return XCTFail("expected failure after 3 retries") }
        // A dead database fails at once (reconnect fails).
        store.outages = [ProcessingTime(0)..<ProcessingTime(100_000)]
        let s2 = FlinkSQLiteAtLeastOnceSink(store: store, options: JdbcExecutionOptions(batchSize: 1))
        guard case .failed = s2.write(row(3), now: ProcessingTime(6000)) else { return XCTFail("expected immediate failure") }
    }

    /// Exactly-once: invisible until commit; recoverAndCommit after a restore is idempotent; the open transaction aborts.
    func testTwoPhaseCommitVisibilityAndRecovery() throws {
        let db = try SQLiteDatabase(path: ":memory:")
        let store = try FlinkSQLiteStore(database: db)
        let sink = FlinkSQLiteExactlyOnceSink(store: store)
        XCTAssertEqual(sink.initializeState(nil, now: ProcessingTime(0)), .done)
        _ = sink.write(row(1), now: ProcessingTime(10))
        _ = sink.write(row(2), now: ProcessingTime(20))
        XCTAssertEqual(sink.prepareSnapshotPreBarrier(checkpointId: 1, now: ProcessingTime(30)), .done)
        let state = sink.snapshotState(checkpointId: 1)
        _ = sink.write(row(3), now: ProcessingTime(40))
        XCTAssertEqual(try store.visibleRows().count, 0)
        // Crash before notifyCheckpointComplete: a new sink restores and commits the pending transaction.
        let restored = FlinkSQLiteExactlyOnceSink(store: store)
        XCTAssertEqual(restored.initializeState(state, now: ProcessingTime(50)), .done)
        XCTAssertEqual(try store.visibleRows().map { $0[7] }, [.long(1), .long(2)])
        // Committing again (notify after restore) changes nothing.
        XCTAssertEqual(restored.notifyCheckpointComplete(checkpointId: 1, now: ProcessingTime(60)), .done)
        XCTAssertEqual(restored.initializeState(state, now: ProcessingTime(70)), .done)
        XCTAssertEqual(try store.visibleRows().count, 2)
    }

    /// PrintSinkFunction prefixes: none at parallelism 1, `k> ` per subtask, `id:k> ` with an identifier.
    func testPrintSinkPrefixes() {
        let one = PrintSink(subtaskIndex: 0, parallelism: 1)
        _ = one.write(Row([.string("BTC"), .double(1e-9), .double(100)]), now: ProcessingTime(0))
        XCTAssertEqual(one.lines, ["+I[BTC, 1.0E-9, 100.0]"])
        let many = PrintSink(subtaskIndex: 1, parallelism: 3)
        _ = many.write(Row([.long(1)]), now: ProcessingTime(0))
        XCTAssertEqual(many.lines, ["2> +I[1]"])
        let named = PrintSink(identifier: "out", subtaskIndex: 0, parallelism: 2)
        XCTAssertEqual(named.prefix, "out:1> ")
        XCTAssertEqual(PrintSink(identifier: "out", subtaskIndex: 0, parallelism: 1).prefix, "out> ")
    }
}
