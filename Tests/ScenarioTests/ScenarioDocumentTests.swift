import XCTest
import SimCore
import QueryModel
@testable import Scenario

final class ScenarioDocumentTests: XCTestCase {
    let full = """
        name: demo
        description: A small pipeline.
        seed: 42
        start: 2024-08-08T23:59:00Z
        duration: 2 minutes
        topics:
          - {name: binance.trade, partitions: 2}
        feeds:
          - generator: trades
            symbols: [BTCUSDT, ETHUSDT]
            network_delay: {lognormal: {median: 20 ms, sigma: 0.5}}
            impairments: {reorder_probability: 0.05, reorder_max_delay: 30 s, malformed_rate: 0.01}
          - name: story
            topic: binance.trade
            records:
              - {at: +10s, key: BTCUSDT, value: {symbol: BTCUSDT, event_time: +5s, price: 100.5, qty: 1}}
              - {at: +11s, key: BTCUSDT, raw: '{bad'}
        jobs:
          - name: ohlc
            query:
              topic: binance.trade
              schema: {symbol: string, event_time: long, price: double, qty: double}
              columns: {ts: timestamp_millis(event_time)}
              filter: price IS NOT NULL AND price > 0
              watermark: {column: ts, delay: 10 seconds}
              window: {tumbling: 1 minute}
              group_by: [symbol]
              aggregates: [count(*) AS trades, first(price) AS open, avg(price) AS avg_price]
            spark: {trigger: 10 seconds, outputMode: append, sink: {type: sqlite, table: ohlc_spark}}
            flink: {forBoundedOutOfOrderness: 10 seconds, sideOutputLateData: true, sink: {type: jdbc, table: ohlc_flink}}
        faults:
          - {at: +60s, crash: flink}
        expect:
          - spark.late_dropped >= 0
          - same_results: [spark, flink]
        """

    func testParsesAFullScenario() throws {
        let d = try ScenarioDocument.parse(text: full, file: "demo.yaml")
        XCTAssertEqual(d.name, "demo")
        XCTAssertEqual(d.seed, 42)
        XCTAssertEqual(d.start, ProcessingTime(1_723_161_540_000))
        XCTAssertEqual(d.duration, .minutes(2))
        XCTAssertEqual(d.topics.map(\.name), ["binance.trade"])
        XCTAssertEqual(d.feeds.map(\.name), ["feed0", "story"])
        guard case .scripted(_, let records, _) = d.feeds[1] else { return XCTFail("scripted feed") }
        XCTAssertEqual(records[0].value, #"{"symbol":"BTCUSDT","event_time":1723161545000,"price":100.5,"qty":1}"#)
        XCTAssertEqual(records[0].at, ProcessingTime(1_723_161_550_000))
        XCTAssertEqual(records[1].value, "{bad")
        let job = d.jobs[0]
        XCTAssertEqual(job.query.watermark, WatermarkSpec(column: "ts", delayMs: 10_000))
        XCTAssertEqual(job.query.aggregation?.window, .tumbling(sizeMs: 60_000, startOffsetMs: 0))
        XCTAssertEqual(job.query.aggregation?.aggregates.map(\.name), ["trades", "open", "avg_price"])
        XCTAssertEqual(job.query.filters, [.and(.isNotNull(.column("price")), .compare(.greater, .column("price"), .literal(.long(0))))])
        XCTAssertEqual(job.spark?.trigger, .processingTime(.seconds(10)))
        XCTAssertEqual(job.flink?.boundedOutOfOrderness, .seconds(10))
        XCTAssertEqual(job.flink?.sink.table, "ohlc_flink")
        XCTAssertEqual(d.faults, [FaultSpec(at: .afterStart(.seconds(60)), action: .crash(.flink, restartAfter: nil))])
        XCTAssertEqual(d.expectations.count, 2)
    }

    func testImpossibleCombinationsAreRejectedBeforeAnythingRuns() {
        let appendNoWatermark = full.replacingOccurrences(of: "      watermark: {column: ts, delay: 10 seconds}\n", with: "")
            .replacingOccurrences(of: "flink: {forBoundedOutOfOrderness: 10 seconds, sideOutputLateData: true, sink: {type: jdbc, table: ohlc_flink}}", with: "flink: {forBoundedOutOfOrderness: 10 seconds}")
        XCTAssertThrowsError(try ScenarioDocument.parse(text: appendNoWatermark, file: "x.yaml")) { e in
            XCTAssertTrue("\(e)".contains("Append output mode not supported when there are streaming aggregations on streaming DataFrames/DataSets without watermark"), "\(e)")
            XCTAssertTrue("\(e)".hasPrefix("x.yaml:"), "\(e)")
        }
        let crashUnknown = full.replacingOccurrences(of: "crash: flink", with: "crash: spark").replacingOccurrences(of: "    spark: {trigger: 10 seconds, outputMode: append, sink: {type: sqlite, table: ohlc_spark}}\n", with: "")
        XCTAssertThrowsError(try ScenarioDocument.parse(text: crashUnknown, file: "x.yaml")) { e in
            XCTAssertTrue("\(e)".contains("no job runs on spark"), "\(e)")
        }
        let badTopic = full.replacingOccurrences(of: "  topic: binance.trade\n      schema", with: "  topic: binance.trades\n      schema")
        XCTAssertThrowsError(try ScenarioDocument.parse(text: badTopic, file: "x.yaml")) { e in
            XCTAssertTrue("\(e)".contains("no topic named binance.trades in `topics:`; did you mean binance.trade?"), "\(e)")
        }
        let badExpr = full.replacingOccurrences(of: "filter: price IS NOT NULL AND price > 0", with: "filter: price IS NOT NULL AND price >> 0")
        XCTAssertThrowsError(try ScenarioDocument.parse(text: badExpr, file: "x.yaml")) { e in
            XCTAssertTrue("\(e)".hasPrefix("x.yaml:24:44: error:"), "\(e)")
            XCTAssertTrue("\(e)".contains("`jobs[0].query.filter`: expected a column, a number, a 'string' or a function, found \">\" at character 30 of"), "\(e)")
        }
        let badAgg = full.replacingOccurrences(of: "avg(price) AS avg_price", with: "average(price) AS avg_price")
        XCTAssertThrowsError(try ScenarioDocument.parse(text: badAgg, file: "x.yaml")) { e in
            XCTAssertTrue("\(e)".contains("unknown aggregate average()"), "\(e)")
        }
    }
}
