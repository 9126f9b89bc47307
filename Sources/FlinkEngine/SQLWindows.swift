public import SimCore

/// `WatermarkAssignerOperator` (`flink-table/flink-table-runtime/.../operators/wmassigners/WatermarkAssignerOperator.java`,
/// 1.20) for `WATERMARK FOR ts AS ts − INTERVAL 'B'`: the generator's value per row is `ts − B` (no −1), kept as a running
/// max that **starts at 0** ("watermark and timestamp should start from 0"), so watermarks `≤ 0` are never emitted. With
/// `pipeline.auto-watermark-interval = 0` it emits eagerly after a row when `current − last > 0`; otherwise a
/// processing-time timer emits every interval. Upstream watermarks are ignored except `MAX`; `finish()` emits `MAX`.
public struct SQLWatermarkAssigner: Sendable {
    public let delay: Int64
    public let interval: Int64
    public private(set) var currentWatermark: Int64 = 0
    public private(set) var lastWatermark: Int64 = 0

    public init(delay: SimDuration, autoWatermarkInterval: SimDuration) {
        self.delay = delay.milliseconds
        self.interval = autoWatermarkInterval.milliseconds
    }

    /// `processElement` after forwarding the row: returns a watermark to emit, if any.
    public mutating func processElement(rowtime: Int64) -> Int64? {
        currentWatermark = max(currentWatermark, rowtime &- delay)
        if currentWatermark &- lastWatermark > interval { return advance() }
        return nil
    }
    /// `onProcessingTime` (interval > 0): emit if advanced.
    public mutating func onPeriodicTimer() -> Int64? { interval > 0 ? advance() : nil }
    /// `finish()`: `MAX`.
    public mutating func finish() -> Int64? {
        if currentWatermark == .max { return nil }
        currentWatermark = .max
        return .max
    }
    private mutating func advance() -> Int64? {
        guard currentWatermark > lastWatermark else { return nil }
        lastWatermark = currentWatermark
        return currentWatermark
    }
}

/// A window table-valued function of the slicing window aggregation (`TUMBLE`, `HOP`, `CUMULATE`).
public enum SQLWindowFunction: Sendable, Equatable, Codable {
    case tumble(size: Int64, offset: Int64)
    case hop(slide: Int64, size: Int64, offset: Int64)
    case cumulate(step: Int64, size: Int64, offset: Int64)

    /// The windows containing `ts`, in ascending end order.
    func windows(_ ts: Int64) -> [TimeWindow] {
        switch self {
        case .tumble(let size, let offset):
            let s = TimeWindow.windowStart(timestamp: ts, offset: offset, size: size)
            return [TimeWindow(start: s, end: s &+ size)]
        case .hop(let slide, let size, let offset):
            var out: [TimeWindow] = []
            WindowAssigner.sliding(ts, size, slide, offset, &out)
            return out.reversed()
        case .cumulate(let step, let size, let offset):
            let s = TimeWindow.windowStart(timestamp: ts, offset: offset, size: size)
            var out: [TimeWindow] = []
            var end = TimeWindow.windowStart(timestamp: ts, offset: offset, size: step) &+ step
            while end <= s &+ size { out.append(TimeWindow(start: s, end: end)); end &+= step }
            return out
        }
    }
}

/// What the SQL window aggregation emits.
public enum SQLWindowEmission<Key, Output> {
    /// An insert-only result row `(window_start, window_end, key, aggregates)`; the timestamp is erased.
    case row(key: Key, window: TimeWindow, output: Output, watermark: Int64)
    /// A late row silently dropped (`numLateRecordsDropped`).
    case dropped(key: Key, rowtime: Int64, watermark: Int64)
}

/// The window-TVF aggregation (`WindowAggOperator` + `AbstractSliceWindowAggProcessor`, `flink-table-runtime`, 1.20),
/// modelled per window rather than per slice with the same observable rule: a window fires when
/// `TimeWindowUtil.isWindowFired(end, wm)` = `wm ≥ end − 1`; a row is dropped (and counted) only if its *last* window
/// already fired; otherwise it is added to each of its windows that has not fired. No allowed lateness, no side output.
public struct SQLWindowAggregator<Key: Hashable & Comparable, Aggregate: AggregateFunction> {
    public let function: SQLWindowFunction
    public let aggregate: Aggregate
    private var contents: [WindowOperatorState<Key, Aggregate.Accumulator>.StateKey: Aggregate.Accumulator] = [:]
    private var timers = TimerQueue<Key>()
    public private(set) var currentWatermark: Int64 = .min
    public private(set) var numLateRecordsDropped: Int64 = 0

    public init(function: SQLWindowFunction, aggregate: Aggregate) {
        self.function = function
        self.aggregate = aggregate
    }

    @inlinable static func isWindowFired(end: Int64, progress: Int64) -> Bool { end != .max && progress >= end &- 1 }

    public mutating func processElement(_ row: Aggregate.Input, key: Key, rowtime: Int64, into out: inout [SQLWindowEmission<Key, Aggregate.Output>]) {
        let ws = function.windows(rowtime)
        guard let last = ws.last else { return }
        if Self.isWindowFired(end: last.end, progress: currentWatermark) {
            numLateRecordsDropped += 1
            out.append(.dropped(key: key, rowtime: rowtime, watermark: currentWatermark))
            return
        }
        let agg = aggregate
        for w in ws where !Self.isWindowFired(end: w.end, progress: currentWatermark) {
            let sk = WindowOperatorState<Key, Aggregate.Accumulator>.StateKey(key: key, window: w)
            agg.add(row, to: &contents[sk, default: agg.createAccumulator()])
            timers.register(InternalTimer(timestamp: w.end &- 1, key: key, window: w))
        }
    }

    /// `processWatermark`: advance progress, fire every window with `end − 1 ≤ wm` in timer order.
    public mutating func processWatermark(_ wm: Int64, into out: inout [SQLWindowEmission<Key, Aggregate.Output>]) {
        guard wm > currentWatermark else { return }
        currentWatermark = wm
        while let t = timers.popDue(upTo: wm) {
            let sk = WindowOperatorState<Key, Aggregate.Accumulator>.StateKey(key: t.key, window: t.window)
            if let acc = contents.removeValue(forKey: sk) {
                out.append(.row(key: t.key, window: t.window, output: aggregate.result(acc), watermark: wm))
            }
        }
    }
}
