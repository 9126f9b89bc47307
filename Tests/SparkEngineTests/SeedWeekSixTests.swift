import XCTest
import SimCore
import SimLog
import QueryModel
@testable import SparkEngine

/// The seed "week6" job (A1): Binance 24 h ticker JSON on `crypto-prices` (1 partition, no key), daily OHLC per
/// symbol with a 1 h watermark, run as its three queries: the memory table `crypto_daily_stats` (complete, 10 s),
/// the parquet-like partitioned file sink (append, 10 s) and the raw console query (append, 30 s).
final class SeedWeekSixTests: XCTestCase {
    static let schema = Schema([Field("symbol", .string), Field("event_time", .long), Field("price", .double), Field("open", .double),
                                Field("high", .double), Field("low", .double), Field("volume", .double), Field("quote_volume", .double),
                                Field("number_trades", .int), Field("price_change", .double), Field("price_change_percent", .double),
                                Field("timestamp", .string)])

    static func dailyQuery(mode: OutputMode) -> StreamingQuery {
        StreamingQuery(
            name: "crypto_daily_stats", source: KafkaSourceSpec(topic: "crypto-prices", startingOffsets: .earliest, failOnDataLoss: false),
            valueFormat: .json(schema),
            derivedColumns: [DerivedColumn("event_timestamp", .cast(.arithmetic(.divide, .column("event_time"), .literal(.int(1000))), .timestamp))],
            watermark: WatermarkSpec(column: "event_timestamp", delayMs: 3_600_000),
            aggregation: AggregationSpec(window: .tumbling(sizeMs: 86_400_000), timeColumn: "event_timestamp", groupBy: ["symbol"], aggregates: [
                AggregateSpec(.first, "open", as: "daily_open"), AggregateSpec(.max, "high", as: "daily_high"), AggregateSpec(.min, "low", as: "daily_low"),
                AggregateSpec(.last, "price", as: "daily_close"), AggregateSpec(.sum, "volume", as: "daily_volume"),
                AggregateSpec(.sum, "quote_volume", as: "daily_quote_volume"), AggregateSpec(.sum, "number_trades", as: "total_trades"),
                AggregateSpec(.count, "*", as: "tick_count"), AggregateSpec(.avg, "price", as: "avg_price")]),
            outputMode: mode)
    }

    func testWeekSixOnGeneratedData() throws {
        // 2024-12-01T23:30Z to 2024-12-02T01:10Z: crosses UTC midnight and then the 1 h watermark.
        let start: Int64 = 1_733_095_800_000
        let env = SimEnvironment(seed: 6, start: ProcessingTime(start), detail: .control)
        let log = InMemoryKafkaLog()
        log.createTopic("crypto-prices", partitions: 1)
        var rng = env.random.stream("week6")
        var produced = 0
        var t = start
        var price = [96000.5, 3600.25]
        while t < start + 100 * 60_000 {
            t += 2000 + Int64(rng.nextInt(below: 400))  // one poll loop: two REST calls and sleep(1)
            for (i, sym) in ["BTCUSDT", "ETHUSDT"].enumerated() {
                price[i] += (rng.nextDouble() - 0.5) * 10
                let v = "{\"symbol\":\"\(sym)\",\"event_time\":\(t + Int64(i)),\"price\":\(price[i]),\"open\":\(price[i] * 0.98),\"high\":\(price[i] * 1.02),\"low\":\(price[i] * 0.97),\"volume\":1000.0,\"quote_volume\":\(price[i] * 1000),\"number_trades\":500000,\"price_change\":1.0,\"price_change_percent\":2.04,\"timestamp\":\"2024-12-02T06:50:00\"}"
                let at = t
                env.scheduler.schedule(at: ProcessingTime(at), phase: .input, "produce") {
                    log.append(TopicPartition("crypto-prices", 0), key: nil, value: Array(v.utf8), timestamp: EventTime(at))
                }
                produced += 1
            }
        }
        let memory = MemorySink(queryName: "crypto_daily_stats")
        let files = FileSink(store: FileSinkStore(), format: .json, partitionBy: ["symbol"])
        let console = ConsoleSink()
        let raw = StreamingQuery(name: "raw", source: KafkaSourceSpec(topic: "crypto-prices", startingOffsets: .earliest, failOnDataLoss: false),
                                 valueFormat: .json(Self.schema), derivedColumns: [DerivedColumn("kafka_timestamp", .column("kafka_timestamp"))],
                                 projection: ["symbol", "event_time", "price", "kafka_timestamp"])
        let q1 = try SparkMicroBatchExecution(environment: env, query: Self.dailyQuery(mode: .complete), options: SparkQueryOptions(trigger: .processingTime(intervalMs: 10_000)),
                                              log: log, sink: memory, checkpoint: CheckpointStore())
        let q2 = try SparkMicroBatchExecution(environment: env, query: Self.dailyQuery(mode: .append), options: SparkQueryOptions(trigger: .processingTime(intervalMs: 10_000)),
                                              log: log, sink: files, checkpoint: CheckpointStore())
        let q3 = try SparkMicroBatchExecution(environment: env, query: raw, options: SparkQueryOptions(trigger: .processingTime(intervalMs: 30_000)),
                                              log: log, sink: console, checkpoint: CheckpointStore())
        for q in [q1, q2, q3] { q.start() }
        env.scheduler.run(until: ProcessingTime(start + 101 * 60_000))
        for q in [q1, q2, q3] { XCTAssertNil(q.failure) }

        // Memory table (complete): both days for both symbols, every record counted once.
        let table = memory.allData
        XCTAssertEqual(table.count, 4)
        XCTAssertEqual(table.map { $0.values[$0.values.count - 2].int64Value! }.reduce(0, +), Int64(produced))
        XCTAssertEqual(Set(table.map { $0.values[0] }), [.timestamp(1_733_011_200_000_000), .timestamp(1_733_097_600_000_000)])
        // File sink (append): day 1 emitted once, after the watermark passed 2024-12-02T00:00Z (max et ≥ 01:00Z).
        let content = files.committedContent()
        XCTAssertEqual(content.map(\.path).sorted().map { String($0.split(separator: "/")[0]) }, ["symbol=BTCUSDT", "symbol=ETHUSDT"])
        XCTAssertTrue(content.allSatisfy { $0.text.hasPrefix("{\"window_start\":\"2024-12-01T00:00:00.000Z\",\"window_end\":\"2024-12-02T00:00:00.000Z\"") })
        let emitted = q2.progress.first { $0.numOutputRows > 0 }!
        XCTAssertGreaterThanOrEqual(emitted.watermarkMs!, 1_733_097_600_000)
        // Console: one block per 30 s batch with Spark's header.
        XCTAssertTrue(console.text.hasPrefix("-------------------------------------------\nBatch: 0\n-------------------------------------------\n+-------+"))
        XCTAssertEqual(q3.progress.reduce(0) { $0 + $1.numInputRows }, produced)
    }
}
