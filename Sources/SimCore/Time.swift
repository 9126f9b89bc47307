// Time in StreamSim has two axes that must never be confused (Akidau et al., "The Dataflow Model", §2.3):
//
// - `EventTime`: when something happened at the source — a Kafka record's timestamp, the column Spark's
//   `withWatermark` and Flink's `TimestampAssigner` read. Watermarks live on this axis.
// - `ProcessingTime`: the virtual wall clock of the simulation — when a record is appended to the log, when a
//   micro-batch starts, when a Flink periodic watermark timer fires. The scheduler runs on this axis.
//
// Both count milliseconds since the Unix epoch in an `Int64`, exactly as Kafka (`RecordBatch` timestamps),
// Spark (`batchWatermarkMs`, `batchTimestampMs`) and Flink (`Watermark.getTimestamp()`) do. They are distinct
// types with no arithmetic between them, so mixing the two axes does not compile. `SimDuration` is the one
// amount that applies to either axis.

/// An amount of time in milliseconds, usable on either time axis.
///
/// Arithmetic saturates at `Int64.min` / `Int64.max` instead of trapping, because Flink's watermarks legitimately
/// sit at `Long.MIN_VALUE` / `Long.MAX_VALUE` and `maxTimestamp + allowedLateness` must not crash the simulator
/// (Flink `WindowOperator.cleanupTime` falls back to `Long.MAX_VALUE` on overflow in the same way).
public struct SimDuration: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var milliseconds: Int64

    @inlinable public init(milliseconds: Int64) { self.milliseconds = milliseconds }

    public static let zero = SimDuration(milliseconds: 0)
    @inlinable public static func milliseconds(_ v: Int64) -> SimDuration { SimDuration(milliseconds: v) }
    @inlinable public static func seconds(_ v: Int64) -> SimDuration { SimDuration(milliseconds: v.multipliedSaturating(by: 1000)) }
    @inlinable public static func minutes(_ v: Int64) -> SimDuration { SimDuration(milliseconds: v.multipliedSaturating(by: 60_000)) }
    @inlinable public static func hours(_ v: Int64) -> SimDuration { SimDuration(milliseconds: v.multipliedSaturating(by: 3_600_000)) }
    @inlinable public static func days(_ v: Int64) -> SimDuration { SimDuration(milliseconds: v.multipliedSaturating(by: 86_400_000)) }

    @inlinable public static func < (a: SimDuration, b: SimDuration) -> Bool { a.milliseconds < b.milliseconds }
    @inlinable public static func + (a: SimDuration, b: SimDuration) -> SimDuration { SimDuration(milliseconds: a.milliseconds.addingSaturating(b.milliseconds)) }
    @inlinable public static func - (a: SimDuration, b: SimDuration) -> SimDuration { SimDuration(milliseconds: a.milliseconds.subtractingSaturating(b.milliseconds)) }
    @inlinable public static func * (a: SimDuration, k: Int64) -> SimDuration { SimDuration(milliseconds: a.milliseconds.multipliedSaturating(by: k)) }
    @inlinable public static prefix func - (a: SimDuration) -> SimDuration { SimDuration(milliseconds: Int64(0).subtractingSaturating(a.milliseconds)) }

    /// A compact human form: `1h30m`, `10s`, `250ms`, `0ms`.
    public var description: String { DurationFormat.compact(milliseconds) }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let ms = try? c.decode(Int64.self) { self.milliseconds = ms; return }
        let text = try c.decode(String.self)
        self = try SimDuration.parse(text)
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// A point on the event-time axis: a record's own timestamp, or a watermark.
public struct EventTime: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// Milliseconds since the Unix epoch (UTC).
    public var millisecondsSinceEpoch: Int64

    @inlinable public init(millisecondsSinceEpoch: Int64) { self.millisecondsSinceEpoch = millisecondsSinceEpoch }
    @inlinable public init(_ ms: Int64) { self.millisecondsSinceEpoch = ms }

    /// Flink's `Long.MIN_VALUE` watermark: "no event time yet" (`Watermark.UNINITIALIZED`).
    public static let min = EventTime(Int64.min)
    /// Flink's `Long.MAX_VALUE` watermark emitted at the end of bounded input (`Watermark.MAX_WATERMARK`).
    public static let max = EventTime(Int64.max)
    /// The epoch. Spark's global watermark starts here (`WatermarkTracker.globalWatermarkMs = 0`).
    public static let epoch = EventTime(0)

    @inlinable public static func < (a: EventTime, b: EventTime) -> Bool { a.millisecondsSinceEpoch < b.millisecondsSinceEpoch }
    @inlinable public static func + (t: EventTime, d: SimDuration) -> EventTime { EventTime(t.millisecondsSinceEpoch.addingSaturating(d.milliseconds)) }
    @inlinable public static func - (t: EventTime, d: SimDuration) -> EventTime { EventTime(t.millisecondsSinceEpoch.subtractingSaturating(d.milliseconds)) }
    @inlinable public static func - (a: EventTime, b: EventTime) -> SimDuration { SimDuration(milliseconds: a.millisecondsSinceEpoch.subtractingSaturating(b.millisecondsSinceEpoch)) }

    /// ISO-8601 UTC with milliseconds (`2024-08-09T00:00:01.271Z`), or `MIN` / `MAX` for Flink's sentinels.
    public var description: String {
        if self == .min { return "MIN" }
        if self == .max { return "MAX" }
        return UTCTimestamp.iso8601(millisecondsSinceEpoch)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let ms = try? c.decode(Int64.self) { self.init(ms); return }
        let text = try c.decode(String.self)
        guard let ms = UTCTimestamp.parse(text) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "expected milliseconds since epoch or an ISO-8601 instant such as 2024-08-08T23:59:00Z, got \"\(text)\"")
        }
        self.init(ms)
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(millisecondsSinceEpoch)
    }
}

/// A point on the simulation's virtual wall clock (processing time).
public struct ProcessingTime: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// Milliseconds since the Unix epoch (UTC) of the virtual clock.
    public var millisecondsSinceEpoch: Int64

    @inlinable public init(millisecondsSinceEpoch: Int64) { self.millisecondsSinceEpoch = millisecondsSinceEpoch }
    @inlinable public init(_ ms: Int64) { self.millisecondsSinceEpoch = ms }

    public static let epoch = ProcessingTime(0)
    public static let distantFuture = ProcessingTime(Int64.max)

    @inlinable public static func < (a: ProcessingTime, b: ProcessingTime) -> Bool { a.millisecondsSinceEpoch < b.millisecondsSinceEpoch }
    @inlinable public static func + (t: ProcessingTime, d: SimDuration) -> ProcessingTime { ProcessingTime(t.millisecondsSinceEpoch.addingSaturating(d.milliseconds)) }
    @inlinable public static func - (t: ProcessingTime, d: SimDuration) -> ProcessingTime { ProcessingTime(t.millisecondsSinceEpoch.subtractingSaturating(d.milliseconds)) }
    @inlinable public static func - (a: ProcessingTime, b: ProcessingTime) -> SimDuration { SimDuration(milliseconds: a.millisecondsSinceEpoch.subtractingSaturating(b.millisecondsSinceEpoch)) }

    public var description: String { UTCTimestamp.iso8601(millisecondsSinceEpoch) }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let ms = try? c.decode(Int64.self) { self.init(ms); return }
        let text = try c.decode(String.self)
        guard let ms = UTCTimestamp.parse(text) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "expected milliseconds since epoch or an ISO-8601 instant such as 2024-08-08T23:59:00Z, got \"\(text)\"")
        }
        self.init(ms)
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(millisecondsSinceEpoch)
    }
}

extension Int64 {
    @inlinable func addingSaturating(_ o: Int64) -> Int64 {
        let (r, overflow) = addingReportingOverflow(o)
        return overflow ? (o > 0 ? .max : .min) : r
    }
    @inlinable func subtractingSaturating(_ o: Int64) -> Int64 {
        let (r, overflow) = subtractingReportingOverflow(o)
        return overflow ? (o < 0 ? .max : .min) : r
    }
    @inlinable func multipliedSaturating(by o: Int64) -> Int64 {
        let (r, overflow) = multipliedReportingOverflow(by: o)
        return overflow ? ((self < 0) != (o < 0) ? .min : .max) : r
    }
}

/// Floor division and modulo as Flink's `TimeWindow.getWindowStartWithOffset` and Spark's `TimeWindowing` need them
/// for negative timestamps (Java's `%` truncates toward zero).
@inlinable public func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q
}
@inlinable public func floorMod(_ a: Int64, _ b: Int64) -> Int64 { a - floorDiv(a, b) * b }

extension EventTime {
    /// The one sanctioned crossing from processing time to event time: a broker's LogAppendTime, or a producer
    /// stamping `System.currentTimeMillis()` as a record's CreateTime — both are a clock reading that *becomes* the
    /// record's event time.
    @inlinable public init(stampedAt t: ProcessingTime) { self.init(t.millisecondsSinceEpoch) }
}

extension ProcessingTime {
    /// The processing instant whose clock reading equals an event time: used only to place an event-time instant on
    /// the processing axis for display (for example, drawing a watermark against processing time).
    @inlinable public init(clockReading t: EventTime) { self.init(t.millisecondsSinceEpoch) }
}
