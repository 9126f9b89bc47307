import XCTest
import SimCore
import QueryModel
import FlinkEngine
import Scenario
import SimTesting

final class ZZScratchTests: XCTestCase {
    func testScratchBrokenSink() throws {
        guard PropertySeeds.environment("SCRATCH") != nil else { return }
        var hooks = ScenarioTestingHooks()
        hooks.flinkSink = { _ in
            let table = PlantedBugTests.EagerTable()
            return FlinkSinkReplacement(claimsExactlyOnce: true, contents: { table.rows }, factory: { _, _ in PlantedBugTests.EagerSink(table) })
        }
        var swarm = SwarmScenarios(profile: .crashHeavy)
        swarm.engines = [.flink]
        let settings = SimulationSettings(hooks: hooks)
        for seed in UInt64(1)...20 {
            let f = swarm.features(seed: seed)
            let sc = try swarm.scenario(seed: seed)
            let t0 = Date()
            let r = try simulate(sc, seed: seed, settings: settings)
            let ctx = PropertyContext(scenario: sc, seed: seed, settings: settings, result: r)
            let ref = try ctx.faultFree()
            let fired = r.world.flinkJobs[0].events.filter { if case .firing = $0 { return true } else { return false } }.count
            print("seed \(seed): \(f)\n  restarts \(r.outcome.metric("flink.restarts") ?? -1) failed \(r.outcome.metric("flink.failed") ?? -1) late \(r.outcome.late.count) refLate \(ref.outcome.late.count) rows \(r.sinks.first?.rows.count ?? -1) ref \(ref.sinks.first?.rows.count ?? -1) fired \(fired) faults \(r.world.faultLog.map { "\($0.at) \($0.kind)" }) \(Date().timeIntervalSince(t0))s")
            print("  EO: \(Invariant.exactlyOnce.check(ctx) ?? "held")")
        }
    }
}
extension ZZScratchTests {
    func testScratchSteps() throws {
        guard PropertySeeds.environment("SCRATCH2") != nil else { return }
        let scenario = try PropertyScenario(yaml: CrashPointTests.smallScenario)
        let steps = try CrashPointExplorer(scenario: scenario).stepLabels()
        var kinds: [String: Int] = [:]
        for s in steps { kinds[s.label.split(separator: " ").filter { !$0.allSatisfy { $0.isNumber || $0 == "#" } && !$0.hasPrefix("offsets/") }.joined(separator: " "), default: 0] += 1 }
        print("STEPS \(steps.count)")
        for (k, v) in kinds.sorted(by: { $0.value > $1.value }) { print("  \(v) \(k)") }
        for s in steps where !s.label.contains("poll") { print(s) }
    }
}
