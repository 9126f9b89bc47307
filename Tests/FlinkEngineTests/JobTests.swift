import XCTest
import SimCore
import SimLog
import QueryModel
import SimTesting
@testable import FlinkEngine

/// A small in-test generator for the seed producer's messages (until SimFeeds lands): 5 symbols, one message per symbol
/// every `period`, keyed by symbol, with `timestamp` in seconds and an event-time jitter.
enum SeedGenerator {
    /// Produces `iterations` rounds over virtual time: round k is appended at k·period (phase `.input`).
    static func produce(_ env: SimEnvironment, _ log: InMemorySourceLog, iterations: Int, period: Int64 = 1_000, seed: UInt64) -> Int {
        let staging = InMemorySourceLog(topic: log.topic, partitions: log.partitionCount)
        let n = fill(staging, iterations: iterations, period: period, seed: seed)
        for p in 0..<staging.partitionCount {
            for r in (try? staging.sourceRecords(TopicPartition(log.topic, Int32(p)), from: 0, maxRecords: .max)) ?? [] {
                env.scheduler.schedule(at: ProcessingTime(r.timestamp.millisecondsSinceEpoch + 3000), phase: .input, "produce") {
                    log.append(partition: p, key: r.key, value: r.value, timestamp: r.timestamp)
                }
            }
        }
        return n
    }

    static let symbols = ["BTC-USD", "ETH-USD", "SOL-USD", "ADA-USD", "DOGE-USD"]

    /// Appends `iterations` rounds to `log` (partition by Kafka's murmur2 is not needed here: symbol index % partitions).
    static func fill(_ log: InMemorySourceLog, iterations: Int, period: Int64 = 10_000, seed: UInt64, badEvery: Int = 0) -> Int {
        var rng = SimRandom(seed: seed)
        var n = 0
        for it in 1...iterations {
            for (i, s) in symbols.enumerated() {
                let t = Int64(it) * period + Int64(i) * 7
                var price = 100.0 * Double(i + 1) + Double(rng.nextInt(below: 1000)) / 100
                if badEvery > 0 && (it * 5 + i) % badEvery == 0 { price = 0 }
                let base = String(s.prefix { $0 != "-" })
                let value = "{\"timestamp\":\(t / 1000),\"symbol\":\"\(s)\",\"base\":\"\(base)\",\"currency\":\"USD\",\"price\":\(price),\"volume_24h\":null,\"source\":\"coinbase\",\"iteration\":\(it)}"
                let jitter = Int64(rng.nextInt(below: 3000))
                log.append(partition: i % log.partitionCount, key: Array(s.utf8), value: Array(value.utf8), timestamp: EventTime(t - jitter))
                n += 1
            }
        }
        return n
    }
}

final class JobTests: XCTestCase {
    func makeJob(env: SimEnvironment, log: InMemorySourceLog, store: InMemorySinkStore, exactlyOnce: Bool, checkpoint: SimDuration? = .seconds(5),
                 pipeline: FlinkPipeline = .seedRawFilter, sourceParallelism: Int = 1) throws -> FlinkJob {
        var cfg = FlinkJobConfig(topic: "crypto_prices")
        cfg.sourceParallelism = sourceParallelism
        cfg.checkpointInterval = checkpoint
        cfg.heartbeatTimeout = .seconds(5)
        return try FlinkJob(environment: env, config: cfg, log: log, pipeline: pipeline) { _, _ in
            exactlyOnce ? TwoPhaseCommitSink(store: store) as any FlinkSink : AtLeastOnceJdbcSink(store: store, options: JdbcExecutionOptions(batchSize: 50))
        }
    }

    /// The seed "Spark vs Flink" job: raw rows into `crypto_prices_flink`, filtered on price > 0, in partition order.
    func testSeedRawJobFiltersAndDelivers() throws {
        let env = SimEnvironment(seed: 1)
        let log = InMemorySourceLog(topic: "crypto_prices", partitions: 3)
        let total = SeedGenerator.fill(log, iterations: 20, seed: 1, badEvery: 7)
        let store = InMemorySinkStore()
        let job = try makeJob(env: env, log: log, store: store, exactlyOnce: false)
        job.start()
        env.scheduler.run(until: ProcessingTime(30_000))
        XCTAssertEqual(job.metrics.recordsRead, Int64(total))
        XCTAssertEqual(store.rows.count, total - Int(job.metrics.recordsFiltered))
        XCTAssertGreaterThan(job.metrics.recordsFiltered, 0)
        XCTAssertTrue(store.rows.allSatisfy { if case .double(let p) = $0.row[4] { return p > 0 }; return false })
        XCTAssertGreaterThan(job.metrics.checkpointsCompleted, 0)
    }

    /// A 1-minute tumbling average per symbol with bounded out-of-orderness (5 s), periodic watermarks every 200 ms, two
    /// window subtasks behind a keyBy: every closed window's average equals a direct computation.
    func testTumblingAveragePerSymbol() throws {
        let env = SimEnvironment(seed: 2)
        let log = InMemorySourceLog(topic: "crypto_prices", partitions: 3)
        _ = SeedGenerator.fill(log, iterations: 30, seed: 2)
        let store = InMemorySinkStore()
        let pipeline = FlinkPipeline(deserialize: FlinkPipeline.seedRawFilter.deserialize,
                                     window: FlinkWindowSpec(keyColumn: 1, assigner: .tumblingEventTime(size: 60_000, offset: 0), aggregates: [RowAggregateSpec(.avg, column: 4), RowAggregateSpec(.count, column: nil)]))
        var cfg = FlinkJobConfig(topic: "crypto_prices")
        cfg.sourceParallelism = 2
        cfg.windowParallelism = 2
        cfg.watermarkStrategy = WatermarkStrategy.forBoundedOutOfOrderness(.seconds(5)).withIdleness(.seconds(2))
        let job = try FlinkJob(environment: env, config: cfg, log: log, pipeline: pipeline) { _, _ in AtLeastOnceJdbcSink(store: store, options: JdbcExecutionOptions(batchSize: 1)) }
        job.start()
        env.scheduler.run(until: ProcessingTime(5_000))
        job.endInput()
        env.scheduler.run(until: ProcessingTime(10_000))
        XCTAssertEqual(job.status, .finished)
        // Direct computation from the log (records carry Kafka timestamps = event time).
        var expected: [String: (Double, Int)] = [:]
        for p in 0..<3 {
            for r in try log.sourceRecords(TopicPartition("crypto_prices", Int32(p)), from: 0, maxRecords: .max) {
                let row = SeedPriceRow(json: String(decoding: r.value!, as: UTF8.self))!
                let start = TimeWindow.windowStart(timestamp: r.timestamp.millisecondsSinceEpoch, offset: 0, size: 60_000)
                let k = "\(row.symbol!)|\(start)"
                expected[k, default: (0, 0)].0 += row.price!
                expected[k, default: (0, 0)].1 += 1
            }
        }
        XCTAssertEqual(store.rows.count, expected.count)
        for r in store.rows {
            guard case .timestamp(let us) = r.row[0], case .string(let sym) = r.row[2], case .double(let avg) = r.row[3], case .long(let n) = r.row[4] else { return XCTFail("bad row \(r.row)") }
            let e = expected["\(sym)|\(us / 1000)"]!
            XCTAssertEqual(Int(n), e.1)
            XCTAssertEqual(avg, e.0 / Double(e.1), accuracy: 1e-9)
        }
    }

    /// With the two-phase-commit sink, rows are visible only after a checkpoint completes.
    func testTwoPhaseCommitVisibilityWaitsForCheckpoint() throws {
        let env = SimEnvironment(seed: 3)
        let log = InMemorySourceLog(topic: "crypto_prices", partitions: 3)
        _ = SeedGenerator.fill(log, iterations: 10, seed: 3)
        let store = InMemorySinkStore()
        let job = try makeJob(env: env, log: log, store: store, exactlyOnce: true, checkpoint: .seconds(10))
        job.start()
        env.scheduler.run(until: ProcessingTime(100))
        XCTAssertEqual(store.rows.count, 0)
        env.scheduler.run(until: ProcessingTime(25_000))
        XCTAssertEqual(store.rows.count, 50)
        XCTAssertTrue(store.rows.allSatisfy { $0.processedAt.millisecondsSinceEpoch > 0 })
    }

    /// Restart strategies: 1.20's default with checkpointing is exponential-delay (1 s, ×1.5, max 1 min, jitter 10 %).
    func testRestartBackoffStrategies() {
        XCTAssertEqual(RestartStrategyConfig.defaultFor(checkpointingEnabled: true), .exponentialDelayDefaults)
        XCTAssertEqual(RestartStrategyConfig.defaultFor(checkpointingEnabled: false), RestartStrategyConfig.none)
        var exp = RestartBackoff(.exponentialDelay(initialBackoff: .seconds(1), maxBackoff: .minutes(1), multiplier: 1.5, resetBackoffThreshold: .hours(1), jitterFactor: 0),
                                 random: SimRandom(seed: 1))
        let start: Int64 = 10_000_000_000
        var delays: [Int64] = []
        for k in 0..<12 { delays.append(exp.onFailure(at: ProcessingTime(start + Int64(k) * 1000))!.milliseconds) }
        XCTAssertEqual(Array(delays.prefix(6)), [1000, 1500, 2250, 3375, 5062, 7593])
        XCTAssertEqual(delays.last, 60_000)
        var jittered = RestartBackoff(.exponentialDelayDefaults, random: SimRandom(seed: 9))
        let d = jittered.onFailure(at: ProcessingTime(start))!.milliseconds
        XCTAssertTrue((900...1100).contains(d))
        var fixed = RestartBackoff(.fixedDelay(attempts: 2, delay: .seconds(1)), random: SimRandom(seed: 1))
        XCTAssertNotNil(fixed.onFailure(at: ProcessingTime(0)))
        XCTAssertNotNil(fixed.onFailure(at: ProcessingTime(1)))
        XCTAssertNil(fixed.onFailure(at: ProcessingTime(2)))
        var rate = RestartBackoff(.failureRate(maxFailuresPerInterval: 1, interval: .minutes(1), delay: .seconds(1)), random: SimRandom(seed: 1))
        XCTAssertNotNil(rate.onFailure(at: ProcessingTime(0)))
        XCTAssertNil(rate.onFailure(at: ProcessingTime(30_000)))
    }

    /// A broker outage: the source keeps retrying its fetch; no data is lost.
    func testBrokerOutageRetriesFetch() throws {
        let env = SimEnvironment(seed: 4)
        let log = InMemorySourceLog(topic: "crypto_prices", partitions: 3)
        let total = SeedGenerator.fill(log, iterations: 10, seed: 4)
        log.available = false
        let store = InMemorySinkStore()
        let job = try makeJob(env: env, log: log, store: store, exactlyOnce: false, checkpoint: nil)
        job.start()
        env.scheduler.run(until: ProcessingTime(2_000))
        XCTAssertEqual(store.rows.count, 0)
        log.available = true
        env.scheduler.run(until: ProcessingTime(3_000))
        job.endInput()
        env.scheduler.run(until: ProcessingTime(4_000))
        XCTAssertEqual(store.rows.count, total)
    }

    /// A database outage with the at-least-once sink: the flush fails (reconnect fails), the job fails over with the
    /// exponential-delay backoff, restores from the last checkpoint and replays; duplicates appear, nothing is lost.
    func testDatabaseOutageFailsOverAndReplays() throws {
        let env = SimEnvironment(seed: 5)
        let log = InMemorySourceLog(topic: "crypto_prices", partitions: 3)
        let total = SeedGenerator.produce(env, log, iterations: 40, seed: 5)
        let store = InMemorySinkStore()
        store.outages = [ProcessingTime(16_000)..<ProcessingTime(19_000)]
        let job = try makeJob(env: env, log: log, store: store, exactlyOnce: false, checkpoint: .seconds(2))
        job.start()
        env.scheduler.run(until: ProcessingTime(60_000))
        XCTAssertGreaterThanOrEqual(job.metrics.restarts, 1)
        XCTAssertEqual(job.status, .running)
        let distinct = Set(store.rows.map { $0.row })
        XCTAssertEqual(distinct.count, total)
    }
}
