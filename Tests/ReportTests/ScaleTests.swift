import SimCore
import XCTest

@testable import Report

/// Axis maths: extents never degenerate, ticks land on round clock times, labels and numbers are deterministic.
final class ScaleTests: XCTestCase {
    func testExtentWidensEmptyAndSinglePointData() {
        let single = TimeExtent(covering: [10_000], fallback: 0...0, minimumSpan: 2000)
        XCTAssertEqual(single, TimeExtent(lower: 9000, upper: 11_000))
        let empty = TimeExtent(covering: [], fallback: 5000...5000, minimumSpan: 2000)
        XCTAssertEqual(empty.span, 2000)
        XCTAssertTrue(empty.contains(5000))
        let wide = TimeExtent(covering: [3, 100_000, 50], fallback: 0...0)
        XCTAssertEqual(wide, TimeExtent(lower: 3, upper: 100_000))
        XCTAssertEqual(TimeExtent(lower: 0, upper: 1000).padded(by: 0.05), TimeExtent(lower: -50, upper: 1050))
        XCTAssertEqual(TimeExtent(lower: 7, upper: 7).span, 1, "never zero-length")
    }

    func testTimeStepIsTheSmallestClockStepThatFits() {
        XCTAssertEqual(Ticks.timeStep(span: 46_000, maxTicks: 10), 5000)
        XCTAssertEqual(Ticks.timeStep(span: 46_000, maxTicks: 5), 10_000)
        XCTAssertEqual(Ticks.timeStep(span: 46_000, maxTicks: 4), 15_000)
        XCTAssertEqual(Ticks.timeStep(span: 3_600_000, maxTicks: 8), 600_000)
        XCTAssertEqual(Ticks.timeStep(span: 900, maxTicks: 10), 100)
        XCTAssertEqual(Ticks.timeStep(span: 0, maxTicks: 1), 1)
        XCTAssertEqual(Ticks.timeStep(span: 30 * 86_400_000, maxTicks: 10), 4 * 86_400_000)
    }

    func testTicksAreEpochAlignedAndInsideTheExtent() {
        let t0: Int64 = 1_723_204_800_000  // 2024-08-09T12:00:00Z
        let ticks = Ticks.timeTicks(TimeExtent(lower: t0 - 920, upper: t0 + 46_920), maxTicks: 12)
        XCTAssertEqual(ticks.step, 5000)
        XCTAssertEqual(ticks.values.first, t0)
        XCTAssertEqual(ticks.values.last, t0 + 45_000)
        XCTAssertEqual(ticks.values.count, 10)
        XCTAssertEqual(Ticks.timeLabel(t0 + 5000, step: 5000), "12:00:05")
        XCTAssertEqual(Ticks.timeLabel(t0 + 250, step: 250), "12:00:00.250")
        XCTAssertEqual(Ticks.timeLabel(t0, step: 86_400_000), "08-09 12:00")
        let negative = Ticks.timeTicks(TimeExtent(lower: -12_500, upper: 2_000), maxTicks: 4)
        XCTAssertEqual(negative.step, 5000)
        XCTAssertEqual(negative.values, [-10_000, -5000, 0])
    }

    func testCountStepIsOneTwoFive() {
        XCTAssertEqual(Ticks.countStep(span: 4, maxTicks: 5), 1)
        XCTAssertEqual(Ticks.countStep(span: 7, maxTicks: 5), 2)
        XCTAssertEqual(Ticks.countStep(span: 23, maxTicks: 5), 5)
        XCTAssertEqual(Ticks.countStep(span: 23, maxTicks: 3), 10)
        XCTAssertEqual(Ticks.countStep(span: 1234, maxTicks: 5), 500)
    }

    func testLinearScaleRunsEitherWayAndClamps() {
        let x = LinearScale(domain: TimeExtent(lower: 0, upper: 100), range: 10...110)
        XCTAssertEqual(x(Int64(50)), 60)
        let y = LinearScale(domain: TimeExtent(lower: 0, upper: 100), range: 10...110, reversed: true)
        XCTAssertEqual(y(Int64(0)), 110)
        XCTAssertEqual(y(Int64(100)), 10)
        XCTAssertEqual(y.clamped(Int64.min), 110, "Flink's MIN sits on the bottom edge")
        XCTAssertEqual(y.clamped(Int64.max), 10, "MAX on the top edge")
        XCTAssertEqual(y.clamped(0), 110, "Spark's epoch watermark far below the data")
    }

    func testNumberTextIsDeterministic() {
        XCTAssertEqual(NumberText.coordinate(12), "12")
        XCTAssertEqual(NumberText.coordinate(12.25), "12.3")
        XCTAssertEqual(NumberText.coordinate(-0.04), "0")
        XCTAssertEqual(NumberText.coordinate(-3.16), "-3.2")
        XCTAssertEqual(NumberText.coordinate(.nan), "0")
        XCTAssertEqual(NumberText.duration(250), "250 ms")
        XCTAssertEqual(NumberText.duration(15_800), "15.8 s")
        XCTAssertEqual(NumberText.duration(20_000), "20 s")
        XCTAssertEqual(NumberText.duration(150_000), "2.5 min")
        XCTAssertEqual(NumberText.duration(-1500), "-1.5 s")
        XCTAssertEqual(NumberText.eventTime(.max), "MAX (end of input)")
        XCTAssertEqual(NumberText.window(EventWindow(start: EventTime(1_723_204_800_000), end: EventTime(1_723_204_810_000))), "[12:00:00, 12:00:10)")
        XCTAssertEqual(NumberText.compactTime(1_723_204_811_999), "12:00:11.999")
    }

    func testLatencyPercentilesAndBins() {
        let s = LatencyStatistics([5, 1, 3, 2, 4])
        XCTAssertEqual(s.percentile(50), 3)
        XCTAssertEqual(s.percentile(90), 5)
        XCTAssertEqual(s.percentile(100), 5)
        XCTAssertNil(LatencyStatistics([]).percentile(50))
        XCTAssertEqual(s.counts(lower: 0, step: 2, bins: 3), [1, 2, 2])
        XCTAssertEqual(LatencyStatistics([-7, 100]).counts(lower: 0, step: 10, bins: 2), [1, 1], "out-of-range samples go to the edge bins")
    }

    func testTerminalColumnsCoverTheWidth() {
        let o = RunObservations(scenarioName: "x", seed: 0, traceDigest: "", start: ProcessingTime(0), end: ProcessingTime(99_000))
        let layout = TerminalLayout(observations: o, width: 100)
        XCTAssertEqual(layout.columns, 86)
        XCTAssertEqual(layout.column(0), 0)
        XCTAssertEqual(layout.column(99_000), 85)
        XCTAssertEqual(layout.column(-5), 0)
        XCTAssertEqual(layout.column(1_000_000), 85)
        XCTAssertEqual(TerminalLayout(observations: o, width: 10).width, 60, "clamped")
    }
}
