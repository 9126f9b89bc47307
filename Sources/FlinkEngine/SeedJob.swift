public import SimCore
public import QueryModel

/// A row of the seed "Spark vs Flink" job (`vngbthang/real-time-cryptocurrency-data-pipeline-flink-is405`,
/// `flink-apps/flink_stream_processor.py`): the Kafka source DDL's columns `timestamp BIGINT, symbol STRING, base STRING,
/// currency STRING, price DOUBLE, volume_24h DOUBLE, source STRING, iteration BIGINT`, read with Flink's `json` format
/// (missing fields are NULL: `json.fail-on-missing-field = false`).
public struct SeedPriceRow: Sendable, Equatable {
    public var timestamp: Int64?
    public var symbol: String?
    public var base: String?
    public var currency: String?
    public var price: Double?
    public var volume24h: Double?
    public var source: String?
    public var iteration: Int64?

    public init(timestamp: Int64?, symbol: String?, base: String?, currency: String?, price: Double?, volume24h: Double?, source: String?, iteration: Int64?) {
        self.timestamp = timestamp; self.symbol = symbol; self.base = base; self.currency = currency
        self.price = price; self.volume24h = volume24h; self.source = source; self.iteration = iteration
    }

    /// Parses a record value like flink-json's `JsonToRowDataConverters` (1.20) with the seed's defaults
    /// (`fail-on-missing-field = false`, `ignore-parse-errors = false`): a missing or null field is NULL; `BIGINT` takes
    /// an integral number or `Long.parseLong(text.trim())`; `DOUBLE` takes a number or `Double.parseDouble(text.trim())`
    /// (so `"3500.25"`, `" 12.5 "`, `"NaN"` parse and `1e400` is Infinity); `STRING` takes the text, or a container's JSON.
    /// Anything else fails with the field's name, which fails the job.
    public static func parse(json text: String) throws(SeedRowParseError) -> SeedPriceRow {
        guard let v = try? JSONValue.parse(text), case .object = v else { throw SeedRowParseError(value: text, field: nil) }
        func long(_ k: String) throws(SeedRowParseError) -> Int64? {
            guard let x = v[k], !x.isNull else { return nil }
            if let n = x.numberValue {
                if let i = n.int64Value { return i }
                let d = n.doubleValue
                if d.isFinite && d >= -9.2e18 && d <= 9.2e18 { return Int64(d) }
                throw SeedRowParseError(value: text, field: k)
            }
            if let t = x.stringValue, let i = JavaNumberParsing.parseLong(t.javaTrimmed) { return i }
            throw SeedRowParseError(value: text, field: k)
        }
        func dbl(_ k: String) throws(SeedRowParseError) -> Double? {
            guard let x = v[k], !x.isNull else { return nil }
            if let n = x.numberValue { return n.doubleValue }
            if let t = x.stringValue, let d = JavaNumberParsing.parseDouble(t.javaTrimmed) { return d }
            throw SeedRowParseError(value: text, field: k)
        }
        func str(_ k: String) -> String? {
            guard let x = v[k], !x.isNull else { return nil }
            return x.stringValue ?? x.compactText
        }
        return SeedPriceRow(timestamp: try long("timestamp"), symbol: str("symbol"), base: str("base"), currency: str("currency"), price: try dbl("price"),
                            volume24h: try dbl("volume_24h"), source: str("source"), iteration: try long("iteration"))
    }

    /// `parse(json:)`, nil on failure.
    public init?(json text: String) {
        guard let r = try? SeedPriceRow.parse(json: text) else { return nil }
        self = r
    }

    /// `WHERE price IS NOT NULL AND price > 0`.
    public var passesSeedFilter: Bool { if let p = price { return p > 0 } else { return false } }

    /// The sink table's columns (without `id` and `processed_at`), as QueryModel values.
    public var values: [Value] {
        [timestamp.map(Value.long) ?? .null, symbol.map(Value.string) ?? .null, base.map(Value.string) ?? .null, currency.map(Value.string) ?? .null,
         price.map(Value.double) ?? .null, volume24h.map(Value.double) ?? .null, source.map(Value.string) ?? .null, iteration.map(Value.long) ?? .null]
    }

    /// The column names of `values`.
    public static let columnNames = ["timestamp", "symbol", "base", "currency", "price", "volume_24h", "source", "iteration"]

    /// The recorder's `raw_filter` output fields.
    var jsonFields: [(String, JSONValue)] {
        [("timestamp", timestamp.map { J.int($0) } ?? .null), ("symbol", J.str(symbol)), ("base", J.str(base)), ("currency", J.str(currency)),
         ("price", price.map { J.javaDouble($0) } ?? .null), ("volume_24h", volume24h.map { J.javaDouble($0) } ?? .null), ("source", J.str(source)),
         ("iteration", iteration.map { J.int($0) } ?? .null)]
    }
}

/// flink-json's deserialization failure: `IOException: Failed to deserialize JSON '<value>'.` caused by
/// `JsonParseException: Fail to deserialize at field: <field>.`
public struct SeedRowParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public var value: String
    /// The failing field, nil when the value is not a JSON object.
    public var field: String?
    public var description: String {
        "Failed to deserialize JSON '\(value)'." + (field.map { " Fail to deserialize at field: \($0)." } ?? "")
    }
}

/// `Long.parseLong` and `Double.parseDouble` (Java 17) for the texts flink-json hands them.
public enum JavaNumberParsing {
    /// Optional sign, then decimal digits only.
    public static func parseLong(_ s: String) -> Int64? {
        var body = Substring(s)
        if body.first == "+" { body.removeFirst() }
        guard !body.isEmpty, body.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "-") }) else { return nil }
        return Int64(body)
    }
    /// `NaN`, `Infinity` with an optional sign, or a decimal literal with an optional `f`/`d` suffix (case-sensitive
    /// names, unlike Swift's `Double(String)`).
    public static func parseDouble(_ s: String) -> Double? {
        var t = Substring(s)
        switch t {
        case "NaN", "+NaN", "-NaN": return .nan
        case "Infinity", "+Infinity": return .infinity
        case "-Infinity": return -.infinity
        default: break
        }
        if let last = t.last, "fFdD".contains(last) { t.removeLast() }
        guard !t.isEmpty, t.allSatisfy({ $0.isASCII && ($0.isNumber || ".eE+-".contains($0)) }) else { return nil }
        return Double(t)
    }
}

extension String {
    /// `String.trim()`: strips code points ≤ U+0020 at both ends.
    var javaTrimmed: String {
        var s = Substring(self)
        while let f = s.unicodeScalars.first, f.value <= 0x20 { s = s.dropFirst() }
        while let l = s.unicodeScalars.last, l.value <= 0x20 { s = s.dropLast() }
        return String(s)
    }
}
