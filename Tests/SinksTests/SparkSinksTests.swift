import XCTest
import SimCore
import SimLog
import QueryModel
import SparkEngine
@testable import Sinks

final class SparkSinksTests: XCTestCase {
    /// The memory table is queryable by SQL; complete mode replaces it; a repeated batch id is skipped.
    func testMemoryTableMirror() throws {
        let db = try SQLiteDatabase(path: ":memory:")
        let sink = MemorySink(queryName: "crypto_daily_stats")
        _ = SparkMemoryTableMirror(sink: sink, database: db)
        let schema = Schema([Field("symbol", .string), Field("tick_count", .long)])
        sink.addBatch(SinkBatch(batchId: 0, rows: [Row([.string("BTC"), .long(1)])], schema: schema, outputMode: .complete, batchTimestampMs: 0, time: .epoch))
        sink.addBatch(SinkBatch(batchId: 1, rows: [Row([.string("BTC"), .long(2)]), Row([.string("ETH"), .long(1)])], schema: schema, outputMode: .complete, batchTimestampMs: 0, time: .epoch))
        sink.addBatch(SinkBatch(batchId: 1, rows: [Row([.string("XXX"), .long(9)])], schema: schema, outputMode: .complete, batchTimestampMs: 0, time: .epoch))
        let r = try db.query("SELECT symbol, tick_count FROM crypto_daily_stats ORDER BY symbol")
        XCTAssertEqual(r.rows.map { $0.values }, [[.string("BTC"), .long(2)], [.string("ETH"), .long(1)]])
    }

    /// The seed "Spark vs Flink" foreachBatch writer: FloatType prices land truncated; a re-executed batch is
    /// written twice (at-least-once) unless idempotence by batch id is on.
    func testCryptoPricesRealtime() throws {
        let schema = Schema([Field("timestamp", .long), Field("symbol", .string), Field("base", .string), Field("currency", .string),
                             Field("price", .float), Field("volume_24h", .float), Field("source", .string), Field("iteration", .long), Field("processed_at", .timestamp)])
        let row = Row([.long(1_732_000_000), .string("BTC-USD"), .string("BTC"), .string("USD"), .float(Float(86769.94)), .null, .string("coinbase"), .long(1), .timestamp(1_732_000_015_000_000)])
        let batch = SinkBatch(batchId: 4, rows: [row], schema: schema, outputMode: .update, batchTimestampMs: 1_732_000_015_000, time: .epoch)
        for (idempotent, expected) in [(false, 2), (true, 1)] {
            let db = try SQLiteDatabase(path: ":memory:")
            let w = try CryptoPricesRealtimeWriter(database: db, idempotentByBatchId: idempotent)
            try w.sink().addBatch(batch)
            try w.sink().addBatch(batch)
            let r = try db.query("SELECT price, volume_24h, iteration FROM crypto_prices_realtime")
            XCTAssertEqual(r.rows.count, expected)
            XCTAssertEqual(r.rows[0].values[0], .double(86769.9375))
            XCTAssertEqual(r.rows[0].values[1], .null)
        }
    }
}
