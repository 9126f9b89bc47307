public import SimCore

/// What a watermark generator hands to its `WatermarkOutput` in one call (Flink's `WatermarkOutput.emitWatermark` /
/// `markIdle`; `flink-core/.../api/common/eventtime/WatermarkOutput.java`, 1.20).
public enum WatermarkSignal: Equatable, Sendable, CustomStringConvertible {
    case watermark(EventTime)
    case idle
    public var description: String {
        switch self {
        case .watermark(let t): return "WM(\(t.millisecondsSinceEpoch == .min ? "MIN" : t.millisecondsSinceEpoch == .max ? "MAX" : String(t.millisecondsSinceEpoch)))"
        case .idle: return "IDLE"
        }
    }
}

/// Flink's `WatermarkGenerator` (`flink-core/.../eventtime/WatermarkGenerator.java`, 1.20): one interface for periodic
/// and punctuated generation. `onEvent` runs for every record *after* the record went downstream
/// (`SourceOutputWithWatermarks.collect`, `TimestampsAndWatermarksOperator.processElement`); `onPeriodicEmit` runs
/// every `pipeline.auto-watermark-interval`. A value type: the model owns one instance per split.
public protocol WatermarkGenerator {
    /// A punctuated emission, if any.
    mutating func onEvent(timestamp: EventTime, now: ProcessingTime) -> WatermarkSignal?
    /// A periodic emission, if any. `now` is the generator's relative clock (idleness only).
    mutating func onPeriodicEmit(now: ProcessingTime) -> WatermarkSignal?
}

/// `BoundedOutOfOrdernessWatermarks` (`flink-core/.../eventtime/BoundedOutOfOrdernessWatermarks.java`, 1.20):
/// `maxTimestamp` starts at `MIN + B + 1`, `onEvent` only raises it, `onPeriodicEmit` emits `maxTimestamp − B − 1`, so the
/// first emission before any event is exactly `Long.MIN_VALUE`.
public struct BoundedOutOfOrdernessWatermarks: WatermarkGenerator, Sendable {
    public let outOfOrdernessMillis: Int64
    public private(set) var maxTimestamp: Int64

    /// - Precondition: `B ≥ 0` (checked by `WatermarkStrategy.make`, which reports an error instead).
    public init(maxOutOfOrderness: SimDuration) {
        outOfOrdernessMillis = max(0, maxOutOfOrderness.milliseconds)
        maxTimestamp = Int64.min &+ outOfOrdernessMillis &+ 1
    }
    public mutating func onEvent(timestamp: EventTime, now: ProcessingTime) -> WatermarkSignal? {
        if timestamp.millisecondsSinceEpoch > maxTimestamp { maxTimestamp = timestamp.millisecondsSinceEpoch }
        return nil
    }
    public mutating func onPeriodicEmit(now: ProcessingTime) -> WatermarkSignal? {
        .watermark(EventTime(maxTimestamp &- outOfOrdernessMillis &- 1))
    }
}

/// The conformance harness's punctuated generator (`tools/conformance/flink/FlinkConformanceJob.PunctuatedBounded`):
/// `BoundedOutOfOrdernessWatermarks`' formula `maxTs − B − 1`, emitted from `onEvent` after every record; nothing periodic.
/// `B = 0` is the per-record form of `forMonotonousTimestamps()` (`AscendingTimestampsWatermarks`, `maxTs − 1`).
public struct PunctuatedBoundedOutOfOrdernessWatermarks: WatermarkGenerator, Sendable {
    public let outOfOrdernessMillis: Int64
    public private(set) var maxTimestamp: Int64
    public init(maxOutOfOrderness: SimDuration) {
        outOfOrdernessMillis = max(0, maxOutOfOrderness.milliseconds)
        maxTimestamp = Int64.min &+ outOfOrdernessMillis &+ 1
    }
    public mutating func onEvent(timestamp: EventTime, now: ProcessingTime) -> WatermarkSignal? {
        if timestamp.millisecondsSinceEpoch > maxTimestamp { maxTimestamp = timestamp.millisecondsSinceEpoch }
        return .watermark(EventTime(maxTimestamp &- outOfOrdernessMillis &- 1))
    }
    public mutating func onPeriodicEmit(now: ProcessingTime) -> WatermarkSignal? { nil }
}

/// `WatermarkStrategy.noWatermarks()` (`NoWatermarksGenerator`, 1.20): never emits.
public struct NoWatermarksGenerator: WatermarkGenerator, Sendable {
    public init() {}
    public mutating func onEvent(timestamp: EventTime, now: ProcessingTime) -> WatermarkSignal? { nil }
    public mutating func onPeriodicEmit(now: ProcessingTime) -> WatermarkSignal? { nil }
}

/// A user punctuated generator: `onEvent` returns the watermark a record implies (or nil), as a Flink
/// `WatermarkGenerator` that calls `output.emitWatermark` in `onEvent`.
public struct PunctuatedWatermarks: WatermarkGenerator {
    public let watermarkFor: (EventTime) -> EventTime?
    public init(watermarkFor: @escaping (EventTime) -> EventTime?) { self.watermarkFor = watermarkFor }
    public mutating func onEvent(timestamp: EventTime, now: ProcessingTime) -> WatermarkSignal? { watermarkFor(timestamp).map { .watermark($0) } }
    public mutating func onPeriodicEmit(now: ProcessingTime) -> WatermarkSignal? { nil }
}

/// `WatermarksWithIdleness.IdlenessTimer` (`flink-core/.../eventtime/WatermarksWithIdleness.java`, 1.20), exactly: a
/// counter of activity; the first quiet probe starts the countdown; idle when strictly more than the timeout has passed
/// since that probe. The clock is in nanoseconds and `0` means "no countdown" — a clock reading of exactly 0 restarts
/// the countdown, as in Flink.
public struct IdlenessTimer: Sendable {
    public let maxIdleTimeNanos: Int64
    private var counter: Int64 = 0
    private var lastCounter: Int64 = 0
    private var startOfInactivityNanos: Int64 = 0

    public init(timeout: SimDuration) { maxIdleTimeNanos = timeout.milliseconds.multipliedReportingOverflow(by: 1_000_000).overflow ? .max : timeout.milliseconds * 1_000_000 }

    /// `activity()`: `counter++`.
    public mutating func activity() { counter &+= 1 }

    /// `checkIfIdle()`.
    public mutating func checkIfIdle(nowNanos: Int64) -> Bool {
        if counter != lastCounter {
            lastCounter = counter
            startOfInactivityNanos = 0
            return false
        } else if startOfInactivityNanos == 0 {
            startOfInactivityNanos = nowNanos
            return false
        } else {
            return nowNanos &- startOfInactivityNanos > maxIdleTimeNanos
        }
    }
}

/// `WatermarksWithIdleness` (`flink-core/.../eventtime/WatermarksWithIdleness.java`, 1.20): `onEvent` forwards, records
/// activity and clears `isIdleNow`; `onPeriodicEmit` marks idle once (the inner generator is not called while idle) or
/// delegates. The relative clock is the virtual processing time (Flink 1.20 pauses it under backpressure; the model's
/// sources are never back-pressured while they probe, so the two agree).
public struct WatermarksWithIdleness<Inner: WatermarkGenerator>: WatermarkGenerator {
    public private(set) var inner: Inner
    public private(set) var timer: IdlenessTimer
    public private(set) var isIdleNow = false

    public init(_ inner: Inner, timeout: SimDuration) {
        self.inner = inner
        self.timer = IdlenessTimer(timeout: timeout)
    }
    public mutating func onEvent(timestamp: EventTime, now: ProcessingTime) -> WatermarkSignal? {
        let out = inner.onEvent(timestamp: timestamp, now: now)
        timer.activity()
        isIdleNow = false
        return out
    }
    public mutating func onPeriodicEmit(now: ProcessingTime) -> WatermarkSignal? {
        let nanos = now.millisecondsSinceEpoch.multipliedReportingOverflow(by: 1_000_000)
        if timer.checkIfIdle(nowNanos: nanos.overflow ? .max : nanos.partialValue) {
            if !isIdleNow {
                isIdleNow = true
                return .idle
            }
            return nil
        }
        return inner.onPeriodicEmit(now: now)
    }
}

/// The model's `WatermarkStrategy` (`flink-core/.../eventtime/WatermarkStrategy.java`, 1.20): which generator every split
/// (and the reader's main output) gets, optionally wrapped by `withIdleness`.
public struct WatermarkStrategy: Sendable, Equatable, Codable {
    public enum Kind: Sendable, Equatable, Codable {
        /// `forBoundedOutOfOrderness(B)`: periodic, `maxTs − B − 1`.
        case boundedOutOfOrderness(SimDuration)
        /// `forMonotonousTimestamps()`: periodic, `maxTs − 1`.
        case monotonous
        /// Per-record `maxTs − B − 1` (the conformance harness's generator; with auto-watermark-interval 0).
        case punctuatedBoundedOutOfOrderness(SimDuration)
        /// `noWatermarks()`.
        case none
        /// A pushed-down SQL `WATERMARK FOR rowtime AS rowtime − INTERVAL 'B'` (`SQLRowtimeWatermarks`).
        case sqlRowtimeMinusInterval(SimDuration)
    }
    public var kind: Kind
    /// `withIdleness(T)`; nil = no idleness detection.
    public var idleness: SimDuration?
    /// A user-supplied generator used instead of `kind`'s (`WatermarkStrategy.forGenerator`): how a test plants a
    /// deliberately wrong watermark without touching the product's generators. Not encoded.
    public var custom: CustomWatermarkGenerator? = nil

    private enum CodingKeys: String, CodingKey { case kind, idleness }

    public init(_ kind: Kind, idleness: SimDuration? = nil) {
        self.kind = kind
        self.idleness = idleness
    }
    public static func forBoundedOutOfOrderness(_ b: SimDuration) -> WatermarkStrategy { .init(.boundedOutOfOrderness(b)) }
    public static func forMonotonousTimestamps() -> WatermarkStrategy { .init(.monotonous) }
    public func withIdleness(_ t: SimDuration) -> WatermarkStrategy { var s = self; s.idleness = t; return s }

    /// Checks Flink's preconditions: `B ≥ 0` (`BoundedOutOfOrdernessWatermarks`), idleness `T > 0` (`withIdleness`).
    public func validate() throws(FlinkError) {
        switch kind {
        case .boundedOutOfOrderness(let b), .punctuatedBoundedOutOfOrderness(let b), .sqlRowtimeMinusInterval(let b):
            if b.milliseconds < 0 { throw .invalidConfiguration("maxOutOfOrderness cannot be negative (got \(b.milliseconds) ms)") }
        default: break
        }
        if let t = idleness, t.milliseconds <= 0 { throw .invalidConfiguration("idleness timeout must be positive (got \(t.milliseconds) ms)") }
    }

    /// A fresh generator (`createWatermarkGenerator`).
    public func makeGenerator() -> any WatermarkGenerator {
        let base: any WatermarkGenerator
        if let custom {
            base = custom.make()
        } else {
            switch kind {
            case .boundedOutOfOrderness(let b): base = BoundedOutOfOrdernessWatermarks(maxOutOfOrderness: b)
            case .monotonous: base = BoundedOutOfOrdernessWatermarks(maxOutOfOrderness: .zero)
            case .punctuatedBoundedOutOfOrderness(let b): base = PunctuatedBoundedOutOfOrdernessWatermarks(maxOutOfOrderness: b)
            case .none: base = NoWatermarksGenerator()
            case .sqlRowtimeMinusInterval(let b): base = SQLRowtimeWatermarks(delay: b)
            }
        }
        guard let t = idleness else { return base }
        return Self.wrap(base, t)
    }

    private static func wrap<G: WatermarkGenerator>(_ g: G, _ t: SimDuration) -> any WatermarkGenerator {
        WatermarksWithIdleness(g, timeout: t)
    }
}

/// A named factory of a user `WatermarkGenerator` (`WatermarkStrategy.forGenerator(supplier)` in Flink). Two are equal when
/// their names are: a closure has no identity to compare.
public struct CustomWatermarkGenerator: Sendable, Equatable {
    public let name: String
    public let make: @Sendable () -> any WatermarkGenerator
    public init(name: String, make: @escaping @Sendable () -> any WatermarkGenerator) {
        self.name = name
        self.make = make
    }
    public static func == (a: Self, b: Self) -> Bool { a.name == b.name }
}
