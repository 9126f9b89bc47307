import XCTest
@testable import Scenario

/// Where the lesson scenarios and their goldens live, found from this file's path (tests run from any directory).
enum LessonFiles {
    static let packageRoot: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Tests/ScenarioTests/LessonSupport.swift
        return parts.joined(separator: "/")
    }()
    static let directory = packageRoot + "/scenarios/lessons"
    static let goldens = packageRoot + "/Tests/ScenarioTests/Golden/lessons"

    static func read(_ path: String) throws -> String {
        guard let f = fopen(path, "rb") else { throw ScenarioRunError("cannot open \(path)") }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buffer, 1, buffer.count, f)
            if n == 0 { break }
            bytes += buffer[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func write(_ path: String, _ text: String) throws {
        guard let f = fopen(path, "wb") else { throw ScenarioRunError("cannot write \(path)") }
        defer { fclose(f) }
        var t = text
        t.withUTF8 { p in _ = fwrite(p.baseAddress, 1, p.count, f) }
    }

    static func document(_ file: String) throws -> ScenarioDocument {
        let path = directory + "/" + file
        return try ScenarioDocument.parse(text: try read(path), file: "scenarios/lessons/" + file, baseDirectory: directory)
    }
}
