import XCTest
import SimCore
import SimLog
import QueryModel
@testable import SparkEngine

/// Spark test-suite examples (sql/core/src/test/.../streaming/*Suite.scala) replayed on the model.
final class WatermarkSuiteTests: XCTestCase {
    /// `EventTimeWatermarkSuite` "append mode".
    func testAppendBasics() throws {
        let d = SuiteDriver()
        try d.start()
        d.add(10, 11, 12, 13, 14, 15); d.process()
        XCTAssertEqual(d.rows(), [])
        XCTAssertEqual(d.engine.currentWatermarkMs, 5000)
        d.add(25); d.process()
        XCTAssertEqual(d.rows(), [[10, 5]], "[10,15) evicted by the no-data batch with W=15")
        XCTAssertEqual(d.progress.last?.kind, .noData)
        XCTAssertEqual(d.progress.last?.watermarkMs, 15000)
        XCTAssertEqual(d.progress.last?.stateOperators.first?.numRowsTotal, 2)
        let before = d.lastBatchId
        d.add(10); d.process()
        XCTAssertEqual(d.rows(after: before), [])
        XCTAssertEqual(d.progress.last?.stateOperators.first?.numRowsDroppedByWatermark, 1)
        XCTAssertEqual(d.engine.droppedRecords.last?.offset, 7, "beyond Spark: the dropped record's identity")
        XCTAssertEqual(d.engine.droppedRecords.last?.rule, .windowEndAtOrBeforeWatermark)
    }

    /// `EventTimeWatermarkSuite` "update mode".
    func testUpdateMode() throws {
        let d = SuiteDriver(mode: .update)
        try d.start()
        d.add(10, 11, 12, 13, 14, 15); d.process()
        XCTAssertEqual(d.rows(), [[10, 5], [15, 1]])
        var b = d.lastBatchId
        d.add(25); d.process()
        XCTAssertEqual(d.rows(after: b), [[25, 1]])
        XCTAssertEqual(d.engine.stateRowCount, 2, "the no-data batch evicted [10,15) silently")
        b = d.lastBatchId
        d.add(10, 25); d.process()
        XCTAssertEqual(d.rows(after: b), [[25, 2]])
        b = d.lastBatchId
        d.add(10); d.process()
        XCTAssertEqual(d.rows(after: b), [])
    }

    /// `EventTimeWatermarkSuite` "complete mode": the watermark neither drops nor evicts.
    func testCompleteMode() throws {
        let d = SuiteDriver(mode: .complete)
        try d.start()
        d.add(10, 11, 12); d.process()
        XCTAssertEqual(d.memory!.allData.map { $0.values[2].int64Value! }, [3])
        d.add(25); d.process()
        d.add(25); d.process()
        d.add(10); d.process()
        XCTAssertEqual(d.memory!.allData.map { [floorDiv($0.values[0].eventTimeMicros!, 1_000_000), $0.values[2].int64Value!] }, [[10, 4], [25, 2]])
        XCTAssertTrue(d.progress.allSatisfy { $0.kind == .data }, "complete mode never runs a no-data batch")
    }

    /// `EventTimeWatermarkSuite` "test no-data flag".
    func testNoDataFlagDisabled() throws {
        var conf = SparkConf()
        conf.noDataMicroBatchesEnabled = false
        let d = SuiteDriver(conf: conf)
        try d.start()
        d.add(10, 11, 12, 13, 14, 15); d.process()
        d.add(25); d.process()
        XCTAssertEqual(d.rows(), [])
        XCTAssertEqual(d.progress.count, 2)
    }

    /// `EventTimeWatermarkSuite` SPARK-24699: one Trigger.Once run per add; results appear one run late.
    func testTriggerOnceRuns() throws {
        let d = SuiteDriver(trigger: .once)
        func run(_ values: Int64...) throws {
            for v in values { d.add(v) }
            try d.start()
            d.advance(10)
        }
        try run(15); XCTAssertEqual(d.rows(), [])
        try run(10, 12, 14); XCTAssertEqual(d.rows(), [])
        try run(25); XCTAssertEqual(d.rows(), [])
        try run(50); XCTAssertEqual(d.rows(), [[10, 3]])
        XCTAssertEqual(d.progress.last?.watermarkMs, 15000)
        try run(50); XCTAssertEqual(d.rows(), [[10, 3], [15, 1], [25, 1]])
        XCTAssertEqual(d.progress.last?.watermarkMs, 40000)
    }

    /// `StreamingAggregationSuite` "state metrics - append mode": a manual clock, ProcessingTime(1 s), a no-data
    /// batch at the next tick after the watermark moved.
    func testManualClockTickSequence() throws {
        let d = SuiteDriver(trigger: .processingTime(intervalMs: 1000))
        d.add(15)
        try d.start()
        d.advance(0)
        XCTAssertEqual(d.progress.map(\.kind), [.data])
        d.advance(1000)
        XCTAssertEqual(d.progress.map(\.kind), [.data, .noData])
        XCTAssertEqual(d.progress.last?.watermarkMs, 5000)
        d.add(10, 12, 14); d.advance(1000)
        d.add(25); d.advance(1000)
        d.advance(1000)
        XCTAssertEqual(d.progress.map(\.kind), [.data, .noData, .data, .data, .noData])
        XCTAssertEqual(d.progress.map { $0.stateOperators[0].numRowsTotal }, [1, 1, 2, 3, 2])
        XCTAssertEqual(d.rows(), [[10, 3]])
        XCTAssertEqual(d.progress.map(\.triggerTime.millisecondsSinceEpoch), [0, 1000, 2000, 3000, 4000])
    }

    /// `EventTimeWatermarkSuite` "watermark with 2 streams" / "MultipleWatermarkPolicy": per-input operators, an
    /// input without data counts as 0 under min; max picks the largest.
    func testTwoInputPolicies() throws {
        for (policy, expected) in [("min", [0, 1000, 1000, 3000, 11000]), ("max", [1000, 1000, 3000, 11000, 23000])] {
            let env = SimEnvironment(seed: 1)
            let log = InMemoryKafkaLog()
            log.createTopic("a", partitions: 1); log.createTopic("b", partitions: 1)
            let schema = Schema([Field("v", .long)])
            let q = StreamingQuery(name: "two", source: KafkaSourceSpec(topic: "a", startingOffsets: .earliest), valueFormat: .json(schema),
                                   derivedColumns: [DerivedColumn("t", .timestampSeconds(.column("v")))], watermark: WatermarkSpec(column: "t", delayMs: 10_000),
                                   aggregation: AggregationSpec(window: .tumbling(sizeMs: 5000), timeColumn: "t", groupBy: [], aggregates: [AggregateSpec(.count, "*", as: "n")]),
                                   unionInputs: [UnionInput(source: KafkaSourceSpec(topic: "b", startingOffsets: .earliest), watermarkDelayMs: 5000)])
            var options = SparkQueryOptions()
            options.conf.multipleWatermarkPolicy = policy
            let e = try SparkMicroBatchExecution(environment: env, query: q, options: options, log: log, sink: MemorySink(queryName: "m"), checkpoint: CheckpointStore())
            e.start()
            var seen: [Int64] = []
            for (topic, v) in [("a", 11), ("b", 6), ("b", 8), ("a", 21), ("b", 28)] {
                log.append(TopicPartition(topic, 0), key: nil, value: Array("{\"v\":\(v)}".utf8), timestamp: .epoch)
                env.scheduler.advance(by: .milliseconds(100))
                seen.append(e.currentWatermarkMs)
            }
            XCTAssertEqual(seen, expected.map(Int64.init), policy)
        }
    }

    /// `StreamingSessionWindowSuite` "append mode - session window" (gap 10 s, delay 30 s).
    func testSessionWindowAppend() throws {
        let d = SuiteDriver(delaySec: 30, windowSec: 10, session: true)
        try d.start()
        d.add(40, key: "hello"); d.add(41, key: "hello"); d.process()
        XCTAssertEqual(d.engine.stateRowCount, 1)
        d.add(25, key: "spark"); d.process()
        d.add(0, key: "old"); d.process()
        XCTAssertEqual(d.progress.last(where: { $0.kind == .data })?.stateOperators[0].numRowsDroppedByWatermark, 1, "session [0,10) ends at 10 <= 11")
        d.add(30, key: "spark"); d.process()
        d.add(90, key: "x"); d.process()
        let out = d.memory!.allData.map { "\($0.values[2]) \($0.values[0].eventTimeMicros! / 1_000_000)-\($0.values[1].eventTimeMicros! / 1_000_000) \($0.values[3])" }
        XCTAssertEqual(out, ["spark 25-40 2", "hello 40-51 2"])
    }
}

final class TriggerTests: XCTestCase {
    /// `ProcessingTimeExecutorSuite` "nextBatchTime".
    func testNextBatchTime() {
        XCTAssertEqual([0, 99, 100, 150].map { SparkTrigger.nextBatchTime($0, intervalMs: 100) }, [100, 100, 200, 200])
        XCTAssertEqual(SparkTrigger.nextBatchTime(42, intervalMs: 0), 42)
    }

    /// `ProcessingTimeExecutorSuite` "trigger timing": an overrunning batch is followed at once, missed ticks skipped.
    func testOverrunTiming() throws {
        let d = SuiteDriver(trigger: .processingTime(intervalMs: 1000))
        d.options.cost = SparkCostModel(fixedMs: 0, perInputRowNanos: 1_500_000_000)  // 1.5 s per row
        d.add(1)
        try d.start()
        d.advance(1999)
        d.add(2)
        d.advance(500)
        d.add(3)
        d.advance(5000)
        // Batch 0 at 0 ends at 1500: the trigger due at 1000 runs at once (1500) but finds nothing; the next is at
        // 2000 (on the grid). That batch ends at 3500, past 3000: the next starts at once, at 3500.
        XCTAssertEqual(d.progress.map(\.triggerTime.millisecondsSinceEpoch), [0, 2000, 3500])
        XCTAssertEqual(d.progress.map(\.durationMs), [1500, 1500, 1500])
    }
}
