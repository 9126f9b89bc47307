import XCTest
import SimCore
import Scenario
import SparkEngine
import SimTesting

/// Properties of the Spark model over hundreds of generated scenarios (swarm, Spark jobs only): delivery guarantees
/// across driver crashes and crashes between `offsets/N` and `commits/N`, record accounting, watermarks, no early
/// output — plus two properties of the offset log written here as custom invariants. Each seed is a small scenario
/// (a few hundred scheduler steps on Spark alone), so a few hundred seeds fit in seconds of a debug build; longer
/// explorations belong to `sim explore`.
final class EnginePropertyTests: XCTestCase {
    static let filter = "SparkEngineTests.EnginePropertyTests"

    /// Batches read the log without gaps or overlaps, across restarts: batch N+1 starts where batch N ended, and every
    /// execution of a batch id (the first and any re-execution after a restart, docs/semantics/spark.md F2) has the
    /// same offsets, watermark and batch timestamp.
    static let offsetLogIsContiguous = Invariant(name: "spark-offset-log", summary: "batches tile the log; a re-executed batch repeats its offsets, watermark and timestamp") { c in
        for j in c.result.world.sparkJobs {
            var byId: [Int64: SparkBatchProgress] = [:]
            var previous: SparkBatchProgress?
            for p in j.progress {
                if let first = byId[p.batchId] {
                    guard p.isReexecution else { return "job \(j.job.name): batch \(p.batchId) ran twice without being a re-execution" }
                    if first.startOffsets != p.startOffsets || first.endOffsets != p.endOffsets || first.watermarkMs != p.watermarkMs || first.batchTimestampMs != p.batchTimestampMs {
                        return "job \(j.job.name): re-executed batch \(p.batchId) differs: offsets \(first.startOffsets)…\(first.endOffsets) → \(p.startOffsets)…\(p.endOffsets), watermark \(first.watermarkMs.map(String.init) ?? "-") → \(p.watermarkMs.map(String.init) ?? "-"), timestamp \(first.batchTimestampMs) → \(p.batchTimestampMs)"
                    }
                    continue
                }
                if let prev = previous, p.batchId != prev.batchId + 1, !(p.batchId == prev.batchId && p.isReexecution) {
                    return "job \(j.job.name): batch \(p.batchId) follows batch \(prev.batchId)"
                }
                if let prev = previous, p.batchId == prev.batchId + 1, p.startOffsets != prev.endOffsets {
                    return "job \(j.job.name): batch \(p.batchId) starts at \(p.startOffsets), but batch \(prev.batchId) ended at \(prev.endOffsets)"
                }
                byId[p.batchId] = p
                previous = p
            }
        }
        return nil
    }

    func testMixedSwarmOnSpark() {
        var swarm = SwarmScenarios()
        swarm.engines = [.spark]
        assertProperty(.swarm(swarm), seeds: 1...150,
                       invariants: [.exactlyOnce, .atLeastOnce, .recordAccounting, .watermarkMonotonic, .watermarkBound, .noEarlyFiring, Self.offsetLogIsContiguous],
                       testFilter: Self.filter)
    }

    func testCrashHeavySwarmOnSpark() {
        var swarm = SwarmScenarios(profile: .crashHeavy)
        swarm.engines = [.spark]
        assertProperty(.swarm(swarm), seeds: 1001...1150, invariants: [.exactlyOnce, .atLeastOnce, .watermarkMonotonic, Self.offsetLogIsContiguous],
                       testFilter: Self.filter)
    }

    func testDeterminismOnSpark() {
        var swarm = SwarmScenarios()
        swarm.engines = [.spark]
        assertProperty(.swarm(swarm), seeds: 2001...2040, invariants: [.determinism], testFilter: Self.filter)
    }
}
