public import SimCore

/// `TimeWindow` (`flink-streaming-java/.../api/windowing/windows/TimeWindow.java`, 1.20): `[start, end)`,
/// `maxTimestamp = end − 1`, `intersects` with *inclusive* bounds (touching windows intersect), `cover` = the union's span.
public struct TimeWindow: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var start: Int64
    public var end: Int64

    @inlinable public init(start: Int64, end: Int64) { self.start = start; self.end = end }

    /// `maxTimestamp()` = `end − 1`.
    @inlinable public var maxTimestamp: Int64 { end &- 1 }
    /// `intersects(o)` = `start ≤ o.end && end ≥ o.start`.
    @inlinable public func intersects(_ o: TimeWindow) -> Bool { start <= o.end && end >= o.start }
    /// `cover(o)`.
    @inlinable public func cover(_ o: TimeWindow) -> TimeWindow { TimeWindow(start: min(start, o.start), end: max(end, o.end)) }

    /// `TimeWindow.hashCode()` = `MathUtils.longToIntWithBitMixing(start + end)` — used to reproduce Java `HashSet`
    /// iteration order inside `MergingWindowSet`.
    @inlinable public var javaHashCode: Int32 { KeyGroupAssignment.longToIntWithBitMixing(start &+ end) }

    /// Ordered by start, then end (the model's deterministic tie-break; Flink compares only what its heaps need).
    @inlinable public static func < (a: TimeWindow, b: TimeWindow) -> Bool { a.start != b.start ? a.start < b.start : a.end < b.end }

    public var description: String { "[\(start),\(end))" }

    /// `TimeWindow.getWindowStartWithOffset(ts, offset, size)`: `r = (ts − offset) % size` (Java's truncating `%`), then
    /// `r < 0 ? ts − (r + size) : ts − r`.
    @inlinable public static func windowStart(timestamp ts: Int64, offset: Int64, size: Int64) -> Int64 {
        let r = (ts &- offset) % size
        return r < 0 ? ts &- (r &+ size) : ts &- r
    }

    /// `TimeWindow.mergeWindows`: sort by start, grow a group while the running cover intersects the next window, and
    /// report each group of more than one window. The members come back in Java `HashSet<TimeWindow>` iteration order
    /// (see `JavaHashSetOrder`), because `MergingWindowSet` picks "the first" of them as the state window.
    public static func mergeWindows(_ windows: [TimeWindow]) -> [(result: TimeWindow, members: [TimeWindow])] {
        let sorted = windows.enumerated().sorted { $0.element.start != $1.element.start ? $0.element.start < $1.element.start : $0.offset < $1.offset }.map(\.element)
        var groups: [(result: TimeWindow, members: [TimeWindow])] = []
        var current: (result: TimeWindow, members: [TimeWindow])?
        for c in sorted {
            if var cur = current {
                if cur.result.intersects(c) {
                    cur.result = cur.result.cover(c)
                    if !cur.members.contains(c) { cur.members.append(c) }
                    current = cur
                } else {
                    groups.append(cur)
                    current = (c, [c])
                }
            } else {
                current = (c, [c])
            }
        }
        if let cur = current { groups.append(cur) }
        return groups.filter { $0.members.count > 1 }.map { ($0.result, JavaHashSetOrder.order($0.members, hash: { $0.javaHashCode })) }
    }
}

/// Iteration order of a `java.util.HashSet` built by inserting elements in the given order with default capacity 16 and
/// load factor 0.75 (`HashMap.resize` doubles the table when size exceeds 0.75·capacity and keeps each bucket's relative
/// order): by bucket index `(h ^ (h >>> 16)) & (capacity − 1)`, then insertion order. (Tree bins — 8+ collisions in one
/// bucket — are not modelled.)
public enum JavaHashSetOrder {
    public static func order<T>(_ inserted: [T], hash: (T) -> Int32) -> [T] {
        var capacity = 16
        while inserted.count > capacity * 3 / 4 { capacity *= 2 }
        let mask = UInt32(capacity - 1)
        return inserted.enumerated().map { (i, e) -> (UInt32, Int, T) in
            let h = UInt32(bitPattern: hash(e))
            return ((h ^ (h >> 16)) & mask, i, e)
        }.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }.map(\.2)
    }
}

/// The window assigners of `flink-streaming-java/.../api/windowing/assigners/` (1.20), with their constructor checks.
public enum WindowAssigner: Sendable, Equatable, Codable {
    /// `TumblingEventTimeWindows.of(size, offset)` (window stagger `ALIGNED`).
    case tumblingEventTime(size: Int64, offset: Int64)
    /// `SlidingEventTimeWindows.of(size, slide, offset)`.
    case slidingEventTime(size: Int64, slide: Int64, offset: Int64)
    /// `EventTimeSessionWindows.withGap(gap)`.
    case eventTimeSession(gap: Int64)
    /// `TumblingProcessingTimeWindows.of(size, offset)`.
    case tumblingProcessingTime(size: Int64, offset: Int64)
    /// `SlidingProcessingTimeWindows.of(size, slide, offset)`.
    case slidingProcessingTime(size: Int64, slide: Int64, offset: Int64)
    /// `ProcessingTimeSessionWindows.withGap(gap)`.
    case processingTimeSession(gap: Int64)

    public static func tumbling(size: SimDuration, offset: SimDuration = .zero) throws(FlinkError) -> WindowAssigner {
        let a = WindowAssigner.tumblingEventTime(size: size.milliseconds, offset: offset.milliseconds)
        try a.validate()
        return a
    }
    public static func sliding(size: SimDuration, slide: SimDuration, offset: SimDuration = .zero) throws(FlinkError) -> WindowAssigner {
        let a = WindowAssigner.slidingEventTime(size: size.milliseconds, slide: slide.milliseconds, offset: offset.milliseconds)
        try a.validate()
        return a
    }
    public static func session(gap: SimDuration) throws(FlinkError) -> WindowAssigner {
        let a = WindowAssigner.eventTimeSession(gap: gap.milliseconds)
        try a.validate()
        return a
    }

    /// The constructors' preconditions: tumbling `size > 0`, `|offset| < size`; sliding `size > 0`, `slide > 0`,
    /// `|offset| < slide`, `size / slide ≤ 10 000 000` (1.20's `SlidingEventTimeWindows` check); session `gap > 0`.
    public func validate() throws(FlinkError) {
        switch self {
        case .tumblingEventTime(let size, let offset), .tumblingProcessingTime(let size, let offset):
            if size <= 0 || abs(offset) >= size { throw .invalidConfiguration("TumblingWindows parameters must satisfy abs(offset) < size (size \(size), offset \(offset))") }
        case .slidingEventTime(let size, let slide, let offset), .slidingProcessingTime(let size, let slide, let offset):
            if size <= 0 || slide <= 0 || abs(offset) >= slide { throw .invalidConfiguration("SlidingWindows parameters must satisfy abs(offset) < slide and size > 0 (size \(size), slide \(slide), offset \(offset))") }
            if size / slide > 10_000_000 { throw .invalidConfiguration("The size/slide ratio of SlidingWindows must be at most 10,000,000 (size \(size), slide \(slide))") }
        case .eventTimeSession(let gap), .processingTimeSession(let gap):
            if gap <= 0 { throw .invalidConfiguration("SessionWindows gap must be > 0 (got \(gap))") }
        }
    }

    /// `isEventTime()`.
    public var isEventTime: Bool {
        switch self {
        case .tumblingEventTime, .slidingEventTime, .eventTimeSession: return true
        default: return false
        }
    }
    /// Whether this is a `MergingWindowAssigner`.
    public var isMerging: Bool {
        switch self {
        case .eventTimeSession, .processingTimeSession: return true
        default: return false
        }
    }

    /// `assignWindows(element, timestamp, context)`. Event-time assigners use the record's timestamp and throw on
    /// `Long.MIN_VALUE`; processing-time ones use `currentProcessingTime`. Sliding windows come out in *descending* start order.
    @inlinable public func assignWindows(timestamp: Int64, currentProcessingTime: Int64, into out: inout [TimeWindow]) throws(FlinkError) {
        out.removeAll(keepingCapacity: true)
        switch self {
        case .tumblingEventTime(let size, let offset):
            if timestamp == .min { throw .missingTimestamp }
            let s = TimeWindow.windowStart(timestamp: timestamp, offset: offset % size, size: size)
            out.append(TimeWindow(start: s, end: s &+ size))
        case .slidingEventTime(let size, let slide, let offset):
            if timestamp == .min { throw .missingTimestamp }
            Self.sliding(timestamp, size, slide, offset, &out)
        case .eventTimeSession(let gap):
            if timestamp == .min { throw .missingTimestamp }
            out.append(TimeWindow(start: timestamp, end: timestamp &+ gap))
        case .tumblingProcessingTime(let size, let offset):
            let s = TimeWindow.windowStart(timestamp: currentProcessingTime, offset: offset, size: size)
            out.append(TimeWindow(start: s, end: s &+ size))
        case .slidingProcessingTime(let size, let slide, let offset):
            Self.sliding(currentProcessingTime, size, slide, offset, &out)
        case .processingTimeSession(let gap):
            out.append(TimeWindow(start: currentProcessingTime, end: currentProcessingTime &+ gap))
        }
    }

    @inlinable static func sliding(_ ts: Int64, _ size: Int64, _ slide: Int64, _ offset: Int64, _ out: inout [TimeWindow]) {
        let lastStart = TimeWindow.windowStart(timestamp: ts, offset: offset, size: slide)
        var start = lastStart
        while start > ts &- size {
            out.append(TimeWindow(start: start, end: start &+ size))
            start &-= slide
        }
    }
}
