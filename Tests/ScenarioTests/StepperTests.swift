import XCTest
import SimCore
@testable import Scenario

/// Drives `sim step`'s interpreter with scripts, as a learner would type them (the CLI feeds stdin lines to the same
/// `Stepper.execute`).
final class StepperTests: XCTestCase {
    func stepper(_ lesson: String) throws -> Stepper { try Stepper(document: LessonFiles.document(lesson)) }

    /// Both engines, one script: the watermark moving and why, windows with partial aggregates, a firing on each
    /// engine, and a late record dropped by Spark and side-output by Flink, each with its rule.
    func testScriptShowsWatermarksWindowsFiringsAndLateDropsForBothEngines() throws {
        let s = try stepper("04-late-data.yaml")
        let out = s.transcript(["next 3", "until 12:00:38.300", "show windows", "show state", "continue", "until +61s", "show windows", "fate ticks-0@6", "quit"])
        // The record's two clocks.
        XCTAssertTrue(out.contains("record ticks-0@0 (key BTC) arrives: event time 12:00:02.000, appended at 12:00:03.000 (processing time) — 1s after it happened"), out)
        // Watermarks and why they moved.
        XCTAssertTrue(out.contains("spark watermark 0 (the epoch) → 11:59:57.000 = max event time 12:00:02.000 − delay 5s (from batch 0's rows)"), out)
        XCTAssertTrue(out.contains("flink source-0 sends watermark 12:00:31.999 (split ticks-0 at 12:00:31.999 (periodic emit))"), out)
        XCTAssertTrue(out.contains("flink window operator watermark → 12:00:31.999"), out)
        // Open windows with partial aggregates, on both engines.
        XCTAssertTrue(out.contains("spark state store (watermark for the next batch 12:00:23.000"), out)
        XCTAssertTrue(out.contains("[12:00:00, 12:00:30) BTC trades=3 low=100.0 close=102.0"), out)
        XCTAssertTrue(out.contains("flink window-0 (operator watermark"), out)
        // Firings.
        XCTAssertTrue(out.contains("flink fires [12:00:00, 12:00:30) BTC pane 0: watermark 12:00:31.999 ≥ end − 1 = 12:00:29.999 (F3)"), out)
        XCTAssertTrue(out.contains("flink fires [12:00:00, 12:00:30) BTC pane 1: late firing"), out)
        XCTAssertTrue(out.contains("spark batch 4 writes 1 row(s) to its sink"), out)
        // The late record, with the rule for each engine.
        XCTAssertTrue(out.contains("spark drops ticks-0@6 (event time 12:00:15.000, key BTC) as late: window [12:00:00, 12:00:30) end 12:00:30 ≤ watermark 12:00:32.000 of batch 4 (the previous batch) → Spark drops it in batch 5"), out)
        XCTAssertTrue(out.contains("flink sends to the side output ticks-0@6"), out)
        XCTAssertTrue(out.contains("max 12:00:29.999 + allowed lateness 15000 ms ≤ watermark 12:00:44.999 → side output"), out)
        // fate: both engines' decisions for one record.
        XCTAssertTrue(out.contains("fate of ticks-0@6 (key BTC): event time 12:00:15.000, appended at 12:01:00.000"), out)
    }

    /// The idle-partition scenario: `why` names the split holding Flink's minimum, says it is quiet and that no
    /// withIdleness is set; the job with withIdleness has fired; Spark's global watermark is not held back.
    func testWhyExplainsAWindowHeldBackByAnIdlePartition() throws {
        let s = try stepper("06-idle-partitions.yaml")
        let out = s.transcript(["until +90s", "why 12:00 BTC", "show state"])
        XCTAssertTrue(out.contains("why [12:00:00, 12:01:00) BTC — job stuck"), out)
        XCTAssertTrue(out.contains("not fired yet: the window operator's watermark is 11:59:50.999 < 12:00:59.999"), out)
        XCTAssertTrue(out.contains("source-0 sends the minimum over its active splits: split ticks-1 holds it at 11:59:50.999"), out)
        XCTAssertTrue(out.contains("split ticks-1's last record (offset 0) arrived at 12:00:02.000"), out)
        XCTAssertTrue(out.contains("no withIdleness: a quiet split holds the watermark back for ever"), out)
        XCTAssertTrue(out.contains("Spark's watermark is global") || out.contains("it is already ≥ the end: the next batch emits it"), out)
        XCTAssertTrue(out.contains("why [12:00:00, 12:01:00) BTC — job released"), out)
        XCTAssertTrue(out.contains("flink.released (fires when the window operator's watermark ≥ end − 1 = 12:00:59.999, F3):\n    fired at"), out)
        XCTAssertTrue(out.contains("split ticks-1: watermark 11:59:50.999, IDLE (not counted)"), out)
        XCTAssertTrue(out.contains("split ticks-1: watermark 11:59:50.999, next offset 1  ← holds the minimum"), out)
    }

    /// `back` re-runs from the seed and lands on the same world (same trace digest, same answers).
    func testBackRewindsDeterministically() throws {
        let s = try stepper("02-watermark.yaml")
        _ = s.execute("next 12")
        let at = s.position
        let state = s.execute("show state").text
        _ = s.execute("next 5")
        let back = s.execute("back 5").text
        XCTAssertTrue(back.contains("the trace digest matches the first time through"), back)
        XCTAssertEqual(s.position.step, at.step)
        XCTAssertEqual(s.execute("show state").text, state)
    }

    func testQuietStepsAreSummarisedAndTickShowsEveryEvent() throws {
        let s = try stepper("01-event-time.yaml")
        let next = s.execute("next").text
        XCTAssertTrue(next.contains("quiet steps (internal timers only:"), next)
        let tick = s.execute("tick 3").text
        XCTAssertEqual(tick.split(separator: "\n").filter { $0.hasPrefix("step ") }.count, 3, tick)
    }

    func testHelpMistakesAndQuit() throws {
        let s = try stepper("01-event-time.yaml")
        XCTAssertTrue(s.execute("help").text.contains("why <window>"))
        XCTAssertTrue(s.execute("until yesterday").text.contains("until needs a virtual time"))
        XCTAssertTrue(s.execute("frobnicate").text.contains("unknown command"))
        XCTAssertTrue(s.execute("fate nowhere").text.contains("fate of which record?"))
        XCTAssertTrue(s.execute("why").text.contains("why which window?"))
        XCTAssertTrue(s.execute("quit").quit)
    }

    func testInstantParsing() {
        let start = ProcessingTime(UTCTimestamp.parse("2024-08-09T23:59:00Z")!)
        let end = start + .minutes(5)
        XCTAssertEqual(InstantText.parse("+90s", start: start, end: end), start.millisecondsSinceEpoch + 90_000)
        XCTAssertEqual(InstantText.parse("00:01:30.5", start: start, end: end), UTCTimestamp.parse("2024-08-10T00:01:30.500Z"))
        XCTAssertEqual(InstantText.parse("23:59:30", start: start, end: end), UTCTimestamp.parse("2024-08-09T23:59:30Z"))
        XCTAssertNil(InstantText.parse("noon", start: start, end: end))
    }
}
