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

    static func read(_ path: String) throws -> String { try TextFile.read(path) }

    static func write(_ path: String, _ text: String) throws { try TextFile.write(path, text) }

    static func document(_ file: String) throws -> ScenarioDocument {
        let path = directory + "/" + file
        return try ScenarioDocument.parse(text: try read(path), file: "scenarios/lessons/" + file, baseDirectory: directory)
    }
}
