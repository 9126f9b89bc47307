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

/// The keyed window stage of a pipeline: `keyBy(column).window(assigner).allowedLateness(L).aggregate(…)`, output rows
/// `[window_start, window_end, key, aggregates…]` (timestamps in µs).
public struct FlinkWindowSpec: Sendable {
    public var keyColumn: Int
    public var assigner: WindowAssigner
    public var allowedLateness: SimDuration
    public var aggregates: [RowAggregateSpec]
    public init(keyColumn: Int, assigner: WindowAssigner, allowedLateness: SimDuration = .zero, aggregates: [RowAggregateSpec]) {
        self.keyColumn = keyColumn; self.assigner = assigner; self.allowedLateness = allowedLateness; self.aggregates = aggregates
    }
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

    public init(deserialize: @escaping @Sendable (Record) -> Row?, eventTime: @escaping @Sendable (Record, Row) -> EventTime = { r, _ in r.timestamp },
                filter: (@Sendable (Row) -> Bool)? = nil, window: FlinkWindowSpec? = nil) {
        self.deserialize = deserialize; self.eventTime = eventTime; self.filter = filter; self.window = window
    }

    /// The seed raw job: JSON → the seed columns, `WHERE price IS NOT NULL AND price > 0`, no window.
    public static var seedRawFilter: FlinkPipeline {
        FlinkPipeline(deserialize: { r in
            guard let v = r.value, let row = SeedPriceRow(json: String(decoding: v, as: UTF8.self)) else { return nil }
            return Row(row.values)
        }, filter: { row in if case .double(let p) = row[4] { return p > 0 } else { return false } })
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
