public import SimCore

/// A column type, named as Spark SQL names them (`DataType.simpleString`): the seed jobs declare their schemas with
/// these (`LongType`, `FloatType`, `StringType`, …) and Flink's `BIGINT`/`DOUBLE`/`STRING` map onto them.
public enum DataType: String, Hashable, Sendable, Codable, CaseIterable, CustomStringConvertible {
    case boolean
    /// 32-bit (`IntegerType`, Flink `INT`).
    case int
    /// 64-bit (`LongType`, Flink `BIGINT`).
    case long
    /// 32-bit IEEE float (`FloatType`): the seed Spark job's price type, which truncates prices.
    case float
    /// 64-bit IEEE float (`DoubleType`, Flink `DOUBLE`).
    case double
    case string
    case binary
    /// Microseconds since the epoch, UTC (`TimestampType`, stored as µs as in Spark's `InternalRow`).
    case timestamp
    /// Days since the epoch (`DateType`).
    case date

    public var description: String { rawValue }

    /// Parses `long`, `LongType`, `bigint`, `DOUBLE`, `float`, `string`, `timestamp` …
    public init?(name: String) {
        var n = name.lowercased()
        if n.hasSuffix("type") { n.removeLast(4) }
        switch n {
        case "boolean", "bool": self = .boolean
        case "int", "integer": self = .int
        case "long", "bigint": self = .long
        case "float", "real": self = .float
        case "double": self = .double
        case "string", "varchar", "text": self = .string
        case "binary", "bytes", "varbinary": self = .binary
        case "timestamp": self = .timestamp
        case "date": self = .date
        default: return nil
        }
    }

    public var isNumeric: Bool {
        switch self {
        case .int, .long, .float, .double: return true
        default: return false
        }
    }
}

/// One value of a row. `null` is a value of every type, as in SQL.
public enum Value: Hashable, Sendable, CustomStringConvertible {
    case null
    case bool(Bool)
    case int(Int32)
    case long(Int64)
    case float(Float)
    case double(Double)
    case string(String)
    case binary([UInt8])
    /// Microseconds since the epoch (UTC).
    case timestamp(Int64)
    /// Days since the epoch.
    case date(Int32)

    public var isNull: Bool { if case .null = self { return true } else { return false } }

    /// The value as a Double when it is numeric (int, long, float, double), else nil.
    public var doubleValue: Double? {
        switch self {
        case .int(let v): return Double(v)
        case .long(let v): return Double(v)
        case .float(let v): return Double(v)
        case .double(let v): return v
        default: return nil
        }
    }

    /// The value as an Int64 when it is integral (int, long), else nil.
    public var int64Value: Int64? {
        switch self {
        case .int(let v): return Int64(v)
        case .long(let v): return v
        default: return nil
        }
    }

    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }

    /// The event time of a timestamp value, floored to milliseconds as Spark's `EventTimeWatermarkExec` does
    /// (`microsToMillis`, a floor division).
    public var eventTime: EventTime? {
        if case .timestamp(let us) = self { return EventTime(floorDiv(us, 1000)) }
        return nil
    }

    /// Display text: numbers as Spark's `Row.toString`/Java's `toString` would show them is the sinks' job; this
    /// form is for traces and tests (`null`, `true`, `42`, `0.5`, `"BTC"` unquoted, timestamps as ISO-8601).
    public var description: String {
        switch self {
        case .null: return "null"
        case .bool(let v): return v ? "true" : "false"
        case .int(let v): return String(v)
        case .long(let v): return String(v)
        case .float(let v): return "\(v)"
        case .double(let v): return "\(v)"
        case .string(let s): return s
        case .binary(let b): return "[\(b.count) bytes]"
        case .timestamp(let us):
            let ms = floorDiv(us, 1000)
            let sub = floorMod(us, 1000)
            let base = UTCTimestamp.iso8601(ms)
            return sub == 0 ? base : String(base.dropLast()) + UTCTimestamp.pad(sub, 3) + "Z"
        case .date(let d):
            let (y, m, day) = UTCTimestamp.civil(fromDays: Int64(d))
            return "\(UTCTimestamp.pad(y, 4))-\(UTCTimestamp.pad(Int64(m), 2))-\(UTCTimestamp.pad(Int64(day), 2))"
        }
    }

    /// SQL ordering for `min`/`max` and sorting of values of one type: numbers numerically, strings by their UTF-8
    /// bytes (Spark's `UTF8String.compareTo`), booleans false < true. Nulls are not ordered here (aggregates skip
    /// them); comparing values of different non-numeric types returns nil.
    public static func compare(_ a: Value, _ b: Value) -> Int? {
        switch (a, b) {
        case (.null, _), (_, .null): return nil
        case (.string(let x), .string(let y)):
            return x.utf8.lexicographicallyPrecedes(y.utf8) ? -1 : (x == y ? 0 : 1)
        case (.bool(let x), .bool(let y)): return x == y ? 0 : (!x ? -1 : 1)
        case (.timestamp(let x), .timestamp(let y)): return x < y ? -1 : (x == y ? 0 : 1)
        case (.date(let x), .date(let y)): return x < y ? -1 : (x == y ? 0 : 1)
        case (.binary(let x), .binary(let y)): return x.lexicographicallyPrecedes(y) ? -1 : (x == y ? 0 : 1)
        default:
            if let x = a.int64Value, let y = b.int64Value { return x < y ? -1 : (x == y ? 0 : 1) }
            guard let x = a.doubleValue, let y = b.doubleValue else { return nil }
            // Spark orders NaN above every other double (`SQLOrderingUtil.compareDoubles`).
            if x.isNaN || y.isNaN { return x.isNaN && y.isNaN ? 0 : (x.isNaN ? 1 : -1) }
            return x < y ? -1 : (x == y ? 0 : 1)
        }
    }
}

/// A named, typed column.
public struct Field: Hashable, Sendable, Codable, CustomStringConvertible {
    public var name: String
    public var type: DataType
    public var nullable: Bool

    public init(_ name: String, _ type: DataType, nullable: Bool = true) {
        self.name = name
        self.type = type
        self.nullable = nullable
    }

    public var description: String { "\(name): \(type)" }
}

/// An ordered list of columns. Column lookup is by exact name (Spark's default `caseSensitive=false` resolution is
/// applied when queries are built, not here).
public struct Schema: Hashable, Sendable, Codable, CustomStringConvertible {
    public var fields: [Field]

    public init(_ fields: [Field]) { self.fields = fields }

    public var count: Int { fields.count }
    public var names: [String] { fields.map(\.name) }

    /// The index of a column, or nil.
    public func index(of name: String) -> Int? { fields.firstIndex { $0.name == name } }

    public subscript(name: String) -> Field? { index(of: name).map { fields[$0] } }

    public var description: String { "struct<" + fields.map { "\($0.name):\($0.type)" }.joined(separator: ",") + ">" }
}

/// One row: values in schema order.
public struct Row: Hashable, Sendable, CustomStringConvertible {
    public var values: [Value]

    public init(_ values: [Value]) { self.values = values }

    public subscript(i: Int) -> Value {
        get { values[i] }
        set { values[i] = newValue }
    }

    public var description: String { "[" + values.map(\.description).joined(separator: ",") + "]" }
}
