import XCTest
import SimCore
import QueryModel
import FlinkEngine
import Scenario
import SimTesting

/// Proof that the explorer finds bugs: two deliberately broken pieces, planted through test-only seams (never in
/// product code), each found by swarm exploration and shrunk to a handful of records.
final class PlantedBugTests: XCTestCase {
    /// A Flink sink that claims exactly-once but writes every row straight into the table on `invoke` — nothing is
    /// held back until the checkpoint completes, so a replay after a restore writes the re-fired windows again.
    final class EagerTable: @unchecked Sendable { var rows: [Row] = [] }
    final class EagerSink: FlinkSink {
        let table: EagerTable
        init(_ table: EagerTable) { self.table = table }
        func write(_ row: Row, now: ProcessingTime) -> SinkOutcome { table.rows.append(row); return .done }
        func retry(now: ProcessingTime) -> SinkOutcome { .done }
        func prepareSnapshotPreBarrier(checkpointId: Int64, now: ProcessingTime) -> SinkOutcome { .done }
        func snapshotState(checkpointId: Int64) -> SinkCheckpointState { SinkCheckpointState() }
        func notifyCheckpointComplete(checkpointId: Int64, now: ProcessingTime) -> SinkOutcome { .done }
        func initializeState(_ state: SinkCheckpointState?, now: ProcessingTime) -> SinkOutcome { .done }
        func endOfInput(now: ProcessingTime) -> SinkOutcome { .done }
    }

    /// `forBoundedOutOfOrderness` with the `− 1` forgotten: emits `maxTs − B` instead of `maxTs − B − 1`, so a record
    /// exactly B behind the newest one can be judged late although the strategy promised it would not be.
    struct OffByOneWatermarks: WatermarkGenerator {
        let b: Int64
        var maxTs: Int64
        init(b: Int64) { self.b = b; maxTs = Int64.min + b }
        mutating func onEvent(timestamp: EventTime, now: ProcessingTime) -> WatermarkSignal? {
            maxTs = max(maxTs, timestamp.millisecondsSinceEpoch)
            return nil
        }
        mutating func onPeriodicEmit(now: ProcessingTime) -> WatermarkSignal? { .watermark(EventTime(maxTs - b)) }
    }

    func testBrokenExactlyOnceSinkIsFoundAndShrunk() throws {
        var hooks = ScenarioTestingHooks()
        hooks.flinkSink = { _ in
            let table = EagerTable()
            return FlinkSinkReplacement(claimsExactlyOnce: true, contents: { table.rows }, factory: { _, _ in EagerSink(table) })
        }
        // The crash-heavy swarm: every seed checkpoints and crashes Flink, with records after the recovery. The
        // mixed swarm rarely combines a checkpoint, a window firing after it and a crash before the next one.
        var swarm = SwarmScenarios(profile: .crashHeavy)
        swarm.engines = [.flink]
        let failure = try XCTUnwrap(assertProperty(.swarm(swarm), seeds: 1...20, invariants: [.exactlyOnce], settings: SimulationSettings(hooks: hooks),
                                                   testFilter: "SimTestingTests.PlantedBugTests", shrinkBudget: 150, expectFailure: true))
        print("PLANTED BUG 1 (non-idempotent sink under replay):\n\(failure)")
        XCTAssertEqual(failure.invariant, "exactly-once")
        XCTAssertTrue(failure.shrunkMessage.contains("extra"), failure.shrunkMessage)
        XCTAssertLessThanOrEqual(failure.shrunkRecords, 6, failure.shrunkYAML)
        XCTAssertTrue(failure.shrunkYAML.contains("crash: flink"), "the repro keeps the crash that causes the replay")
        // The shrunk YAML replays the failure on its own (same seed, same planted sink).
        let replayed = try PropertyScenario(yaml: failure.shrunkYAML)
        let rerun = try simulate(replayed, seed: failure.seed, settings: SimulationSettings(hooks: hooks))
        XCTAssertNotNil(Invariant.exactlyOnce.check(PropertyContext(scenario: replayed, seed: failure.seed, settings: SimulationSettings(hooks: hooks), result: rerun)))
    }

    func testOffByOneWatermarkIsFoundAndShrunk() throws {
        var hooks = ScenarioTestingHooks()
        hooks.flinkQueryOptions = { job, o in
            let b = o.forBoundedOutOfOrderness?.milliseconds ?? job.query.watermark?.delayMs ?? 0
            o.customWatermarkGenerator = CustomWatermarkGenerator(name: "off-by-one") { OffByOneWatermarks(b: b) }
        }
        var swarm = SwarmScenarios()
        swarm.engines = [.flink]
        swarm.faults = false
        let failure = try XCTUnwrap(assertProperty(.swarm(swarm), seeds: 1...4, invariants: [.watermarkBound], settings: SimulationSettings(hooks: hooks),
                                                   testFilter: "SimTestingTests.PlantedBugTests", shrinkBudget: 40, expectFailure: true))
        print("PLANTED BUG 2 (watermark off by one):\n\(failure)")
        XCTAssertEqual(failure.invariant, "watermark-bound")
        XCTAssertLessThanOrEqual(failure.shrunkRecords, 3, failure.shrunkYAML)
    }

    /// The correct product pieces pass the same explorations (so the failures above are the planted bugs').
    func testProductSinkAndWatermarksPassTheSameExplorations() {
        var swarm = SwarmScenarios(profile: .crashHeavy)
        swarm.engines = [.flink]
        assertProperty(.swarm(swarm), seeds: 1...20, invariants: [.exactlyOnce, .watermarkBound], testFilter: "SimTestingTests.PlantedBugTests")
        var plain = SwarmScenarios()
        plain.engines = [.flink]
        plain.faults = false
        assertProperty(.swarm(plain), seeds: 1...4, invariants: [.watermarkBound], testFilter: "SimTestingTests.PlantedBugTests")
    }
}
