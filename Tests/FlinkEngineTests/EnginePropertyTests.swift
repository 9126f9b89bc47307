import XCTest
import SimCore
import Scenario
import FlinkEngine
import SimTesting

/// Properties of the Flink model over hundreds of generated scenarios (swarm, Flink jobs only): two-phase-commit
/// exactly-once and at-least-once delivery across TaskManager losses, record accounting, watermarks (monotonic per
/// operator and attempt, bounded by the data), no early firing — plus a restore property written here as a custom
/// invariant. Generated scenarios set `heartbeat.timeout: 2 seconds`, so a recovery fits in a few simulated seconds.
final class EnginePropertyTests: XCTestCase {
    static let filter = "FlinkEngineTests.EnginePropertyTests"

    /// A restart restores the latest checkpoint that completed before the failure (none: from the start).
    static let restoresLatestCheckpoint = Invariant(name: "flink-restores-latest", summary: "a restart restores the latest checkpoint completed before the failure") { c in
        for j in c.result.world.flinkJobs {
            var latest: Int64?
            var atFailure: Int64?
            for e in j.events {
                switch e {
                case .checkpoint(let id, .completed, _, _, _): latest = max(latest ?? id, id)
                case .failure: atFailure = latest
                case .restart(let attempt, let at, let restored):
                    if restored != atFailure {
                        return "job \(j.job.name): attempt \(attempt) at \(at) restored checkpoint \(restored.map(String.init) ?? "none"), but the latest completed before the failure was \(atFailure.map(String.init) ?? "none")"
                    }
                default: break
                }
            }
        }
        return nil
    }

    func testMixedSwarmOnFlink() {
        var swarm = SwarmScenarios()
        swarm.engines = [.flink]
        assertProperty(.swarm(swarm), seeds: 1...100,
                       invariants: [.exactlyOnce, .atLeastOnce, .recordAccounting, .watermarkMonotonic, .watermarkBound, .noEarlyFiring, Self.restoresLatestCheckpoint],
                       testFilter: Self.filter)
    }

    func testCrashHeavySwarmOnFlink() {
        var swarm = SwarmScenarios(profile: .crashHeavy)
        swarm.engines = [.flink]
        assertProperty(.swarm(swarm), seeds: 1001...1100, invariants: [.exactlyOnce, .atLeastOnce, .watermarkMonotonic, .noEarlyFiring, Self.restoresLatestCheckpoint],
                       testFilter: Self.filter)
    }

    func testDeterminismOnFlink() {
        var swarm = SwarmScenarios(profile: .crashHeavy)
        swarm.engines = [.flink]
        assertProperty(.swarm(swarm), seeds: 2001...2030, invariants: [.determinism], testFilter: Self.filter)
    }
}
