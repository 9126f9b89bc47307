import XCTest
import SimCore
import SimLog
import SimFeeds
import SimTesting
import QueryModel
@testable import FlinkEngine

/// The seed "Spark vs Flink" Flink job (raw records, `price IS NOT NULL AND price > 0`) and a 1-minute tumbling
/// average per symbol with bounded out-of-orderness, on the Coinbase producer's feed from SimFeeds — generated, and
/// recorded to a capture and replayed. The replayed log is the same log, so both jobs emit the same rows.
final class ReplayedFeedTests: XCTestCase {
    static let start = ProcessingTime(1_723_161_300_000)  // 2024-08-08T23:55:00Z
    static let feed = FeedGeneratorConfig(coinbase: CoinbaseSpotConfig(), duration: .minutes(6), warmHistory: false)

    static var averageQuery: StreamingQuery {
        var q = StreamingQuery(name: "avg_1m", source: KafkaSourceSpec(topic: "crypto_prices", startingOffsets: .earliest),
                               valueFormat: .json(QueryJobTests.seedSchema),
                               derivedColumns: [DerivedColumn("ts", .timestampSeconds(.column("timestamp")))],
                               filters: [.and(.isNotNull(.column("price")), .compare(.greater, .column("price"), .literal(.long(0))))],
                               watermark: WatermarkSpec(column: "ts", delayMs: 5_000))
        q.aggregation = AggregationSpec(window: .tumbling(sizeMs: 60_000), timeColumn: "ts", groupBy: ["symbol"], aggregates: [
            AggregateSpec(.avg, "price", as: "avg_price"), AggregateSpec(.count, nil, as: "polls"),
        ])
        return q
    }

    /// Runs both jobs over `log` to the end of its input (bounded: stop at the latest offsets, flush with MAX).
    func run(_ env: SimEnvironment, _ log: IngestLog) throws -> (raw: [String], averages: [String]) {
        var o = FlinkQueryOptions()
        o.scanBoundedLatestOffset = true
        o.forBoundedOutOfOrderness = .seconds(5)
        let rawStore = InMemorySinkStore(), avgStore = InMemorySinkStore()
        env.scheduler.run(until: Self.start + .minutes(7))  // the feed has finished; the jobs read what is there
        let raw = try FlinkJob(environment: env, query: QueryJobTests.seedQuery, options: o, log: log.broker) { _, _ in AtLeastOnceJdbcSink(store: rawStore) }
        let avg = try FlinkJob(environment: env, query: Self.averageQuery, options: o, log: log.broker) { _, _ in AtLeastOnceJdbcSink(store: avgStore) }
        raw.start()
        avg.start()
        env.scheduler.run(until: Self.start + .minutes(9))
        XCTAssertEqual(raw.status, .finished)
        XCTAssertEqual(avg.status, .finished)
        return (rawStore.rows.map { $0.row.description }, avgStore.rows.map { $0.row.description })
    }

    func testSeedJobAndMinuteAverageOnGeneratedAndOnReplayedFeed() throws {
        let path = temporaryDirectory("coinbase-replay") + "/coinbase.jsonl.zst"
        let env = SimEnvironment(seed: 11, start: Self.start, detail: .control)
        let log = try IngestLog(env: env, partitions: [("crypto_prices", 3)])
        let recorder = try CaptureRecorder(path: path, header: CaptureHeader(source: "coinbase generator", clock: "virtual", seed: 11))
        FeedGenerator(env: env, producer: CaptureRecordingProducer(recorder: recorder, scheduler: env.scheduler, forwardingTo: log), config: Self.feed).start()
        let generated = try run(env, log)
        try recorder.close()

        let replayEnv = SimEnvironment(seed: 12, start: Self.start, detail: .control)
        let replayLog = try IngestLog(env: replayEnv, partitions: [("crypto_prices", 3)])
        let replayer = try CaptureReplayer(path: path, env: replayEnv, producer: replayLog)
        replayer.start()
        let replayed = try run(replayEnv, replayLog)

        XCTAssertEqual(replayLog.contentDigest, log.contentDigest)
        XCTAssertEqual(replayed.raw, generated.raw)
        XCTAssertEqual(replayed.averages, generated.averages)
        // 5 pairs polled every ~10 s for 6 minutes: every well-formed, positive price passes the seed's filter.
        XCTAssertEqual(generated.raw.count, log.appended.count)
        XCTAssertGreaterThan(generated.raw.count, 150)
        // One average per (minute, symbol) that saw polls: 5 symbols × 6–7 minutes.
        XCTAssertTrue((30...40).contains(generated.averages.count), "\(generated.averages.count)")
    }
}
