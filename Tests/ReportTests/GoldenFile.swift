import Foundation
import XCTest

/// Golden-file comparison in the manner of swift-argument-parser's snapshot tests: the expected text lives in
/// `Tests/ReportTests/Golden/<name>`, found from this source file's path. It is (re-)recorded only when the file is
/// missing or the environment has `RECORD_GOLDEN=1`; otherwise a mismatch fails with the first differing line, and
/// the actual output is left in the temporary directory for `diff`.
enum GoldenFile {
    static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
    }

    static func assertMatches(_ actual: String, _ name: String, file: StaticString = #filePath, line: UInt = #line) {
        let url = directory.appendingPathComponent(name)
        let record = ProcessInfo.processInfo.environment["RECORD_GOLDEN"] == "1"
        if record || !FileManager.default.fileExists(atPath: url.path) {
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                try Data(actual.utf8).write(to: url)
                print("recorded golden file \(url.path)")
            } catch {
                XCTFail("could not record \(url.path): \(error)", file: file, line: line)
            }
            return
        }
        guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
            return XCTFail("could not read \(url.path)", file: file, line: line)
        }
        guard expected != actual else { return }
        let actualURL = FileManager.default.temporaryDirectory.appendingPathComponent("actual-" + name)
        try? Data(actual.utf8).write(to: actualURL)
        let a = expected.components(separatedBy: "\n"), b = actual.components(separatedBy: "\n")
        let index = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, b.count)
        XCTFail("""
            \(name) differs from the golden file at line \(index + 1):
              expected: \(index < a.count ? a[index] : "<end of file>")
              actual:   \(index < b.count ? b[index] : "<end of file>")
            actual output: \(actualURL.path) (re-record with RECORD_GOLDEN=1 if the change is intended)
            """, file: file, line: line)
    }
}
