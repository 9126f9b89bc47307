public import QueryModel

/// The key of a keyed stream built from a query's `groupBy` columns: `keyBy(row -> Tuple(k1, k2, …))`.
///
/// - Order (timer tie-break, `InternalTimer`): QueryModel's `GroupKey` order — column by column, nulls first, then
///   `Value.compare` (strings by UTF-8 bytes) — so equal-timestamp firings come out in the order the recorder normalises
///   to (symbol) and the order the Spark model sorts its rows in.
/// - Hash (key-group routing, `KeyGroupRangeAssignment.assignToKeyGroup(key.hashCode())`): one column hashes like the
///   Java object itself (`String.hashCode`, `Long.hashCode`, …: a single-`String` key routes exactly like the DataStream
///   jobs keyed by symbol); several columns hash like Flink's `TupleN.hashCode` (`31·h + hash(fᵢ)`, null = 0). The SQL
///   planner keys by a `BinaryRowData` (murmur over its bytes) instead; only the subtask a key lands on differs, never a result.
public struct FlinkKey: Hashable, Comparable, Sendable, CustomStringConvertible, JavaHashable {
    public var values: [Value]
    public init(_ values: [Value]) { self.values = values }

    public static func < (a: FlinkKey, b: FlinkKey) -> Bool {
        for (x, y) in zip(a.values, b.values) {
            if x.isNull != y.isNull { return x.isNull }
            if let c = Value.compare(x, y), c != 0 { return c < 0 }
            if Value.compare(x, y) == nil, x != y { return x.description < y.description }
        }
        return a.values.count < b.values.count
    }

    public var javaHashCode: Int32 {
        if values.count == 1 { return values[0].javaHashCode }
        var h: Int32 = 0
        for (i, v) in values.enumerated() { h = i == 0 ? v.javaHashCode : h &* 31 &+ v.javaHashCode }
        return h
    }

    /// `BTC-USD` or `BTC-USD,binance` (trace text).
    public var description: String { values.map(\.description).joined(separator: ",") }
}

extension Value {
    /// `Object.hashCode()` of the Java value a Flink row holds for this value: `String`, `Long`, `Integer`, `Double`
    /// (`doubleToLongBits`, NaN canonical), `Float` (`floatToIntBits`), `Boolean` (1231/1237), `byte[]` via
    /// `Arrays.hashCode`, timestamps as the `Long` of their microseconds, dates as the `Integer` day; null = 0.
    public var javaHashCode: Int32 {
        switch self {
        case .null: return 0
        case .bool(let b): return b ? 1231 : 1237
        case .int(let i): return i
        case .long(let l): return l.javaHashCode
        case .timestamp(let us): return us.javaHashCode
        case .date(let d): return d
        case .float(let f): return Int32(bitPattern: f.isNaN ? 0x7fc0_0000 : f.bitPattern)
        case .double(let d):
            let bits = Int64(bitPattern: d.isNaN ? 0x7ff8_0000_0000_0000 : d.bitPattern)
            return bits.javaHashCode
        case .string(let s): return s.javaHashCode
        case .binary(let b):
            var h: Int32 = 1
            for x in b { h = h &* 31 &+ Int32(Int8(bitPattern: x)) }
            return h
        }
    }
}
