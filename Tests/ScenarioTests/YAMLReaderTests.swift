import XCTest
import SimCore
@testable import Scenario

final class YAMLReaderTests: XCTestCase {
    func testSyntaxErrorIsLocated() {
        XCTAssertThrowsError(try YAMLDocument(file: "s.yaml", text: "name: x\ntopics: [a, b\nseed: 1\n")) { error in
            let e = error as! ScenarioError
            XCTAssertEqual(e.file, "s.yaml")
            XCTAssertNotNil(e.line)
            XCTAssertTrue(e.description.hasPrefix("s.yaml:"), e.description)
            XCTAssertTrue(e.description.contains("YAML syntax"), e.description)
        }
    }

    func testUnknownKeySuggestsTheNearest() throws {
        let doc = try YAMLDocument(file: "s.yaml", text: "name: x\nspark:\n  trigger: 10 seconds\n  outptMode: append\n")
        let top = try doc.reader.mapping(allowed: ["name", "spark"])
        XCTAssertThrowsError(try top.required("spark").mapping(allowed: ["trigger", "outputMode", "withWatermark"])) { error in
            XCTAssertEqual("\(error)", "s.yaml:4:3: error: unknown key `outptMode` in `spark`; did you mean `outputMode`? (allowed: trigger, outputMode, withWatermark)")
        }
    }

    func testWrongTypeAndBadDurationAreLocatedAtTheValue() throws {
        let doc = try YAMLDocument(file: "s.yaml", text: "seed: forty-two\ntrigger: 10 parsecs\npartitions: [1]\n")
        let top = try doc.reader.mapping(allowed: ["seed", "trigger", "partitions"])
        XCTAssertThrowsError(try top.required("seed").uint64()) { error in
            XCTAssertTrue("\(error)".hasPrefix("s.yaml:1:7: error: `seed`: expected a non-negative integer"), "\(error)")
        }
        XCTAssertThrowsError(try top.required("trigger").duration()) { error in
            XCTAssertTrue("\(error)".hasPrefix("s.yaml:2:10: error: `trigger`: invalid duration \"10 parsecs\": unknown unit \"parsecs\""), "\(error)")
        }
        XCTAssertThrowsError(try top.required("partitions").int()) { error in
            XCTAssertEqual("\(error)", "s.yaml:3:13: error: `partitions`: expected an integer, found a list")
        }
    }

    func testTypedValues() throws {
        let doc = try YAMLDocument(file: "s.yaml", text: """
            seed: 18446744073709551615
            start: 2024-08-08T23:55:00Z
            delay: 1 hour
            ratio: 0.25
            on: yes
            mode: updat
            schema: {symbol: string, price: double}
            list: [a, b]
            gone: null
            """)
        let m = try doc.reader.mapping(allowed: ["seed", "start", "delay", "ratio", "on", "mode", "schema", "list", "gone"])
        XCTAssertEqual(try m.required("seed").uint64(), UInt64.max)
        XCTAssertEqual(try m.required("start").instantMilliseconds(), 1_723_161_300_000)
        XCTAssertEqual(try m.duration("delay", default: .zero), .hours(1))
        XCTAssertEqual(try m.double("ratio", default: 0), 0.25)
        XCTAssertEqual(try m.bool("on", default: false), true)
        XCTAssertNil(m["gone"], "an explicit null counts as absent")
        XCTAssertEqual(try m.required("schema").entries().map(\.key), ["symbol", "price"])
        XCTAssertEqual(try m.required("list").list().map { try $0.string() }, ["a", "b"])
        enum Mode: String, CaseIterable { case append, update, complete }
        XCTAssertThrowsError(try m.required("mode").oneOf(Mode.self)) { error in
            XCTAssertEqual("\(error)", "s.yaml:6:7: error: `mode`: \"updat\" is not one of append, update, complete; did you mean \"update\"?")
        }
        XCTAssertThrowsError(try m.required("missing", hint: "a topic name")) { error in
            XCTAssertEqual("\(error)", "s.yaml:1:1: error: the top level needs `missing` (a topic name)")
        }
    }

    func testSuggestionDistance() {
        XCTAssertEqual(Suggestion.nearest(to: "withWatermrk", in: ["withWatermark", "trigger"]), "withWatermark")
        XCTAssertEqual(Suggestion.nearest(to: "auto_watermark_interval", in: ["auto-watermark-interval"]), "auto-watermark-interval")
        XCTAssertEqual(Suggestion.nearest(to: "tirgger", in: ["trigger"]), "trigger", "a transposition is one edit")
        XCTAssertNil(Suggestion.nearest(to: "completely-different", in: ["trigger", "outputMode"]))
    }
}
