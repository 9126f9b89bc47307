// A small strict JSON (RFC 8259) parser and compact writer, shared by captures, importers and later Spark's
// `from_json`. Written here rather than with Foundation's `JSONSerialization` because that one loses number
// literals (61837.63000000 becomes a Double), object key order and duplicate keys — all of which a replay
// testbed must be able to see — and because its output is not byte-stable across platforms.

/// A JSON number: the literal exactly as written, plus numeric views of it.
///
/// The literal is kept because the original text is what a downstream engine would parse (Spark's `from_json`
/// reads `1e2` as a double but `100` as a long) and what a replay must reproduce byte for byte.
public struct JSONNumber: Hashable, Sendable, CustomStringConvertible {
    /// The literal as it appeared in the input (or as the writer will emit it).
    public let literal: String

    /// Creates a number from a literal that is already valid RFC 8259 number syntax.
    public init(literal: String) { self.literal = literal }
    public init(_ v: Int64) { literal = String(v) }
    /// A double rendered as Python's `json.dumps` would (`repr`, see `PythonFloat`).
    public init(_ v: Double) { literal = PythonFloat.repr(v) }

    /// The value as a Double (correctly rounded, as `strtod`).
    public var doubleValue: Double { Double(literal) ?? .nan }
    /// The value as an Int64 when the literal is an integer literal in range (no fraction, no exponent).
    public var int64Value: Int64? { Int64(literal) }
    /// Whether the literal has no fraction and no exponent.
    public var isIntegerLiteral: Bool { !literal.utf8.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") } }
    public var description: String { literal }
}

/// A parsed JSON document.
///
/// Objects are an ordered array of members, so key order and duplicate keys survive a parse/write round trip;
/// `subscript(key)` returns the *last* duplicate, as most JSON readers (and Spark's Jackson-based `from_json`) do.
public enum JSONValue: Hashable, Sendable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object([JSONMember])

    /// The member value for `key` in an object (the last one if the key repeats); nil otherwise.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last(where: { $0.key == key })?.value
    }

    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    public var numberValue: JSONNumber? { if case .number(let n) = self { return n }; return nil }
    public var doubleValue: Double? { numberValue?.doubleValue }
    public var int64Value: Int64? { numberValue?.int64Value }
    public var boolValue: Bool? { if case .bool(let b) = self { return b }; return nil }
    public var isNull: Bool { if case .null = self { return true }; return false }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a }; return nil }
    public var objectMembers: [JSONMember]? { if case .object(let m) = self { return m }; return nil }

    /// A name for the JSON type, for error messages and payload-shape tests.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number(let n): return n.isIntegerLiteral ? "integer" : "float"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// Compact canonical text: no insignificant whitespace, members in their stored order, numbers as their
    /// literal, strings with the minimal escapes of RFC 8259 §7 (`"`, `\`, and controls; `\n` `\r` `\t` `\b` `\f`
    /// short forms; everything else as UTF-8).
    public var description: String { compactText }

    public var compactText: String {
        var out = [UInt8]()
        JSONWriter.write(self, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses exactly one JSON text (surrounding whitespace allowed).
    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        var copy = text
        let result = copy.withUTF8 { (p: UnsafeBufferPointer<UInt8>) -> Result<JSONValue, JSONParseError> in
            do throws(JSONParseError) { return .success(try parse(p)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    public static func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        let result = bytes.withUnsafeBufferPointer { (p: UnsafeBufferPointer<UInt8>) -> Result<JSONValue, JSONParseError> in
            do throws(JSONParseError) { return .success(try parse(p)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(bytes)
        return try parser.parseDocument()
    }
}

/// One object member.
public struct JSONMember: Hashable, Sendable {
    public var key: String
    public var value: JSONValue
    public init(_ key: String, _ value: JSONValue) {
        self.key = key
        self.value = value
    }
}

/// Why a JSON text was rejected, and where: byte offset (0-based) and line/column (1-based, column in bytes).
public struct JSONParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public var reason: String
    public var offset: Int
    public var line: Int
    public var column: Int
    public var description: String { "invalid JSON at line \(line), column \(column) (byte \(offset)): \(reason)" }
}

/// The recursive-descent parser. Depth is limited so that hostile input cannot overflow the stack.
struct JSONParser {
    let b: UnsafeBufferPointer<UInt8>
    var i = 0
    var depth = 0
    static let maxDepth = 512

    init(_ bytes: UnsafeBufferPointer<UInt8>) { b = bytes }

    func fail(_ reason: String, at offset: Int? = nil) -> JSONParseError {
        let at = min(offset ?? i, b.count)
        var line = 1, lineStart = 0
        var k = 0
        while k < at {
            if b[k] == 0x0A { line += 1; lineStart = k + 1 }
            k += 1
        }
        return JSONParseError(reason: reason, offset: at, line: line, column: at - lineStart + 1)
    }

    mutating func skipWhitespace() {
        while i < b.count {
            let c = b[i]
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { i += 1 } else { break }
        }
    }

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        let v = try parseValue()
        skipWhitespace()
        if i != b.count { throw fail("unexpected \(describeByte(b[i])) after the end of the JSON value") }
        return v
    }

    func describeByte(_ c: UInt8) -> String {
        if c >= 0x21 && c < 0x7F { return "'\(Character(Unicode.Scalar(c)))'" }
        return "byte 0x" + String(c, radix: 16)
    }

    mutating func parseValue() throws(JSONParseError) -> JSONValue {
        guard i < b.count else { throw fail("unexpected end of input, expected a value") }
        switch b[i] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectWord("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectWord("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectWord("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw fail("unexpected \(describeByte(b[i])), expected a value")
        }
    }

    mutating func expectWord(_ w: StaticString) throws(JSONParseError) {
        let start = i
        let n = w.utf8CodeUnitCount
        let p = w.utf8Start
        for k in 0..<n {
            guard i < b.count, b[i] == p[k] else { throw fail("invalid literal, expected \(w)", at: start) }
            i += 1
        }
    }

    mutating func enter() throws(JSONParseError) {
        depth += 1
        if depth > JSONParser.maxDepth { throw fail("nesting deeper than \(JSONParser.maxDepth)") }
    }

    mutating func parseObject() throws(JSONParseError) -> JSONValue {
        try enter()
        i += 1
        var members: [JSONMember] = []
        skipWhitespace()
        if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; depth -= 1; return .object(members) }
        while true {
            skipWhitespace()
            guard i < b.count else { throw fail("unexpected end of input in an object") }
            guard b[i] == UInt8(ascii: "\"") else { throw fail("expected a string key, found \(describeByte(b[i]))") }
            let key = try parseString()
            skipWhitespace()
            guard i < b.count, b[i] == UInt8(ascii: ":") else { throw fail("expected ':' after an object key") }
            i += 1
            skipWhitespace()
            let value = try parseValue()
            members.append(JSONMember(key, value))
            skipWhitespace()
            guard i < b.count else { throw fail("unexpected end of input in an object") }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            if b[i] == UInt8(ascii: "}") { i += 1; break }
            throw fail("expected ',' or '}' in an object, found \(describeByte(b[i]))")
        }
        depth -= 1
        return .object(members)
    }

    mutating func parseArray() throws(JSONParseError) -> JSONValue {
        try enter()
        i += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if i < b.count, b[i] == UInt8(ascii: "]") { i += 1; depth -= 1; return .array(items) }
        while true {
            skipWhitespace()
            items.append(try parseValue())
            skipWhitespace()
            guard i < b.count else { throw fail("unexpected end of input in an array") }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            if b[i] == UInt8(ascii: "]") { i += 1; break }
            throw fail("expected ',' or ']' in an array, found \(describeByte(b[i]))")
        }
        depth -= 1
        return .array(items)
    }

    /// RFC 8259 §6: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    mutating func parseNumber() throws(JSONParseError) -> JSONNumber {
        let start = i
        func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
        if b[i] == UInt8(ascii: "-") { i += 1 }
        guard i < b.count, isDigit(b[i]) else { throw fail("expected a digit in a number") }
        if b[i] == UInt8(ascii: "0") {
            i += 1
            if i < b.count, isDigit(b[i]) { throw fail("leading zeros are not allowed in a number") }
        } else {
            while i < b.count, isDigit(b[i]) { i += 1 }
        }
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            guard i < b.count, isDigit(b[i]) else { throw fail("expected a digit after the decimal point") }
            while i < b.count, isDigit(b[i]) { i += 1 }
        }
        if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            i += 1
            if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
            guard i < b.count, isDigit(b[i]) else { throw fail("expected a digit in the exponent") }
            while i < b.count, isDigit(b[i]) { i += 1 }
        }
        return JSONNumber(literal: String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self))
    }

    mutating func hex4() throws(JSONParseError) -> UInt32 {
        guard i + 4 <= b.count else { throw fail("unexpected end of input in a \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = b[i]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: throw fail("invalid hex digit in a \\u escape")
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }

    /// A string: control characters must be escaped, escapes must be valid, surrogates must pair, and the raw bytes
    /// must be valid UTF-8 (checked only when a non-ASCII byte is seen, so ASCII payloads stay on the fast path).
    mutating func parseString() throws(JSONParseError) -> String {
        let open = i
        i += 1
        var start = i
        var out: [UInt8] = []
        var sawNonASCII = false
        while true {
            guard i < b.count else { throw fail("unterminated string", at: open) }
            let c = b[i]
            if c == UInt8(ascii: "\"") { break }
            if c < 0x20 { throw fail("unescaped control character 0x\(String(c, radix: 16)) in a string") }
            if c >= 0x80 { sawNonASCII = true }
            if c == UInt8(ascii: "\\") {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: b[start..<i]))
                i += 1
                guard i < b.count else { throw fail("unterminated escape") }
                let e = b[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    let escStart = i - 2
                    var code = try hex4()
                    if code >= 0xD800 && code < 0xDC00 {
                        guard i + 1 < b.count, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u") else {
                            throw fail("unpaired high surrogate in a \\u escape", at: escStart)
                        }
                        i += 2
                        let low = try hex4()
                        guard low >= 0xDC00 && low < 0xE000 else { throw fail("invalid low surrogate in a \\u escape", at: escStart) }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else if code >= 0xDC00 && code < 0xE000 {
                        throw fail("unpaired low surrogate in a \\u escape", at: escStart)
                    }
                    out.append(contentsOf: Array(String(Character(Unicode.Scalar(code)!)).utf8))
                default:
                    throw fail("invalid escape '\\\(Character(Unicode.Scalar(e)))'", at: i - 2)
                }
                start = i
                continue
            }
            i += 1
        }
        let raw = UnsafeBufferPointer(rebasing: b[start..<i])
        i += 1
        if out.isEmpty {
            if sawNonASCII {
                guard let s = String(validating: raw, as: UTF8.self) else { throw fail("invalid UTF-8 in a string", at: open) }
                return s
            }
            return String(decoding: raw, as: UTF8.self)
        }
        out.append(contentsOf: raw)
        if sawNonASCII {
            guard let s = String(validating: out, as: UTF8.self) else { throw fail("invalid UTF-8 in a string", at: open) }
            return s
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Appends compact JSON to a byte buffer. Also used directly by payload encoders on hot paths, which build
/// objects member by member without materialising a `JSONValue`.
public enum JSONWriter {
    public static func write(_ v: JSONValue, into out: inout [UInt8]) {
        switch v {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let x): out.append(contentsOf: (x ? "true" : "false").utf8)
        case .number(let n): out.append(contentsOf: n.literal.utf8)
        case .string(let s): writeString(s, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (k, item) in items.enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                write(item, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (k, m) in members.enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                writeString(m.key, into: &out)
                out.append(UInt8(ascii: ":"))
                write(m.value, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// A JSON string with the minimal escapes (see `JSONValue.compactText`).
    public static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(0x22)
        for c in s.utf8 {
            switch c {
            case 0x22: out.append(0x5C); out.append(0x22)
            case 0x5C: out.append(0x5C); out.append(0x5C)
            case 0x0A: out.append(0x5C); out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(0x5C); out.append(UInt8(ascii: "r"))
            case 0x09: out.append(0x5C); out.append(UInt8(ascii: "t"))
            case 0x08: out.append(0x5C); out.append(UInt8(ascii: "b"))
            case 0x0C: out.append(0x5C); out.append(UInt8(ascii: "f"))
            case 0..<0x20:
                let digits = Array("0123456789abcdef".utf8)
                out.append(contentsOf: "\\u00".utf8)
                out.append(digits[Int(c >> 4)])
                out.append(digits[Int(c & 0xF)])
            default: out.append(c)
            }
        }
        out.append(0x22)
    }
}

/// Python's `repr(float)` — what `json.dumps` writes for a float — so that simulated payloads are byte-identical
/// to what the Python seed producers would send.
///
/// CPython (`Python/pystrtod.c`, `PyOS_double_to_string` with mode `'r'`) takes the shortest digit string that
/// round-trips (David Gay's algorithm; Swift's `description` computes the same shortest digits, via Errol/Ryu-style
/// search), then lays it out with the decimal-point position `decpt` (value = 0.d₁d₂… × 10^decpt):
/// - fixed notation when `-4 < decpt <= 16`, always with a fractional part (`1.0`, `61837.63`, `0.0001`);
/// - otherwise scientific `d[.ddd]e±XX` with at least two exponent digits (`1e-05`, `1e+16`, `1.5e+300`).
/// `json.dumps` writes non-finite values as `NaN`, `Infinity`, `-Infinity` (its default `allow_nan=True`).
/// The only known difference: none for finite doubles, since both pick the shortest round-trip digits and, among
/// equally short candidates, the one closest to the exact value.
public enum PythonFloat {
    public static func repr(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v < 0 ? "-Infinity" : "Infinity" }
        if v == 0 { return v.sign == .minus ? "-0.0" : "0.0" }
        // Decompose Swift's shortest round-trip text into digits and decimal exponent.
        let text = v.magnitude.description
        var digits: [UInt8] = []
        var pointPos: Int? = nil
        var exp = 0
        var seenE = false
        var expText = ""
        for c in text.utf8 {
            if seenE { expText.append(Character(Unicode.Scalar(c))); continue }
            switch c {
            case UInt8(ascii: "."): pointPos = digits.count
            case UInt8(ascii: "e"), UInt8(ascii: "E"): seenE = true
            default: digits.append(c)
            }
        }
        if seenE { exp = Int(expText) ?? 0 }
        var decpt = (pointPos ?? digits.count) + exp
        // Strip leading zeros (e.g. "0.0001" → digits "00001") and trailing zeros.
        while digits.count > 1, digits.first == UInt8(ascii: "0") { digits.removeFirst(); decpt -= 1 }
        while digits.count > 1, digits.last == UInt8(ascii: "0") { digits.removeLast() }
        var out = v.sign == .minus ? "-" : ""
        let ds = String(decoding: digits, as: UTF8.self)
        if decpt > -4 && decpt <= 16 {
            if decpt <= 0 {
                out += "0." + String(repeating: "0", count: -decpt) + ds
            } else if decpt >= digits.count {
                out += ds + String(repeating: "0", count: decpt - digits.count) + ".0"
            } else {
                let cut = ds.index(ds.startIndex, offsetBy: decpt)
                out += ds[..<cut] + "." + ds[cut...]
            }
        } else {
            let e = decpt - 1
            out += String(ds.prefix(1))
            if digits.count > 1 { out += "." + ds.dropFirst() }
            out += e < 0 ? "e-" : "e+"
            let mag = String(abs(e))
            out += mag.count < 2 ? "0" + mag : mag
        }
        return out
    }
}
