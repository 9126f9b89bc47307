#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What `from_json` made of one input text.
public enum FromJSONOutcome: Equatable, Sendable {
    /// Every present field converted.
    case parsed
    /// The record was an object, but some fields could not be converted to their declared type: those are null,
    /// the rest kept (Spark 3.x `PartialResultException` in PERMISSIVE mode).
    case partial(failedFields: [String])
    /// Not a JSON object, a syntax error before the root value ended, or empty input: every field is null.
    case malformed
}

/// Spark 3.5 `from_json(value, schema)` in the default PERMISSIVE mode, reading bytes directly into row slots.
///
/// Rules (`sql/catalyst/.../json/JacksonParser.scala` `makeConverter`, `convertObject`, `parse`;
/// `catalyst/util/FailureSafeParser.scala`; `JSONOptions` defaults):
/// - Only a root *object* is a record. An array root is malformed for `from_json` (`JsonToStructs` builds its parser
///   with `allowArrayAsStructs = false`), as are `null`, scalars and empty input.
/// - A syntax error anywhere before the root object closes makes the whole record malformed: all fields null.
///   Whatever follows the closed root object is never read (`parse` reads one root value), so `{...} trailing` is
///   a good record.
/// - Field names match case-sensitively; unknown fields are skipped; a repeated field keeps the last value.
/// - Per field, a token of the wrong kind makes that field null and keeps the others (`convertObject` catches the
///   converter's exception per field, then `PartialResultException` → the partial row in PERMISSIVE mode):
///   integral types accept only integer tokens in range; `double`/`float` accept number tokens and the strings
///   `NaN`, `Infinity`, `+Infinity`, `+INF`, `-Infinity`, `-INF`; `string` accepts a string token, and for any other
///   token the token's JSON text as Jackson's `copyCurrentStructure` writes it; `boolean` accepts `true`/`false`;
///   `timestamp` a parseable string or integer seconds.
/// - `JSONOptions`: `allowSingleQuotes = true`, `allowNonNumericNumbers = true` (`NaN`, `Infinity`, `+INF` …
///   literals), leading zeros, comments, unquoted names and raw control characters are errors.
public struct FromJSONDecoder: Sendable {
    public let schema: Schema
    let names: [[UInt8]]
    /// All names in one buffer, with (offset, length) per field: compared without touching per-name arrays.
    let nameBytes: [UInt8]
    let nameRanges: [(offset: Int, count: Int)]
    let types: [DataType]

    public init(schema: Schema) {
        self.schema = schema
        self.names = schema.fields.map { Array($0.name.utf8) }
        var bytes: [UInt8] = []
        var ranges: [(Int, Int)] = []
        for n in names { ranges.append((bytes.count, n.count)); bytes.append(contentsOf: n) }
        self.nameBytes = bytes
        self.nameRanges = ranges
        self.types = schema.fields.map(\.type)
    }

    /// Decodes `text` into `row[base ..< base + schema.count]` (which the caller sized).
    @discardableResult
    public func decode(_ text: [UInt8]?, into row: inout [Value], at base: Int = 0) -> FromJSONOutcome {
        guard let text else {
            for i in 0..<types.count { row[base + i] = .null }
            return .malformed
        }
        return text.withUnsafeBufferPointer { decode($0, into: &row, at: base) }
    }

    public func decode(_ bytes: UnsafeBufferPointer<UInt8>, into row: inout [Value], at base: Int = 0) -> FromJSONOutcome {
        for i in 0..<types.count { row[base + i] = .null }
        var p = JSONByteParser(bytes)
        var failed: [String] = []
        var hint = 0
        do {
            p.skipWhitespace()
            guard p.peek() == UInt8(ascii: "{") else { return .malformed }
            p.index += 1
            p.skipWhitespace()
            if p.peek() == UInt8(ascii: "}") { return .parsed }
            while true {
                p.skipWhitespace()
                let fieldIndex = try nameBytes.withUnsafeBufferPointer { nb in
                    try p.parseFieldName(matching: names, bytes: nb, ranges: nameRanges, hint: hint)
                }
                if let f = fieldIndex { hint = f + 1 }
                p.skipWhitespace()
                guard p.peek() == UInt8(ascii: ":") else { throw JSONSyntaxError() }
                p.index += 1
                p.skipWhitespace()
                if let f = fieldIndex {
                    switch try p.parseValue(as: types[f]) {
                    case .value(let v): row[base + f] = v
                    case .conversionFailed:
                        row[base + f] = .null
                        if !failed.contains(schema.fields[f].name) { failed.append(schema.fields[f].name) }
                    }
                } else {
                    try p.skipValue()
                }
                p.skipWhitespace()
                guard let c = p.peek() else { throw JSONSyntaxError() }
                p.index += 1
                if c == UInt8(ascii: ",") { continue }
                if c == UInt8(ascii: "}") { break }
                throw JSONSyntaxError()
            }
        } catch {
            for i in 0..<types.count { row[base + i] = .null }
            return .malformed
        }
        return failed.isEmpty ? .parsed : .partial(failedFields: failed)
    }
}

struct JSONSyntaxError: Error {}

enum FieldParse {
    case value(Value)
    case conversionFailed
}

/// A Jackson-compatible tokenizer over bytes for the options Spark sets (see `FromJSONDecoder`).
struct JSONByteParser {
    let b: UnsafeBufferPointer<UInt8>
    var index = 0

    init(_ b: UnsafeBufferPointer<UInt8>) { self.b = b }

    @inline(__always) func peek() -> UInt8? { index < b.count ? b[index] : nil }

    @inline(__always) mutating func skipWhitespace() {
        while index < b.count {
            let c = b[index]
            if c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09 { index += 1 } else { break }
        }
    }

    /// Parses an object key and returns the index of the schema field it names, or nil. Fields usually come in
    /// schema order, so the field after the previous match (`hint`) is tried first.
    mutating func parseFieldName(matching names: [[UInt8]], bytes nb: UnsafeBufferPointer<UInt8>, ranges: [(offset: Int, count: Int)], hint: Int) throws(JSONSyntaxError) -> Int? {
        guard let q = peek(), q == 0x22 || q == 0x27 else { throw JSONSyntaxError() }
        // Fast path: no escapes.
        let start = index + 1
        var i = start
        while i < b.count, b[i] != q, b[i] != 0x5c, b[i] >= 0x20 { i += 1 }
        if i < b.count, b[i] == q {
            index = i + 1
            let len = i - start
            let n = ranges.count
            for step in 0..<n {
                let f = (hint + step) % n
                let r = ranges[f]
                guard r.count == len else { continue }
                var same = true
                for k in 0..<len where nb[r.offset + k] != b[start + k] { same = false; break }
                if same { return f }
            }
            return nil
        }
        let s = Array(try parseString().utf8)
        return names.firstIndex(of: s)
    }

    /// Parses a string token (double- or single-quoted) with JSON escapes.
    mutating func parseString() throws(JSONSyntaxError) -> String {
        guard let q = peek(), q == 0x22 || q == 0x27 else { throw JSONSyntaxError() }
        index += 1
        let start = index
        while index < b.count, b[index] != q, b[index] != 0x5c, b[index] >= 0x20 { index += 1 }
        guard index < b.count else { throw JSONSyntaxError() }
        if b[index] == q {
            let s = String(decoding: UnsafeBufferPointer(rebasing: b[start..<index]), as: UTF8.self)
            index += 1
            return s
        }
        var out = Array(UnsafeBufferPointer(rebasing: b[start..<index]))
        while true {
            guard index < b.count else { throw JSONSyntaxError() }
            let c = b[index]
            if c == q { index += 1; break }
            if c < 0x20 { throw JSONSyntaxError() }
            if c != 0x5c { out.append(c); index += 1; continue }
            index += 1
            guard index < b.count else { throw JSONSyntaxError() }
            let e = b[index]
            index += 1
            switch e {
            case 0x22: out.append(0x22)
            case 0x5c: out.append(0x5c)
            case 0x2f: out.append(0x2f)
            case 0x27 where q == 0x27: out.append(0x27)
            case 0x62: out.append(0x08)
            case 0x66: out.append(0x0c)
            case 0x6e: out.append(0x0a)
            case 0x72: out.append(0x0d)
            case 0x74: out.append(0x09)
            case 0x75:
                var code = try hex4()
                if (0xD800...0xDBFF).contains(code), index + 1 < b.count, b[index] == 0x5c, b[index + 1] == 0x75 {
                    index += 2
                    let low = try hex4()
                    if (0xDC00...0xDFFF).contains(low) { code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00) }
                }
                let scalar = Unicode.Scalar(code) ?? "\u{FFFD}"
                out.append(contentsOf: Array(String(Character(scalar)).utf8))
            default: throw JSONSyntaxError()
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
        guard index + 4 <= b.count else { throw JSONSyntaxError() }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = b[index]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: throw JSONSyntaxError()
            }
            v = v * 16 + d
            index += 1
        }
        return v
    }

    /// A number token: its byte range, whether it is an integer literal, and a non-numeric literal if any.
    struct NumberToken {
        var start: Int
        var end: Int
        var isInteger: Bool
        var special: Double?
    }

    mutating func matchLiteral(_ word: StaticString) -> Bool {
        let n = word.utf8CodeUnitCount
        guard index + n <= b.count else { return false }
        let p = word.utf8Start
        for k in 0..<n where b[index + k] != p[k] { return false }
        index += n
        return true
    }

    /// Scans a number with Jackson's default grammar, plus `allowNonNumericNumbers` literals.
    mutating func scanNumber() throws(JSONSyntaxError) -> NumberToken {
        let start = index
        let c0 = peek() ?? 0
        if c0 == 0x4e || c0 == 0x49 || c0 == 0x2b || (c0 == 0x2d && index + 1 < b.count && b[index + 1] == 0x49) {
            if matchLiteral("NaN") { return NumberToken(start: start, end: index, isInteger: false, special: .nan) }
            if matchLiteral("Infinity") || matchLiteral("+Infinity") || matchLiteral("+INF") {
                return NumberToken(start: start, end: index, isInteger: false, special: .infinity)
            }
            if matchLiteral("-Infinity") || matchLiteral("-INF") {
                return NumberToken(start: start, end: index, isInteger: false, special: -.infinity)
            }
            throw JSONSyntaxError()
        }
        if peek() == 0x2d { index += 1 }
        guard let first = peek(), first >= 0x30, first <= 0x39 else { throw JSONSyntaxError() }
        if first == 0x30 {
            index += 1
            if let c = peek(), c >= 0x30, c <= 0x39 { throw JSONSyntaxError() }  // leading zero
        } else {
            while let c = peek(), c >= 0x30, c <= 0x39 { index += 1 }
        }
        var isInteger = true
        if peek() == 0x2e {
            isInteger = false
            index += 1
            guard let c = peek(), c >= 0x30, c <= 0x39 else { throw JSONSyntaxError() }
            while let c = peek(), c >= 0x30, c <= 0x39 { index += 1 }
        }
        if let e = peek(), e == 0x65 || e == 0x45 {
            isInteger = false
            index += 1
            if let s = peek(), s == 0x2b || s == 0x2d { index += 1 }
            guard let c = peek(), c >= 0x30, c <= 0x39 else { throw JSONSyntaxError() }
            while let c = peek(), c >= 0x30, c <= 0x39 { index += 1 }
        }
        return NumberToken(start: start, end: index, isInteger: isInteger, special: nil)
    }

    func int64(_ t: NumberToken) -> Int64? {
        var i = t.start
        let negative = b[i] == 0x2d
        if negative { i += 1 }
        var v: Int64 = 0
        while i < t.end {
            let d = Int64(b[i] - 0x30)
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (s, o2) = negative ? m.subtractingReportingOverflow(d) : m.addingReportingOverflow(d)
            if o1 || o2 { return nil }
            v = s
            i += 1
        }
        return v
    }

    /// The correctly rounded double of a number token (Jackson `getDoubleValue` → `Double.parseDouble`).
    func double(_ t: NumberToken) -> Double {
        if let s = t.special { return s }
        // Clinger's fast path: an exact mantissa below 2^53 and a power of ten up to 1e22 give an exact product.
        var i = t.start
        let negative = b[i] == 0x2d
        if negative { i += 1 }
        var mantissa: UInt64 = 0
        var digits = 0
        var exp10 = 0
        var ok = true
        while i < t.end, b[i] >= 0x30, b[i] <= 0x39 {
            if digits < 19 { mantissa = mantissa * 10 + UInt64(b[i] - 0x30); if mantissa != 0 { digits += 1 } } else { ok = false }
            i += 1
        }
        if i < t.end, b[i] == 0x2e {
            i += 1
            while i < t.end, b[i] >= 0x30, b[i] <= 0x39 {
                if digits < 19 { mantissa = mantissa * 10 + UInt64(b[i] - 0x30); if mantissa != 0 { digits += 1 }; exp10 -= 1 } else { ok = false }
                i += 1
            }
        }
        if i < t.end { ok = false }  // exponent: take the slow path
        if ok, mantissa < (1 << 53), exp10 >= -22 {
            var d = Double(mantissa)
            d = exp10 < 0 ? d / JSONByteParser.powersOfTen[-exp10] : d
            return negative ? -d : d
        }
        return cText(t) { strtod($0, nil) }
    }

    /// Jackson `getFloatValue`: the decimal text rounded directly to float (`Float.parseFloat`).
    func float(_ t: NumberToken) -> Float {
        if let s = t.special { return Float(s) }
        return cText(t) { strtof($0, nil) }
    }

    /// The token's bytes as a NUL-terminated C string on the stack (correctly rounded `strtod`/`strtof`, C locale).
    func cText<R>(_ t: NumberToken, _ body: (UnsafePointer<CChar>) -> R) -> R {
        let n = t.end - t.start
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: n + 1) { buf in
            for k in 0..<n { buf[k] = CChar(bitPattern: b[t.start + k]) }
            buf[n] = 0
            return body(buf.baseAddress!)
        }
    }

    static let powersOfTen: [Double] = (0...22).map { k in var p = 1.0; for _ in 0..<k { p *= 10 }; return p }

    /// Parses a value and converts it to `type` (see `FromJSONDecoder` for the per-type token rules).
    mutating func parseValue(as type: DataType) throws(JSONSyntaxError) -> FieldParse {
        guard let c = peek() else { throw JSONSyntaxError() }
        switch c {
        case 0x6e:  // null
            guard matchLiteral("null") else { try scanNumberOrFail(); return .conversionFailed }
            return .value(.null)
        case 0x22, 0x27:
            let s = try parseString()
            switch type {
            case .string: return .value(.string(s))
            case .double, .float:
                let v: Double
                switch s {
                case "NaN": v = .nan
                case "+INF", "+Infinity", "Infinity": v = .infinity
                case "-INF", "-Infinity": v = -.infinity
                default: return .conversionFailed
                }
                return .value(type == .double ? .double(v) : .float(Float(v)))
            case .timestamp:
                return SparkTimestampText.parseTimestampMicros(s).map { .value(.timestamp($0)) } ?? .conversionFailed
            case .date:
                return SparkTimestampText.parseDateDays(s).map { .value(.date($0)) } ?? .conversionFailed
            case .binary:
                return Base64.decode(s).map { .value(.binary($0)) } ?? .conversionFailed
            default: return .conversionFailed
            }
        case 0x74, 0x66:  // true / false
            let v: Bool
            if matchLiteral("true") { v = true } else if matchLiteral("false") { v = false } else { throw JSONSyntaxError() }
            switch type {
            case .boolean: return .value(.bool(v))
            case .string: return .value(.string(v ? "true" : "false"))
            default: return .conversionFailed
            }
        case 0x7b, 0x5b:  // object / array
            if type == .string {
                var out: [UInt8] = []
                try copyStructure(into: &out)
                return .value(.string(String(decoding: out, as: UTF8.self)))
            }
            try skipValue()
            return .conversionFailed
        default:
            let t = try scanNumber()
            switch type {
            case .long:
                guard t.isInteger, t.special == nil, let v = int64(t) else { return .conversionFailed }
                return .value(.long(v))
            case .int:
                guard t.isInteger, t.special == nil, let v = int64(t), let i = Int32(exactly: v) else { return .conversionFailed }
                return .value(.int(i))
            case .double: return .value(.double(double(t)))
            case .float: return .value(.float(float(t)))
            case .string:
                var out: [UInt8] = []
                writeNumber(t, into: &out)
                return .value(.string(String(decoding: out, as: UTF8.self)))
            case .timestamp:
                guard t.isInteger, t.special == nil, let v = int64(t) else { return .conversionFailed }
                let (us, o) = v.multipliedReportingOverflow(by: 1_000_000)
                return o ? .conversionFailed : .value(.timestamp(us))
            default: return .conversionFailed
            }
        }
    }

    mutating func scanNumberOrFail() throws(JSONSyntaxError) { _ = try scanNumber() }

    /// Skips one value, checking its syntax.
    mutating func skipValue() throws(JSONSyntaxError) {
        var sink: [UInt8]? = nil
        try walk(into: &sink)
    }

    /// Jackson's `copyCurrentStructure` into a generator: compact JSON text of the value.
    mutating func copyStructure(into out: inout [UInt8]) throws(JSONSyntaxError) {
        var sink: [UInt8]? = out
        try walk(into: &sink)
        out = sink ?? []
    }

    private mutating func walk(into out: inout [UInt8]?) throws(JSONSyntaxError) {
        skipWhitespace()
        guard let c = peek() else { throw JSONSyntaxError() }
        switch c {
        case 0x7b, 0x5b:
            let close: UInt8 = c == 0x7b ? 0x7d : 0x5d
            index += 1
            out?.append(c)
            skipWhitespace()
            if peek() == close { index += 1; out?.append(close); return }
            var first = true
            while true {
                skipWhitespace()
                if !first { out?.append(0x2c) }
                first = false
                if c == 0x7b {
                    let key = try parseString()
                    if out != nil { JSONByteParser.writeQuoted(key, into: &out!) }
                    skipWhitespace()
                    guard peek() == 0x3a else { throw JSONSyntaxError() }
                    index += 1
                    out?.append(0x3a)
                }
                try walk(into: &out)
                skipWhitespace()
                guard let d = peek() else { throw JSONSyntaxError() }
                index += 1
                if d == 0x2c { continue }
                if d == close { out?.append(close); return }
                throw JSONSyntaxError()
            }
        case 0x22, 0x27:
            let s = try parseString()
            if out != nil { JSONByteParser.writeQuoted(s, into: &out!) }
        case 0x74:
            guard matchLiteral("true") else { throw JSONSyntaxError() }
            out?.append(contentsOf: Array("true".utf8))
        case 0x66:
            guard matchLiteral("false") else { throw JSONSyntaxError() }
            out?.append(contentsOf: Array("false".utf8))
        case 0x6e:
            guard matchLiteral("null") else { throw JSONSyntaxError() }
            out?.append(contentsOf: Array("null".utf8))
        default:
            let t = try scanNumber()
            if out != nil { writeNumber(t, into: &out!) }
        }
    }

    /// Jackson's generator output for a copied number: integers as their (long/BigInteger) value, floating tokens
    /// as `Double.toString` of their double value, non-numeric literals quoted (`QUOTE_NON_NUMERIC_NUMBERS`).
    func writeNumber(_ t: NumberToken, into out: inout [UInt8]) {
        if t.isInteger, t.special == nil {
            if let v = int64(t) { out.append(contentsOf: Array(String(v).utf8)); return }
            var i = t.start
            if b[i] == 0x2d { out.append(0x2d); i += 1 }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: b[i..<t.end]))
            return
        }
        let d = double(t)
        let text = JavaNumberText.double(d)
        if d.isNaN || d.isInfinite { out.append(0x22); out.append(contentsOf: Array(text.utf8)); out.append(0x22) } else { out.append(contentsOf: Array(text.utf8)) }
    }

    /// Jackson's string escaping: `"`, `\` and control characters; everything else as UTF-8.
    static func writeQuoted(_ s: String, into out: inout [UInt8]) {
        out.append(0x22)
        for c in s.utf8 {
            switch c {
            case 0x22: out.append(0x5c); out.append(0x22)
            case 0x5c: out.append(0x5c); out.append(0x5c)
            case 0x0a: out.append(0x5c); out.append(0x6e)
            case 0x0d: out.append(0x5c); out.append(0x72)
            case 0x09: out.append(0x5c); out.append(0x74)
            case 0x08: out.append(0x5c); out.append(0x62)
            case 0x0c: out.append(0x5c); out.append(0x66)
            case 0..<0x20:
                let hex = Array("0123456789ABCDEF".utf8)
                out.append(contentsOf: [0x5c, 0x75, 0x30, 0x30, hex[Int(c >> 4)], hex[Int(c & 15)]])
            default: out.append(c)
            }
        }
        out.append(0x22)
    }
}

/// Standard base64 (Jackson `getBinaryValue` with the MIME-less default variant) — both engines' JSON decoders
/// read `binary` fields with it.
public enum Base64 {
    public static func decode(_ s: String) -> [UInt8]? {
        var out: [UInt8] = []
        var acc: UInt32 = 0, bits = 0
        for c in s.utf8 {
            let v: UInt32
            switch c {
            case 0x41...0x5a: v = UInt32(c - 0x41)
            case 0x61...0x7a: v = UInt32(c - 0x61 + 26)
            case 0x30...0x39: v = UInt32(c - 0x30 + 52)
            case 0x2b: v = 62
            case 0x2f: v = 63
            case 0x3d: continue
            default: return nil
            }
            acc = (acc << 6) | v
            bits += 6
            if bits >= 8 { bits -= 8; out.append(UInt8((acc >> UInt32(bits)) & 0xff)) }
        }
        return out
    }
}
