// The data model of a report: everything the HTML report and the terminal timeline need to know about one run.
//
// The scenario runner fills it while (or after) a run; the renderers only read it. It holds observations, not
// engine state: what happened, when (on the virtual clock), and — for anything a learner will ask "why?" about —
// the exact rule in words. All collections are arrays in the order the runner appended them, so that rendering is
// a pure function of this value and byte-identical for the same run.
public import SimCore

/// Everything a report needs about one run of a scenario.
public struct RunObservations: Codable, Sendable, Equatable {
    /// The scenario's name, as in its YAML file (`late-data`).
    public var scenarioName: String
    /// What the scenario sets out to show, in the author's words (a sentence or two; plain text).
    public var scenarioDescription: String
    /// The master seed of the run: with the scenario, it reproduces the run exactly.
    public var seed: UInt64
    /// The trace's SHA-256 hex digest: the run's identity (same scenario + seed ⇒ same digest).
    public var traceDigest: String
    /// The first instant of the virtual clock that the run covers.
    public var start: ProcessingTime
    /// The last instant of the virtual clock that the run covers.
    public var end: ProcessingTime
    /// Every record that entered the input log, in append order.
    public var records: [InputRecord]
    /// One entry per engine that ran the query, in display order (conventionally Spark, then Flink).
    public var engines: [EngineObservations]
    /// Faults that belong to no single engine (a broker stalls, a partition goes quiet); engine crashes go in
    /// `EngineObservations.incidents`.
    public var faults: [Incident]
    /// The final results compared cell by cell, (window, key) by (window, key).
    public var differences: [ResultDifference]

    public init(
        scenarioName: String, scenarioDescription: String = "", seed: UInt64, traceDigest: String,
        start: ProcessingTime, end: ProcessingTime, records: [InputRecord] = [], engines: [EngineObservations] = [],
        faults: [Incident] = [], differences: [ResultDifference] = []
    ) {
        self.scenarioName = scenarioName
        self.scenarioDescription = scenarioDescription
        self.seed = seed
        self.traceDigest = traceDigest
        self.start = start
        self.end = end
        self.records = records
        self.engines = engines
        self.faults = faults
        self.differences = differences
    }

    /// The engine with this id, if it ran.
    public func engine(_ id: EngineID) -> EngineObservations? { engines.first { $0.engine == id } }

    /// The input record with this id (`topic-partition@offset`), if it is known.
    public func record(_ id: String) -> InputRecord? { records.first { $0.id == id } }
}

/// A (name, text) pair: one column of a result row, or one engine setting. An array of these keeps the order the
/// query declares, which a dictionary would not.
public struct NamedText: Codable, Sendable, Equatable {
    public var name: String
    public var text: String
    public init(_ name: String, _ text: String) {
        self.name = name
        self.text = text
    }
}

// MARK: - Input

/// One record as it entered the log.
public struct InputRecord: Codable, Sendable, Equatable {
    /// `topic-partition@offset`, e.g. `crypto_prices-1@4`: unique within a run and the same text Kafka tools show.
    public var id: String
    /// The record key; for the crypto feeds, the symbol (`BTC`). Records are coloured by it.
    public var key: String
    public var topic: String
    public var partition: Int
    public var offset: Int64
    /// The record's own timestamp. Nil only when the payload was malformed and no timestamp could be read.
    public var eventTime: EventTime?
    /// The processing time at which the record was appended to the log (became readable).
    public var appendTime: ProcessingTime
    /// True when the payload could not be parsed (both engines then see no usable row).
    public var malformed: Bool
    /// A short text of the payload for tooltips (`price=61000.0`); empty when not useful.
    public var summary: String

    public init(
        topic: String, partition: Int, offset: Int64, key: String, eventTime: EventTime?, appendTime: ProcessingTime,
        malformed: Bool = false, summary: String = ""
    ) {
        self.id = InputRecord.id(topic: topic, partition: partition, offset: offset)
        self.key = key
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.eventTime = eventTime
        self.appendTime = appendTime
        self.malformed = malformed
        self.summary = summary
    }

    /// The canonical record id: `topic-partition@offset`.
    public static func id(topic: String, partition: Int, offset: Int64) -> String { "\(topic)-\(partition)@\(offset)" }
}

// MARK: - Per engine

/// Which engine a set of observations belongs to. A string so that a third engine model needs no change here.
public struct EngineID: RawRepresentable, Codable, Sendable, Hashable, Comparable, ExpressibleByStringLiteral,
    CustomStringConvertible
{
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
    public static func < (a: EngineID, b: EngineID) -> Bool { a.rawValue < b.rawValue }
    public var description: String { rawValue }

    public static let spark: EngineID = "spark"
    public static let flink: EngineID = "flink"
}

/// What one engine did during the run.
public struct EngineObservations: Codable, Sendable, Equatable {
    public var engine: EngineID
    /// How the report names the engine (`Spark 3.5 (micro-batch)`).
    public var displayName: String
    /// The knobs that explain its behaviour (`watermark delay` = `5s`, `trigger` = `5s`, `allowed lateness` = `0ms`).
    public var settings: [NamedText]
    /// Every change of a watermark, in processing-time order (see `WatermarkPoint.role`).
    public var watermarks: [WatermarkPoint]
    /// Spark's micro-batches, data and no-data; empty for an engine without batches.
    public var batches: [MicroBatch]
    /// Flink's checkpoints; empty for an engine without them.
    public var checkpoints: [Checkpoint]
    /// Every window result the engine emitted, in emission order.
    public var firings: [WindowFiring]
    /// Every record the engine did not count normally, with what happened to it and why.
    public var lateRecords: [LateRecord]
    /// Event time → visible in the sink, one sample per (record, result) that became visible.
    public var latencies: [LatencySample]
    /// Crashes, restarts and other things that happened to this engine.
    public var incidents: [Incident]

    public init(
        engine: EngineID, displayName: String, settings: [NamedText] = [], watermarks: [WatermarkPoint] = [],
        batches: [MicroBatch] = [], checkpoints: [Checkpoint] = [], firings: [WindowFiring] = [],
        lateRecords: [LateRecord] = [], latencies: [LatencySample] = [], incidents: [Incident] = []
    ) {
        self.engine = engine
        self.displayName = displayName
        self.settings = settings
        self.watermarks = watermarks
        self.batches = batches
        self.checkpoints = checkpoints
        self.firings = firings
        self.lateRecords = lateRecords
        self.latencies = latencies
        self.incidents = incidents
    }
}

/// One value a watermark took, from a given processing time until the next point with the same `source`.
public struct WatermarkPoint: Codable, Sendable, Equatable {
    /// What this watermark is used for. Lines are drawn one per (role, source).
    public enum Role: String, Codable, Sendable, CaseIterable {
        /// The watermark that fires and evicts windows: Spark's global watermark of the batch, Flink's watermark at
        /// the window operator (the minimum over its inputs). Drawn as the engine's main line.
        case effective
        /// One input's own watermark before combining: a Flink source split or input channel. Drawn thin, so that
        /// the minimum-over-splits rule is visible.
        case input
        /// The watermark late records are judged against, when it differs from `effective`: Spark drops by the
        /// *previous* batch's watermark (rule S3). Drawn dotted.
        case lateThreshold = "late_threshold"
    }

    /// When the watermark took this value (for Spark: the start of the batch that uses it).
    public var at: ProcessingTime
    /// The watermark; `EventTime.min` / `.max` for Flink's "none yet" and "end of input".
    public var watermark: EventTime
    public var role: Role
    /// Which operator or split: `global`, `window operator`, `split 0 (crypto_prices-0)`.
    public var source: String
    /// Why it moved, in words (`max event time 12:00:17 − delay 5s, from batch 3's rows`).
    public var reason: String

    public init(at: ProcessingTime, watermark: EventTime, role: Role = .effective, source: String, reason: String) {
        self.at = at
        self.watermark = watermark
        self.role = role
        self.source = source
        self.reason = reason
    }
}

/// One Spark micro-batch.
public struct MicroBatch: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        /// A batch with new offsets to read.
        case data
        /// A batch Spark runs with no new data only because the watermark moved (rule S6).
        case noData = "no_data"
    }
    public var id: Int64
    public var kind: Kind
    public var start: ProcessingTime
    public var end: ProcessingTime
    /// The watermark this batch uses for eviction and emission (`eventTime.watermark` in the progress report).
    public var watermark: EventTime
    public var rowsIn: Int
    public var rowsOut: Int
    /// `numRowsDroppedByWatermark`: late (window, key) groups after partial aggregation, not input rows.
    public var droppedByWatermark: Int

    public init(
        id: Int64, kind: Kind, start: ProcessingTime, end: ProcessingTime, watermark: EventTime, rowsIn: Int,
        rowsOut: Int, droppedByWatermark: Int = 0
    ) {
        self.id = id
        self.kind = kind
        self.start = start
        self.end = end
        self.watermark = watermark
        self.rowsIn = rowsIn
        self.rowsOut = rowsOut
        self.droppedByWatermark = droppedByWatermark
    }
}

/// One Flink checkpoint.
public struct Checkpoint: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        case completed, failed, aborted
        /// Still running when the run ended.
        case pending
    }
    public var id: Int64
    public var triggered: ProcessingTime
    /// When it completed, failed or was aborted; nil while pending.
    public var finished: ProcessingTime?
    public var status: Status
    /// Why it failed or was aborted; empty otherwise.
    public var note: String

    public init(id: Int64, triggered: ProcessingTime, finished: ProcessingTime?, status: Status, note: String = "") {
        self.id = id
        self.triggered = triggered
        self.finished = finished
        self.status = status
        self.note = note
    }
}

/// A half-open event-time window [start, end), as both engines assign them.
public struct EventWindow: Codable, Sendable, Hashable, Comparable {
    public var start: EventTime
    public var end: EventTime
    public init(start: EventTime, end: EventTime) {
        self.start = start
        self.end = end
    }
    public static func < (a: EventWindow, b: EventWindow) -> Bool { (a.start, a.end) < (b.start, b.end) }
}

/// One window result leaving an engine.
public struct WindowFiring: Codable, Sendable, Equatable {
    public enum Cause: String, Codable, Sendable, CaseIterable {
        /// The watermark passed the window's end (Flink on-time firing).
        case watermark
        /// A late element within allowed lateness re-fired the window (Flink late firing, pane ≥ 1).
        case element
        /// The bounded input ended and the MAX watermark fired every open window (Flink).
        case endOfInput = "end_of_input"
        /// A micro-batch emitted it (Spark, in append/update/complete mode).
        case batch
    }
    public var window: EventWindow
    public var key: String
    /// When the result left the engine.
    public var firedAt: ProcessingTime
    /// 0 for the first result of this (window, key), 1, 2, … for each later one.
    public var pane: Int
    public var cause: Cause
    /// The batch that emitted it (Spark); nil otherwise.
    public var batchID: Int64?
    /// The result row's columns in query order (`count` = `3`, `close` = `2419.0`).
    public var values: [NamedText]

    public init(
        window: EventWindow, key: String, firedAt: ProcessingTime, pane: Int = 0, cause: Cause, batchID: Int64? = nil,
        values: [NamedText]
    ) {
        self.window = window
        self.key = key
        self.firedAt = firedAt
        self.pane = pane
        self.cause = cause
        self.batchID = batchID
        self.values = values
    }
}

/// A record an engine treated as late or could not use, and what became of it.
public struct LateRecord: Codable, Sendable, Equatable {
    public enum Fate: String, Codable, Sendable, CaseIterable {
        /// Discarded without trace: Spark's watermark filter, or Flink without a side output.
        case dropped
        /// Routed to Flink's late-data side output.
        case sideOutput = "side_output"
        /// Accepted within allowed lateness and re-fired its window (Flink).
        case lateFiring = "late_firing"
        /// Its payload could not be parsed.
        case malformed
        /// Deleted by log retention before the engine read it.
        case lostToRetention = "lost_to_retention"
    }
    /// The `InputRecord.id`.
    public var recordID: String
    public var fate: Fate
    /// The exact rule, with the numbers that decided it, e.g. "window end 12:05:00 ≤ watermark 12:05:00 (previous
    /// batch) → Spark drops it in batch 7".
    public var rule: String
    /// When the engine decided.
    public var at: ProcessingTime
    /// The window it was late for, when there is one.
    public var window: EventWindow?

    public init(recordID: String, fate: Fate, rule: String, at: ProcessingTime, window: EventWindow? = nil) {
        self.recordID = recordID
        self.fate = fate
        self.rule = rule
        self.at = at
        self.window = window
    }
}

/// How long after its event time a record's contribution became visible in the sink.
public struct LatencySample: Codable, Sendable, Equatable {
    public var recordID: String
    public var eventTime: EventTime
    /// When the result containing the record became visible in the sink (committed, for a transactional sink).
    public var visibleAt: ProcessingTime

    public init(recordID: String, eventTime: EventTime, visibleAt: ProcessingTime) {
        self.recordID = recordID
        self.eventTime = eventTime
        self.visibleAt = visibleAt
    }

    /// visibleAt − eventTime in milliseconds (the two instants count from the same epoch).
    public var milliseconds: Int64 { visibleAt.millisecondsSinceEpoch &- eventTime.millisecondsSinceEpoch }
}

/// Something that happened to the system rather than to a record.
public struct Incident: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        /// A process died (drawn `!`).
        case crash
        /// It came back, e.g. from a checkpoint or the offsets log.
        case restart
        /// An injected fault (broker down, partition stalled, clock skew).
        case fault
        /// A fault ended.
        case recovery
        /// Anything else worth a marker.
        case note
    }
    public var at: ProcessingTime
    public var kind: Kind
    public var text: String
    public init(at: ProcessingTime, kind: Kind, text: String) {
        self.at = at
        self.kind = kind
        self.text = text
    }
}

// MARK: - Spark vs Flink

/// One (window, key) cell of the final results, with both engines' values and whether the difference is understood.
public struct ResultDifference: Codable, Sendable, Equatable {
    public var window: EventWindow
    public var key: String
    /// Spark's final values; nil when Spark never emitted this cell.
    public var spark: [NamedText]?
    /// Flink's final values; nil when Flink never emitted this cell.
    public var flink: [NamedText]?
    public var label: Label

    public init(window: EventWindow, key: String, spark: [NamedText]?, flink: [NamedText]?, label: Label) {
        self.window = window
        self.key = key
        self.spark = spark
        self.flink = flink
        self.label = label
    }

    /// Encoded as the text `same`, `unexplained` or `expected(<reason>)`.
    public enum Label: Codable, Sendable, Equatable, CustomStringConvertible {
        /// Both engines agree (runners may leave such cells out).
        case same
        /// A difference that follows from the engines' documented rules; the reason names the rule.
        case expected(String)
        /// A difference no rule explains: a bug in a model, or a rule nobody has written down yet.
        case unexplained

        public var description: String {
            switch self {
            case .same: "same"
            case .unexplained: "unexplained"
            case .expected(let reason): "expected(\(reason))"
            }
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            let text = try c.decode(String.self)
            if text == "same" {
                self = .same
            } else if text == "unexplained" {
                self = .unexplained
            } else if text.hasPrefix("expected("), text.hasSuffix(")") {
                self = .expected(String(text.dropFirst("expected(".count).dropLast()))
            } else {
                throw DecodingError.dataCorruptedError(
                    in: c, debugDescription: "expected \"same\", \"unexplained\" or \"expected(reason)\", got \"\(text)\"")
            }
        }
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            try c.encode(description)
        }
    }
}
