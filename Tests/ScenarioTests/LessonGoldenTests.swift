import XCTest
import SimCore
@testable import Scenario

/// The lessons' narrated runs (`sim explain scenarios/lessons/<lesson>.yaml`) are golden files: a change in an engine
/// model or in the narration shows up here as a diff a reviewer can read. Re-record with `RECORD_GOLDEN=1 swift test
/// --filter LessonGoldenTests` and read the diff before committing.
final class LessonGoldenTests: XCTestCase {
    static let lessons = [
        "01-event-time", "02-watermark", "03-windows", "04-late-data",
        "05-microbatch-vs-continuous", "06-idle-partitions", "07-crashes-checkpoints", "08-seed-pitfalls",
    ]

    var recording: Bool { getenv("RECORD_GOLDEN").map { String(cString: $0) == "1" } ?? false }

    func check(_ lesson: String, format: ExplainFormat, file: StaticString = #filePath, line: UInt = #line) throws {
        let document = try LessonFiles.document(lesson + ".yaml")
        let text = try RunExplanation.narrate(document, format: format)
        let golden = LessonFiles.goldens + "/" + lesson + (format == .markdown ? ".md" : ".txt")
        if recording {
            try LessonFiles.write(golden, text)
            return
        }
        guard let expected = try? LessonFiles.read(golden) else {
            XCTFail("no golden file \(golden): run RECORD_GOLDEN=1 swift test --filter LessonGoldenTests", file: file, line: line)
            return
        }
        if text != expected {
            let a = text.split(separator: "\n", omittingEmptySubsequences: false)
            let b = expected.split(separator: "\n", omittingEmptySubsequences: false)
            let i = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
            XCTFail("""
                \(lesson): narration differs from \(golden) at line \(i + 1):
                  got:      \(i < a.count ? String(a[i]) : "<end>")
                  expected: \(i < b.count ? String(b[i]) : "<end>")
                (RECORD_GOLDEN=1 re-records after a deliberate change)
                """, file: file, line: line)
        }
    }

    func testLesson01EventTime() throws { try check("01-event-time", format: .text) }
    func testLesson02Watermark() throws { try check("02-watermark", format: .text) }
    func testLesson03Windows() throws { try check("03-windows", format: .text) }
    func testLesson04LateData() throws { try check("04-late-data", format: .text) }
    func testLesson04LateDataMarkdown() throws { try check("04-late-data", format: .markdown) }
    func testLesson05MicroBatchVsContinuous() throws { try check("05-microbatch-vs-continuous", format: .text) }
    func testLesson06IdlePartitions() throws { try check("06-idle-partitions", format: .text) }
    func testLesson07CrashesCheckpoints() throws { try check("07-crashes-checkpoints", format: .text) }
    func testLesson08SeedPitfalls() throws { try check("08-seed-pitfalls", format: .text) }

    /// Narrating twice gives the same bytes (no wall clock, no dictionary order).
    func testNarrationIsDeterministic() throws {
        let document = try LessonFiles.document("04-late-data.yaml")
        XCTAssertEqual(try RunExplanation.narrate(document), try RunExplanation.narrate(document))
    }

    /// What each lesson claims in its comments holds in the run (its `expect:` list).
    func testLessonExpectationsHold() throws {
        for lesson in Self.lessons {
            let document = try LessonFiles.document(lesson + ".yaml")
            let run = try ScenarioRun(document: document, options: RunOptions(), databasePath: nil)
            run.run()
            let outcome = run.outcome()
            for e in outcome.expectations { XCTAssertTrue(e.passed, "\(lesson): \(e.expectation) (actual \(e.actual))") }
        }
    }
}
