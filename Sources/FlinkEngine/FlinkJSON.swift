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

    public init(schema: Schema, ignoreParseErrors: Bool = false, failOnMissingField: Bool = false, timestampFormat: FlinkJSONTimestampFormat = .sql) {
        self.schema = schema
        self.ignoreParseErrors = ignoreParseErrors
        self.failOnMissingField = failOnMissingField
        self.timestampFormat = timestampFormat
        var m: [String: Int] = [:]
        for (i, f) in schema.fields.enumerated() where m[f.name] == nil { m[f.name] = i }
        index = m
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
        let text = String(decoding: bytes, as: UTF8.self)
        func fail(_ field: String?, _ reason: String?) throws(FlinkJSONError) -> Outcome {
            if ignoreParseErrors { return .noRow }
            throw FlinkJSONError(value: text, field: field, reason: reason)
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
                throw FlinkJSONError(value: text, field: m.key, reason: error.reason)
            }
        }
        if failOnMissingField && matched < schema.count { return try fail(nil, "JsonParseException: Some field is missing in the JSON data.") }
        return .row(out)
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
            guard case .string(let s) = v, let b = Self.base64(s) else { throw FieldFailure(reason: "JsonParseException: not base64") }
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

    static func base64(_ s: String) -> [UInt8]? {
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
