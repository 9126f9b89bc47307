/// Errors raised by the Flink model. Every case reads as a sentence naming the offending value and the Flink rule.
public enum FlinkError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A configuration value Flink itself rejects (e.g. `TumblingEventTimeWindows` with `|offset| >= size`).
    case invalidConfiguration(String)
    /// An event-time window assigner got a record without a timestamp (`Long.MIN_VALUE`).
    case missingTimestamp
    /// `WindowOperator`'s merge function found a merged event-time window already behind the watermark.
    case mergedWindowBehindWatermark(start: Int64, end: Int64, watermark: Int64)
    /// A conformance case uses something the model does not support.
    case unsupportedCase(String)
    /// Input that cannot be parsed (a tape line, a record value).
    case malformedInput(String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let s): return "invalid Flink configuration: \(s)"
        case .missingTimestamp:
            return "Record has Long.MIN_VALUE timestamp (= no timestamp marker). Is the time characteristic set to 'ProcessingTime', or did you forget to call 'DataStream.assignTimestampsAndWatermarks(...)'?"
        case .mergedWindowBehindWatermark(let s, let e, let w):
            return "The end timestamp of an event-time window cannot become earlier than the current watermark by merging. Window [\(s), \(e)), current watermark \(w)"
        case .unsupportedCase(let s): return "unsupported by the Flink model: \(s)"
        case .malformedInput(let s): return "malformed input: \(s)"
        }
    }
}

/// Java's `hashCode` for the key types the model keys by, so that key groups match a real job's.
public protocol JavaHashable {
    /// The value of `Object.hashCode()` in Java for the equivalent Java object.
    var javaHashCode: Int32 { get }
}

extension String: JavaHashable {
    /// `java.lang.String.hashCode`: `s[0]*31^(n-1) + … + s[n-1]` over UTF-16 code units, in 32-bit wrapping arithmetic.
    public var javaHashCode: Int32 {
        var h: Int32 = 0
        for unit in utf16 { h = h &* 31 &+ Int32(unit) }
        return h
    }
}

extension Int64: JavaHashable {
    /// `java.lang.Long.hashCode`: `(int)(value ^ (value >>> 32))`.
    public var javaHashCode: Int32 { Int32(truncatingIfNeeded: self ^ Int64(bitPattern: UInt64(bitPattern: self) >> 32)) }
}

extension Int32: JavaHashable {
    /// `java.lang.Integer.hashCode`: the value itself.
    public var javaHashCode: Int32 { self }
}

/// Flink's key-group assignment (`flink-runtime/.../state/KeyGroupRangeAssignment.java`, 1.20) and the hash it uses
/// (`flink-core/.../util/MathUtils.murmurHash`, 1.20).
public enum KeyGroupAssignment {
    /// `ExecutionConfig`/`KeyGroupRangeAssignment.DEFAULT_LOWER_BOUND_MAX_PARALLELISM` = 128: the default
    /// `maxParallelism` for operators with parallelism ≤ 128 (`computeDefaultMaxParallelism`).
    public static let defaultMaxParallelism = 128

    /// `MathUtils.murmurHash(int)`: one Murmur3 round, `^ 4`, the `bitMix` finalizer, then the absolute value
    /// (with `Integer.MIN_VALUE` mapped to 0).
    @inlinable public static func murmurHash(_ value: Int32) -> Int32 {
        var code = value &* Int32(bitPattern: 0xcc9e_2d51)
        code = rotateLeft(code, 15)
        code = code &* 0x1b87_3593
        code = rotateLeft(code, 13)
        code = code &* 5 &+ Int32(bitPattern: 0xe654_6b64)
        code ^= 4
        code = bitMix(code)
        if code >= 0 { return code }
        if code != Int32.min { return -code }
        return 0
    }

    /// `MathUtils.bitMix`: Murmur3's 32-bit finalizer.
    @inlinable public static func bitMix(_ value: Int32) -> Int32 {
        var x = UInt32(bitPattern: value)
        x ^= x >> 16
        x = x &* 0x85eb_ca6b
        x ^= x >> 13
        x = x &* 0xc2b2_ae35
        x ^= x >> 16
        return Int32(bitPattern: x)
    }

    @inlinable static func rotateLeft(_ v: Int32, _ n: UInt32) -> Int32 {
        let u = UInt32(bitPattern: v)
        return Int32(bitPattern: (u << n) | (u >> (32 - n)))
    }

    /// `KeyGroupRangeAssignment.assignToKeyGroup(key, maxParallelism)` = `murmurHash(key.hashCode()) % maxParallelism`.
    @inlinable public static func keyGroup<K: JavaHashable>(for key: K, maxParallelism: Int = defaultMaxParallelism) -> Int {
        Int(murmurHash(key.javaHashCode)) % maxParallelism
    }

    /// `computeOperatorIndexForKeyGroup(maxParallelism, parallelism, keyGroupId)` = `keyGroupId * parallelism / maxParallelism`.
    @inlinable public static func operatorIndex(forKeyGroup keyGroup: Int, maxParallelism: Int = defaultMaxParallelism, parallelism: Int) -> Int {
        keyGroup * parallelism / maxParallelism
    }

    /// `assignKeyToParallelOperator(key, maxParallelism, parallelism)`: the window-operator subtask a key goes to.
    @inlinable public static func subtask<K: JavaHashable>(for key: K, maxParallelism: Int = defaultMaxParallelism, parallelism: Int) -> Int {
        operatorIndex(forKeyGroup: keyGroup(for: key, maxParallelism: maxParallelism), maxParallelism: maxParallelism, parallelism: parallelism)
    }

    /// `MathUtils.longToIntWithBitMixing(long)` (SplitMix64's finalizer, truncated to int): `TimeWindow.hashCode` is this
    /// applied to `start + end`.
    @inlinable public static func longToIntWithBitMixing(_ value: Int64) -> Int32 {
        var x = UInt64(bitPattern: value)
        x = (x ^ (x >> 30)) &* 0xbf58_476d_1ce4_e5b9
        x = (x ^ (x >> 27)) &* 0x94d0_49bb_1331_11eb
        x = x ^ (x >> 31)
        return Int32(truncatingIfNeeded: Int64(bitPattern: x))
    }
}
