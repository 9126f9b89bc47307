public import SimCore
public import SimLog
public import QueryModel

/// The configuration of a model job, with Flink 1.20's defaults.
public struct FlinkJobConfig: Sendable {
    public var topic: String
    /// Source (Kafka reader) parallelism.
    public var sourceParallelism = 1
    /// Window-operator parallelism (keyed by `keyBy`); ignored without a window.
    public var windowParallelism = 1
    /// `pipeline.max-parallelism` (default 128 for parallelism ≤ 128).
    public var maxParallelism = KeyGroupAssignment.defaultMaxParallelism
    public var watermarkStrategy = WatermarkStrategy.forBoundedOutOfOrderness(.seconds(0))
    /// `pipeline.auto-watermark-interval` (200 ms; 0 = no periodic emission).
    public var autoWatermarkInterval = SimDuration.milliseconds(200)
    /// `execution.buffer-timeout` (100 ms; 0 = flush after every record).
    public var bufferTimeout = SimDuration.milliseconds(100)
    /// Records per network buffer before it is flushed because it is full (a 32 KiB segment of ~128-byte records).
    public var bufferCapacityRecords = 256
    /// Delay between a buffer flush and its delivery downstream.
    public var networkLatency = SimDuration.milliseconds(1)
    /// Records a receiving task may have queued before its producers stop (credit-based back-pressure).
    public var backpressureThresholdRecords = 4096
    /// `execution.checkpointing.interval` (nil = checkpointing disabled, the default).
    public var checkpointInterval: SimDuration?
    /// `execution.checkpointing.timeout` (10 min).
    public var checkpointTimeout = SimDuration.minutes(10)
    /// `execution.checkpointing.min-pause` (0).
    public var checkpointMinPause = SimDuration.zero
    /// `execution.checkpointing.max-concurrent-checkpoints` (1).
    public var maxConcurrentCheckpoints = 1
    /// `restart-strategy.type`; nil = 1.20's default (exponential-delay with checkpointing, none without).
    public var restartStrategy: RestartStrategyConfig?
    /// `heartbeat.timeout` (50 s): how long a lost TaskManager goes unnoticed.
    public var heartbeatTimeout = SimDuration.seconds(50)
    /// Delay of a JobManager ↔ task RPC (trigger, acknowledge, notify).
    public var rpcLatency = SimDuration.milliseconds(1)
    /// Start at the earliest offsets (true) or the latest (false, `scan.startup.mode = latest-offset`).
    public var startFromEarliest = true
    /// `scan.startup.mode` as a query states it (`earliest-offset`, `latest-offset`, `specific-offsets`; a partition
    /// missing from specific offsets starts at the earliest, `OffsetsInitializer.offsets(map)`); nil = `startFromEarliest`.
    public var startingOffsets: StartingOffsets?
    /// `scan.bounded.mode = latest-offset`: every split stops at the log-end offset it had when the job first started
    /// (kept across restores, as `KafkaPartitionSplit.stoppingOffset` is); a finished split releases its watermark
    /// output; a reader whose splits all finished ends its input (`MAX` watermark, windows flush, sinks end).
    public var stopAtLatestOffsets = false
    /// The SQL planner's `WatermarkAssignerOperator` chained after each source subtask (`WATERMARK FOR rowtime AS
    /// rowtime − INTERVAL 'B'` when the watermark is not pushed into the source): the delay `B`. nil = none.
    public var sqlWatermarkAssignerDelay: SimDuration?
    /// The reader's poll period when it found nothing.
    public var pollInterval = SimDuration.milliseconds(10)
    /// `max.poll.records` (500).
    public var maxPollRecords = 500
    /// `retry.backoff.ms` (100 ms) between fetch attempts while the broker is down.
    public var fetchRetryBackoff = SimDuration.milliseconds(100)

    public init(topic: String) { self.topic = topic }

    /// The restart strategy in effect.
    public var effectiveRestartStrategy: RestartStrategyConfig { restartStrategy ?? .defaultFor(checkpointingEnabled: checkpointInterval != nil) }
}

/// One aggregate of a row window: a `PaneAggregateKind` over a column index (nil = `*`).
public struct RowAggregateSpec: Sendable, Equatable {
    public var kind: PaneAggregateKind
    public var column: Int?
    public init(_ kind: PaneAggregateKind, column: Int?) { self.kind = kind; self.column = column }
}

/// The keyed window stage of a pipeline: `keyBy(columns).window(assigner).allowedLateness(L)[.sideOutputLateData(tag)]
/// .aggregate(…)`, output rows `[window_start, window_end, keys…, aggregates…]` (timestamps in µs).
public struct FlinkWindowSpec: Sendable {
    /// The first key column (the DataStream jobs key by one column).
    public var keyColumn: Int { keyColumns.first ?? 0 }
    /// The key columns (a composite `FlinkKey`); empty = one global key.
    public var keyColumns: [Int]
    public var assigner: WindowAssigner
    public var allowedLateness: SimDuration
    public var sideOutputLateData: Bool
    /// The legacy aggregates over Double columns (`RowWindowAggregate`); unused when `queryAggregates` is set.
    public var aggregates: [RowAggregateSpec]
    /// QueryModel aggregates (`BoundAggregate`: Spark's buffers, result types and null rules, folded per row).
    public var queryAggregates: [BoundAggregate]?
    /// The window column a query windows on (its value, not the record's Kafka timestamp, is assigned to windows).
    public var timeColumn: Int?
    /// Table/SQL window semantics: no allowed lateness, no side output, late rows dropped and counted.
    public var sqlSemantics: Bool

    /// The legacy form: key by one column rendered as a string (`row[keyColumn].description`), Double aggregates.
    public init(keyColumn: Int, assigner: WindowAssigner, allowedLateness: SimDuration = .zero, aggregates: [RowAggregateSpec]) {
        self.keyColumns = [keyColumn]; self.assigner = assigner; self.allowedLateness = allowedLateness; self.aggregates = aggregates
        self.sideOutputLateData = false; self.queryAggregates = nil; self.timeColumn = nil; self.sqlSemantics = false
    }

    /// The query form: a composite key of the columns' values, QueryModel aggregates.
    public init(keyColumns: [Int], timeColumn: Int?, assigner: WindowAssigner, allowedLateness: SimDuration = .zero, sideOutputLateData: Bool = false,
                aggregates: [BoundAggregate], sqlSemantics: Bool = false) {
        self.keyColumns = keyColumns; self.timeColumn = timeColumn; self.assigner = assigner; self.allowedLateness = allowedLateness
        self.sideOutputLateData = sideOutputLateData; self.aggregates = []; self.queryAggregates = aggregates; self.sqlSemantics = sqlSemantics
    }

    /// The key of a row.
    @inlinable public func key(of row: Row) -> FlinkKey {
        if queryAggregates == nil { return FlinkKey([.string(row[keyColumn].description)]) }
        return FlinkKey(keyColumns.map { row[$0] })
    }

    var aggregateFunction: JobWindowAggregate {
        if let q = queryAggregates { return JobWindowAggregate(bound: q) }
        return JobWindowAggregate(legacy: RowWindowAggregate(specs: aggregates))
    }
}

/// Where a record came from: its Kafka coordinates (the identity late-record events and the side output carry).
public struct RecordOrigin: Hashable, Sendable, CustomStringConvertible {
    public var topicPartition: TopicPartition
    public var offset: Int64
    public init(_ tp: TopicPartition, _ offset: Int64) { self.topicPartition = tp; self.offset = offset }
    public var description: String { "\(topicPartition)@\(offset)" }
}

/// A record inside the job: the row, its event timestamp and where it came from.
public struct JobRecord: Sendable, Hashable {
    public var row: Row
    public var timestamp: EventTime
    public var origin: RecordOrigin
    public init(row: Row, timestamp: EventTime, origin: RecordOrigin) { self.row = row; self.timestamp = timestamp; self.origin = origin }
}

/// What the chained source-side functions made of one Kafka record.
public enum RecordOutcome: Sendable {
    /// A row and its event timestamp (the timestamp assigner's value; nil = the row has no rowtime).
    case row(Row, EventTime?)
    /// A filter said no; the timestamp (if the row had one) still reaches the watermark generator, which runs before
    /// any downstream filter (the source's timestamp assigner / the table's `WATERMARK`, then `WHERE`).
    case filtered(EventTime?)
    /// The format returned no row (`ignore-parse-errors`, a null/empty value): skipped, counted.
    case skipped
    /// The deserializer threw: the task fails (`IOException: Failed to deserialize JSON …`).
    case failed(String)
}

/// What a job does with each Kafka record: deserialize, stamp, filter, optionally window; the result goes to the sink.
public struct FlinkPipeline: Sendable {
    /// The value deserializer (nil = a record the format cannot read: skipped and counted).
    public var deserialize: @Sendable (Record) -> Row?
    /// The timestamp assigner (default: the Kafka record timestamp).
    public var eventTime: @Sendable (Record, Row) -> EventTime
    /// A chained filter (e.g. `price IS NOT NULL AND price > 0`).
    public var filter: (@Sendable (Row) -> Bool)?
    public var window: FlinkWindowSpec?
    /// The query path's chained source functions (decode, derived columns, filters, timestamp), run at the source
    /// subtask's processing time; when set it replaces `deserialize`/`eventTime`/`filter`.
    public var process: (@Sendable (TopicPartition, Record, ProcessingTime) -> RecordOutcome)?
    /// The rows a stateless pipeline emits (the query's projection); nil = the whole row.
    public var project: (@Sendable (Row) -> Row)?

    public init(deserialize: @escaping @Sendable (Record) -> Row?, eventTime: @escaping @Sendable (Record, Row) -> EventTime = { r, _ in r.timestamp },
                filter: (@Sendable (Row) -> Bool)? = nil, window: FlinkWindowSpec? = nil) {
        self.deserialize = deserialize; self.eventTime = eventTime; self.filter = filter; self.window = window
    }

    /// The query path's form.
    public init(process: @escaping @Sendable (TopicPartition, Record, ProcessingTime) -> RecordOutcome, project: (@Sendable (Row) -> Row)?, window: FlinkWindowSpec?) {
        self.deserialize = { _ in nil }
        self.eventTime = { r, _ in r.timestamp }
        self.process = process
        self.project = project
        self.window = window
    }

    /// Runs the chained functions on one record.
    func apply(_ tp: TopicPartition, _ record: Record, now: ProcessingTime) -> RecordOutcome {
        if let process { return process(tp, record, now) }
        guard let row = deserialize(record) else { return .skipped }
        if let f = filter, !f(row) { return .filtered(eventTime(record, row)) }
        return .row(row, eventTime(record, row))
    }

    /// The seed raw job: JSON → the seed columns, `WHERE price IS NOT NULL AND price > 0`, no window.
    public static var seedRawFilter: FlinkPipeline {
        FlinkPipeline(deserialize: { r in
            guard let v = r.value, let row = SeedPriceRow(json: String(decoding: v, as: UTF8.self)) else { return nil }
            return Row(row.values)
        }, filter: { row in if case .double(let p) = row[4] { return p > 0 } else { return false } })
    }
}

/// The window aggregate of a job: either the legacy Double aggregates or QueryModel's `BoundAggregate`s, folded one row
/// at a time in pane insertion (= arrival) order. Session merges combine target then source (`BoundAggregate.merge`,
/// left = the target/earlier state, as `AbstractHeapMergingState.mergeNamespaces` merges).
public struct JobWindowAggregate: AggregateFunction {
    public enum Accumulator: Sendable {
        case legacy(RowWindowAggregate.Accumulator)
        case buffers([AggregateBuffer])
    }
    let legacy: RowWindowAggregate?
    let bound: [BoundAggregate]

    init(legacy: RowWindowAggregate) { self.legacy = legacy; self.bound = [] }
    init(bound: [BoundAggregate]) { self.legacy = nil; self.bound = bound }

    public func createAccumulator() -> Accumulator {
        if let l = legacy { return .legacy(l.createAccumulator()) }
        return .buffers(bound.map(\.initial))
    }
    public func add(_ value: JobRecord, to acc: inout Accumulator) {
        switch acc {
        case .legacy(var a):
            legacy?.add(value.row, to: &a)
            acc = .legacy(a)
        case .buffers(var b):
            acc = .buffers([])  // keep the array uniquely referenced while it is updated
            for i in b.indices { bound[i].update(&b[i], row: value.row.values) }
            acc = .buffers(b)
        }
    }
    public func merge(_ a: Accumulator, _ b: Accumulator) -> Accumulator {
        switch (a, b) {
        case (.legacy(let x), .legacy(let y)): return legacy.map { .legacy($0.merge(x, y)) } ?? a
        case (.buffers(var x), .buffers(let y)):
            for i in x.indices where i < y.count { bound[i].merge(&x[i], y[i]) }
            return .buffers(x)
        default: return a
        }
    }
    public func result(_ acc: Accumulator) -> [Value] {
        switch acc {
        case .legacy(let a): return legacy?.result(a) ?? []
        case .buffers(let b): return zip(bound, b).map { $0.result($1) }
        }
    }
}

/// The accumulator-based aggregate of a row window (`AggregateFunction` over `Row`).
public struct RowWindowAggregate: AggregateFunction {
    public struct Accumulator: Sendable {
        var rows: Int64 = 0
        var n: [Int64]
        var v: [Double?]
    }
    public let specs: [RowAggregateSpec]
    public init(specs: [RowAggregateSpec]) { self.specs = specs }
    public func createAccumulator() -> Accumulator { Accumulator(n: Array(repeating: 0, count: specs.count), v: Array(repeating: nil, count: specs.count)) }
    public func add(_ row: Row, to acc: inout Accumulator) {
        acc.rows += 1
        for (i, s) in specs.enumerated() {
            guard let c = s.column else { continue }
            guard c < row.values.count, let x = row[c].doubleValue else { continue }
            acc.n[i] += 1
            let old = acc.v[i]
            switch s.kind {
            case .first: if old == nil { acc.v[i] = x }
            case .last: acc.v[i] = x
            case .min: acc.v[i] = old.map { Swift.min($0, x) } ?? x
            case .max: acc.v[i] = old.map { Swift.max($0, x) } ?? x
            case .sum, .avg: acc.v[i] = (old ?? 0) + x
            case .count: break
            }
        }
    }
    public func merge(_ a: Accumulator, _ b: Accumulator) -> Accumulator {
        var r = a
        r.rows += b.rows
        for (i, s) in specs.enumerated() {
            r.n[i] += b.n[i]
            switch (a.v[i], b.v[i]) {
            case let (x?, y?):
                switch s.kind {
                case .first: r.v[i] = x
                case .last: r.v[i] = y
                case .min: r.v[i] = Swift.min(x, y)
                case .max: r.v[i] = Swift.max(x, y)
                case .sum, .avg: r.v[i] = x + y
                case .count: break
                }
            default: r.v[i] = a.v[i] ?? b.v[i]
            }
        }
        return r
    }
    public func result(_ acc: Accumulator) -> [Value] {
        specs.enumerated().map { (i, s) -> Value in
            switch s.kind {
            case .count: return .long(s.column == nil ? acc.rows : acc.n[i])
            case .avg: return acc.v[i].map { .double($0 / Double(acc.n[i])) } ?? .null
            default: return acc.v[i].map(Value.double) ?? .null
            }
        }
    }
}
