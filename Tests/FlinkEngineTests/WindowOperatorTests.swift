import XCTest
import SimCore
@testable import FlinkEngine

/// A sum over Ints, as `WindowOperatorTest`'s `SumReducer` on `Tuple2<String, Integer>`.
struct SumAggregate: AggregateFunction {
    func createAccumulator() -> Int { 0 }
    func add(_ v: Int, to acc: inout Int) { acc += v }
    func merge(_ a: Int, _ b: Int) -> Int { a + b }
    func result(_ acc: Int) -> Int { acc }
}

typealias SumOperator = WindowOperator<String, SumAggregate>

/// A harness in the spirit of `KeyedOneInputStreamOperatorTestHarness`: elements and watermarks in, outputs recorded
/// as `"key,sum@ts"`, `"late key,v@ts"`, `"WM(t)"`.
struct Harness {
    var op: SumOperator
    var out: [String] = []
    var side: [String] = []
    var buf: [SumOperator.Emission] = []

    init(_ a: WindowAssigner, lateness: Int64 = 0, purging: Bool = false, side: Bool = true) throws {
        op = try SumOperator(assigner: a, trigger: WindowTrigger(.eventTime, purging: purging), allowedLateness: lateness, sideOutputLateData: side, aggregate: SumAggregate())
    }
    mutating func element(_ key: String, _ v: Int, _ ts: Int64) throws {
        buf = []
        try op.processElement(v, key: key, timestamp: ts, processingTime: 0, into: &buf)
        collect(session: op.assigner.isMerging)
    }
    mutating func watermark(_ w: Int64, session: Bool = false) {
        buf = []
        op.processWatermark(w, into: &buf)
        collect(session: session)
        out.append("WM(\(w))")
    }
    mutating func collect(session: Bool) {
        var fired: [String] = []
        for e in buf {
            switch e {
            case .fired(let f):
                fired.append(session ? "\(f.key)-\(f.output),\(f.window.start),\(f.window.end)@\(f.timestamp)" : "\(f.key),\(f.output)@\(f.timestamp)")
            case .lateSideOutput(let k, let v, let ts, _): side.append("\(k),\(v)@\(ts)")
            case .lateDropped: break
            }
        }
        out += fired.sorted()  // Flink's tests compare sorted output between watermarks
    }
}

final class WindowOperatorTests: XCTestCase {
    func testWindowStartWithOffsetAndAssigners() throws {
        XCTAssertEqual(TimeWindow.windowStart(timestamp: -1, offset: 0, size: 1000), -1000)
        XCTAssertEqual(TimeWindow.windowStart(timestamp: 14999, offset: 15000, size: 60000), -45000)
        XCTAssertEqual(TimeWindow.windowStart(timestamp: 15000, offset: 15000, size: 60000), 15000)
        var ws: [TimeWindow] = []
        try WindowAssigner.slidingEventTime(size: 3000, slide: 1000, offset: 0).assignWindows(timestamp: 20, currentProcessingTime: 0, into: &ws)
        XCTAssertEqual(ws, [TimeWindow(start: 0, end: 3000), TimeWindow(start: -1000, end: 2000), TimeWindow(start: -2000, end: 1000)])
        XCTAssertThrowsError(try WindowAssigner.tumbling(size: .seconds(1), offset: .seconds(1)))
        XCTAssertThrowsError(try WindowAssigner.tumblingEventTime(size: 1000, offset: 0).assignWindows(timestamp: .min, currentProcessingTime: 0, into: &ws))
        XCTAssertTrue(TimeWindow(start: 0, end: 3000).intersects(TimeWindow(start: 3000, end: 6000)))
        XCTAssertFalse(TimeWindow(start: 2500, end: 5500).intersects(TimeWindow(start: 5501, end: 8501)))
    }

    /// Test 6 — testTumblingEventTimeWindows (3 s), with a snapshot/restore in the middle.
    func testTumblingEventTimeWindows() throws {
        var h = try Harness(.tumblingEventTime(size: 3000, offset: 0))
        for (k, ts) in [("key2", 3999), ("key2", 3000), ("key1", 20), ("key1", 0), ("key1", 999), ("key2", 1998), ("key2", 1999), ("key2", 1000)] as [(String, Int64)] {
            try h.element(k, 1, ts)
        }
        h.watermark(999); h.watermark(1999)
        XCTAssertEqual(h.out, ["WM(999)", "WM(1999)"])
        let snap = h.op.snapshotState()
        var r = try Harness(.tumblingEventTime(size: 3000, offset: 0))
        r.op.restoreState(snap)
        for w in [2999, 3999, 4999, 5999, 6999, 7999] as [Int64] { r.watermark(w) }
        XCTAssertEqual(r.out, ["key1,3@2999", "key2,3@2999", "WM(2999)", "WM(3999)", "WM(4999)", "key2,2@5999", "WM(5999)", "WM(6999)", "WM(7999)"])
    }

    /// Test 7 — testSlidingEventTimeWindows (3 s / 1 s).
    func testSlidingEventTimeWindows() throws {
        var h = try Harness(.slidingEventTime(size: 3000, slide: 1000, offset: 0))
        for (k, ts) in [("key2", 3999), ("key2", 3000), ("key1", 20), ("key1", 0), ("key1", 999), ("key2", 1998), ("key2", 1999), ("key2", 1000)] as [(String, Int64)] {
            try h.element(k, 1, ts)
        }
        for w in [999, 1999, 2999, 3999, 4999, 5999] as [Int64] { h.watermark(w) }
        XCTAssertEqual(h.out, ["key1,3@999", "WM(999)", "key1,3@1999", "key2,3@1999", "WM(1999)", "key1,3@2999", "key2,3@2999", "WM(2999)",
                               "key2,5@3999", "WM(3999)", "key2,2@4999", "WM(4999)", "key2,2@5999", "WM(5999)"])
    }

    /// Test 8 — testSessionWindows (gap 3 s).
    func testSessionWindows() throws {
        var h = try Harness(.eventTimeSession(gap: 3000))
        try h.element("key2", 1, 0); try h.element("key2", 2, 1000); try h.element("key2", 3, 2500)
        try h.element("key1", 1, 10); try h.element("key1", 2, 1000)
        let snap = h.op.snapshotState()
        var r = try Harness(.eventTimeSession(gap: 3000))
        r.op.restoreState(snap)
        try r.element("key1", 3, 2500)
        try r.element("key2", 4, 5501); try r.element("key2", 5, 6000); try r.element("key2", 5, 6000); try r.element("key2", 6, 6050)
        r.watermark(12000, session: true)
        XCTAssertEqual(r.out, ["key1-6,10,5500@5499", "key2-20,5501,9050@9049", "key2-6,0,5500@5499", "WM(12000)"])
        try r.element("key2", 10, 15000); try r.element("key2", 20, 15000)
        r.watermark(17999, session: true)
        XCTAssertEqual(Array(r.out.suffix(2)), ["key2-30,15000,18000@17999", "WM(17999)"])
    }

    /// Test 9 — testLateness: L = 500, purging trigger; a late-but-allowed element fires alone (state was purged).
    func testLatenessWithPurgingTrigger() throws {
        var h = try Harness(.tumblingEventTime(size: 2000, offset: 0), lateness: 500, purging: true)
        try h.element("key2", 1, 500); h.watermark(1500)
        try h.element("key2", 1, 1300); h.watermark(2300)
        try h.element("key2", 1, 1997)
        h.watermark(6000)
        try h.element("key2", 1, 1998)
        h.watermark(7000)
        XCTAssertEqual(h.out, ["WM(1500)", "key2,2@1999", "WM(2300)", "key2,1@1999", "WM(6000)", "WM(7000)"])
        XCTAssertEqual(h.side, ["key2,1@1998"])
    }

    /// Test 10 — testSideOutputDueToLatenessTumbling and testCleanupTimeOverflow.
    func testSideOutputTumblingAndCleanupOverflow() throws {
        var h = try Harness(.tumblingEventTime(size: 2000, offset: 0))
        try h.element("key2", 1, 1000); h.watermark(1985)
        try h.element("key2", 1, 1980); h.watermark(1999)
        try h.element("key2", 1, 1998)
        try h.element("key2", 1, 2001); h.watermark(2999); h.watermark(3999)
        XCTAssertEqual(h.out, ["WM(1985)", "key2,2@1999", "WM(1999)", "WM(2999)", "key2,1@3999", "WM(3999)"])
        XCTAssertEqual(h.side, ["key2,1@1998"])

        var o = try Harness(.tumblingEventTime(size: 1000, offset: 0), lateness: 2000)
        let ts = Int64.max - 1750
        try o.element("key2", 1, ts)
        let w = TimeWindow(start: TimeWindow.windowStart(timestamp: ts, offset: 0, size: 1000), end: TimeWindow.windowStart(timestamp: ts, offset: 0, size: 1000) + 1000)
        XCTAssertEqual(o.op.cleanupTime(w), .max)
        XCTAssertEqual(o.op.state.eventTimerCount, 1)  // only the trigger timer, no GC timer
        o.watermark(Int64.max - 1500)
        XCTAssertEqual(o.out, ["WM(\(Int64.max - 1500))"])
        o.watermark(w.maxTimestamp)
        XCTAssertEqual(o.out.dropLast().last, "key2,1@\(w.maxTimestamp)")
        XCTAssertEqual(o.op.state.windowCount, 1)  // never cleaned: cleanup time is MAX
    }

    /// Test 11 — testSideOutputDueToLatenessSliding (3 s / 1 s).
    func testSideOutputSliding() throws {
        var h = try Harness(.slidingEventTime(size: 3000, slide: 1000, offset: 0))
        try h.element("key2", 1, 1000); h.watermark(1999)
        try h.element("key2", 1, 2000); h.watermark(3000)
        try h.element("key1", 1, 3001); try h.element("key2", 1, 2400); try h.element("key2", 1, 2400)
        try h.element("key1", 1, 3001); try h.element("key2", 1, 3900)
        h.watermark(6000)
        XCTAssertEqual(h.out, ["key2,1@1999", "WM(1999)", "key2,2@2999", "WM(3000)",
                               "key1,2@3999", "key1,2@4999", "key1,2@5999", "key2,1@5999", "key2,4@4999", "key2,5@3999", "WM(6000)"])
        try h.element("key1", 1, 3001)
        XCTAssertEqual(h.side, ["key1,1@3001"])
    }

    /// Test 12 — the session lateness family (gap 3 s).
    func testSessionLatenessFamily() throws {
        func prefix(lateness: Int64, purging: Bool) throws -> Harness {
            var h = try Harness(.eventTimeSession(gap: 3000), lateness: lateness, purging: purging)
            try h.element("key2", 1, 1000); h.watermark(1999, session: true)
            try h.element("key2", 1, 2000); h.watermark(4998, session: true)
            try h.element("key2", 1, 4500)
            try h.element("key2", 1, 8500); h.watermark(7400, session: true)
            try h.element("key2", 1, 7000)
            h.watermark(11501, session: true)
            try h.element("key2", 1, 11600); h.watermark(14600, session: true)
            h.out = h.out.filter { !$0.hasPrefix("WM") }
            return h
        }
        var zero = try prefix(lateness: 0, purging: false)
        XCTAssertEqual(zero.out, ["key2-5,1000,11500@11499", "key2-1,11600,14600@14599"])
        try zero.element("key2", 1, 10000)
        XCTAssertEqual(zero.side, ["key2,1@10000"])
        try zero.element("key2", 1, 14500); zero.watermark(20000, session: true)
        XCTAssertEqual(zero.out.suffix(2), ["key2-1,14500,17500@17499", "WM(20000)"])

        var purging = try prefix(lateness: 10, purging: true)
        purging.out = []
        try purging.element("key2", 1, 10000)
        XCTAssertEqual(purging.out, ["key2-1,10000,14600@14599"])
        try purging.element("key2", 1, 14500); purging.watermark(20000, session: true)
        XCTAssertEqual(purging.out.suffix(2), ["key2-1,10000,17500@17499", "WM(20000)"])

        var acc = try prefix(lateness: 10, purging: false)
        acc.out = []
        try acc.element("key2", 1, 10000)
        try acc.element("key2", 1, 14500); acc.watermark(20000, session: true)
        XCTAssertEqual(acc.out, ["key2-2,10000,14600@14599", "key2-3,10000,17500@17499", "WM(20000)"])
        XCTAssertEqual(acc.side, [])

        var huge = try prefix(lateness: 10000, purging: false)
        huge.out = []
        try huge.element("key2", 1, 10000)
        try huge.element("key2", 1, 14500); huge.watermark(20000, session: true)
        XCTAssertEqual(huge.out, ["key2-7,1000,14600@14599", "key2-8,1000,17500@17499", "WM(20000)"])
    }

    /// testCleanupTimerWithEmptyListStateForTumblingWindows2: L = 100, fires at 1999, cleanup at 2099 emits nothing.
    func testCleanupTimerEmitsNothing() throws {
        var h = try Harness(.tumblingEventTime(size: 2000, offset: 0), lateness: 100)
        try h.element("key2", 1, 1000)
        h.watermark(1999); h.watermark(2100)
        XCTAssertEqual(h.out, ["key2,1@1999", "WM(1999)", "WM(2100)"])
        XCTAssertEqual(h.op.state.windowCount, 0)
        XCTAssertEqual(h.op.state.eventTimerCount, 0)
    }

    /// Without a side output, late elements are counted in numLateRecordsDropped.
    func testLateDropCounter() throws {
        var h = try Harness(.tumblingEventTime(size: 2000, offset: 0), side: false)
        try h.element("k", 1, 100); h.watermark(1999)
        try h.element("k", 1, 1500)
        XCTAssertEqual(h.op.numLateRecordsDropped, 1)
        XCTAssertEqual(h.side, [])
    }

    /// Processing-time tumbling windows fire on the processing clock, whatever the event time.
    func testProcessingTimeWindows() throws {
        var op = try SumOperator(assigner: .tumblingProcessingTime(size: 1000, offset: 0), aggregate: SumAggregate())
        var out: [SumOperator.Emission] = []
        try op.processElement(1, key: "k", timestamp: .min, processingTime: 100, into: &out)
        try op.processElement(2, key: "k", timestamp: 5, processingTime: 900, into: &out)
        XCTAssertEqual(op.nextProcessingTimer(), 999)
        op.processWatermark(.max, into: &out)
        XCTAssertTrue(out.isEmpty)
        op.advanceProcessingTime(to: 999, into: &out)
        guard case .fired(let f)? = out.first else { return XCTFail("expected a firing") }
        XCTAssertEqual(f.output, 3)
        XCTAssertEqual(f.window, TimeWindow(start: 0, end: 1000))
    }

    /// SQL twin of Test 7 (SlicingWindowAggOperatorTest.testEventTimeHoppingWindows additions): a HOP row late for its
    /// first window still counts in its later windows; a row late for all of its windows is dropped and counted.
    func testSQLHopDropsOnlyWhenLastWindowFired() {
        var agg = SQLWindowAggregator<String, SumAggregate>(function: .hop(slide: 1000, size: 3000, offset: 0), aggregate: SumAggregate())
        var out: [SQLWindowEmission<String, Int>] = []
        agg.processWatermark(3999, into: &out)
        out = []
        agg.processElement(1, key: "key2", rowtime: 3500, into: &out)  // [1000,4000) fired, [2000,5000) and [3000,6000) not
        agg.processWatermark(4999, into: &out)
        agg.processElement(1, key: "key1", rowtime: 2999, into: &out)  // late for all: dropped
        agg.processWatermark(5999, into: &out)
        let rows = out.compactMap { e -> String? in if case .row(let k, let w, let o, _) = e { return "\(k),\(o),\(w.start),\(w.end)" }; return nil }
        XCTAssertEqual(rows, ["key2,1,2000,5000", "key2,1,3000,6000"])
        XCTAssertEqual(agg.numLateRecordsDropped, 1)
    }
}
