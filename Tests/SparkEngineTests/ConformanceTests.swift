import XCTest
import SimCore
@testable import SparkEngine

/// Replays every recorded real-Spark 3.5.3 case under fixtures/conformance/spark/ and compares the model's output
/// batch by batch, row by row, including each batch's progress (kind, tick, watermark, event-time min/max,
/// numInputRows, numOutputRows and the state operator counters) and restart markers.
///
/// Floating-point values are compared exactly: the model reproduces Spark's summation order (per-batch partial
/// buffers merged into the stored buffer, `state + batchPartial`), so no tolerance is needed.
/// A case that does not match fails here; none is skipped.
final class ConformanceTests: XCTestCase {
    func testEveryRecordedCaseMatchesRealSpark() throws {
        let names = ConformanceCase.all()
        XCTAssertFalse(names.isEmpty, "no conformance cases found under \(ConformanceCase.fixturesDirectory)")
        var failures: [String] = []
        for name in names {
            do {
                let c = try ConformanceCase(name: name)
                if c.expected.isEmpty { failures.append("\(name): spark_output.jsonl missing or empty"); continue }
                let actual = try c.run()
                let expected = c.expected.map(normalizedExpected)
                var diff: String?
                for i in 0..<max(expected.count, actual.count) {
                    guard i < expected.count else { diff = "line \(i + 1): model has an extra line \(actual[i].compactText)"; break }
                    guard i < actual.count else { diff = "line \(i + 1): model is missing \(expected[i].compactText)"; break }
                    if let d = conformanceDifference(expected: expected[i], actual: actual[i]) {
                        diff = "line \(i + 1) \(d)\n    expected \(expected[i].compactText)\n    model    \(actual[i].compactText)"
                        break
                    }
                }
                if let diff { failures.append("\(name): \(diff)") }
            } catch {
                failures.append("\(name): \(error)")
            }
        }
        for f in failures { XCTFail(f) }
        print("conformance: \(names.count - failures.count)/\(names.count) cases match: \(names.filter { n in !failures.contains { $0.hasPrefix(n + ":") } })")
    }
}
