import SimCore

/// An event-time window as a query declares it. Durations are in milliseconds, as in the case files and in Spark's
/// interval strings; windows are computed in microseconds, as Spark does.
public enum WindowSpec: Hashable, Sendable, Codable, CustomStringConvertible {
    /// `window(ts, size)`: one window per row.
    case tumbling(sizeMs: Int64, startOffsetMs: Int64 = 0)
    /// `window(ts, size, slide[, start])`: up to ⌈size/slide⌉ windows per row.
    case sliding(sizeMs: Int64, slideMs: Int64, startOffsetMs: Int64 = 0)
    /// `session_window(ts, gap)`.
    case session(gapMs: Int64)

    public var description: String {
        switch self {
        case .tumbling(let s, let o): return "window(\(SimDuration(milliseconds: s))\(o != 0 ? ", start \(o)ms" : ""))"
        case .sliding(let s, let sl, let o): return "window(\(SimDuration(milliseconds: s)), slide \(SimDuration(milliseconds: sl))\(o != 0 ? ", start \(o)ms" : ""))"
        case .session(let g): return "session_window(\(SimDuration(milliseconds: g)))"
        }
    }

    public var isSession: Bool { if case .session = self { return true }; return false }

    /// Checks Spark's parameter rules (`catalyst/expressions/TimeWindow.scala` `checkInputDataTypes`): window and slide
    /// positive, slide ≤ window, |start| < slide; a session gap must be positive.
    public func validate() throws(QueryModelError) {
        switch self {
        case .tumbling(let s, let o):
            guard s > 0 else { throw .invalidQuery("The window duration (\(s) ms) must be greater than 0.") }
            guard abs(o) < s else { throw .invalidQuery("The absolute value of start time (\(o) ms) must be less than the slide duration (\(s) ms).") }
        case .sliding(let s, let sl, let o):
            guard s > 0 else { throw .invalidQuery("The window duration (\(s) ms) must be greater than 0.") }
            guard sl > 0 else { throw .invalidQuery("The slide duration (\(sl) ms) must be greater than 0.") }
            guard sl <= s else { throw .invalidQuery("The slide duration (\(sl) ms) must be less than or equal to the windowDuration (\(s) ms).") }
            guard abs(o) < sl else { throw .invalidQuery("The absolute value of start time (\(o) ms) must be less than the slide duration (\(sl) ms).") }
        case .session(let g):
            guard g > 0 else { throw .invalidQuery("The session gap (\(g) ms) must be greater than 0.") }
        }
    }
}

/// A window `[start, end)` in microseconds.
public struct TimeWindow: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var start: Int64
    public var end: Int64
    public init(start: Int64, end: Int64) { self.start = start; self.end = end }
    public static func < (a: TimeWindow, b: TimeWindow) -> Bool { (a.start, a.end) < (b.start, b.end) }
    public var description: String { "[\(SparkTimestampText.format(start)), \(SparkTimestampText.format(end)))" }
}

/// Spark's window assignment (`catalyst/analysis/ResolveTimeWindows.scala`, `TimeWindowing`, the floor-mod form of
/// SPARK-39347): `lastStart = ts - floorMod(ts - startTime, slide)`, windows `lastStart - i*slide` for
/// `i in 0 ..< ceil(window/slide)`, kept iff `start <= ts < end` (half-open). Tumbling windows give exactly one.
/// Windows come out in the order Spark's `Expand` produces them: latest start first.
public struct WindowAssigner: Sendable {
    public let sizeUs: Int64
    public let slideUs: Int64
    public let startUs: Int64
    let count: Int

    public init?(_ spec: WindowSpec) {
        switch spec {
        case .tumbling(let s, let o): sizeUs = s * 1000; slideUs = s * 1000; startUs = o * 1000
        case .sliding(let s, let sl, let o): sizeUs = s * 1000; slideUs = sl * 1000; startUs = o * 1000
        case .session: return nil
        }
        count = Int((sizeUs + slideUs - 1) / slideUs)
    }

    /// Calls `body` for every window containing `ts` (µs).
    @inline(__always)
    public func forEachWindow(_ ts: Int64, _ body: (TimeWindow) -> Void) {
        let lastStart = ts - floorMod(ts - startUs, slideUs)
        if count == 1 {
            body(TimeWindow(start: lastStart, end: lastStart + sizeUs))
            return
        }
        for i in 0..<count {
            let start = lastStart - Int64(i) * slideUs
            let end = start + sizeUs
            if start <= ts && ts < end { body(TimeWindow(start: start, end: end)) }
        }
    }

    public func windows(_ ts: Int64) -> [TimeWindow] {
        var out: [TimeWindow] = []
        forEachWindow(ts) { out.append($0) }
        return out
    }
}

/// A grouping key of an aggregation: the window (if any) and the group-by values, ordered by window then keys
/// (nulls first), which is the order StreamSim emits rows in (Spark's row order inside a batch is not meaningful).
public struct GroupKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var window: TimeWindow?
    public var keys: [Value]

    public init(window: TimeWindow?, keys: [Value]) {
        self.window = window
        self.keys = keys
    }

    public static func < (a: GroupKey, b: GroupKey) -> Bool {
        if let wa = a.window, let wb = b.window, wa != wb { return wa < wb }
        for (x, y) in zip(a.keys, b.keys) {
            if x.isNull != y.isNull { return x.isNull }
            if let c = Value.compare(x, y), c != 0 { return c < 0 }
        }
        return a.keys.count < b.keys.count
    }

    public var description: String {
        (window.map { "\($0) " } ?? "") + "[" + keys.map(\.description).joined(separator: ",") + "]"
    }
}
