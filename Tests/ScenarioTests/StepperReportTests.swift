import XCTest
import SimCore
import Report
@testable import Scenario

/// Observations for the HTML report and the terminal timeline, built from real runs (and read back from the
/// results database for `sim report`).
final class StepperReportTests: XCTestCase {
    func run(_ lesson: String, database: String? = nil) throws -> (ScenarioRun, ScenarioOutcome, ObservationRecorder) {
        let document = try LessonFiles.document(lesson)
        let run = try ScenarioRun(document: document, options: RunOptions(), databasePath: database)
        let recorder = ObservationRecorder(attachingTo: run)
        run.run()
        return (run, run.outcome(), recorder)
    }

    func testObservationsOfALateDataRun() throws {
        let (run, outcome, recorder) = try self.run("04-late-data.yaml")
        let o = run.observations(outcome, recorder: recorder)
        XCTAssertEqual(o.records.count, 8)
        XCTAssertEqual(o.record("ticks-0@4")?.eventTime, EventTime(UTCTimestamp.parse("2024-08-09T12:00:20Z")!))
        XCTAssertEqual(o.record("ticks-0@4")?.appendTime, ProcessingTime(UTCTimestamp.parse("2024-08-09T12:00:40Z")!))

        let spark = try XCTUnwrap(o.engine(.spark))
        XCTAssertFalse(spark.batches.isEmpty)
        XCTAssertTrue(spark.watermarks.contains { $0.role == .effective && $0.source == "global" })
        XCTAssertTrue(spark.watermarks.contains { $0.role == .lateThreshold })
        XCTAssertTrue(spark.watermarks.contains { $0.reason.contains("max event time 12:00:37.000 of batches ≤ 3 − delay 5s") }, "\(spark.watermarks.map(\.reason))")
        XCTAssertEqual(spark.lateRecords.map(\.recordID), ["ticks-0@6"])
        XCTAssertEqual(spark.lateRecords.first?.fate, .dropped)
        XCTAssertTrue(spark.firings.contains { $0.cause == .batch && $0.batchID == 4 && $0.key == "BTC" })

        let flink = try XCTUnwrap(o.engine(.flink))
        XCTAssertTrue(flink.watermarks.contains { $0.role == .effective && $0.source == "window operator" })
        XCTAssertTrue(flink.watermarks.contains { $0.role == .input && $0.source == "split ticks-0" })
        XCTAssertEqual(flink.lateRecords.map(\.fate), [.lateFiring, .sideOutput])
        XCTAssertTrue(flink.firings.contains { $0.pane == 1 && $0.cause == .element })
        XCTAssertFalse(flink.latencies.isEmpty)

        // Renders, deterministically.
        let html = HTMLReport.render(o)
        XCTAssertEqual(html, HTMLReport.render(run.observations(outcome, recorder: recorder)))
        XCTAssertTrue(html.contains("<svg"))
        XCTAssertTrue(html.contains("window operator"))
        let timeline = TerminalTimeline.render(o, width: 100)
        XCTAssertTrue(timeline.contains("  watermark"), timeline)
        XCTAssertTrue(timeline.contains("ticks-0@6"), timeline)
    }

    func testIdleSplitIsRecordedPerSplit() throws {
        let (run, outcome, recorder) = try self.run("06-idle-partitions.yaml")
        let o = run.observations(outcome, recorder: recorder)
        let released = try XCTUnwrap(o.engine("flink.released"))
        XCTAssertTrue(released.watermarks.contains { $0.source == "split ticks-1" && $0.reason.hasPrefix("idle") }, "\(released.watermarks.map { $0.source + ": " + $0.reason })")
        let stuck = try XCTUnwrap(o.engine("flink.stuck"))
        XCTAssertTrue(stuck.firings.isEmpty, "the stuck job never fires: its quiet split holds the minimum")
    }

    /// `sim report RUN.sqlite`: the same run read back from its results database.
    func testObservationsFromTheResultsDatabase() throws {
        let path = "/tmp/streamsim-stepper-report-\(getpid()).sqlite"
        unlink(path)
        defer { unlink(path) }
        let (run, outcome, recorder) = try self.run("04-late-data.yaml", database: path)
        try run.writeResults(outcome)
        try run.writeObservationRows(recorder)
        let o = try RunObservations.load(database: path, document: LessonFiles.document("04-late-data.yaml"))
        XCTAssertEqual(o.scenarioName, "lesson-04-late-data")
        XCTAssertEqual(o.traceDigest, outcome.digest)
        XCTAssertEqual(o.records.count, 8)
        XCTAssertEqual(o.record("ticks-0@6")?.eventTime, EventTime(UTCTimestamp.parse("2024-08-09T12:00:15Z")!))
        XCTAssertEqual(o.engines.map(\.engine), [.spark, .flink])
        let spark = o.engines[0], flink = o.engines[1]
        XCTAssertTrue(spark.watermarks.contains { $0.role == .lateThreshold })
        XCTAssertTrue(flink.watermarks.contains { $0.role == .effective && $0.source == "window operator" })
        XCTAssertTrue(flink.watermarks.contains { $0.role == .input && $0.source == "split ticks-0" })
        XCTAssertEqual(spark.lateRecords.count + flink.lateRecords.count, 3)
        XCTAssertTrue(spark.firings.contains { $0.batchID == 4 && $0.values.contains(NamedText("trades", "4")) }, "\(spark.firings)")
        XCTAssertTrue(HTMLReport.render(o).contains("lesson-04-late-data"))
    }
}
