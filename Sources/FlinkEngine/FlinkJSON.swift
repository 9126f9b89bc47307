public import SimCore
public import QueryModel

/// `json.timestamp-format.standard` (flink-json `JsonFormatOptions`, 1.20): `SQL` (default, `yyyy-MM-dd HH:mm:ss[.f…]`)
/// or `ISO-8601` (`yyyy-MM-ddTHH:mm[:ss[.f…]]`).
public enum FlinkJSONTimestampFormat: String, Sendable, Equatable {
    case sql = "SQL"
    case iso8601 = "ISO-8601"
}

/// Why flink-json could not deserialize a value: the job fails with this (unless `json.ignore-parse-errors`).
public struct FlinkJSONError: Error, Equatable, Sendable, CustomStringConvertible {
    public var value: String
    /// The failing field (`JsonParseException: Fail to deserialize at field: <f>.`), nil when the text is not an object.
    public var field: String?
    public var reason: String?
    public var description: String {
        "java.io.IOException: Failed to deserialize JSON '\(value)'." + (field.map { " Caused by: org.apache.flink.formats.json.JsonParseException: Fail to deserialize at field: \($0)." } ?? "")
            + (field == nil ? (reason.map { " Caused by: \($0)" } ?? "") : "")
    }
}

/// flink-json's default deserializer in 1.20 (`json.decode.json-parser.enabled = true`):
/// `JsonParserRowDataDeserializationSchema.deserialize` + `JsonParserToRowDataConverters` (flink-formats/flink-json), over
/// a QueryModel `Schema`. Rules, from those two files:
/// - a null or empty message → no row (skipped, even without `ignore-parse-errors`);
/// - the root must be an object, otherwise (and on a syntax error) the whole message fails;
/// - fields are read in document order; unknown names are skipped; a missing field is NULL (`json.fail-on-missing-field
///   = false`; true fails with "Some field is missing in the JSON data."); a JSON `null` is NULL;
/// - `BOOLEAN`: `true`/`false` tokens, else `Boolean.parseBoolean(text.trim())` (anything but "true" is false);
///   `INT`/`BIGINT`: integer or float tokens (`getIntValue`/`getLongValue`: truncation, out of range fails), else
///   `Integer/Long.parseLong(text.trim())`; `FLOAT`/`DOUBLE`: float tokens, else `parseFloat/parseDouble(text.trim())`
///   (so `"3500.25"`, `" 12.5 "`, `"NaN"` and integer tokens parse; `1e400` is Infinity); `STRING`: the token's text
///   (numbers keep their literal text), containers as their JSON; `TIMESTAMP`: the text in the timestamp format;
///   `DATE`: `yyyy-MM-dd`; `BYTES`: base64 text;
/// - a field conversion that throws fails the message with the field's name; with `json.ignore-parse-errors = true` the
///   field's nullable wrapper swallows it (that field is NULL, the row kept), and a message-level failure gives no row.
public struct FlinkJSONFormat: Sendable {
    public let schema: Schema
    public var ignoreParseErrors: Bool
    public var failOnMissingField: Bool
    public var timestampFormat: FlinkJSONTimestampFormat
    private let index: [String: Int]

    /// Per field, its name's UTF-8 bytes when it is the first field of that name (what `index` maps the name to), else
    /// empty (never matched); and the field types. For the fast path.
    private let fastNames: [[UInt8]]
    private let fastTypes: [DataType]

    public init(schema: Schema, ignoreParseErrors: Bool = false, failOnMissingField: Bool = false, timestampFormat: FlinkJSONTimestampFormat = .sql) {
        self.schema = schema
        self.ignoreParseErrors = ignoreParseErrors
        self.failOnMissingField = failOnMissingField
        self.timestampFormat = timestampFormat
        var m: [String: Int] = [:]
        for (i, f) in schema.fields.enumerated() where m[f.name] == nil { m[f.name] = i }
        index = m
        fastNames = schema.fields.enumerated().map { i, f in m[f.name] == i && !f.name.isEmpty ? Array(f.name.utf8) : [] }
        fastTypes = schema.fields.map(\.type)
    }

    /// What `deserialize` returned.
    public enum Outcome: Sendable, Equatable {
        case row([Value])
        /// `deserialize` returned null: no row is emitted.
        case noRow
    }

    struct FieldFailure: Error { var reason: String }

    /// Deserializes one Kafka value into `schema.count` values.
    public func deserialize(_ bytes: [UInt8]?) throws(FlinkJSONError) -> Outcome {
        guard let bytes, !bytes.isEmpty else { return .noRow }
        if let row = bytes.withUnsafeBufferPointer({ fastRow($0) }) { return .row(row) }
        // The general path (and every error): the message text is built only here, for error messages.
        func fail(_ field: String?, _ reason: String?) throws(FlinkJSONError) -> Outcome {
            if ignoreParseErrors { return .noRow }
            throw FlinkJSONError(value: String(decoding: bytes, as: UTF8.self), field: field, reason: reason)
        }
        guard let root = try? JSONValue.parse(bytes) else { return try fail(nil, "JsonParseException: malformed JSON") }
        guard case .object(let members) = root else { return try fail(nil, "JsonMappingException: No content to map due to end-of-input") }
        var out = [Value](repeating: .null, count: schema.count)
        var matched = 0
        for m in members {
            if matched >= schema.count { break }  // `cnt >= arity`: the rest is skipped
            guard let i = index[m.key] else { continue }
            matched += 1
            if m.value.isNull { out[i] = .null; continue }
            do {
                out[i] = try convert(m.value, to: schema.fields[i].type)
            } catch {
                if ignoreParseErrors { out[i] = .null; continue }  // the field's nullable wrapper
                throw FlinkJSONError(value: String(decoding: bytes, as: UTF8.self), field: m.key, reason: error.reason)
            }
        }
        if failOnMissingField && matched < schema.count { return try fail(nil, "JsonParseException: Some field is missing in the JSON data.") }
        return .row(out)
    }

    /// The fast path of `deserialize`: one validating pass over the bytes for the common message shape — a flat object
    /// of ASCII, escape-free strings, plain numbers, booleans and nulls — converting each schema field as the general
    /// path would (strings to `STRING`; integer literals to `INT`/`BIGINT`; fraction/exponent literals to
    /// `DOUBLE`/`FLOAT`, correctly rounded; `true`/`false` to `BOOLEAN` or `STRING`; `null` to NULL; other numbers to
    /// `STRING` as their literal). It returns nil — and the general path decides, errors included — for anything else:
    /// escapes, non-ASCII bytes, nested values, a conversion that could fail or needs Java parsing (a string for a
    /// number, an integer literal for a floating field), timestamps, dates, bytes, a syntax error, trailing text,
    /// `fail-on-missing-field` with a field missing. So every row it returns is the row the general path returns.
    func fastRow(_ b: UnsafeBufferPointer<UInt8>) -> [Value]? {
        let n = b.count
        var i = 0
        @inline(__always) func ws() {
            while i < n { let c = b[i]; if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { i += 1 } else { break } }
        }
        @inline(__always) func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
        ws()
        guard i < n, b[i] == 0x7B else { return nil }
        i += 1
        let count = fastTypes.count
        var out = [Value](repeating: .null, count: count)
        var matched = 0
        ws()
        if i < n, b[i] == 0x7D {
            i += 1
        } else {
            while true {
                ws()
                guard i < n, b[i] == 0x22 else { return nil }
                i += 1
                let ks = i
                while i < n, b[i] != 0x22 {
                    let c = b[i]
                    if c < 0x20 || c >= 0x80 || c == 0x5C { return nil }
                    i += 1
                }
                guard i < n else { return nil }
                let ke = i
                i += 1
                ws()
                guard i < n, b[i] == 0x3A else { return nil }
                i += 1
                ws()
                guard i < n else { return nil }
                // `cnt >= arity`: once every field matched, later members are only validated.
                var field = -1
                if matched < count {
                    let len = ke - ks
                    for f in 0..<count where fastNames[f].count == len {
                        var same = true
                        fastNames[f].withUnsafeBufferPointer { name in
                            for k in 0..<len where name[k] != b[ks + k] { same = false; break }
                        }
                        if same { field = f; break }
                    }
                    if field >= 0 { matched += 1 }
                }
                let c = b[i]
                switch c {
                case 0x22:
                    i += 1
                    let s = i
                    while i < n, b[i] != 0x22 {
                        let d = b[i]
                        if d < 0x20 || d >= 0x80 || d == 0x5C { return nil }
                        i += 1
                    }
                    guard i < n else { return nil }
                    if field >= 0 {
                        guard fastTypes[field] == .string else { return nil }
                        out[field] = .string(String(decoding: UnsafeBufferPointer(rebasing: b[s..<i]), as: UTF8.self))
                    }
                    i += 1
                case 0x74, 0x66:
                    let isTrue = c == 0x74
                    let word: StaticString = isTrue ? "true" : "false"
                    let wn = word.utf8CodeUnitCount
                    guard i + wn <= n else { return nil }
                    for k in 0..<wn where b[i + k] != word.utf8Start[k] { return nil }
                    i += wn
                    if field >= 0 {
                        switch fastTypes[field] {
                        case .boolean: out[field] = .bool(isTrue)
                        case .string: out[field] = .string(isTrue ? "true" : "false")
                        default: return nil
                        }
                    }
                case 0x6E:
                    guard i + 4 <= n, b[i + 1] == 0x75, b[i + 2] == 0x6C, b[i + 3] == 0x6C else { return nil }
                    i += 4
                    if field >= 0 { out[field] = .null }
                case 0x2D, 0x30...0x39:
                    // RFC 8259 §6, as `JSONParser.parseNumber`.
                    let s = i
                    if b[i] == 0x2D { i += 1 }
                    guard i < n, isDigit(b[i]) else { return nil }
                    if b[i] == 0x30 {
                        i += 1
                        if i < n, isDigit(b[i]) { return nil }
                    } else {
                        while i < n, isDigit(b[i]) { i += 1 }
                    }
                    var isInteger = true
                    if i < n, b[i] == 0x2E {
                        isInteger = false
                        i += 1
                        guard i < n, isDigit(b[i]) else { return nil }
                        while i < n, isDigit(b[i]) { i += 1 }
                    }
                    if i < n, b[i] == 0x65 || b[i] == 0x45 {
                        isInteger = false
                        i += 1
                        if i < n, b[i] == 0x2B || b[i] == 0x2D { i += 1 }
                        guard i < n, isDigit(b[i]) else { return nil }
                        while i < n, isDigit(b[i]) { i += 1 }
                    }
                    if field >= 0 {
                        let literal = UnsafeBufferPointer(rebasing: b[s..<i])
                        switch fastTypes[field] {
                        case .string: out[field] = .string(String(decoding: literal, as: UTF8.self))
                        case .long, .int:
                            guard isInteger, let v = FlinkJSONFormat.exactInt64(literal) else { return nil }
                            if fastTypes[field] == .long { out[field] = .long(v) } else {
                                guard let w = Int32(exactly: v) else { return nil }
                                out[field] = .int(w)
                            }
                        case .double, .float:
                            guard !isInteger else { return nil }
                            let d = FlinkJSONFormat.correctlyRounded(literal)
                            out[field] = fastTypes[field] == .double ? .double(d) : .float(Float(d))
                        default: return nil
                        }
                    }
                default:
                    return nil
                }
                ws()
                guard i < n else { return nil }
                if b[i] == 0x2C { i += 1; continue }
                if b[i] == 0x7D { i += 1; break }
                return nil
            }
        }
        ws()
        guard i == n else { return nil }
        if failOnMissingField && matched < count { return nil }
        return out
    }

    /// `Int64(literal)` for an integer literal (`-?digits`), nil when out of range.
    @inline(__always)
    static func exactInt64(_ t: UnsafeBufferPointer<UInt8>) -> Int64? {
        var k = 0
        let negative = t[0] == 0x2D
        if negative { k = 1 }
        var v: Int64 = 0
        while k < t.count {
            let d = Int64(t[k] &- 0x30)
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (r, o2) = negative ? m.subtractingReportingOverflow(d) : m.addingReportingOverflow(d)
            if o1 || o2 { return nil }
            v = r
            k += 1
        }
        return v
    }

    static let powersOfTen: [Double] = (0...22).map { k in var p = 1.0; for _ in 0..<k { p *= 10 }; return p }

    /// `Double(literal)` (correctly rounded, as `JSONNumber.doubleValue`): Clinger's exact fast path when the digits fit
    /// in 2^53 and the power of ten is at most 22, else the standard library's parse of the text.
    @inline(__always)
    static func correctlyRounded(_ t: UnsafeBufferPointer<UInt8>) -> Double {
        var k = 0
        let negative = t[0] == 0x2D
        if negative { k = 1 }
        var mantissa: UInt64 = 0
        var digits = 0
        var exp10 = 0
        var simple = true
        while k < t.count, t[k] >= 0x30, t[k] <= 0x39 {
            mantissa = mantissa &* 10 &+ UInt64(t[k] &- 0x30); digits += 1; k += 1
        }
        if k < t.count, t[k] == 0x2E {
            k += 1
            while k < t.count, t[k] >= 0x30, t[k] <= 0x39 {
                mantissa = mantissa &* 10 &+ UInt64(t[k] &- 0x30); digits += 1; exp10 -= 1; k += 1
            }
        }
        if k < t.count { simple = false }  // an exponent
        if simple, digits <= 15, exp10 >= -22 {
            let d = Double(mantissa) / powersOfTen[-exp10]
            return negative ? -d : d
        }
        return Double(String(decoding: t, as: UTF8.self)) ?? .nan
    }

    /// `jp.getText()` of a scalar token (containers have no single text; `{`/`[` is what Jackson would return).
    static func text(_ v: JSONValue) -> String {
        switch v {
        case .string(let s): return s
        case .number(let n): return n.literal
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .object: return "{"
        case .array: return "["
        }
    }

    func convert(_ v: JSONValue, to type: DataType) throws(FieldFailure) -> Value {
        let isFloatToken: Bool
        if case .number(let n) = v { isFloatToken = !n.isIntegerLiteral } else { isFloatToken = false }
        switch type {
        case .boolean:
            if case .bool(let b) = v { return .bool(b) }
            return .bool(Self.text(v).javaTrimmed.lowercased() == "true")
        case .int, .long:
            let wide: Int64
            if case .number(let n) = v {
                if let i = n.int64Value { wide = i } else {
                    let d = n.doubleValue
                    let (lo, hi): (Double, Double) = type == .int ? (-2147483648.0, 2147483647.0) : (-9.223372036854775808e18, 9.223372036854775807e18)
                    guard d.isFinite, d >= lo, d <= hi else { throw FieldFailure(reason: "InputCoercionException: Numeric value (\(n.literal)) out of range") }
                    wide = d >= 9.223372036854775807e18 ? .max : Int64(d)
                }
            } else {
                guard let i = JavaNumberParsing.parseLong(Self.text(v).javaTrimmed) else { throw FieldFailure(reason: "NumberFormatException: For input string: \"\(Self.text(v))\"") }
                wide = i
            }
            if type == .long { return .long(wide) }
            guard let i = Int32(exactly: wide) else { throw FieldFailure(reason: "Numeric value (\(wide)) out of range of int") }
            return .int(i)
        case .double, .float:
            let d: Double
            if isFloatToken, case .number(let n) = v { d = n.doubleValue } else {
                guard let x = JavaNumberParsing.parseDouble(Self.text(v).javaTrimmed) else { throw FieldFailure(reason: "NumberFormatException: For input string: \"\(Self.text(v))\"") }
                d = x
            }
            return type == .double ? .double(d) : .float(Float(d))
        case .string:
            switch v {
            case .object, .array: return .string(v.compactText)
            default: return .string(Self.text(v))
            }
        case .timestamp:
            guard case .string(let s) = v, let us = Self.parseTimestamp(s, format: timestampFormat) else {
                throw FieldFailure(reason: "DateTimeParseException: Text '\(Self.text(v))' could not be parsed")
            }
            return .timestamp(us)
        case .date:
            guard case .string(let s) = v, s.count == 10, let us = Self.parseTimestamp(s + (timestampFormat == .sql ? " 00:00:00" : "T00:00:00"), format: timestampFormat) else {
                throw FieldFailure(reason: "DateTimeParseException: Text '\(Self.text(v))' could not be parsed")
            }
            return .date(Int32(floorDiv(us, 86_400_000_000)))
        case .binary:
            guard case .string(let s) = v, let b = Base64.decode(s) else { throw FieldFailure(reason: "JsonParseException: not base64") }
            return .binary(b)
        }
    }

    /// `SQL_TIMESTAMP_FORMAT` (`yyyy-MM-dd HH:mm:ss` + optional `.` and 1–9 fraction digits) or
    /// `ISO8601_TIMESTAMP_FORMAT` (`yyyy-MM-ddTHH:mm[:ss[.f…]]`); no zone (`TIMESTAMP` without time zone, read as UTC).
    static func parseTimestamp(_ s: String, format: FlinkJSONTimestampFormat) -> Int64? {
        let b = Array(s.utf8)
        func digits(_ at: Int, _ n: Int) -> Int64? {
            guard at + n <= b.count else { return nil }
            var v: Int64 = 0
            for k in at..<(at + n) {
                guard b[k] >= 0x30 && b[k] <= 0x39 else { return nil }
                v = v * 10 + Int64(b[k] - 0x30)
            }
            return v
        }
        guard b.count >= 16, let y = digits(0, 4), b[4] == 0x2d, let mo = digits(5, 2), b[7] == 0x2d, let d = digits(8, 2),
              b[10] == (format == .sql ? 0x20 : 0x54), let h = digits(11, 2), b[13] == 0x3a, let mi = digits(14, 2) else { return nil }
        var i = 16
        var sec: Int64 = 0
        if i < b.count {
            guard b[i] == 0x3a, let s2 = digits(i + 1, 2) else { return nil }
            sec = s2
            i += 3
        } else if format == .sql {
            return nil  // SQL format requires seconds
        }
        var micros: Int64 = 0
        if i < b.count {
            guard b[i] == 0x2e else { return nil }
            i += 1
            let start = i
            var frac: Int64 = 0
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39, i - start < 9 { frac = frac * 10 + Int64(b[i] - 0x30); i += 1 }
            let n = i - start
            guard n >= 1, i == b.count else { return nil }
            var nanos = frac
            for _ in n..<9 { nanos *= 10 }
            micros = nanos / 1000
        }
        guard (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, sec < 60 else { return nil }
        let days = UTCTimestamp.days(year: y, month: Int(mo), day: Int(d))
        let (_, m2, d2) = UTCTimestamp.civil(fromDays: days)
        guard m2 == Int(mo), d2 == Int(d) else { return nil }
        return ((days * 86_400 + h * 3600 + mi * 60 + sec) * 1_000_000) + micros
    }
}
