import XCTest
@testable import SimCore

final class TimeTests: XCTestCase {
    func testArithmeticStaysOnItsAxis() {
        let t = EventTime(10_000)
        XCTAssertEqual(t + .seconds(5), EventTime(15_000))
        XCTAssertEqual(t - .milliseconds(1), EventTime(9_999))
        XCTAssertEqual(EventTime(15_000) - t, .seconds(5))
        let p = ProcessingTime(1_000)
        XCTAssertEqual(p + .minutes(1), ProcessingTime(61_000))
        XCTAssertEqual(ProcessingTime(61_000) - p, .minutes(1))
        // `EventTime(0) - ProcessingTime(0)` and `EventTime(0) < ProcessingTime(0)` do not compile: the axes are
        // distinct types. The only crossings are named initialisers:
        XCTAssertEqual(EventTime(stampedAt: ProcessingTime(42)), EventTime(42))
    }

    func testSaturationAtFlinkSentinels() {
        // Flink: cleanupTime = maxTimestamp + allowedLateness falls back to Long.MAX_VALUE on overflow.
        XCTAssertEqual(EventTime.max + .seconds(1), .max)
        XCTAssertEqual(EventTime.min - .seconds(1), .min)
        XCTAssertEqual(SimDuration.days(Int64.max), SimDuration(milliseconds: .max))
        XCTAssertEqual(EventTime.max - EventTime.min, SimDuration(milliseconds: .max))
    }

    func testISO8601RoundTrip() {
        XCTAssertEqual(EventTime(0).description, "1970-01-01T00:00:00.000Z")
        XCTAssertEqual(EventTime(1_723_161_601_271).description, "2024-08-09T00:00:01.271Z")
        XCTAssertEqual(EventTime(-1).description, "1969-12-31T23:59:59.999Z")
        XCTAssertEqual(EventTime.min.description, "MIN")
        for ms: Int64 in [0, 1, -1, 951_782_400_000 /* 2000-02-29 */, 1_723_161_601_271, -62_135_596_800_000] {
            XCTAssertEqual(UTCTimestamp.parse(UTCTimestamp.iso8601(ms)), ms, "\(ms)")
        }
        XCTAssertEqual(UTCTimestamp.parse("2024-08-09"), 1_723_161_600_000)
        XCTAssertEqual(UTCTimestamp.parse("2024-08-09 00:00:01.5"), 1_723_161_601_500)
        XCTAssertEqual(UTCTimestamp.parse("2024-08-09T07:00:00+07:00"), 1_723_161_600_000)
        XCTAssertEqual(UTCTimestamp.parse("2024-08-09T00:00:00.123456Z"), 1_723_161_600_123)
        XCTAssertNil(UTCTimestamp.parse("2024-13-01"))
        XCTAssertNil(UTCTimestamp.parse("yesterday"))
        XCTAssertNil(UTCTimestamp.parse("2024-08-09T00:00:00Zjunk"))
    }

    func testFloorDivisionForNegativeTimestamps() {
        // Flink TimeWindow.getWindowStartWithOffset and Spark window() floor, unlike Java's truncating `%`.
        XCTAssertEqual(floorDiv(-1, 60_000), -1)
        XCTAssertEqual(floorMod(-1, 60_000), 59_999)
        XCTAssertEqual(floorDiv(60_000, 60_000), 1)
        XCTAssertEqual(floorMod(7, -3), -2)
    }
}

final class DurationParsingTests: XCTestCase {
    func testSparkIntervalStrings() throws {
        XCTAssertEqual(try SimDuration.parse("10 seconds"), .seconds(10))
        XCTAssertEqual(try SimDuration.parse("1 hour"), .hours(1))
        XCTAssertEqual(try SimDuration.parse("interval 1 hour 30 minutes"), .minutes(90))
        XCTAssertEqual(try SimDuration.parse("1 day"), .days(1))
        // Spark EventTimeWatermark.getDelayMs: a month is 31 days (SPARK-35815).
        XCTAssertEqual(try SimDuration.parse("1 month"), .days(31))
        XCTAssertEqual(try SimDuration.parse("2 weeks"), .days(14))
        XCTAssertEqual(try SimDuration.parse("1.5 seconds"), .milliseconds(1500))
    }

    func testSparkConfigAndFlinkStrings() throws {
        XCTAssertEqual(try SimDuration.parse("500 ms"), .milliseconds(500))
        XCTAssertEqual(try SimDuration.parse("500ms"), .milliseconds(500))
        XCTAssertEqual(try SimDuration.parse("5min"), .minutes(5))
        XCTAssertEqual(try SimDuration.parse("10s"), .seconds(10))
        XCTAssertEqual(try SimDuration.parse("2 h"), .hours(2))
        XCTAssertEqual(try SimDuration.parse("1500us"), .milliseconds(1))  // truncated, as Duration.toMillis()
        XCTAssertEqual(try SimDuration.parse("200"), .milliseconds(200))   // Flink: a bare number is ms
        XCTAssertEqual(try SimDuration.parse("  10 Seconds "), .seconds(10))
    }

    func testISO8601Durations() throws {
        XCTAssertEqual(try SimDuration.parse("PT5S"), .seconds(5))
        XCTAssertEqual(try SimDuration.parse("PT1H30M"), .minutes(90))
        XCTAssertEqual(try SimDuration.parse("P1D"), .days(1))
        XCTAssertEqual(try SimDuration.parse("P1DT2H"), .hours(26))
        XCTAssertEqual(try SimDuration.parse("PT0.5S"), .milliseconds(500))
    }

    func testRejectsWithAClearError() {
        for bad in ["", "ten seconds", "10 lightyears", "-5 s", "PT5X", "10 s 3", "P"] {
            XCTAssertThrowsError(try SimDuration.parse(bad), bad) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains("invalid duration \"\(bad)\""), text)
                XCTAssertTrue(text.contains("expected e.g."), text)
            }
        }
        XCTAssertThrowsError(try SimDuration.parse("10 lightyears")) { error in
            XCTAssertTrue("\(error)".contains("unknown unit \"lightyears\""))
        }
    }

    func testCompactDescription() {
        XCTAssertEqual(SimDuration.minutes(90).description, "1h30m")
        XCTAssertEqual(SimDuration.milliseconds(1500).description, "1s500ms")
        XCTAssertEqual(SimDuration.zero.description, "0ms")
        XCTAssertEqual(SimDuration.seconds(-10).description, "-10s")
    }
}
