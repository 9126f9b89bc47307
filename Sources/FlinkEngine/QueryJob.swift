public import SimCore
public import SimLog
public import QueryModel

/// How a `StreamingQuery` runs on the Flink model, named after the Flink options they stand for (1.20 defaults).
public struct FlinkQueryOptions: Sendable {
    /// `datastream`: `fromSource(kafka, WatermarkStrategy.forBoundedOutOfOrderness(B)[.withIdleness(T)])
    /// .keyBy(keys).window(assigner).allowedLateness(L)[.sideOutputLateData(tag)].aggregate(…)` — `wm = maxTs − B − 1`.
    /// `sql`: `CREATE TABLE … WATERMARK FOR rowtime AS rowtime − INTERVAL 'B'` + a window aggregation — `wm = maxTs − B`,
    /// late rows silently dropped (no allowed lateness, no side output).
    public enum API: String, Sendable, Equatable { case datastream, sql }
    public var api: API = .datastream
    /// `forBoundedOutOfOrderness(B)` / the SQL `INTERVAL`: overrides the query's `WatermarkSpec.delayMs`.
    public var forBoundedOutOfOrderness: SimDuration?
    /// `pipeline.auto-watermark-interval` (200 ms). 0 = a watermark per record: SQL's `WatermarkAssignerOperator`
    /// emits eagerly; DataStream uses the conformance recorder's per-record generator (`maxTs − B − 1` from `onEvent`),
    /// because a real `forBoundedOutOfOrderness` with interval 0 emits nothing until end of input.
    public var autoWatermarkInterval = SimDuration.milliseconds(200)
    /// `WatermarkStrategy.withIdleness(T)` (DataStream) / `table.exec.source.idle-timeout` (SQL with push-down).
    public var withIdleness: SimDuration?
    /// `allowedLateness(L)` (DataStream only).
    public var allowedLateness = SimDuration.zero
    /// `sideOutputLateData(tag)` (DataStream only): late records go to `FlinkJob.sideOutput`.
    public var sideOutputLateData = false
    /// SQL only: push the watermark into the Kafka source (`SupportsWatermarkPushDown`: a per-partition generator whose
    /// value is the last row's `rowtime − B`, min over partitions, periodic only) instead of the chained
    /// `WatermarkAssignerOperator` (per source subtask, running max, starts at 0) that the conformance recording used.
    public var sqlWatermarkPushDown = false
    /// `execution.checkpointing.interval` (nil = disabled), `.min-pause`, `.timeout`, `.max-concurrent-checkpoints`.
    public var checkpointInterval: SimDuration?
    public var checkpointMinPause = SimDuration.zero
    public var checkpointTimeout = SimDuration.minutes(10)
    public var maxConcurrentCheckpoints = 1
    /// `restart-strategy.type`; nil = 1.20's default (exponential-delay with checkpointing, none without).
    public var restartStrategy: RestartStrategyConfig?
    /// `parallelism.default` for every operator; `sourceParallelism` overrides the Kafka readers'.
    public var parallelism = 1
    public var sourceParallelism: Int?
    /// `pipeline.max-parallelism` (128).
    public var maxParallelism = KeyGroupAssignment.defaultMaxParallelism
    /// `json.ignore-parse-errors` (false: a malformed message fails the job).
    public var jsonIgnoreParseErrors = false
    /// `json.fail-on-missing-field` (false).
    public var jsonFailOnMissingField = false
    /// `json.timestamp-format.standard` (SQL).
    public var jsonTimestampFormat = FlinkJSONTimestampFormat.sql
    /// `scan.startup.mode`; nil = the query's `startingOffsets`.
    public var scanStartupMode: StartingOffsets?
    /// `scan.bounded.mode = latest-offset`: stop at the log-end offsets present when the job first starts, then flush
    /// with the `MAX` watermark as a bounded run does.
    public var scanBoundedLatestOffset = false
    /// `heartbeat.timeout` (50 s), `execution.buffer-timeout` (100 ms), network delivery latency, reader poll period.
    public var heartbeatTimeout = SimDuration.seconds(50)
    public var bufferTimeout = SimDuration.milliseconds(100)
    public var networkLatency = SimDuration.milliseconds(1)
    public var pollInterval = SimDuration.milliseconds(10)
    /// A user watermark generator for every split instead of the strategy's own (tests plant wrong watermarks with it).
    public var customWatermarkGenerator: CustomWatermarkGenerator?

    public init(api: API = .datastream) { self.api = api }

    /// The conformance recorder's mode: parallelism 1, a watermark per record, a bounded source.
    public static func recorderMode(api: API = .datastream) -> FlinkQueryOptions {
        var o = FlinkQueryOptions(api: api)
        o.autoWatermarkInterval = .zero
        o.bufferTimeout = .zero
        o.pollInterval = .milliseconds(1)
        return o
    }
}

/// A `StreamingQuery` resolved for the Flink model. QueryModel's `CompiledQuery` resolves the schemas, the group-key and
/// window columns and the `BoundAggregate`s; the per-record part is the Flink side's own: flink-json decoding
/// (`FlinkJSONFormat`) instead of Spark's PERMISSIVE `from_json`, then the same derived columns and filters compiled
/// with QueryModel's `CompiledExpression` (so the shared expression language evaluates identically in both models),
/// `current_timestamp()` = the source subtask's processing time.
public struct FlinkQueryPlan: @unchecked Sendable {
    public let query: StreamingQuery
    public let compiled: CompiledQuery
    public let options: FlinkQueryOptions
    let json: FlinkJSONFormat?
    let kafkaBase: Int
    let derived: [(index: Int, eval: ([Value], EvaluationContext) -> Value)]
    let filters: [([Value], EvaluationContext) -> Value]
    /// The rowtime column (the watermark's and the window's time column: Flink has one rowtime attribute per table).
    public let rowtimeIndex: Int?
    /// The watermark delay in ms (nil = no watermarks until end of input).
    public let watermarkDelayMs: Int64?

    public var rowSchema: Schema { compiled.rowSchema }
    public var outputSchema: Schema { compiled.outputSchema }

    public init(_ query: StreamingQuery, options: FlinkQueryOptions) throws(FlinkError) {
        self.query = query
        self.options = options
        let compiled: CompiledQuery
        do { compiled = try CompiledQuery(query) } catch { throw .invalidConfiguration("\(error)") }
        self.compiled = compiled
        if let u = query.unionInputs, !u.isEmpty { throw .unsupportedCase("union inputs are not modelled on the Flink side") }
        if let a = query.aggregation, a.window == nil {
            throw .unsupportedCase("a non-windowed GROUP BY is an updating (retract) aggregation in Flink; only window aggregations are modelled")
        }
        var (fields, base) = KafkaColumns.sourceFields(query.valueFormat)
        kafkaBase = base
        if case .json(let s) = query.valueFormat {
            json = FlinkJSONFormat(schema: s, ignoreParseErrors: options.jsonIgnoreParseErrors, failOnMissingField: options.jsonFailOnMissingField,
                                   timestampFormat: options.jsonTimestampFormat)
        } else {
            json = nil
        }
        var derived: [(Int, ([Value], EvaluationContext) -> Value)] = []
        for d in query.derivedColumns {
            let c: (type: DataType, eval: FlinkExpression.Eval)
            do { c = try FlinkExpression.compile(d.expression, schema: Schema(fields)) } catch { throw .invalidConfiguration("\(error)") }
            if let i = fields.firstIndex(where: { $0.name == d.name }) {
                fields[i] = Field(d.name, c.type)
                derived.append((i, c.eval))
            } else {
                fields.append(Field(d.name, c.type))
                derived.append((fields.count - 1, c.eval))
            }
        }
        guard Schema(fields) == compiled.rowSchema else { throw .unsupportedCase("row layout differs from QueryModel's: \(Schema(fields)) vs \(compiled.rowSchema)") }
        self.derived = derived
        var filters: [([Value], EvaluationContext) -> Value] = []
        for f in query.filters {
            do { filters.append(try FlinkExpression.compile(f, schema: compiled.rowSchema).eval) } catch { throw .invalidConfiguration("\(error)") }
        }
        self.filters = filters
        if let e = compiled.eventTimeIndex, let t = compiled.timeIndex, e != t {
            throw .unsupportedCase("the watermark column and the window column differ; a Flink table has one rowtime attribute")
        }
        rowtimeIndex = compiled.timeIndex ?? compiled.eventTimeIndex
        watermarkDelayMs = options.forBoundedOutOfOrderness?.milliseconds ?? compiled.watermarkDelayMs
        if options.api == .sql && (options.allowedLateness.milliseconds != 0 || options.sideOutputLateData) {
            throw .invalidConfiguration("SQL window aggregations have no allowed lateness and no side output (WindowAggOperator drops late rows)")
        }
        if options.api == .sql && !options.sqlWatermarkPushDown && options.withIdleness != nil {
            throw .unsupportedCase("idleness of the chained WatermarkAssignerOperator (table.exec.source.idle-timeout without push-down)")
        }
        if options.allowedLateness.milliseconds < 0 { throw .invalidConfiguration("The allowed lateness cannot be negative") }
    }

    /// The chained source functions for one Kafka record.
    public func process(_ tp: TopicPartition, _ record: Record, now: ProcessingTime) -> RecordOutcome {
        var row = [Value](repeating: .null, count: compiled.rowSchema.count)
        if let json {
            do {
                switch try json.deserialize(record.value) {
                case .noRow: return .skipped
                case .row(let vs): for (i, v) in vs.enumerated() { row[i] = v }
                }
            } catch {
                return .failed("\(error)")
            }
        }
        let k = kafkaBase
        row[k] = record.key.map { .binary($0) } ?? .null
        row[k + 1] = record.value.map { .binary($0) } ?? .null
        row[k + 2] = .string(tp.topic)
        row[k + 3] = .int(tp.partition)
        row[k + 4] = .long(record.offset)
        row[k + 5] = .timestamp(record.timestamp.millisecondsSinceEpoch &* 1000)
        row[k + 6] = .int(0)
        let ctx = EvaluationContext(currentTimestampMicros: now.millisecondsSinceEpoch &* 1000)
        for d in derived { row[d.index] = d.eval(row, ctx) }
        let ts = rowtimeIndex.flatMap { row[$0].eventTime }
        for f in filters {
            guard case .bool(true) = f(row, ctx) else { return .filtered(ts) }
        }
        if rowtimeIndex != nil && ts == nil && compiled.isAggregation {
            return .failed(options.api == .sql ? "java.lang.RuntimeException: RowTime field should not be null, please convert it to a non-null long value."
                                               : FlinkError.missingTimestamp.description)
        }
        return .row(Row(row), ts)
    }

    /// The Flink windowing of the query's `WindowSpec` (offsets included; Flink's and Spark's alignment agree).
    var windowAssigner: WindowAssigner? {
        switch query.aggregation?.window {
        case .tumbling(let s, let o)?: return .tumblingEventTime(size: s, offset: o)
        case .sliding(let s, let sl, let o)?: return .slidingEventTime(size: s, slide: sl, offset: o)
        case .session(let g)?: return .eventTimeSession(gap: g)
        case nil: return nil
        }
    }

    /// The watermark strategy of the source (see `FlinkQueryOptions.api`).
    var watermarkStrategy: WatermarkStrategy {
        guard rowtimeIndex != nil, let b = watermarkDelayMs else { return WatermarkStrategy(.none) }
        let perRecord = options.autoWatermarkInterval.milliseconds == 0
        var s: WatermarkStrategy
        switch options.api {
        case .datastream:
            s = WatermarkStrategy(perRecord ? .punctuatedBoundedOutOfOrderness(.milliseconds(b)) : .boundedOutOfOrderness(.milliseconds(b)))
        case .sql:
            guard options.sqlWatermarkPushDown else { return WatermarkStrategy(.none) }
            s = WatermarkStrategy(.sqlRowtimeMinusInterval(.milliseconds(b)))
        }
        s.idleness = options.withIdleness
        s.custom = options.customWatermarkGenerator
        return s
    }

    /// The job configuration for `topic`.
    var jobConfig: FlinkJobConfig {
        var c = FlinkJobConfig(topic: query.source.topic)
        c.sourceParallelism = options.sourceParallelism ?? options.parallelism
        c.windowParallelism = options.parallelism
        c.maxParallelism = options.maxParallelism
        c.watermarkStrategy = watermarkStrategy
        c.autoWatermarkInterval = options.autoWatermarkInterval
        if options.api == .sql && !options.sqlWatermarkPushDown && rowtimeIndex != nil, let b = watermarkDelayMs {
            c.sqlWatermarkAssignerDelay = .milliseconds(b)
        }
        c.checkpointInterval = options.checkpointInterval
        c.checkpointMinPause = options.checkpointMinPause
        c.checkpointTimeout = options.checkpointTimeout
        c.maxConcurrentCheckpoints = options.maxConcurrentCheckpoints
        c.restartStrategy = options.restartStrategy
        c.heartbeatTimeout = options.heartbeatTimeout
        c.bufferTimeout = options.bufferTimeout
        c.networkLatency = options.networkLatency
        c.pollInterval = options.pollInterval
        c.startingOffsets = options.scanStartupMode ?? query.source.startingOffsets
        c.stopAtLatestOffsets = options.scanBoundedLatestOffset
        return c
    }

    /// The pipeline: chained source functions, then the keyed window (or the projection).
    var pipeline: FlinkPipeline {
        let plan = self
        var window: FlinkWindowSpec?
        if let a = windowAssigner {
            window = FlinkWindowSpec(keyColumns: compiled.keyIndices, timeColumn: rowtimeIndex, assigner: a,
                                     allowedLateness: options.api == .sql ? .zero : options.allowedLateness,
                                     sideOutputLateData: options.api == .sql ? false : options.sideOutputLateData,
                                     aggregates: compiled.aggregates, sqlSemantics: options.api == .sql)
        }
        let projection = compiled.projectionIndices
        let process: @Sendable (TopicPartition, Record, ProcessingTime) -> RecordOutcome = { tp, r, now in plan.process(tp, r, now: now) }
        var project: (@Sendable (Row) -> Row)?
        if window == nil { project = { row in Row(projection.map { row[$0] }) } }
        return FlinkPipeline(process: process, project: project, window: window)
    }
}

/// Expression compilation for the Flink side: QueryModel's `CompiledExpression` for everything, except that a
/// comparison with a floating-point NaN operand follows Java/Flink (`=`, `<`, `<=`, `>`, `>=` are false, `<>` true;
/// Flink's generated code compares primitives with Java operators) instead of Spark's total order (NaN = NaN, NaN above
/// every number, `SQLOrderingUtil.compareDoubles`). `AND`/`OR`/`NOT` over such comparisons keep SQL's three-valued logic.
enum FlinkExpression {
    typealias Eval = ([Value], EvaluationContext) -> Value

    static func compile(_ e: ColumnExpression, schema: Schema) throws(QueryModelError) -> (type: DataType, eval: Eval) {
        switch e {
        case .compare(let op, let a, let b):
            let spark = try CompiledExpression.compile(e, schema: schema).evaluate
            let fa = try compile(a, schema: schema).eval, fb = try compile(b, schema: schema).eval
            return (.boolean, { row, ctx in
                let x = fa(row, ctx), y = fb(row, ctx)
                if x.isNull || y.isNull { return .null }
                if let dx = x.doubleValue, let dy = y.doubleValue, dx.isNaN || dy.isNaN { return .bool(op == .notEqual) }
                return spark(row, ctx)
            })
        case .and(let a, let b):
            let fa = try compile(a, schema: schema).eval, fb = try compile(b, schema: schema).eval
            return (.boolean, { row, ctx in
                let x = fa(row, ctx)
                if case .bool(false) = x { return .bool(false) }
                let y = fb(row, ctx)
                if case .bool(false) = y { return .bool(false) }
                return x.isNull || y.isNull ? .null : .bool(true)
            })
        case .or(let a, let b):
            let fa = try compile(a, schema: schema).eval, fb = try compile(b, schema: schema).eval
            return (.boolean, { row, ctx in
                let x = fa(row, ctx)
                if case .bool(true) = x { return .bool(true) }
                let y = fb(row, ctx)
                if case .bool(true) = y { return .bool(true) }
                return x.isNull || y.isNull ? .null : .bool(false)
            })
        case .not(let a):
            let fa = try compile(a, schema: schema).eval
            return (.boolean, { row, ctx in if case .bool(let v) = fa(row, ctx) { return .bool(!v) } else { return .null } })
        default:
            let c = try CompiledExpression.compile(e, schema: schema)
            return (c.type, c.evaluate)
        }
    }
}

/// `GeneratedWatermarkGeneratorSupplier.DefaultWatermarkGenerator` (flink-table-runtime, 1.20), the generator a pushed-down
/// `WATERMARK FOR rowtime AS rowtime − INTERVAL 'B'` runs per Kafka partition: `onEvent` sets the current watermark to
/// **this** row's `rowtime − B` (not a running max; starts at `MIN`), `onPeriodicEmit` emits it (the split output keeps
/// only rises). No `−1`.
public struct SQLRowtimeWatermarks: WatermarkGenerator, Sendable {
    public let delayMillis: Int64
    public private(set) var current: Int64 = .min
    public init(delay: SimDuration) { delayMillis = delay.milliseconds }
    public mutating func onEvent(timestamp: EventTime, now: ProcessingTime) -> WatermarkSignal? {
        current = timestamp.millisecondsSinceEpoch &- delayMillis
        return nil
    }
    public mutating func onPeriodicEmit(now: ProcessingTime) -> WatermarkSignal? { .watermark(EventTime(current)) }
}

extension FlinkJob {
    /// A job executing `query` (the same description the Spark model executes) with Flink `options`, reading `log`.
    /// Output rows have the query's `outputSchema`: for window queries `window_start`, `window_end` (timestamps µs),
    /// the group keys and the aggregates in spec order; otherwise the projection.
    public convenience init(environment: SimEnvironment, query: StreamingQuery, options: FlinkQueryOptions = FlinkQueryOptions(), log: any FlinkSourceLog,
                            sink: @escaping (_ subtask: Int, _ parallelism: Int) -> any FlinkSink) throws(FlinkError) {
        let plan = try FlinkQueryPlan(query, options: options)
        try self.init(environment: environment, config: plan.jobConfig, log: log, pipeline: plan.pipeline, sink: sink)
        self.queryPlan = plan
    }
}
