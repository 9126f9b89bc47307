import XCTest
import SimCore
@testable import FlinkEngine

final class WatermarkTests: XCTestCase {
    let t0 = ProcessingTime(0)

    /// Test 1 — BoundedOutOfOrdernessWatermarksTest (B = 10 ms).
    func testBoundedOutOfOrderness() {
        var g = BoundedOutOfOrdernessWatermarks(maxOutOfOrderness: .milliseconds(10))
        XCTAssertEqual(g.onPeriodicEmit(now: t0), .watermark(.min))
        _ = g.onEvent(timestamp: EventTime(1337), now: t0)
        XCTAssertEqual(g.onPeriodicEmit(now: t0), .watermark(EventTime(1326)))
        var h = BoundedOutOfOrdernessWatermarks(maxOutOfOrderness: .milliseconds(10))
        for ts in [12345, 12300, 12340, 12280] as [Int64] { XCTAssertNil(h.onEvent(timestamp: EventTime(ts), now: t0)) }
        XCTAssertEqual(h.onPeriodicEmit(now: t0), .watermark(EventTime(12334)))
        _ = h.onEvent(timestamp: EventTime(723456), now: t0)
        XCTAssertEqual(h.onPeriodicEmit(now: t0), .watermark(EventTime(723445)))
        XCTAssertEqual(h.onPeriodicEmit(now: t0), .watermark(EventTime(723445)))
        XCTAssertThrowsError(try WatermarkStrategy.forBoundedOutOfOrderness(.milliseconds(-1)).validate())
    }

    /// Test 2 — TimestampsAndWatermarksOperatorTest: periodic (interval 50) and punctuated; upstream watermarks ignored
    /// except MAX.
    func testTimestampsAndWatermarksOperator() {
        var op = TimestampsAndWatermarksOperator(strategy: .forMonotonousTimestamps(), autoWatermarkInterval: .milliseconds(50), now: t0)
        var out: [WatermarkSignalOrStatus] = []
        op.processElement(timestamp: EventTime(2), now: t0, into: &out)
        XCTAssertEqual(out, [])
        XCTAssertEqual(op.nextTimer, ProcessingTime(50))
        op.onProcessingTime(now: ProcessingTime(50), into: &out)
        XCTAssertEqual(out, [.watermark(EventTime(1))])
        op.processElement(timestamp: EventTime(4), now: ProcessingTime(60), into: &out)
        op.onProcessingTime(now: ProcessingTime(100), into: &out)
        XCTAssertEqual(out, [.watermark(EventTime(1)), .watermark(EventTime(3))])
        out = []
        op.processUpstreamWatermark(EventTime(42), into: &out)
        XCTAssertEqual(out, [])
        op.processUpstreamWatermark(.max, into: &out)
        XCTAssertEqual(out, [.watermark(.max)])

        var punct = TimestampsAndWatermarksOperator(strategy: WatermarkStrategy(.punctuatedBoundedOutOfOrderness(.milliseconds(0))), autoWatermarkInterval: .zero, now: t0)
        out = []
        punct.processElement(timestamp: EventTime(5), now: t0, into: &out)
        punct.processElement(timestamp: EventTime(3), now: t0, into: &out)  // no regression
        XCTAssertEqual(out, [.watermark(EventTime(4))])
        XCTAssertNil(punct.nextTimer)
    }

    /// Test 3 — WatermarksWithIdlenessTimeoutTest: T = 10 ms, probes every 5 ms, event at 4 → idle at probe 25.
    func testIdlenessTimerStrictlyMoreThanTimeout() {
        var g = WatermarksWithIdleness(NoWatermarksGenerator(), timeout: .milliseconds(10))
        let base: Int64 = 1000  // Flink's test starts its clock away from 0 ("0 = no timer")
        _ = g.onEvent(timestamp: EventTime(0), now: ProcessingTime(base + 4))
        var idleAt: Int64?
        for probe in stride(from: Int64(5), through: 40, by: 5) {
            if g.onPeriodicEmit(now: ProcessingTime(base + probe)) == .idle { idleAt = probe; break }
        }
        XCTAssertEqual(idleAt, 25)
        // Marked idle once; a new event clears it.
        XCTAssertNil(g.onPeriodicEmit(now: ProcessingTime(base + 30)))
        _ = g.onEvent(timestamp: EventTime(1), now: ProcessingTime(base + 31))
        XCTAssertFalse(g.isIdleNow)
        // testIdleWithoutEvents: the first check starts the timer; +11 ms later idle.
        var t = IdlenessTimer(timeout: .milliseconds(10))
        XCTAssertFalse(t.checkIfIdle(nowNanos: 1_000_000_000))
        XCTAssertTrue(t.checkIfIdle(nowNanos: 1_011_000_000))
    }

    /// Test 4 — StatusWatermarkValveTest (3 channels).
    func testStatusWatermarkValve() {
        var v = StatusWatermarkValve(channels: 3)
        var out: [WatermarkSignalOrStatus] = []
        v.inputWatermark(EventTime(0), channel: 0, into: &out)
        v.inputWatermark(EventTime(0), channel: 1, into: &out)
        XCTAssertEqual(out, [])
        v.inputWatermark(EventTime(0), channel: 2, into: &out)
        XCTAssertEqual(out, [.watermark(EventTime(0))])
        out = []
        v.inputWatermark(EventTime(12), channel: 0, into: &out)
        v.inputWatermark(EventTime(8), channel: 2, into: &out)
        v.inputWatermark(EventTime(10), channel: 2, into: &out)
        XCTAssertEqual(out, [])
        v.inputWatermark(EventTime(15), channel: 1, into: &out)
        XCTAssertEqual(out, [.watermark(EventTime(10))])
        v.inputWatermark(EventTime(17), channel: 2, into: &out)
        v.inputWatermark(EventTime(20), channel: 0, into: &out)
        XCTAssertEqual(out, [.watermark(EventTime(10)), .watermark(EventTime(12)), .watermark(EventTime(15))])

        // (c) idle channel excluded.
        var c = StatusWatermarkValve(channels: 3)
        out = []
        c.inputWatermark(EventTime(15), channel: 0, into: &out)
        c.inputWatermark(EventTime(10), channel: 1, into: &out)
        c.inputStatus(idle: true, channel: 2, into: &out)
        XCTAssertEqual(out, [.watermark(EventTime(10))])
        c.inputWatermark(EventTime(18), channel: 1, into: &out)
        c.inputWatermark(EventTime(20), channel: 0, into: &out)
        XCTAssertEqual(out, [.watermark(EventTime(10)), .watermark(EventTime(15)), .watermark(EventTime(18))])

        // (d) all idle flushes the max, then IDLE.
        var d = StatusWatermarkValve(channels: 3)
        out = []
        d.inputWatermark(EventTime(10), channel: 0, into: &out)
        d.inputWatermark(EventTime(5), channel: 1, into: &out)
        d.inputWatermark(EventTime(3), channel: 2, into: &out)
        XCTAssertEqual(out, [.watermark(EventTime(3))])
        d.inputStatus(idle: true, channel: 0, into: &out)
        d.inputStatus(idle: true, channel: 1, into: &out)
        XCTAssertEqual(out, [.watermark(EventTime(3))])
        d.inputStatus(idle: true, channel: 2, into: &out)
        XCTAssertEqual(out, [.watermark(EventTime(3)), .watermark(EventTime(10)), .status(idle: true)])

        // (e) single channel, decreasing watermarks yield nothing.
        var e = StatusWatermarkValve(channels: 1)
        out = []
        for w in [25, 18, 42] as [Int64] { e.inputWatermark(EventTime(w), channel: 0, into: &out) }
        XCTAssertEqual(out, [.watermark(EventTime(25)), .watermark(EventTime(42))])
    }

    /// Test 5 — WatermarkOutputMultiplexerTest (Flink 1.20: all-idle keeps the combined watermark).
    func testWatermarkOutputMultiplexer() {
        var m = WatermarkOutputMultiplexer()
        for i in 0..<3 { m.register(i) }
        XCTAssertNil(m.emitImmediate(0, EventTime(2)))  // output 1 still at MIN
        XCTAssertNil(m.emitImmediate(1, EventTime(5)))
        XCTAssertEqual(m.markIdleImmediate(2), .watermark(EventTime(2)))
        XCTAssertEqual(m.markIdleImmediate(0), .watermark(EventTime(5)))
        XCTAssertNil(m.emitImmediate(0, EventTime(3)))  // 3 < combined 5
        var d = WatermarkOutputMultiplexer()
        d.register(0); d.register(1)
        d.emitDeferred(0, EventTime(0)); d.emitDeferred(1, EventTime(1))
        XCTAssertEqual(d.onPeriodicEmit(), .watermark(EventTime(0)))
        var empty = WatermarkOutputMultiplexer()
        XCTAssertNil(empty.onPeriodicEmit())
        var r = WatermarkOutputMultiplexer()
        r.register(0); r.register(1)
        XCTAssertNil(r.emitImmediate(0, EventTime(156_765)))
        r.unregister(0)
        XCTAssertEqual(r.emitImmediate(1, EventTime(156_775)), .watermark(EventTime(156_775)))
        // All idle: 1.20 keeps the old combined watermark and reports idle.
        var a = WatermarkOutputMultiplexer()
        a.register(0); a.register(1)
        _ = a.emitImmediate(0, EventTime(10)); _ = a.emitImmediate(1, EventTime(20))
        XCTAssertEqual(a.combinedWatermark, 10)
        _ = a.markIdleImmediate(0)
        XCTAssertEqual(a.combinedWatermark, 20)
        XCTAssertEqual(a.markIdleImmediate(1), .idle)
        XCTAssertEqual(a.combinedWatermark, 20)
    }

    /// Source reader: a split without data holds the combined watermark at MIN; MIN is never sent.
    func testSourceReaderSilentSplitBlocks() {
        var s = SourceReaderWatermarks(strategy: WatermarkStrategy(.punctuatedBoundedOutOfOrderness(.milliseconds(10))))
        s.addSplit(0); s.addSplit(1)
        var out: [SourceWatermarkEvent] = []
        s.onRecord(split: 0, timestamp: EventTime(5000), now: t0, into: &out)
        XCTAssertEqual(out, [])
        s.onRecord(split: 1, timestamp: EventTime(3000), now: t0, into: &out)
        XCTAssertEqual(out, [.watermark(EventTime(2989))])
        s.endOfInput(into: &out)
        XCTAssertEqual(out.last, .watermark(.max))
    }

    /// Key groups: `String.hashCode`, `murmurHash`, operator index.
    func testKeyGroupAssignment() {
        XCTAssertEqual("BTC".javaHashCode, 66097)
        XCTAssertEqual("".javaHashCode, 0)
        XCTAssertEqual("hello".javaHashCode, 99_162_322)
        XCTAssertEqual(Int64(-1).javaHashCode, 0)
        for k in ["BTC-USD", "ETH-USD", "SOL-USD", "ADA-USD", "DOGE-USD"] {
            let g = KeyGroupAssignment.keyGroup(for: k)
            XCTAssertTrue((0..<128).contains(g))
            XCTAssertEqual(KeyGroupAssignment.subtask(for: k, parallelism: 4), g * 4 / 128)
        }
        XCTAssertEqual(KeyGroupAssignment.murmurHash(0), KeyGroupAssignment.murmurHash(0))
        XCTAssertGreaterThanOrEqual(KeyGroupAssignment.murmurHash(Int32.min), 0)
    }

    /// SQL: `WatermarkAssignerOperator` starts at 0 and has no −1; per-record with interval 0.
    func testSQLWatermarkAssigner() {
        var a = SQLWatermarkAssigner(delay: .seconds(10), autoWatermarkInterval: .zero)
        XCTAssertNil(a.processElement(rowtime: 5000))  // −5000 < 0: never emitted
        XCTAssertEqual(a.processElement(rowtime: 15000), 5000)
        XCTAssertNil(a.processElement(rowtime: 12000))
        XCTAssertEqual(a.processElement(rowtime: 69999), 59999)
        XCTAssertEqual(a.finish(), .max)
    }
}
