import XCTest
import SimCore
import Scenario
import SimTesting

final class CrashPointTests: XCTestCase {
    static let smallScenario = """
        name: crash-points
        start: 2024-08-08T23:59:00Z
        duration: 8 seconds
        drain: 12 seconds
        topics: [{name: ticks, partitions: 1}]
        feeds:
          - name: story
            topic: ticks
            records:
              - {at: +1s, key: BTC, value: {symbol: BTC, event_time: +1s, price: 100}}
              - {at: +3s, key: BTC, value: {symbol: BTC, event_time: +2500ms, price: 101}}
              - {at: +5s, key: ETH, value: {symbol: ETH, event_time: +4s, price: 10}}
              - {at: +7s, key: BTC, value: {symbol: BTC, event_time: +7s, price: 102}}
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
        // ~3 min in debug and it currently reports Spark crash points where windows go missing after a restart
        // with no new data (see the issue-8 report); run with STREAMSIM_WIP=1.
        try XCTSkipUnless(PropertySeeds.environment("STREAMSIM_WIP") != nil, "work in progress: Spark restart finding under investigation")
        let scenario = try PropertyScenario(yaml: Self.smallScenario)
        let report = try CrashPointExplorer(scenario: scenario).run()
        print("CRASH POINTS: \(report)")
        XCTAssertTrue(report.failures.isEmpty, "\(report)")
        XCTAssertGreaterThan(report.tried[.spark] ?? 0, 10)
        XCTAssertGreaterThan(report.tried[.flink] ?? 0, 10)
        // The interesting gaps were among them.
        let kinds = report.byStepKind.map(\.kind)
        XCTAssertTrue(kinds.contains { $0.hasPrefix("spark run batch") }, "a crash after offsets/N and before commits/N: \(kinds)")
        XCTAssertTrue(kinds.contains { $0.contains("checkpoint") || $0.contains("barrier") }, "a crash during a Flink checkpoint: \(kinds)")
    }
}
