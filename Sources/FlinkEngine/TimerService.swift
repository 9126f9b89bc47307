import HeapModule

/// A registered timer: `TimerHeapInternalTimer` (timestamp, key, namespace = window).
///
/// Order: timestamp, then key, then window. Flink's `HeapPriorityQueueSet` orders only by timestamp and leaves ties to
/// the heap's internal layout (not a contract; Flink's own tests compare sorted output). The model's tie-break
/// (key, then window start/end) matches the conformance recorder's normalisation of equal-timestamp firings
/// (`FlinkConformanceJob.WatermarkLogger`: sort by window end, symbol, window start).
public struct InternalTimer<Key: Hashable & Comparable>: Hashable, Comparable {
    public var timestamp: Int64
    public var key: Key
    public var window: TimeWindow

    @inlinable public init(timestamp: Int64, key: Key, window: TimeWindow) {
        self.timestamp = timestamp
        self.key = key
        self.window = window
    }

    @inlinable public static func < (a: Self, b: Self) -> Bool {
        if a.timestamp != b.timestamp { return a.timestamp < b.timestamp }
        if a.key != b.key { return a.key < b.key }
        return a.window < b.window
    }
}

/// `InternalTimerServiceImpl`'s timer queue for one time domain (`flink-streaming-java/.../api/operators/`, 1.20):
/// registration is idempotent per (timestamp, key, window) — the queue is a set — and deletion is exact. Modelled as a
/// heap with lazy deletion plus a set of live timers (looked up, never iterated).
public struct TimerQueue<Key: Hashable & Comparable> {
    private var heap = Heap<InternalTimer<Key>>()
    private var live = Set<InternalTimer<Key>>()

    public init() {}

    public var count: Int { live.count }
    public var isEmpty: Bool { live.isEmpty }

    /// `registerEventTimeTimer` / `registerProcessingTimeTimer`.
    public mutating func register(_ t: InternalTimer<Key>) {
        if live.insert(t).inserted { heap.insert(t) }
    }
    /// `deleteEventTimeTimer` / `deleteProcessingTimeTimer`.
    public mutating func delete(_ t: InternalTimer<Key>) { live.remove(t) }

    public func contains(_ t: InternalTimer<Key>) -> Bool { live.contains(t) }

    /// The earliest live timer.
    public mutating func peek() -> InternalTimer<Key>? {
        while let m = heap.min {
            if live.contains(m) { return m }
            heap.removeMin()
        }
        return nil
    }

    /// Removes and returns the earliest live timer if its timestamp is `≤ limit`.
    public mutating func popDue(upTo limit: Int64) -> InternalTimer<Key>? {
        while let m = heap.min, m.timestamp <= limit {
            heap.removeMin()
            if live.remove(m) != nil { return m }
        }
        return nil
    }

    /// All live timers in firing order (for snapshots and inspection).
    public var sortedTimers: [InternalTimer<Key>] {
        var copy = heap
        var out: [InternalTimer<Key>] = []
        var seen = Set<InternalTimer<Key>>()
        while let m = copy.popMin() {
            if live.contains(m) && seen.insert(m).inserted { out.append(m) }
        }
        return out
    }
}
