public import OrderedCollections

/// The trigger of a windowed stream: `EventTimeTrigger` / `ProcessingTimeTrigger`
/// (`flink-streaming-java/.../api/windowing/triggers/`, 1.20), optionally wrapped in `PurgingTrigger.of(…)`, which turns
/// `FIRE` into `FIRE_AND_PURGE`.
public struct WindowTrigger: Sendable, Equatable, Codable {
    public enum Base: String, Sendable, Equatable, Codable { case eventTime, processingTime }
    public var base: Base
    public var purging: Bool
    public init(_ base: Base, purging: Bool = false) { self.base = base; self.purging = purging }
    /// `WindowAssigner.getDefaultTrigger()`.
    public static func `default`(for a: WindowAssigner) -> WindowTrigger { WindowTrigger(a.isEventTime ? .eventTime : .processingTime) }
}

/// A window result: `emitWindowContents` with the output timestamp `window.maxTimestamp()`.
public struct WindowFiring<Key, Output> {
    public var key: Key
    public var window: TimeWindow
    public var output: Output
    /// How many times this (key, window) fired before (0 = the on-time firing).
    public var pane: Int
    /// True when a timer fired it (`onEventTime`/`onProcessingTime`), false when an element did (`onElement` → FIRE).
    public var firedByTimer: Bool
    /// The operator's event-time watermark at the moment of firing (`ctx.currentWatermark()`).
    public var watermark: Int64
    /// The output record's timestamp (`TimestampedCollector.setAbsoluteTimestamp(window.maxTimestamp())`).
    public var timestamp: Int64 { window.maxTimestamp }
}

/// What `WindowOperator` emits.
public enum WindowEmission<Key, Output, Element> {
    case fired(WindowFiring<Key, Output>)
    /// `sideOutput(lateDataOutputTag, element)`: the element keeps its own timestamp.
    case lateSideOutput(key: Key, element: Element, timestamp: Int64, watermark: Int64)
    /// No side output: `numLateRecordsDropped.inc()`.
    case lateDropped(key: Key, element: Element, timestamp: Int64, watermark: Int64)
}

/// `MergingWindowSet` (`flink-streaming-java/.../runtime/operators/windowing/MergingWindowSet.java`, 1.20) for one key:
/// window → state window, insertion-ordered so that iteration is deterministic.
public struct MergingWindowSet: Sendable, Equatable {
    public private(set) var mapping: OrderedDictionary<TimeWindow, TimeWindow> = [:]
    public init() {}
    public func stateWindow(_ w: TimeWindow) -> TimeWindow? { mapping[w] }
    public mutating func retireWindow(_ w: TimeWindow) { mapping.removeValue(forKey: w) }

    /// What `addWindow` decided: the actual window for the new one, and the merge (if any) for the merge function.
    public struct Merge: Sendable, Equatable {
        public var result: TimeWindow
        /// The pre-existing windows merged away (Java `HashSet` order, new window removed).
        public var mergedWindows: [TimeWindow]
        public var stateWindowResult: TimeWindow
        public var mergedStateWindows: [TimeWindow]
    }

    /// `addWindow(newWindow, mergeFunction)`, with the merge function's inputs returned instead of called back.
    public mutating func addWindow(_ newWindow: TimeWindow) -> (actual: TimeWindow, merge: Merge?) {
        var windows = Array(mapping.keys)
        windows.append(newWindow)
        var resultWindow = newWindow
        var mergedNew = false
        var performed: Merge?
        for group in TimeWindow.mergeWindows(windows) {
            var merged = group.members
            if let i = merged.firstIndex(of: newWindow) {
                merged.remove(at: i)
                mergedNew = true
                resultWindow = group.result
            }
            guard let first = merged.first, let stateResult = mapping[first] else { continue }
            var mergedStateWindows: [TimeWindow] = []
            for m in merged { if let r = mapping.removeValue(forKey: m) { mergedStateWindows.append(r) } }
            mapping[group.result] = stateResult
            if let i = mergedStateWindows.firstIndex(of: stateResult) { mergedStateWindows.remove(at: i) }
            if !(merged.contains(group.result) && merged.count == 1) {
                performed = Merge(result: group.result, mergedWindows: merged, stateWindowResult: stateResult, mergedStateWindows: mergedStateWindows)
            }
        }
        if !mergedNew { mapping[newWindow] = newWindow }
        return (resultWindow, performed)
    }
}

/// The keyed state of a `WindowOperator`: what a checkpoint holds (window contents, merging-window sets, both timer
/// queues). Not the watermark: `InternalTimerServiceImpl.currentWatermark` restarts at `MIN` after a restore.
public struct WindowOperatorState<Key: Hashable & Comparable, Accumulator> {
    struct StateKey: Hashable { var key: Key; var window: TimeWindow }
    var contents: [StateKey: Accumulator] = [:]
    var panes: [StateKey: Int] = [:]
    var merging: [Key: MergingWindowSet] = [:]
    var eventTimers = TimerQueue<Key>()
    var processingTimers = TimerQueue<Key>()
    /// Number of (key, window) contents held.
    public var windowCount: Int { contents.count }
    public var eventTimerCount: Int { eventTimers.count }
}

/// `WindowOperator` (`flink-streaming-java/.../runtime/operators/windowing/WindowOperator.java`, 1.20), generic over the
/// key and an `AggregateFunction`, with `EventTimeTrigger`/`ProcessingTimeTrigger` (optionally purging), allowed
/// lateness, the late-data side output and `numLateRecordsDropped`.
public struct WindowOperator<Key: Hashable & Comparable, Aggregate: AggregateFunction> {
    public typealias Element = Aggregate.Input
    public typealias Emission = WindowEmission<Key, Aggregate.Output, Element>

    public let assigner: WindowAssigner
    public let trigger: WindowTrigger
    /// `allowedLateness` in ms (≥ 0, default 0).
    public let allowedLateness: Int64
    /// Whether `sideOutputLateData(tag)` was called.
    public let sideOutputLateData: Bool
    public let aggregate: Aggregate

    public private(set) var state = WindowOperatorState<Key, Aggregate.Accumulator>()
    /// The event-time watermark (`InternalTimerServiceImpl.currentWatermark`), `MIN` at start and after a restore.
    public private(set) var currentWatermark: Int64 = .min
    /// The processing time the operator last saw.
    public private(set) var currentProcessingTime: Int64 = .min
    /// `numLateRecordsDropped` (a metric: not checkpointed).
    public private(set) var numLateRecordsDropped: Int64 = 0
    private var scratch: [TimeWindow] = []

    public init(assigner: WindowAssigner, trigger: WindowTrigger? = nil, allowedLateness: Int64 = 0, sideOutputLateData: Bool = false, aggregate: Aggregate) throws(FlinkError) {
        try assigner.validate()
        if allowedLateness < 0 { throw .invalidConfiguration("The allowed lateness cannot be negative (got \(allowedLateness) ms)") }
        self.assigner = assigner
        self.trigger = trigger ?? .default(for: assigner)
        self.allowedLateness = assigner.isEventTime ? allowedLateness : 0
        self.sideOutputLateData = sideOutputLateData
        self.aggregate = aggregate
        scratch.reserveCapacity(4)
    }

    // MARK: lateness (WindowOperator.cleanupTime / isWindowLate / isElementLate)

    /// `cleanupTime(w)`: `maxTimestamp + allowedLateness`, `MAX` on overflow; processing time: `maxTimestamp`.
    @inlinable public func cleanupTime(_ w: TimeWindow) -> Int64 {
        guard assigner.isEventTime else { return w.maxTimestamp }
        let (t, o) = w.maxTimestamp.addingReportingOverflow(allowedLateness)
        return o || t < w.maxTimestamp ? .max : t
    }
    @inlinable public func isWindowLate(_ w: TimeWindow) -> Bool { assigner.isEventTime && cleanupTime(w) <= currentWatermark }
    @inlinable public func isElementLate(_ ts: Int64) -> Bool {
        guard assigner.isEventTime else { return false }
        let (t, o) = ts.addingReportingOverflow(allowedLateness)
        return (o ? Int64.max : t) <= currentWatermark
    }

    // MARK: processElement

    /// `processElement`: assign windows; skip late windows; add, run the trigger, fire/purge, register cleanup; then route
    /// a skipped late element to the side output or the drop counter.
    public mutating func processElement(_ element: Element, key: Key, timestamp: Int64, processingTime: Int64, into out: inout [Emission]) throws(FlinkError) {
        currentProcessingTime = max(currentProcessingTime, processingTime)
        try assigner.assignWindows(timestamp: timestamp, currentProcessingTime: currentProcessingTime, into: &scratch)
        let agg = aggregate
        var isSkipped = true
        if assigner.isMerging {
            var set = state.merging[key] ?? MergingWindowSet()
            defer { state.merging[key] = set }
            for window in scratch {
                let (actual, merge) = set.addWindow(window)
                if let m = merge { try performMerge(m, key: key) }
                if isWindowLate(actual) { set.retireWindow(actual); continue }
                isSkipped = false
                guard let stateWindow = set.stateWindow(actual) else { continue }
                let sk = WindowOperatorState<Key, Aggregate.Accumulator>.StateKey(key: key, window: stateWindow)
                agg.add(element, to: &state.contents[sk, default: agg.createAccumulator()])
                if onElement(actual, key: key) {
                    guard let acc = state.contents[sk] else { continue }
                    emit(key: key, window: actual, acc: acc, byTimer: false, &out)
                    if trigger.purging { state.contents[sk] = nil }
                }
                registerCleanupTimer(actual, key: key)
            }
        } else {
            for window in scratch {
                if isWindowLate(window) { continue }
                isSkipped = false
                let sk = WindowOperatorState<Key, Aggregate.Accumulator>.StateKey(key: key, window: window)
                agg.add(element, to: &state.contents[sk, default: agg.createAccumulator()])
                if onElement(window, key: key) {
                    guard let acc = state.contents[sk] else { continue }
                    emit(key: key, window: window, acc: acc, byTimer: false, &out)
                    if trigger.purging { state.contents[sk] = nil }
                }
                registerCleanupTimer(window, key: key)
            }
        }
        if isSkipped && isElementLate(timestamp) {
            if sideOutputLateData {
                out.append(.lateSideOutput(key: key, element: element, timestamp: timestamp, watermark: currentWatermark))
            } else {
                numLateRecordsDropped += 1
                out.append(.lateDropped(key: key, element: element, timestamp: timestamp, watermark: currentWatermark))
            }
        }
    }

    /// The merge function of `processElement`'s merging branch.
    private mutating func performMerge(_ m: MergingWindowSet.Merge, key: Key) throws(FlinkError) {
        if assigner.isEventTime && cleanupTime(m.result) <= currentWatermark {
            throw .mergedWindowBehindWatermark(start: m.result.start, end: m.result.end, watermark: currentWatermark)
        }
        onMerge(m.result, key: key)
        for w in m.mergedWindows {
            clearTrigger(w, key: key)
            deleteCleanupTimer(w, key: key)
        }
        // AbstractHeapMergingState.mergeNamespaces: fold the sources, then merge into the target.
        typealias SK = WindowOperatorState<Key, Aggregate.Accumulator>.StateKey
        var merged: Aggregate.Accumulator?
        for s in m.mergedStateWindows {
            guard let acc = state.contents.removeValue(forKey: SK(key: key, window: s)) else { continue }
            merged = merged.map { aggregate.merge($0, acc) } ?? acc
        }
        if let merged {
            let target = SK(key: key, window: m.stateWindowResult)
            state.contents[target] = state.contents[target].map { aggregate.merge($0, merged) } ?? merged
        }
    }

    // MARK: time

    /// `processWatermark` → `InternalTimerServiceImpl.advanceWatermark`: set the watermark first, then fire every
    /// event-time timer with `ts ≤ wm` in timer order (timers registered meanwhile included). The caller forwards the
    /// watermark afterwards, so all output it caused precedes it.
    public mutating func processWatermark(_ wm: Int64, into out: inout [Emission]) {
        currentWatermark = max(currentWatermark, wm)
        while let t = state.eventTimers.popDue(upTo: currentWatermark) { onEventTime(t, &out) }
    }

    /// Fires processing-time timers with `ts ≤ now`.
    public mutating func advanceProcessingTime(to now: Int64, into out: inout [Emission]) {
        currentProcessingTime = max(currentProcessingTime, now)
        while let t = state.processingTimers.popDue(upTo: currentProcessingTime) { onProcessingTime(t, &out) }
    }

    /// When the earliest processing-time timer is due.
    public mutating func nextProcessingTimer() -> Int64? { state.processingTimers.peek()?.timestamp }

    private mutating func onEventTime(_ t: InternalTimer<Key>, _ out: inout [Emission]) {
        let window = t.window
        let fire = trigger.base == .eventTime && t.timestamp == window.maxTimestamp
        timerFired(t, window: window, fire: fire, cleanup: assigner.isEventTime && t.timestamp == cleanupTime(window), &out)
    }
    private mutating func onProcessingTime(_ t: InternalTimer<Key>, _ out: inout [Emission]) {
        let fire = trigger.base == .processingTime
        timerFired(t, window: t.window, fire: fire, cleanup: !assigner.isEventTime && t.timestamp == cleanupTime(t.window), &out)
    }

    private mutating func timerFired(_ t: InternalTimer<Key>, window: TimeWindow, fire: Bool, cleanup: Bool, _ out: inout [Emission]) {
        typealias SK = WindowOperatorState<Key, Aggregate.Accumulator>.StateKey
        let stateWindow: TimeWindow
        if assigner.isMerging {
            guard let sw = state.merging[t.key]?.stateWindow(window) else { return }
            stateWindow = sw
        } else {
            stateWindow = window
        }
        let sk = SK(key: t.key, window: stateWindow)
        if fire, let acc = state.contents[sk] {
            emit(key: t.key, window: window, acc: acc, byTimer: true, &out)
            if trigger.purging { state.contents[sk] = nil }
        }
        if cleanup { clearAllState(key: t.key, window: window, stateWindow: stateWindow) }
    }

    /// `clearAllState`: window contents, trigger state (its timer), and the merging-window entry.
    private mutating func clearAllState(key: Key, window: TimeWindow, stateWindow: TimeWindow) {
        typealias SK = WindowOperatorState<Key, Aggregate.Accumulator>.StateKey
        state.contents[SK(key: key, window: stateWindow)] = nil
        state.panes[SK(key: key, window: window)] = nil
        clearTrigger(window, key: key)
        if assigner.isMerging {
            state.merging[key]?.retireWindow(window)
            if state.merging[key]?.mapping.isEmpty == true { state.merging[key] = nil }
        }
    }

    // MARK: trigger (EventTimeTrigger / ProcessingTimeTrigger)

    /// `onElement`: returns true for FIRE.
    private mutating func onElement(_ w: TimeWindow, key: Key) -> Bool {
        switch trigger.base {
        case .eventTime:
            if w.maxTimestamp <= currentWatermark { return true }
            state.eventTimers.register(InternalTimer(timestamp: w.maxTimestamp, key: key, window: w))
            return false
        case .processingTime:
            state.processingTimers.register(InternalTimer(timestamp: w.maxTimestamp, key: key, window: w))
            return false
        }
    }
    private mutating func onMerge(_ w: TimeWindow, key: Key) {
        switch trigger.base {
        case .eventTime:
            if w.maxTimestamp > currentWatermark { state.eventTimers.register(InternalTimer(timestamp: w.maxTimestamp, key: key, window: w)) }
        case .processingTime:
            if w.maxTimestamp > currentProcessingTime { state.processingTimers.register(InternalTimer(timestamp: w.maxTimestamp, key: key, window: w)) }
        }
    }
    private mutating func clearTrigger(_ w: TimeWindow, key: Key) {
        switch trigger.base {
        case .eventTime: state.eventTimers.delete(InternalTimer(timestamp: w.maxTimestamp, key: key, window: w))
        case .processingTime: state.processingTimers.delete(InternalTimer(timestamp: w.maxTimestamp, key: key, window: w))
        }
    }

    // MARK: cleanup timers

    /// `registerCleanupTimer`: none when the cleanup time is `MAX` (`testCleanupTimeOverflow`).
    private mutating func registerCleanupTimer(_ w: TimeWindow, key: Key) {
        let t = cleanupTime(w)
        if t == .max { return }
        if assigner.isEventTime { state.eventTimers.register(InternalTimer(timestamp: t, key: key, window: w)) } else { state.processingTimers.register(InternalTimer(timestamp: t, key: key, window: w)) }
    }
    private mutating func deleteCleanupTimer(_ w: TimeWindow, key: Key) {
        let t = cleanupTime(w)
        if t == .max { return }
        if assigner.isEventTime { state.eventTimers.delete(InternalTimer(timestamp: t, key: key, window: w)) } else { state.processingTimers.delete(InternalTimer(timestamp: t, key: key, window: w)) }
    }

    private mutating func emit(key: Key, window: TimeWindow, acc: Aggregate.Accumulator, byTimer: Bool, _ out: inout [Emission]) {
        typealias SK = WindowOperatorState<Key, Aggregate.Accumulator>.StateKey
        let pk = SK(key: key, window: window)
        let pane = state.panes[pk] ?? 0
        state.panes[pk] = pane + 1
        out.append(.fired(WindowFiring(key: key, window: window, output: aggregate.result(acc), pane: pane, firedByTimer: byTimer, watermark: currentWatermark)))
    }

    // MARK: checkpoints

    /// The keyed state and timers to put in a checkpoint (a value copy).
    public func snapshotState() -> WindowOperatorState<Key, Aggregate.Accumulator> { state }

    /// Restores keyed state and timers; the watermark restarts at `MIN` (watermarks are not checkpointed).
    public mutating func restoreState(_ s: WindowOperatorState<Key, Aggregate.Accumulator>) {
        state = s
        currentWatermark = .min
        numLateRecordsDropped = 0
    }
}
