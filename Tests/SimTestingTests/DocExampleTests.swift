import XCTest
import Scenario
import QueryModel
import SimTesting

/// The example of docs/property-testing.md ("A first property test"), kept compiling and passing.
final class DocExampleTests: XCTestCase {
    static let filter = "SimTestingTests.DocExampleTests"

    static let noEmptyCandles = Invariant(name: "no-empty-candles", summary: "every emitted candle counts ≥ 1 trade") { c in
        for j in c.result.world.sparkJobs {
            guard let i = j.outputSchema.index(of: "trades") else { continue }
            for batch in j.emitted {
                for row in batch.rows where (row[i].doubleValue ?? 0) < 1 {
                    return "spark job \(j.job.name): batch \(batch.batchId) emitted \(row)"
                }
            }
        }
        return nil
    }

    func testGeneratedScenarios() {
        var swarm = SwarmScenarios()
        swarm.engines = [.spark]
        assertProperty(.swarm(swarm), seeds: 1...100, invariants: [.exactlyOnce, .recordAccounting, Self.noEmptyCandles], testFilter: Self.filter)
    }

    /// The invariant does fire: a planted Spark sink is not needed, an impossible promise is enough.
    func testACustomInvariantFailsWithTheSeedAndAShrunkScenario() {
        let never = Invariant(name: "never-three-trades", summary: "no candle counts 3 trades (false on purpose)") { c in
            for j in c.result.world.sparkJobs {
                guard let i = j.outputSchema.index(of: "trades") else { continue }
                if let row = j.emitted.flatMap(\.rows).first(where: { $0[i].doubleValue == 3 }) { return "candle \(row)" }
            }
            return nil
        }
        var swarm = SwarmScenarios()
        swarm.engines = [.spark]
        swarm.faults = false
        let failure = assertProperty(.swarm(swarm), seeds: 1...30, invariants: [never], testFilter: Self.filter, shrinkBudget: 60, expectFailure: true)
        XCTAssertNotNil(failure)
        XCTAssertLessThanOrEqual(failure?.shrunkRecords ?? 99, 4, failure?.shrunkYAML ?? "")
        XCTAssertTrue(failure?.replay.hasPrefix("STREAMSIM_SEED=") ?? false)
    }
}
