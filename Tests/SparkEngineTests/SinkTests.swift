import XCTest
import SimCore
import SimLog
import QueryModel
@testable import SparkEngine

final class SinkTests: XCTestCase {
    let schema = Schema([Field("k", .string), Field("n", .long), Field("t", .timestamp)])

    func batch(_ id: Int64, _ rows: [[Value]], mode: OutputMode = .append) -> SinkBatch {
        SinkBatch(batchId: id, rows: rows.map(Row.init), schema: schema, outputMode: mode, batchTimestampMs: 0, time: .epoch)
    }

    /// `ConsoleWrite`: the batch header and `Dataset.show` (right-aligned, 20-char truncation, "only showing top").
    func testConsoleFormat() {
        let c = ConsoleSink(numRows: 2)
        c.addBatch(batch(0, [[.string("a"), .long(1), .timestamp(0)], [.string("bb"), .null, .timestamp(1_500_000)], [.string("abcdefghijklmnopqrstuvwxyz"), .long(3), .timestamp(0)]]))
        let expected = [
            "-------------------------------------------",
            "Batch: 0",
            "-------------------------------------------",
            "+---+----+--------------------+",
            "|  k|   n|                   t|",
            "+---+----+--------------------+",
            "|  a|   1| 1970-01-01 00:00:00|",
            "| bb|null|1970-01-01 00:00:...|",
            "+---+----+--------------------+",
            "only showing top 2 rows",
            "", ""].joined(separator: "\n")
        XCTAssertEqual(c.text, expected)
        let long = ConsoleSink.show(schema: Schema([Field("s", .string)]), rows: [Row([.string("abcdefghijklmnopqrstuvwxyz")])], numRows: 20, truncate: 20)
        XCTAssertTrue(long.contains("|abcdefghijklmnopq...|"), long)
    }

    /// `MemorySink`: ids not above the latest are skipped; complete mode truncates.
    func testMemorySink() {
        let m = MemorySink(queryName: "t")
        m.addBatch(batch(0, [[.string("a"), .long(1), .null]], mode: .complete))
        m.addBatch(batch(1, [[.string("a"), .long(2), .null]], mode: .complete))
        m.addBatch(batch(1, [[.string("x"), .long(9), .null]], mode: .complete))
        XCTAssertEqual(m.allData.map { $0.values[1] }, [.long(2)])
        XCTAssertEqual(m.latestBatchId, 1)
    }

    /// `FileStreamSink`: partitioned JSON files, `_spark_metadata/N`, batch ids at or below the latest skipped.
    func testFileSinkExactlyOnce() throws {
        let store = FileSinkStore()
        let f = FileSink(store: store, format: .json, partitionBy: ["k"])
        try f.addBatch(batch(0, [[.string("BTC"), .long(1), .timestamp(86_400_000_000)], [.string("ETH"), .null, .timestamp(0)]]))
        try f.addBatch(batch(0, [[.string("BTC"), .long(99), .timestamp(0)]]))
        XCTAssertEqual(f.committedContent().map(\.path), ["k=BTC/part-00000-batch0.c000.json", "k=ETH/part-00000-batch0.c000.json"])
        XCTAssertEqual(f.committedContent()[0].text, "{\"n\":1,\"t\":\"1970-01-02T00:00:00.000Z\"}\n")
        XCTAssertEqual(f.committedContent()[1].text, "{\"t\":\"1970-01-01T00:00:00.000Z\"}\n", "null fields omitted")
        XCTAssertTrue(store.read("_spark_metadata/0")!.hasPrefix("v1\n{\"path\":\"k=BTC/part-00000-batch0.c000.json\""))
        let csv = FileSink(store: FileSinkStore(), format: .csv)
        try csv.addBatch(batch(3, [[.string("a,b"), .null, .timestamp(0)]]))
        XCTAssertEqual(csv.committedContent().first?.text, "\"a,b\",,1970-01-01T00:00:00.000Z\n")
    }

    /// foreachBatch is at-least-once: a re-executed batch is delivered again with the same id.
    func testForeachBatchSeesRerun() throws {
        let d = SuiteDriver(sink: ForeachBatchSink { _ in })
        var seen: [Int64] = []
        let sink = ForeachBatchSink { seen.append($0.batchId) }
        let e = try SparkMicroBatchExecution(environment: d.env, query: d.query, options: d.options, log: d.log, sink: sink, checkpoint: d.store)
        e.start()
        d.add(10); d.process()
        e.stop()
        d.store.delete("commits/0")
        let again = try SparkMicroBatchExecution(environment: d.env, query: d.query, options: d.options, log: d.log, sink: sink, checkpoint: d.store)
        again.start()
        d.process()
        XCTAssertEqual(Array(seen.prefix(2)), [0, 0])
    }
}
