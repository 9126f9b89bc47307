// Read-only views of a running Flink job for the stepper, `sim explain` and reports: each split's own watermark and
// idleness (what the reader's multiplexer takes the minimum of), each window subtask's input channels and operator
// watermark, and the open windows with their partial aggregates. Nothing here changes the job; arrays are in task,
// split-registration and (key, window) order, never in dictionary order.
public import SimCore
public import SimLog
public import QueryModel
import OrderedCollections

/// One Kafka split (partition) inside a source reader.
public struct FlinkSplitSnapshot: Sendable, Equatable {
    public var topicPartition: TopicPartition
    /// The split's partial watermark in the reader's multiplexer (`MIN` until its generator emitted one).
    public var watermark: EventTime
    /// Whether the split's output is marked idle (`withIdleness` fired and no record arrived since).
    public var idle: Bool
    /// The next offset the reader will emit from this split.
    public var nextOffset: Int64
}

/// One source reader subtask.
public struct FlinkSourceSnapshot: Sendable, Equatable {
    /// `source-0`, …
    public var task: String
    public var splits: [FlinkSplitSnapshot]
    /// The highest watermark the reader sent downstream (`MIN` before the first).
    public var outputWatermark: EventTime
    /// Whether the reader's output is idle (every split idle).
    public var outputIdle: Bool
}

/// One input channel of a window subtask (`StatusWatermarkValve`).
public struct FlinkChannelSnapshot: Sendable, Equatable {
    /// The upstream task (`source-0`).
    public var from: String
    public var watermark: EventTime
    public var idle: Bool
    /// Whether the channel takes part in the minimum (an idle channel that came back is aligned again only once it
    /// catches up).
    public var aligned: Bool
}

/// A (key, window) pane not yet purged, with its aggregate so far.
public struct FlinkOpenWindow: Sendable, Equatable {
    public var windowStartMs: Int64
    public var windowEndMs: Int64
    public var key: [Value]
    /// How many times it has fired already (0: never; ≥ 1: kept for allowed lateness).
    public var firings: Int
    /// The aggregate values the next firing would emit, in query order.
    public var values: [Value]
    /// `end − 1 + allowedLateness`: once the watermark reaches this, the window is dropped and later records are late.
    public var cleanupTimeMs: Int64
}

/// One window subtask.
public struct FlinkWindowTaskSnapshot: Sendable, Equatable {
    /// `window-0`, …
    public var task: String
    public var channels: [FlinkChannelSnapshot]
    /// The operator's event-time clock (`MIN` at start and after every restore).
    public var watermark: EventTime
    public var openWindows: [FlinkOpenWindow]
}

/// Everything a learner may ask about a Flink job between two scheduler steps.
public struct FlinkJobSnapshot: Sendable, Equatable {
    public var status: FlinkJobStatus
    public var restarts: Int
    public var sources: [FlinkSourceSnapshot]
    public var windows: [FlinkWindowTaskSnapshot]
    /// `forBoundedOutOfOrderness(B)` in ms, when the strategy has one.
    public var outOfOrdernessMs: Int64?
    /// `withIdleness(T)`; nil = never declared idle.
    public var idleness: SimDuration?
    public var autoWatermarkInterval: SimDuration
    /// Allowed lateness of the window operator, ms.
    public var allowedLatenessMs: Int64
    public var sideOutputLateData: Bool
    /// The last completed checkpoint's id and the offsets it would restart from.
    public var lastCompletedCheckpoint: Int64?
    public var lastCompletedOffsets: [(topicPartition: TopicPartition, offset: Int64)]

    public static func == (a: FlinkJobSnapshot, b: FlinkJobSnapshot) -> Bool {
        a.status == b.status && a.restarts == b.restarts && a.sources == b.sources && a.windows == b.windows
            && a.lastCompletedCheckpoint == b.lastCompletedCheckpoint
    }

    /// The effective watermark the windows fire on: the lowest over window subtasks (they advance together for one
    /// source), or the reader output when the job has no window.
    public var effectiveWatermark: EventTime {
        if let w = windows.map(\.watermark).min() { return w }
        return sources.map(\.outputWatermark).min() ?? .min
    }
}

extension FlinkJob {
    /// Each source reader's splits and output watermark (cheap: no window state is read).
    public var sourceSnapshots: [FlinkSourceSnapshot] {
        sources.map { s -> FlinkSourceSnapshot in
            let parts = s.watermarks.multiplexer.outputs
            let splits = s.partitions.map { p -> FlinkSplitSnapshot in
                let partial = parts[p]
                return FlinkSplitSnapshot(topicPartition: s.tp(p), watermark: EventTime(partial?.watermark ?? .min), idle: partial?.idle ?? false,
                                          nextOffset: s.offsets[p] ?? 0)
            }
            return FlinkSourceSnapshot(task: s.taskName, splits: splits, outputWatermark: EventTime(s.watermarks.maxWatermarkSoFar), outputIdle: s.watermarks.isIdle)
        }
    }

    /// Each window subtask's input channels, operator watermark and open windows (sorted by end, start, key).
    public var windowSnapshots: [FlinkWindowTaskSnapshot] {
        windows.map { w -> FlinkWindowTaskSnapshot in
            let channels = w.valve.channels.enumerated().map { i, c in
                FlinkChannelSnapshot(from: "source-\(i)", watermark: EventTime(c.watermark), idle: c.idle, aligned: c.aligned)
            }
            let op = w.op
            // Session windows keep their contents under a "state window" that stays fixed while the actual window grows
            // by merging (`MergingWindowSet`); show the actual window.
            func actual(_ k: FlinkKey, _ stateWindow: TimeWindow) -> TimeWindow {
                guard let set = op.state.merging[k] else { return stateWindow }
                return set.mapping.first { $0.value == stateWindow }?.key ?? stateWindow
            }
            let open = op.state.contents.keys.map { k in (k, actual(k.key, k.window)) }
                .sorted { ($0.1.end, $0.1.start, $0.0.key) < ($1.1.end, $1.1.start, $1.0.key) }
                .map { k, window in
                    FlinkOpenWindow(windowStartMs: window.start, windowEndMs: window.end, key: k.key.values, firings: op.state.panes[k] ?? 0,
                                    values: op.aggregate.result(op.state.contents[k]!), cleanupTimeMs: op.cleanupTime(window))
                }
            return FlinkWindowTaskSnapshot(task: w.taskName, channels: channels, watermark: EventTime(op.currentWatermark), openWindows: open)
        }
    }

    /// A read-only snapshot of the job now.
    public var snapshot: FlinkJobSnapshot {
        let srcs = sourceSnapshots
        let wins = windowSnapshots
        var bound: Int64?
        switch config.watermarkStrategy.kind {
        case .boundedOutOfOrderness(let b), .punctuatedBoundedOutOfOrderness(let b), .sqlRowtimeMinusInterval(let b): bound = b.milliseconds
        case .monotonous: bound = 0
        case .none: bound = nil
        }
        if let d = config.sqlWatermarkAssignerDelay { bound = d.milliseconds }
        var offsets: [(topicPartition: TopicPartition, offset: Int64)] = []
        if let c = lastCompleted {
            for subtask in c.sourceOffsets {
                for p in subtask.keys.sorted() { offsets.append((TopicPartition(config.topic, Int32(p)), subtask[p]!)) }
            }
        }
        return FlinkJobSnapshot(
            status: status, restarts: metrics.restarts, sources: srcs, windows: wins, outOfOrdernessMs: bound,
            idleness: config.watermarkStrategy.idleness, autoWatermarkInterval: config.autoWatermarkInterval,
            allowedLatenessMs: pipeline.window?.allowedLateness.milliseconds ?? 0, sideOutputLateData: pipeline.window?.sideOutputLateData ?? false,
            lastCompletedCheckpoint: lastCompleted?.id, lastCompletedOffsets: offsets)
    }
}
