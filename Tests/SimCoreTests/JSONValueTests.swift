import SimCore
import XCTest

/// SimCore's JSON parser and writer.
final class JSONValueTests: XCTestCase {
    func testParsesAllTypesAndKeepsLiteralsOrderAndDuplicates() throws {
        let v = try JSONValue.parse(#" {"b": 1, "a": [true, false, null, -0.5e+2, "x\u00e9\n"], "b": 61837.63000000, "o": {}} "#)
        guard case .object(let m) = v else { return XCTFail("not an object") }
        XCTAssertEqual(m.map(\.key), ["b", "a", "b", "o"])
        XCTAssertEqual(v["b"]?.numberValue?.literal, "61837.63000000", "last duplicate wins, literal kept")
        XCTAssertEqual(v["b"]?.doubleValue, 61837.63)
        XCTAssertEqual(m[0].value.int64Value, 1)
        XCTAssertEqual(v["a"]?.arrayValue?[3].doubleValue, -50)
        XCTAssertEqual(v["a"]?.arrayValue?[4].stringValue, "xé\n")
        XCTAssertEqual(v.compactText, #"{"b":1,"a":[true,false,null,-0.5e+2,"xé\n"],"b":61837.63000000,"o":{}}"#)
        XCTAssertEqual(try JSONValue.parse(v.compactText), v, "compact text round-trips")
    }

    func testSurrogatePairsAndEscapes() throws {
        XCTAssertEqual(try JSONValue.parse(#""\ud83d\ude00 \/ \b\f\t""#).stringValue, "😀 / \u{8}\u{c}\t")
        XCTAssertEqual(JSONValue.string("a\"b\\c\u{1}").compactText, #""a\"b\\c\u0001""#)
    }

    func testRejectsNonRFC8259InputWithPosition() {
        let cases: [(String, String, Int, Int)] = [
            ("[01]", "leading zeros", 1, 3),
            ("[1,]", "expected a value", 1, 4),
            ("{\"a\":1,}", "expected a string key", 1, 8),
            ("\"a\u{1}\"", "unescaped control", 1, 3),
            ("\"\\x\"", "invalid escape", 1, 2),
            ("\"\\ud800\"", "unpaired high surrogate", 1, 2),
            ("[1] x", "after the end", 1, 5),
            ("{\n  \"a\": tru }", "invalid literal", 2, 8),
            ("1.", "after the decimal point", 1, 3),
            ("NaN", "expected a value", 1, 1),
            ("", "unexpected end", 1, 1),
        ]
        for (text, reason, line, column) in cases {
            do {
                _ = try JSONValue.parse(text)
                XCTFail("accepted \(text)")
            } catch {
                XCTAssertTrue(error.reason.contains(reason), "\(text): \(error)")
                XCTAssertEqual(error.line, line, "\(text): \(error)")
                XCTAssertEqual(error.column, column, "\(text): \(error)")
            }
        }
        XCTAssertThrowsError(try JSONValue.parse([0x22, 0xC3, 0x28, 0x22]), "invalid UTF-8")
        XCTAssertThrowsError(try JSONValue.parse(String(repeating: "[", count: 600) + String(repeating: "]", count: 600)), "depth limit")
    }

    func testPythonFloatRepr() {
        // Expected strings are CPython 3 repr() of the same doubles.
        let cases: [(Double, String)] = [
            (61837.63, "61837.63"), (1e-05, "1e-05"), (0.0001, "0.0001"), (1.0, "1.0"), (100.0, "100.0"), (-2.5, "-2.5"),
            (1e16, "1e+16"), (1234567890123456.0, "1234567890123456.0"), (0.1 + 0.2, "0.30000000000000004"),
            (5e-324, "5e-324"), (1.7976931348623157e308, "1.7976931348623157e+308"), (0.0, "0.0"), (-0.0, "-0.0"),
            (123456.789e3, "123456789.0"), (0.000123, "0.000123"), (1.5e-7, "1.5e-07"), (2.0e22, "2e+22"),
            (Double.nan, "NaN"), (Double.infinity, "Infinity"), (-Double.infinity, "-Infinity"),
        ]
        for (v, s) in cases { XCTAssertEqual(PythonFloat.repr(v), s, "\(v)") }
    }
}
