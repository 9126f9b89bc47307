import XCTest
import SimCore
import QueryModel
import SimTesting
@testable import FlinkEngine

/// Crash-anywhere properties of the seed job (raw rows into the table) with checkpoints every 2 s.
final class RecoveryPropertyTests: XCTestCase {
    static let produceUntil = ProcessingTime(40_000)
    static let drainAt = ProcessingTime(120_000)

    struct Run {
        var rows: [InMemorySinkStore.StoredRow]
        var restoredFrom: [CompletedCheckpoint?]
        var restarts: Int
        var steps: UInt64
    }

    /// Runs the job; if `crashAtStep` is set, the TaskManager is lost right after that scheduler step.
    static func run(seed: UInt64, exactlyOnce: Bool, crashAtStep: UInt64?) throws -> Run {
        let env = SimEnvironment(seed: seed)
        let log = InMemorySourceLog(topic: "crypto_prices", partitions: 3)
        _ = SeedGenerator.produce(env, log, iterations: 30, period: 1_000, seed: seed)
        let store = InMemorySinkStore()
        var cfg = FlinkJobConfig(topic: "crypto_prices")
        cfg.checkpointInterval = .seconds(2)
        cfg.heartbeatTimeout = .seconds(5)
        let job = try FlinkJob(environment: env, config: cfg, log: log, pipeline: .seedRawFilter) { _, _ in
            exactlyOnce ? TwoPhaseCommitSink(store: store) as any FlinkSink : AtLeastOnceJdbcSink(store: store, options: JdbcExecutionOptions(batchSize: 7))
        }
        var restored: [CompletedCheckpoint?] = []
        env.trace.observe { e in if e.kind == .crash { restored.append(job.lastCompleted) } }
        job.start()
        if let k = crashAtStep {
            while env.scheduler.executedCount < k, env.scheduler.nextEventTime.map({ $0 <= produceUntil }) ?? false { env.scheduler.step() }
            job.crashTaskManager()
        }
        env.scheduler.run(until: drainAt)
        job.endInput()
        env.scheduler.run(until: drainAt + .seconds(10))
        guard job.status == .finished else { throw FlinkError.unsupportedCase("job did not finish: \(job.status)") }
        return Run(rows: store.rows, restoredFrom: restored, restarts: job.metrics.restarts, steps: env.scheduler.executedCount)
    }

    static func stepsBeforeDrain(seed: UInt64) -> UInt64 {
        let env = SimEnvironment(seed: seed)
        let log = InMemorySourceLog(topic: "crypto_prices", partitions: 3)
        _ = SeedGenerator.produce(env, log, iterations: 30, period: 1_000, seed: seed)
        var cfg = FlinkJobConfig(topic: "crypto_prices")
        cfg.checkpointInterval = .seconds(2)
        guard let job = try? FlinkJob(environment: env, config: cfg, log: log, pipeline: .seedRawFilter, sink: { _, _ in TwoPhaseCommitSink(store: InMemorySinkStore()) }) else { return 1 }
        job.start()
        env.scheduler.run(until: produceUntil)
        return env.scheduler.executedCount
    }

    static func multiset(_ rows: [InMemorySinkStore.StoredRow]) -> [String] { rows.map { $0.row.description }.sorted() }

    /// Two-phase commit: a crash at any step, then recovery, gives exactly the crash-free table.
    func testExactlyOnceSinkEqualsCrashFreeRun() {
        let failure = checkProperty("2pc crash-anywhere = crash-free", seeds: 1...20, testFilter: "FlinkEngineTests.RecoveryPropertyTests/testExactlyOnceSinkEqualsCrashFreeRun") { seed in
            let reference = try Self.run(seed: seed, exactlyOnce: true, crashAtStep: nil)
            var rng = SimRandom(seed: seed ^ 0xC0FFEE)
            let k = 1 + rng.nextInt(below: Self.stepsBeforeDrain(seed: seed))
            let crashed = try Self.run(seed: seed, exactlyOnce: true, crashAtStep: k)
            if crashed.restarts < 1 { return "no restart after a crash at step \(k)" }
            let a = Self.multiset(reference.rows), b = Self.multiset(crashed.rows)
            return a == b ? nil : "crash at step \(k): \(b.count) rows vs \(a.count) crash-free"
        }
        if let failure { XCTFail(failure.description) }
    }

    /// At-least-once: nothing is lost, and every duplicate is a row first written after the barrier of the checkpoint
    /// the job restored from (so its record was replayed).
    func testAtLeastOnceLosesNothingAndDuplicatesAreReplays() {
        let failure = checkProperty("alo crash-anywhere: no loss, duplicates explained", seeds: 1...20, testFilter: "FlinkEngineTests.RecoveryPropertyTests/testAtLeastOnceLosesNothingAndDuplicatesAreReplays") { seed in
            let reference = try Self.run(seed: seed, exactlyOnce: false, crashAtStep: nil)
            if Set(Self.multiset(reference.rows)).count != reference.rows.count { return "duplicates without a crash" }
            var rng = SimRandom(seed: seed ^ 0xBEEF)
            let k = 1 + rng.nextInt(below: Self.stepsBeforeDrain(seed: seed))
            let crashed = try Self.run(seed: seed, exactlyOnce: false, crashAtStep: k)
            if Set(Self.multiset(crashed.rows)) != Set(Self.multiset(reference.rows)) { return "crash at step \(k): rows lost or invented" }
            let replayFrom = crashed.restoredFrom.first??.triggeredAt ?? ProcessingTime(0)
            var firstSeen: [Row: ProcessingTime] = [:]
            var duplicates = 0
            for r in crashed.rows {
                if let first = firstSeen[r.row] {
                    duplicates += 1
                    if first < replayFrom { return "crash at step \(k): duplicate \(r.row) first written at \(first.millisecondsSinceEpoch), before the restored checkpoint's barrier at \(replayFrom.millisecondsSinceEpoch)" }
                } else {
                    firstSeen[r.row] = r.processedAt
                }
            }
            return nil
        }
        if let failure { XCTFail(failure.description) }
    }

    /// Determinism: the same seed gives the same trace digest.
    func testSameSeedSameDigest() throws {
        func digest() throws -> String {
            let env = SimEnvironment(seed: 42)
            let log = InMemorySourceLog(topic: "crypto_prices", partitions: 3)
            _ = SeedGenerator.produce(env, log, iterations: 10, seed: 42)
            var cfg = FlinkJobConfig(topic: "crypto_prices")
            cfg.checkpointInterval = .seconds(2)
            let store = InMemorySinkStore()
            let job = try FlinkJob(environment: env, config: cfg, log: log, pipeline: .seedRawFilter) { _, _ in TwoPhaseCommitSink(store: store) }
            job.start()
            env.scheduler.run(until: ProcessingTime(8_000))
            job.crashTaskManager()
            env.scheduler.run(until: ProcessingTime(30_000))
            return env.trace.digest
        }
        XCTAssertEqual(try digest(), try digest())
    }
}
