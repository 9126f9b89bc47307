import SimCore
public import SimLog
public import QueryModel
public import OrderedCollections

/// A decoded input row and the Kafka record it came from.
public struct InputRow: Sendable {
    public var values: [Value]
    public var topicPartition: TopicPartition
    public var offset: Int64
    public init(values: [Value], topicPartition: TopicPartition, offset: Int64) {
        self.values = values
        self.topicPartition = topicPartition
        self.offset = offset
    }
}

/// `StateOperatorProgress` counters of one batch.
public struct StateOperatorMetrics: Hashable, Sendable, Codable {
    public var numRowsTotal: Int64 = 0
    public var numRowsUpdated: Int64 = 0
    public var numRowsRemoved: Int64 = 0
    public var numRowsDroppedByWatermark: Int64 = 0
    public init() {}
}

/// Which late rule dropped a record.
public enum LateRule: String, Hashable, Sendable, Codable {
    /// `StateStoreSaveExec` (append/update): `window.end <= lateWatermark` for the (window, key) group.
    case windowEndAtOrBeforeWatermark = "window-end<=watermark"
    /// `SessionWindowStateStoreRestoreExec`: the row's own session `[et, et+gap)` ends at or before the watermark.
    case sessionEndAtOrBeforeWatermark = "session-end<=watermark"
}

/// Beyond Spark: the identity of one record (for one of its windows) dropped as late.
public struct DroppedRecord: Hashable, Sendable, CustomStringConvertible {
    public var batchId: Int64
    public var topicPartition: TopicPartition
    public var offset: Int64
    public var window: TimeWindow
    public var keys: [Value]
    public var rule: LateRule
    /// The late-event watermark the rule compared with (ms).
    public var watermarkMs: Int64

    public var description: String {
        "batch \(batchId) \(topicPartition)@\(offset) \(window) \(keys) \(rule.rawValue) wm=\(watermarkMs)"
    }
}

/// What a stateful operator did in one batch.
public struct OperatorBatchResult: Sendable {
    public var rows: [Row] = []
    public var metrics = StateOperatorMetrics()
    public var delta = StateDelta()
    public var dropped: [DroppedRecord] = []
}

/// The streaming aggregation operators: `StateStoreRestoreExec`/`StateStoreSaveExec` for time windows and plain
/// keys, `SessionWindowStateStoreRestoreExec`/`MergingSessionsExec`/`SessionWindowStateStoreSaveExec` for session
/// windows (`sql/core/.../streaming/statefulOperators.scala`, `execution/aggregate/AggUtils.scala`
/// `planStreamingAggregation[ForSession]`).
public struct AggregationOperator {
    public let plan: CompiledQuery
    public let mode: OutputMode
    /// The state store contents (key → aggregation buffers).
    public private(set) var state: OrderedDictionary<GroupKey, [AggregateBuffer]> = [:]
    /// A lower bound on the window ends in `state` (`.max` when none): `evict` skips its scan of the whole state
    /// when nothing can be due. Lowered on every insertion, recomputed by each scan.
    private var minWindowEndBound: Int64 = .max
    /// Whether dropped records are identified (costs a little per late row only).
    public var trackDroppedRecords = true

    public init(plan: CompiledQuery, mode: OutputMode) {
        self.plan = plan
        self.mode = mode
    }

    /// Whether late rows are filtered and state evicted: a watermark on the window's time column, and not complete
    /// mode (`WatermarkSupport.watermarkExpression` exists only for keys carrying the watermark metadata).
    public var usesWatermark: Bool {
        guard plan.eventTimeIndex != nil, plan.timeIndex == plan.eventTimeIndex else { return false }
        return mode != .complete
    }

    var initialBuffers: [AggregateBuffer] { plan.aggregates.map(\.initial) }

    /// Replays a state delta (restart: `HDFSBackedStateStoreProvider.loadMap` over delta files).
    public mutating func apply(_ delta: StateDelta) {
        if !delta.removals.isEmpty {
            let removed = Set(delta.removals)
            state.removeAll { removed.contains($0.key) }
        }
        for u in delta.upserts { state[u.key] = u.buffers; noteWindowEnd(u.key) }
    }

    public mutating func resetState() { state = [:]; minWindowEndBound = .max }

    @inline(__always) private mutating func noteWindowEnd(_ key: GroupKey) {
        if let e = key.window?.end, e < minWindowEndBound { minWindowEndBound = e }
    }

    // Per-batch accumulation (partial aggregation per input partition, then merged across partitions).
    var batchPartial = OrderedDictionary<GroupKey, [AggregateBuffer]>()
    var partitionPartial = OrderedDictionary<GroupKey, [AggregateBuffer]>()
    var batchResult = OperatorBatchResult()
    var batchId: Int64 = 0
    var lateWatermarkMs: Int64 = 0
    var lateUs: Int64 = 0
    var filterLate = false
    var keyBuffer: [Value] = []
    lazy var kernels: [AggregateKernel] = plan.aggregates.map(\.kernel)

    /// Runs one batch. `partitions` are the input partitions in order (one per Kafka topic-partition); rows are
    /// pre-aggregated per partition, merged across partitions, filtered by `lateWatermarkMs`, merged with state
    /// (stored buffer first), and evicted by `evictionWatermarkMs`.
    public mutating func execute(batchId: Int64, partitions: [[InputRow]], lateWatermarkMs: Int64, evictionWatermarkMs: Int64) -> OperatorBatchResult {
        beginBatch(batchId: batchId, lateWatermarkMs: lateWatermarkMs)
        for part in partitions {
            for input in part { accumulate(input.values, topicPartition: input.topicPartition, offset: input.offset) }
            endPartition()
        }
        return finishBatch(evictionWatermarkMs: evictionWatermarkMs)
    }

    /// Starts a batch (`lateWatermarkMs`: the late-event watermark, see `usesWatermark`).
    public mutating func beginBatch(batchId: Int64, lateWatermarkMs: Int64) {
        self.batchId = batchId
        self.lateWatermarkMs = lateWatermarkMs
        lateUs = lateWatermarkMs &* 1000
        filterLate = usesWatermark
        batchPartial = [:]
        partitionPartial = [:]
        batchResult = OperatorBatchResult()
    }

    /// Folds one row of the current input partition into its partial aggregate (the row is not retained).
    @inline(__always)
    public mutating func accumulate(_ row: [Value], topicPartition: TopicPartition, offset: Int64) {
        // Reuse one key buffer: it is copied only after a new key was inserted (copy-on-write).
        if keyBuffer.count != plan.keyIndices.count { keyBuffer = plan.keyValues(row) } else {
            for (i, k) in plan.keyIndices.enumerated() { keyBuffer[i] = row[k] }
        }
        let keys = keyBuffer
        switch plan.grouping {
        case .time(let assigner):
            guard let ti = plan.timeIndex, case .timestamp(let ts) = row[ti] else { return }  // isnotnull(ts)
            assigner.forEachWindow(ts) { w in
                if filterLate && trackDroppedRecords && w.end <= lateUs {
                    batchResult.dropped.append(DroppedRecord(batchId: batchId, topicPartition: topicPartition, offset: offset, window: w, keys: keys, rule: .windowEndAtOrBeforeWatermark, watermarkMs: lateWatermarkMs))
                }
                fold(GroupKey(window: w, keys: keys), row)
            }
        case .session(let gapUs):
            guard let ti = plan.timeIndex, case .timestamp(let ts) = row[ti] else { return }
            let w = TimeWindow(start: ts, end: ts + gapUs)
            if filterLate && trackDroppedRecords && w.end <= lateUs {
                batchResult.dropped.append(DroppedRecord(batchId: batchId, topicPartition: topicPartition, offset: offset, window: w, keys: keys, rule: .sessionEndAtOrBeforeWatermark, watermarkMs: lateWatermarkMs))
            }
            fold(GroupKey(window: w, keys: keys), row)
        case .none:
            fold(GroupKey(window: nil, keys: keys), row)
        }
    }

    @inline(__always)
    mutating func fold(_ key: GroupKey, _ row: [Value]) {
        let kernels = self.kernels
        let i: Int
        if let j = partitionPartial.index(forKey: key) { i = j } else { i = partitionPartial.updateValue(initialBuffers, forKey: key, insertingAt: partitionPartial.count).index }
        partitionPartial.values.withUnsafeMutableBufferPointer { values in
            values[i].withUnsafeMutableBufferPointer { bufs in
                for a in 0..<kernels.count { kernels[a].update(&bufs[a], row: row) }
            }
        }
    }

    /// Ends an input partition: its partial buffers are merged into the batch's (`PartialMerge` after the shuffle).
    public mutating func endPartition() {
        let aggs = plan.aggregates
        for (key, buffers) in partitionPartial {
            let i: Int
            if let j = batchPartial.index(forKey: key) { i = j } else { i = batchPartial.updateValue(initialBuffers, forKey: key, insertingAt: batchPartial.count).index }
            for a in 0..<aggs.count { aggs[a].merge(&batchPartial.values[i][a], buffers[a]) }
        }
        partitionPartial = [:]
    }

    /// Applies the batch to state and returns the output rows, counters, state delta and dropped records.
    public mutating func finishBatch(evictionWatermarkMs: Int64) -> OperatorBatchResult {
        if !partitionPartial.isEmpty { endPartition() }
        if case .session = plan.grouping { return finishSessionBatch(evictionWatermarkMs: evictionWatermarkMs) }
        var result = batchResult
        let aggs = plan.aggregates
        let batch = batchPartial
        batchPartial = [:]
        var touched: [GroupKey] = []
        for (key, buffers) in batch {
            if filterLate, let w = key.window, w.end <= lateUs {
                result.metrics.numRowsDroppedByWatermark += 1
                continue
            }
            var merged = initialBuffers
            if let stored = state[key] { for a in 0..<aggs.count { aggs[a].merge(&merged[a], stored[a]) } }
            for a in 0..<aggs.count { aggs[a].merge(&merged[a], buffers[a]) }
            state[key] = merged
            noteWindowEnd(key)
            result.delta.upserts.append((key, merged))
            result.metrics.numRowsUpdated += 1
            touched.append(key)
        }
        switch mode {
        case .complete:
            for key in state.keys.sorted() { result.rows.append(outputRow(key, state[key]!)) }
        case .update:
            for key in touched.sorted() { result.rows.append(outputRow(key, state[key]!)) }
            if filterLate { result.metrics.numRowsRemoved = Int64(evict(evictionWatermarkMs, into: &result).count) }
        case .append:
            if filterLate {
                let evicted = evict(evictionWatermarkMs, into: &result)
                result.metrics.numRowsRemoved = Int64(evicted.count)
                for (key, buffers) in evicted.sorted(by: { $0.0 < $1.0 }) { result.rows.append(outputRow(key, buffers)) }
            }
        }
        result.metrics.numRowsTotal = Int64(state.count)
        return result
    }

    /// Removes keys whose window ends at or before the eviction watermark (`watermarkPredicateForKeysForEviction`).
    mutating func evict(_ wmMs: Int64, into result: inout OperatorBatchResult) -> [(GroupKey, [AggregateBuffer])] {
        let us = wmMs &* 1000
        var evicted: [(GroupKey, [AggregateBuffer])] = []
        if minWindowEndBound > us { return evicted }  // nothing in state ends at or before the watermark
        var remainingMin = Int64.max
        for (k, v) in state {
            let e = k.window?.end ?? .max
            if e <= us { evicted.append((k, v)) } else if e < remainingMin { remainingMin = e }
        }
        minWindowEndBound = remainingMin
        if !evicted.isEmpty {
            state.removeAll { ($0.key.window?.end ?? .max) <= us }
            result.delta.removals.append(contentsOf: evicted.map(\.0))
        }
        return evicted
    }

    func outputRow(_ key: GroupKey, _ buffers: [AggregateBuffer]) -> Row {
        var values: [Value] = []
        values.reserveCapacity(plan.outputSchema.count)
        if let w = key.window { values.append(.timestamp(w.start)); values.append(.timestamp(w.end)) }
        values.append(contentsOf: key.keys)
        for (a, b) in zip(plan.aggregates, buffers) { values.append(a.result(b)) }
        return Row(values)
    }

    /// Session windows. The partial aggregate groups rows by (keys, `[et, et+gap)`); late groups (session end ≤
    /// late watermark) are dropped and counted in the restore step; the survivors are merge-sorted by session start
    /// with the key's stored sessions (stored session first on equal starts) and merged when `start <= current.end`
    /// (`MergingSessionsIterator`); every session of a touched key is rewritten (`updateSessions` counts them all as
    /// updated, and a shrinking list as removed); append evicts and emits sessions with `end <= eviction watermark`.
    mutating func finishSessionBatch(evictionWatermarkMs: Int64) -> OperatorBatchResult {
        var result = batchResult
        let aggs = plan.aggregates
        let batch = batchPartial
        batchPartial = [:]
        // Per group-by key: surviving batch sessions sorted by start.
        var perKey = OrderedDictionary<[Value], [(TimeWindow, [AggregateBuffer])]>()
        for (key, buffers) in batch {
            if filterLate, key.window!.end <= lateUs { result.metrics.numRowsDroppedByWatermark += 1; continue }
            perKey[key.keys, default: []].append((key.window!, buffers))
        }
        let sortedKeys = perKey.keys.sorted { GroupKey(window: nil, keys: $0) < GroupKey(window: nil, keys: $1) }
        for keys in sortedKeys {
            let input = perKey[keys]!.sorted { $0.0 < $1.0 }
            let stored = state.filter { $0.key.keys == keys }.map { ($0.key.window!, $0.value) }.sorted { $0.0 < $1.0 }
            var merged: [(TimeWindow, [AggregateBuffer])] = []
            var i = 0, j = 0
            while i < input.count || j < stored.count {
                let next: (TimeWindow, [AggregateBuffer])
                if j < stored.count && (i >= input.count || stored[j].0.start <= input[i].0.start) { next = stored[j]; j += 1 } else { next = input[i]; i += 1 }
                if var last = merged.last, next.0.start <= last.0.end {
                    last.0.end = max(last.0.end, next.0.end)
                    for a in 0..<aggs.count { aggs[a].merge(&last.1[a], next.1[a]) }
                    merged[merged.count - 1] = last
                } else {
                    var fresh = initialBuffers
                    for a in 0..<aggs.count { aggs[a].merge(&fresh[a], next.1[a]) }
                    merged.append((next.0, fresh))
                }
            }
            let oldKeys = stored.map { GroupKey(window: $0.0, keys: keys) }
            let newKeys = Set(merged.map { GroupKey(window: $0.0, keys: keys) })
            let gone = oldKeys.filter { !newKeys.contains($0) }
            if !gone.isEmpty {
                let goneSet = Set(gone)
                state.removeAll { goneSet.contains($0.key) }
                result.delta.removals.append(contentsOf: gone)
            }
            for (w, b) in merged {
                let k = GroupKey(window: w, keys: keys)
                state[k] = b
                noteWindowEnd(k)
                result.delta.upserts.append((k, b))
            }
            result.metrics.numRowsUpdated += Int64(merged.count)
            result.metrics.numRowsRemoved += Int64(max(0, stored.count - merged.count))
        }
        switch mode {
        case .complete:
            for key in state.keys.sorted() { result.rows.append(outputRow(key, state[key]!)) }
        case .update, .append:
            if filterLate {
                let evicted = evict(evictionWatermarkMs, into: &result)
                result.metrics.numRowsRemoved += Int64(evicted.count)
                if mode == .append { for (key, buffers) in evicted.sorted(by: { $0.0 < $1.0 }) { result.rows.append(outputRow(key, buffers)) } }
            }
        }
        result.metrics.numRowsTotal = Int64(state.count)
        return result
    }
}
