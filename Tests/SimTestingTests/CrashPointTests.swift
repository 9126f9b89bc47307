import XCTest
import SimCore
import Scenario
import SimTesting

final class CrashPointTests: XCTestCase {
    /// Four records in the crash window (the first 8 s), then a data tail: a crash at any point up to 8 s is followed
    /// by records arriving after Spark's restart (2 s later) and its next trigger, so the restarted query runs a data
    /// batch and then the no-data batch that emits the last closed windows (docs/semantics/spark.md F2).
    static let smallScenario = """
        name: crash-points
        start: 2024-08-08T23:59:00Z
        duration: 14 seconds
        drain: 8 seconds
        topics: [{name: ticks, partitions: 1}]
        feeds:
          - name: story
            topic: ticks
            records:
              - {at: +1s, key: BTC, value: {symbol: BTC, event_time: +1s, price: 100}}
              - {at: +3s, key: BTC, value: {symbol: BTC, event_time: +2500ms, price: 101}}
              - {at: +5s, key: ETH, value: {symbol: ETH, event_time: +4s, price: 10}}
              - {at: +7s, key: BTC, value: {symbol: BTC, event_time: +7s, price: 102}}
              - {at: +9s, key: ETH, value: {symbol: ETH, event_time: +8500ms, price: 11}}
              - {at: +11s, key: BTC, value: {symbol: BTC, event_time: +10s, price: 103}}
              - {at: +13s, key: BTC, value: {symbol: BTC, event_time: +12500ms, price: 104}}
        jobs:
          - name: counts
            query:
              topic: ticks
              schema: {symbol: string, event_time: long, price: double}
              columns: {ts: timestamp_millis(event_time)}
              watermark: {column: ts, delay: 1 second}
              window: {tumbling: 2 seconds}
              group_by: [symbol]
              aggregates: [count(*) AS n, sum(price) AS total]
            spark:
              trigger: 2 seconds
              sink: {type: file, path: runs/crash-points-out}
            flink:
              execution.checkpointing.interval: 1 second
              pipeline.auto-watermark-interval: 500 ms
              sink: {type: jdbc, table: counts_flink, mode: exactly-once}
        """

    func testExactlyOnceHoldsAtEveryCrashPoint() throws {
        let scenario = try PropertyScenario(yaml: Self.smallScenario)
        let explorer = CrashPointExplorer(scenario: scenario)
        XCTAssertEqual(explorer.defaultCrashUntil(), .seconds(8))
        let report = try explorer.run()
        print("CRASH POINTS: \(report)")
        XCTAssertTrue(report.failures.isEmpty, "\(report)")
        XCTAssertGreaterThan(report.tried[.spark] ?? 0, 20)
        XCTAssertGreaterThan(report.tried[.flink] ?? 0, 50)
        // The interesting gaps were among them.
        XCTAssertGreaterThan(report.count("spark: between offsets/N and commits/N, before the sink write"), 3, "\(report)")
        XCTAssertGreaterThan(report.count("spark: between offsets/N and commits/N, after the sink write"), 3, "\(report)")
        XCTAssertGreaterThan(report.count("flink: between a barrier and its checkpoint's completion"), 10, "\(report)")
        XCTAssertGreaterThan(report.count("flink: checkpoint complete, sinks not yet notified"), 3, "\(report)")
    }

    /// The collapsed steps are equivalent crash points: trying every scheduler step of the first 4.5 s (Spark batches
    /// 0 and 1, Flink checkpoints 1–4) finds nothing the distinct points did not.
    func testEveryStepOfAPrefixHoldsToo() throws {
        var explorer = CrashPointExplorer(scenario: try PropertyScenario(yaml: Self.smallScenario))
        explorer.everyStep = true
        explorer.crashUntil = .milliseconds(4500)
        let report = try explorer.run()
        print("EVERY STEP: \(report)")
        XCTAssertTrue(report.failures.isEmpty, "\(report)")
        XCTAssertEqual(report.totalTried, 2 * report.stepsInWindow)
    }

    /// A crash after the last record, with no data after the restart: the restarted Spark query runs no no-data batch
    /// (F2), so its last windows stay pending — exactly-once reports the rows missing and says why.
    func testCrashWithoutADataTailExplainsTheMissingSparkWindows() throws {
        let scenario = try PropertyScenario(yaml: Self.smallScenario)
        var explorer = CrashPointExplorer(scenario: scenario, engines: [.spark])
        let steps = try explorer.plan()
        // Right after the batch that read the last record commits (before the no-data batch that would emit).
        let k = try XCTUnwrap(steps.lastIndex { $0.event.label.hasPrefix("spark commit batch") && $0.events.contains { $0.contains("kind=data") } })
        explorer.everyStep = true
        explorer.crashUntil = steps[k].event.time - scenario.document.start
        let reference = ReferenceSummary(try simulate(scenario, seed: 1, settings: explorer.settings))
        let r = explorer.crash(.spark, afterStep: k, label: steps[k].event.description, kind: "", reference: reference)
        let failure = try XCTUnwrap(r.failure, "a crash after the last data batch leaves windows pending")
        XCTAssertTrue(failure.message.contains("missing"), failure.message)
        XCTAssertTrue(failure.message.contains("no no-data batch"), failure.message)
    }
}
