import XCTest
import SimCore
import SimLog
import SimFeeds
import SimTesting
import QueryModel
@testable import SparkEngine

/// The seed "week 6" daily-OHLC query on the week-6 producer's feed from SimFeeds — generated, and recorded to a
/// capture and replayed: the replayed log is the same log, so Spark's memory table is the same table.
final class ReplayedFeedTests: XCTestCase {
    /// 23:50 → 00:10 UTC: the day changes (complete mode shows both days at once).
    static let start = ProcessingTime(1_723_161_000_000)
    static let feed = FeedGeneratorConfig(
        week6: Week6TickerConfig(),
        symbolModels: [SymbolModel(symbol: "BTCUSDT", startPrice: 61837.63, annualVolatility: 0.55, tradesPerSecond: 2, medianQuantity: 0.002),
                       SymbolModel(symbol: "ETHUSDT", startPrice: 2681.35, annualVolatility: 0.7, tradesPerSecond: 2, medianQuantity: 0.03)],
        duration: .minutes(20), warmHistory: false)

    /// Runs the daily query (complete mode, memory table) over `log` and returns the table.
    func dailyTable(_ env: SimEnvironment, _ log: IngestLog) throws -> [Row] {
        let memory = MemorySink(queryName: "crypto_daily_stats")
        let q = try SparkMicroBatchExecution(environment: env, query: SeedWeekSixTests.dailyQuery(mode: .complete),
                                             options: SparkQueryOptions(trigger: .processingTime(intervalMs: 10_000)),
                                             log: BrokerKafkaReader(broker: log.broker), sink: memory, checkpoint: CheckpointStore())
        q.start()
        env.scheduler.run(until: Self.start + .minutes(21))
        XCTAssertNil(q.failure)
        return memory.latestBatchData
    }

    func testWeekSixQueryOnGeneratedAndOnReplayedFeed() throws {
        let dir = temporaryDirectory("week6-replay")
        let path = dir + "/week6.jsonl.zst"

        // Generated: the week-6 producer writes into the log; a recorder captures what reaches the producer.
        let env = SimEnvironment(seed: 6, start: Self.start, detail: .control)
        let log = try IngestLog(env: env)
        let recorder = try CaptureRecorder(path: path, header: CaptureHeader(source: "week6 generator", clock: "virtual", seed: 6))
        FeedGenerator(env: env, producer: CaptureRecordingProducer(recorder: recorder, scheduler: env.scheduler, forwardingTo: log), config: Self.feed).start()
        let generated = try dailyTable(env, log)
        try recorder.close()

        // Replayed: the capture into a fresh log at its recorded times.
        let replayEnv = SimEnvironment(seed: 99, start: Self.start, detail: .control)
        let replayLog = try IngestLog(env: replayEnv)
        let replayer = try CaptureReplayer(path: path, env: replayEnv, producer: replayLog)
        replayer.start()
        let replayed = try dailyTable(replayEnv, replayLog)

        XCTAssertEqual(replayLog.contentDigest, log.contentDigest, "the replayed log is the generated log")
        XCTAssertEqual(replayed, generated)
        // Two days × two symbols; every poll counted once (tick_count is the second-to-last column).
        XCTAssertEqual(generated.count, 4)
        XCTAssertEqual(generated.map { $0.values[$0.values.count - 2].int64Value! }.reduce(0, +), Int64(log.appended.count))
        XCTAssertEqual(Set(generated.map { $0.values[0] }), [.timestamp(1_723_075_200_000_000), .timestamp(1_723_161_600_000_000)])
    }
}
