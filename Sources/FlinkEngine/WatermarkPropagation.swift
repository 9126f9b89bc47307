public import SimCore
public import OrderedCollections

/// `WatermarkOutputMultiplexer` + `CombinedWatermarkStatus` (`flink-core/.../eventtime/`, Flink 1.20 — i.e. *before*
/// FLINK-38454: when every output is idle the combined watermark is kept, not raised to the max).
///
/// Each registered output has a partial watermark (`MIN`, not idle). Immediate updates (a split's `onEvent`) recombine at
/// once when the new value is above the combined one; deferred updates (periodic emits) recombine only in
/// `onPeriodicEmit()`. The combination is `min` over non-idle outputs, emitted only when it rises; if every output is
/// idle the result is `idle`.
public struct WatermarkOutputMultiplexer: Sendable {
    public struct Partial: Sendable, Equatable {
        public var watermark: Int64 = .min
        public var idle = false
    }
    public private(set) var outputs: OrderedDictionary<Int, Partial> = [:]
    public private(set) var combinedWatermark: Int64 = .min
    /// `CombinedWatermarkStatus.isIdle()` after the last recombination.
    public private(set) var isIdle = false

    public init() {}

    /// `registerNewOutput(id)`.
    public mutating func register(_ id: Int) { if outputs[id] == nil { outputs[id] = Partial() } }
    /// `unregisterOutput(id)`: removes it; does not recombine (the next update does).
    public mutating func unregister(_ id: Int) { outputs.removeValue(forKey: id) }

    /// `PartialWatermark.setWatermark`: clears idle, raises the watermark if higher. Returns whether it rose.
    private mutating func setWatermark(_ id: Int, _ w: Int64) -> Bool {
        guard var p = outputs[id] else { return false }
        p.idle = false
        let updated = w > p.watermark
        if updated { p.watermark = w }
        outputs[id] = p
        return updated
    }

    /// `ImmediateOutput.emitWatermark`: recombine if it rose above the combined watermark.
    public mutating func emitImmediate(_ id: Int, _ w: EventTime) -> WatermarkSignal? {
        let ts = w.millisecondsSinceEpoch
        if setWatermark(id, ts) && ts > combinedWatermark { return updateCombinedWatermark() }
        return nil
    }
    /// `ImmediateOutput.markIdle`: mark and recombine.
    public mutating func markIdleImmediate(_ id: Int) -> WatermarkSignal? {
        outputs[id]?.idle = true
        return updateCombinedWatermark()
    }
    /// `DeferredOutput.emitWatermark`.
    public mutating func emitDeferred(_ id: Int, _ w: EventTime) { _ = setWatermark(id, w.millisecondsSinceEpoch) }
    /// `DeferredOutput.markIdle`.
    public mutating func markIdleDeferred(_ id: Int) { outputs[id]?.idle = true }
    /// `markActive` on either output: clears the idle flag only.
    public mutating func markActive(_ id: Int) { outputs[id]?.idle = false }
    /// `onPeriodicEmit()`: recombine.
    public mutating func onPeriodicEmit() -> WatermarkSignal? { updateCombinedWatermark() }

    /// `WatermarkOutputMultiplexer.updateCombinedWatermark` over `CombinedWatermarkStatus.updateCombinedWatermark`.
    mutating func updateCombinedWatermark() -> WatermarkSignal? {
        if outputs.isEmpty { return nil }
        var minimum = Int64.max
        var allIdle = true
        for p in outputs.values where !p.idle {
            minimum = min(minimum, p.watermark)
            allIdle = false
        }
        isIdle = allIdle
        if !allIdle && minimum > combinedWatermark {
            combinedWatermark = minimum
            return .watermark(EventTime(minimum))
        }
        return allIdle ? .idle : nil
    }
}

/// What a source reader sends downstream besides records, plus the per-split transitions the conformance recorder logs.
public enum SourceWatermarkEvent: Equatable, Sendable {
    /// A watermark on the output channel (`WatermarkToDataOutput.emitWatermark`, deduplicated and increasing).
    case watermark(EventTime)
    /// A watermark status change on the output channel (`WatermarkStatus.IDLE` / `ACTIVE`).
    case status(idle: Bool)
    /// A split's generator called `markIdle` (logged by the recorder as `"split","status":"IDLE"`).
    case splitIdle(split: Int)
    /// A record arrived on a split whose generator had gone idle (the recorder's `"status":"ACTIVE"`).
    case splitActive(split: Int)
}

/// The watermark side of a FLIP-27 source reader: `ProgressiveTimestampsAndWatermarks` (1.20) with its per-split
/// generators (`SplitLocalOutputs`), the main-output generator, the `IdlenessManager` (the channel goes idle only when both
/// the main output and the split-local output are idle; both start idle) and `WatermarkToDataOutput` (drops any watermark
/// `≤` the highest so far, starting at `MIN`, so `MIN` is never sent; sends `ACTIVE` before a watermark after `IDLE`).
public struct SourceReaderWatermarks {
    public let strategy: WatermarkStrategy
    private var splitGenerators: OrderedDictionary<Int, any WatermarkGenerator> = [:]
    /// Splits whose generator reported idle and has not seen a record since (recorder bookkeeping).
    private var splitReportedIdle: OrderedDictionary<Int, Bool> = [:]
    public private(set) var multiplexer = WatermarkOutputMultiplexer()
    private var mainGenerator: any WatermarkGenerator
    private var splitLocalIdle = true
    private var mainIdle = true
    /// `WatermarkToDataOutput.maxWatermarkSoFar`.
    public private(set) var maxWatermarkSoFar: Int64 = .min
    /// `WatermarkToDataOutput.isIdle`.
    public private(set) var isIdle = false

    public init(strategy: WatermarkStrategy) {
        self.strategy = strategy
        self.mainGenerator = strategy.makeGenerator()
    }

    /// Whether a split's generator reported idle and has seen no record since (the recorder's `input_idle`).
    public func isSplitReportedIdle(_ id: Int) -> Bool { splitReportedIdle[id] ?? false }

    /// The split ids with an output, in registration order.
    public var splits: [Int] { Array(splitGenerators.keys) }

    /// `createOutputForSplit`: a new generator and a partial watermark at `MIN` that holds the combination back.
    public mutating func addSplit(_ id: Int) {
        guard splitGenerators[id] == nil else { return }
        splitGenerators[id] = strategy.makeGenerator()
        splitReportedIdle[id] = false
        multiplexer.register(id)
    }
    /// `releaseOutputForSplit`: the split stops holding the watermark back.
    public mutating func removeSplit(_ id: Int) {
        splitGenerators.removeValue(forKey: id)
        splitReportedIdle.removeValue(forKey: id)
        multiplexer.unregister(id)
    }

    /// A split's record has gone downstream; now its generator's `onEvent` runs (`SourceOutputWithWatermarks.collect`).
    public mutating func onRecord(split: Int, timestamp: EventTime, now: ProcessingTime, into out: inout [SourceWatermarkEvent]) {
        guard var g = splitGenerators[split] else { return }
        if splitReportedIdle[split] == true {
            splitReportedIdle[split] = false
            out.append(.splitActive(split: split))
        }
        let signal = g.onEvent(timestamp: timestamp, now: now)
        splitGenerators[split] = g
        switch signal {
        case .watermark(let w)?: splitLocal(multiplexer.emitImmediate(split, w), &out)
        case .idle?:
            splitReportedIdle[split] = true
            out.append(.splitIdle(split: split))
            splitLocal(multiplexer.markIdleImmediate(split), &out)
        case nil: break
        }
    }

    /// One periodic tick (`ProgressiveTimestampsAndWatermarks.emitImmediateWatermark`): every split's `onPeriodicEmit` into
    /// the deferred outputs in registration order, the multiplexer's `onPeriodicEmit`, then the main output's generator.
    public mutating func periodicEmit(now: ProcessingTime, into out: inout [SourceWatermarkEvent]) {
        for i in splitGenerators.keys.indices {
            let id = splitGenerators.keys[i]
            var g = splitGenerators.values[i]
            let signal = g.onPeriodicEmit(now: now)
            splitGenerators.values[i] = g
            switch signal {
            case .watermark(let w)?: multiplexer.emitDeferred(id, w)
            case .idle?:
                splitReportedIdle[id] = true
                out.append(.splitIdle(split: id))
                multiplexer.markIdleDeferred(id)
            case nil: break
            }
        }
        splitLocal(multiplexer.onPeriodicEmit(), &out)
        switch mainGenerator.onPeriodicEmit(now: now) {
        case .watermark(let w)?:
            emitToData(w.millisecondsSinceEpoch, &out)
            mainIdle = false
        case .idle?:
            mainIdle = true
            if splitLocalIdle && mainIdle { markDataIdle(&out) }
        case nil: break
        }
    }

    /// End of bounded input: `SourceOperatorStreamTask.advanceToEndOfEventTime` emits `Watermark.MAX_WATERMARK`.
    public mutating func endOfInput(into out: inout [SourceWatermarkEvent]) {
        if isIdle { isIdle = false; out.append(.status(idle: false)) }
        maxWatermarkSoFar = .max
        out.append(.watermark(.max))
    }

    private mutating func splitLocal(_ s: WatermarkSignal?, _ out: inout [SourceWatermarkEvent]) {
        switch s {
        case .watermark(let w)?:
            emitToData(w.millisecondsSinceEpoch, &out)
            splitLocalIdle = false
        case .idle?:
            splitLocalIdle = true
            if splitLocalIdle && mainIdle { markDataIdle(&out) }
        case nil: break
        }
    }

    private mutating func emitToData(_ w: Int64, _ out: inout [SourceWatermarkEvent]) {
        if w <= maxWatermarkSoFar { return }
        maxWatermarkSoFar = w
        if isIdle { isIdle = false; out.append(.status(idle: false)) }
        out.append(.watermark(EventTime(w)))
    }
    private mutating func markDataIdle(_ out: inout [SourceWatermarkEvent]) {
        if isIdle { return }
        isIdle = true
        out.append(.status(idle: true))
    }
}

/// `StatusWatermarkValve` (`flink-streaming-java/.../runtime/watermarkstatus/StatusWatermarkValve.java`, 1.20): the
/// watermark an operator with several input channels sees is the minimum over the *aligned* active channels, emitted only
/// when it rises; a channel that never sent a watermark pins it at `MIN`; when every channel is idle the max is flushed
/// (if the channel that went idle last was holding the minimum) and the valve goes idle.
public struct StatusWatermarkValve: Sendable {
    public struct Channel: Sendable, Equatable {
        public var watermark: Int64 = .min
        public var idle = false
        public var aligned = true
    }
    public private(set) var channels: [Channel]
    public private(set) var lastOutputWatermark: Int64 = .min
    public private(set) var isIdle = false

    public init(channels: Int) { self.channels = Array(repeating: Channel(), count: max(1, channels)) }

    /// `inputWatermark(w, channel)`.
    public mutating func inputWatermark(_ w: EventTime, channel c: Int, into out: inout [WatermarkSignalOrStatus]) {
        let ts = w.millisecondsSinceEpoch
        guard !isIdle, !channels[c].idle, ts > channels[c].watermark else { return }
        channels[c].watermark = ts
        if !channels[c].aligned && ts >= lastOutputWatermark { channels[c].aligned = true }
        outputNewMin(&out)
    }

    /// `inputWatermarkStatus(status, channel)`.
    public mutating func inputStatus(idle: Bool, channel c: Int, into out: inout [WatermarkSignalOrStatus]) {
        if idle && !channels[c].idle {
            channels[c].idle = true
            channels[c].aligned = false
            if !channels.contains(where: { !$0.idle }) {
                if channels[c].watermark == lastOutputWatermark {
                    let m = channels.map(\.watermark).max() ?? .min
                    if m > lastOutputWatermark { lastOutputWatermark = m; out.append(.watermark(EventTime(m))) }
                }
                isIdle = true
                out.append(.status(idle: true))
            } else if channels[c].watermark == lastOutputWatermark {
                outputNewMin(&out)
            }
        } else if !idle && channels[c].idle {
            channels[c].idle = false
            if channels[c].watermark >= lastOutputWatermark { channels[c].aligned = true }
            if isIdle { isIdle = false; out.append(.status(idle: false)) }
        }
    }

    private mutating func outputNewMin(_ out: inout [WatermarkSignalOrStatus]) {
        var m = Int64.max
        var any = false
        for ch in channels where ch.aligned { m = min(m, ch.watermark); any = true }
        if any && m > lastOutputWatermark {
            lastOutputWatermark = m
            out.append(.watermark(EventTime(m)))
        }
    }
}

/// A valve's or an operator's output besides records.
public enum WatermarkSignalOrStatus: Equatable, Sendable {
    case watermark(EventTime)
    case status(idle: Bool)
}

/// `TimestampsAndWatermarksOperator` (`flink-streaming-java/.../runtime/operators/TimestampsAndWatermarksOperator.java`,
/// 1.20) — the non-source `assignTimestampsAndWatermarks`: the record is forwarded before `onEvent`; periodic emission via
/// a processing-time timer every interval (each period measured from when the callback ran; 0 = off); the
/// `WatermarkEmitter` drops non-increasing values and sends `ACTIVE` before the first watermark after `IDLE`; upstream
/// watermarks are ignored except `MAX`, upstream statuses are ignored.
public struct TimestampsAndWatermarksOperator {
    public var generator: any WatermarkGenerator
    public let interval: SimDuration
    public private(set) var currentWatermark: Int64 = .min
    public private(set) var isIdle = false
    /// When the next periodic emit is due (nil when the interval is 0).
    public private(set) var nextTimer: ProcessingTime?

    public init(strategy: WatermarkStrategy, autoWatermarkInterval: SimDuration, now: ProcessingTime) {
        generator = strategy.makeGenerator()
        interval = autoWatermarkInterval
        nextTimer = autoWatermarkInterval.milliseconds > 0 ? now + autoWatermarkInterval : nil
    }

    /// After forwarding the record: `onEvent`.
    public mutating func processElement(timestamp: EventTime, now: ProcessingTime, into out: inout [WatermarkSignalOrStatus]) {
        emit(generator.onEvent(timestamp: timestamp, now: now), &out)
    }
    /// `onProcessingTime`: periodic emit, then re-register at `now + interval`.
    public mutating func onProcessingTime(now: ProcessingTime, into out: inout [WatermarkSignalOrStatus]) {
        emit(generator.onPeriodicEmit(now: now), &out)
        nextTimer = interval.milliseconds > 0 ? now + interval : nil
    }
    /// `processWatermark`: only `MAX` passes.
    public mutating func processUpstreamWatermark(_ w: EventTime, into out: inout [WatermarkSignalOrStatus]) {
        if w == .max { currentWatermark = .max; out.append(.watermark(.max)) }
    }
    /// `finish()`: one last periodic emit.
    public mutating func finish(now: ProcessingTime, into out: inout [WatermarkSignalOrStatus]) {
        emit(generator.onPeriodicEmit(now: now), &out)
    }

    private mutating func emit(_ s: WatermarkSignal?, _ out: inout [WatermarkSignalOrStatus]) {
        switch s {
        case .watermark(let w)?:
            let ts = w.millisecondsSinceEpoch
            if ts <= currentWatermark { return }
            currentWatermark = ts
            if isIdle { isIdle = false; out.append(.status(idle: false)) }
            out.append(.watermark(w))
        case .idle?:
            if !isIdle { isIdle = true; out.append(.status(idle: true)) }
        case nil: break
        }
    }
}
