import XCTest
import Foundation
@testable import Scenario

/// Every file in fixtures/invalid/ must be rejected with exactly the error in its sibling `.expected` file
/// (file:line:column + text). The parse check always runs; the end-to-end check — `sim run` exits 2, prints that
/// line on stderr and writes nothing — runs the built binary when .build/debug/sim exists, as swift-argument-parser's
/// own end-to-end tests do, and is skipped (only that part) when it does not.
final class InvalidScenarioTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let directory = root.appendingPathComponent("fixtures/invalid")

    /// The fixtures, sorted by name.
    func fixtures() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: Self.directory.path).filter { $0.hasSuffix(".yaml") }.sorted()
    }

    func expected(_ name: String) throws -> String {
        let text = try String(contentsOf: Self.directory.appendingPathComponent(name.replacingOccurrences(of: ".yaml", with: ".expected")), encoding: .utf8)
        return text.trimmingCharacters(in: .newlines)
    }

    func testEveryInvalidFixtureHasItsExactError() throws {
        let names = try fixtures()
        XCTAssertGreaterThanOrEqual(names.count, 15)
        for name in names {
            let text = try String(contentsOf: Self.directory.appendingPathComponent(name), encoding: .utf8)
            let display = "fixtures/invalid/\(name)"
            do {
                _ = try ScenarioDocument.parse(text: text, file: display, baseDirectory: "fixtures/invalid")
                XCTFail("\(name): parsed without error")
            } catch {
                XCTAssertEqual(error.description, try expected(name), name)
                XCTAssertNotNil(error.line, "\(name): the error has no line")
            }
        }
    }

    func testSimRunExitsTwoAndWritesNothing() throws {
        let binary = Self.root.appendingPathComponent(".build/debug/sim")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw XCTSkip("no .build/debug/sim (run `swift build` first); the parse check above still ran")
        }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("streamsim-invalid-\(getpid())")
        try? FileManager.default.removeItem(at: out)
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: out) }
        for name in try fixtures() {
            let base = (name as NSString).deletingPathExtension
            let p = Process()
            p.executableURL = binary
            p.currentDirectoryURL = Self.root
            p.arguments = ["run", "fixtures/invalid/\(name)", "--db", out.appendingPathComponent("\(base).sqlite").path,
                           "--results", out.appendingPathComponent("\(base).jsonl").path, "--record", out.appendingPathComponent("\(base).jsonl.zst").path]
            let stderr = Pipe(), stdout = Pipe()
            p.standardError = stderr
            p.standardOutput = stdout
            try p.run()
            let errText = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            _ = stdout.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            XCTAssertEqual(p.terminationStatus, 2, name)
            XCTAssertEqual(errText.trimmingCharacters(in: .newlines), try expected(name), name)
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out.path), [], "\(name): sim run wrote files")
        }
    }
}
