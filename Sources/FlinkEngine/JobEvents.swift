public import SimCore
public import SimLog
public import QueryModel

/// Why a window fired.
public enum FiringCause: String, Sendable, Equatable {
    /// An event-time timer: the watermark passed `end − 1`.
    case watermark
    /// `EventTimeTrigger.onElement` returned FIRE: a late-but-allowed element re-fired its window (allowed lateness).
    case element
    /// The `MAX` watermark of a bounded input (or `endInput`).
    case endOfInput = "end_of_input"
}

/// What happened to a late record.
public enum LateFate: String, Sendable, Equatable {
    /// Counted in `numLateRecordsDropped` and gone.
    case dropped
    /// Emitted to the late-data side output (`sideOutputLateData`).
    case sideOutput
    /// Behind the watermark but within allowed lateness: added, and its window fired again at once.
    case lateFiring
}

/// A checkpoint's step as the coordinator sees it.
public enum CheckpointPhase: String, Sendable, Equatable {
    case triggered, completed, aborted
}

/// A window result as the job emitted it.
public struct FlinkFiring: Sendable, Equatable {
    /// The window in event-time milliseconds.
    public var windowStart: Int64
    public var windowEnd: Int64
    public var key: [Value]
    public var pane: Int
    public var cause: FiringCause
    /// The window operator's watermark when it fired.
    public var watermark: EventTime
    /// The output row (`window_start`, `window_end`, keys, aggregates).
    public var row: Row
    /// Which window subtask.
    public var subtask: Int
    public var at: ProcessingTime
}

/// A record that arrived behind the watermark.
public struct FlinkLateRecord: Sendable, Equatable {
    public var origin: RecordOrigin
    public var eventTime: EventTime
    public var watermark: EventTime
    /// The window the rule was checked against (for several windows: the last one, whose lateness decides).
    public var windowStart: Int64
    public var windowEnd: Int64
    public var key: [Value]
    public var fate: LateFate
    /// The rule in words, e.g. `window [12:00:00.000, 12:05:00.000) max 12:04:59.999 + allowed lateness 0 ms ≤
    /// watermark 12:05:00.000 → side output`.
    public var rule: String
    /// The record's row (what the side output carries).
    public var row: Row
    public var at: ProcessingTime
}

/// A row that became visible in the external system, with its end-to-end latency.
public struct FlinkVisibleRow: Sendable, Equatable {
    public var row: Row
    /// The row's event time: for a stateless query the input record's timestamp; for a window result the result
    /// record's timestamp `window.maxTimestamp` (`end − 1`).
    public var eventTime: EventTime
    /// When the operator handed the row to the sink.
    public var emittedAt: ProcessingTime
    /// When it became visible (print: at write; at-least-once JDBC: when its batch executed; two-phase commit: when its
    /// transaction committed).
    public var visibleAt: ProcessingTime
    /// `visibleAt − eventTime` in virtual milliseconds.
    public var latencyMs: Int64 { visibleAt.millisecondsSinceEpoch &- eventTime.millisecondsSinceEpoch }
    public var sinkSubtask: Int
}

/// The job's observable events, in the order they happened (one virtual clock, one thread: the order is total).
public enum FlinkJobEvent: Sendable, Equatable {
    /// A watermark left `task` (`source-i` after the split multiplexer / SQL assigner, `window-j` after the input valve).
    case watermark(task: String, value: EventTime, at: ProcessingTime, cause: String)
    case firing(FlinkFiring)
    case late(FlinkLateRecord)
    /// A split (`split` set) or a task's output went idle / active.
    case idle(task: String, split: TopicPartition?, idle: Bool, at: ProcessingTime)
    /// Offsets: per topic-partition, the next offset to read (completed checkpoints only; empty otherwise).
    case checkpoint(id: Int64, phase: CheckpointPhase, at: ProcessingTime, sourceOffsets: [TopicPartition: Int64], reason: String?)
    case failure(cause: String, at: ProcessingTime)
    /// A redeploy; `restoredCheckpoint` nil = from the start offsets.
    case restart(attempt: Int, at: ProcessingTime, restoredCheckpoint: Int64?)
    case sinkVisible(rows: [FlinkVisibleRow], at: ProcessingTime)
    /// Every sink got end of input.
    case finished(at: ProcessingTime)

    public var at: ProcessingTime {
        switch self {
        case .watermark(_, _, let at, _), .idle(_, _, _, let at), .checkpoint(_, _, let at, _, _), .failure(_, let at), .restart(_, let at, _),
             .sinkVisible(_, let at), .finished(let at):
            return at
        case .firing(let f): return f.at
        case .late(let l): return l.at
        }
    }
}

/// Event-time text for rule and cause strings: `12:04:59.999`, `MIN`, `MAX`.
enum EventText {
    static func time(_ ms: Int64) -> String {
        if ms == .min { return "MIN" }
        if ms == .max { return "MAX" }
        return UTCTimestamp.timeOfDay(ms)
    }
    static func time(_ t: EventTime) -> String { time(t.millisecondsSinceEpoch) }
    static func window(_ s: Int64, _ e: Int64) -> String { "[\(time(s)), \(time(e)))" }
}

/// The sink a task writes to, wrapped so the job can tell which rows became visible when. A sink reports visibility
/// through `FlinkSink.visibleRowCount` (rows of this instance visible so far, in write order); nil = visible at write.
final class ObservedSink {
    struct Entry { var row: Row; var eventTime: EventTime; var emittedAt: ProcessingTime }
    let inner: any FlinkSink
    let subtask: Int
    private(set) var entries: [Entry] = []
    private(set) var reported = 0
    /// Rows written before each checkpoint's snapshot (what a restore from it recovers-and-commits).
    private(set) var marks: [Int64: Int] = [:]
    var onVisible: (([FlinkVisibleRow]) -> Void)?

    init(_ inner: any FlinkSink, subtask: Int) { self.inner = inner; self.subtask = subtask }

    func written(_ row: Row, eventTime: EventTime, at now: ProcessingTime) { entries.append(Entry(row: row, eventTime: eventTime, emittedAt: now)) }
    func snapshotTaken(_ id: Int64) { marks[id] = entries.count }

    /// After any call into the sink: report rows that became visible since the last check.
    func check(now: ProcessingTime) {
        let visible = min(entries.count, inner.visibleRowCount ?? entries.count)
        report(upTo: visible, now: now)
    }
    /// A restore from checkpoint `id` committed this (dead) instance's pending transactions up to that checkpoint.
    func recovered(through id: Int64, now: ProcessingTime) {
        report(upTo: marks[id] ?? reported, now: now)
    }
    private func report(upTo n: Int, now: ProcessingTime) {
        guard n > reported else { return }
        let rows = entries[reported..<n].map {
            FlinkVisibleRow(row: $0.row, eventTime: $0.eventTime, emittedAt: $0.emittedAt, visibleAt: now, sinkSubtask: subtask)
        }
        reported = n
        onVisible?(rows)
    }
}
