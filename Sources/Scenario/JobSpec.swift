public import SimCore
public import SimLog
public import QueryModel
import Yams

/// A job: one query, run on Spark, Flink or both, each with its own engine options.
///
/// The two engines normally run the *same* query, which is what makes the Spark-vs-Flink diff meaningful. When a
/// pipeline was written differently for each engine (the seed "Spark vs Flink" project casts `price` to float in
/// Spark and filters in Flink), `spark.query` / `flink.query` override keys of the job's `query` for that engine
/// only — a key given there replaces the job's key wholesale, `null` removes it — and `compare_by` names the
/// columns that identify a row when comparing the engines' outputs row by row.
public struct JobSpec: Sendable {
    public var name: String
    /// The job's query as the first engine that runs it sees it (Spark's when the job runs on Spark).
    public var query: StreamingQuery
    public var spark: SparkJobOptions?
    public var flink: FlinkJobOptions?
    /// Spark's query (the job's query with `spark.query` overrides and Spark's source options applied).
    public var sparkQuery: StreamingQuery?
    /// Flink's query (the job's query with `flink.query` overrides applied).
    public var flinkQuery: StreamingQuery?
    /// Columns that identify a row when a job without windows is compared across engines (`compare_by`).
    public var compareBy: [String]

    public func runs(_ engine: EngineName) -> Bool { engine == .spark ? spark != nil : flink != nil }

    /// The query `engine` runs.
    public func query(on engine: EngineName) -> StreamingQuery {
        (engine == .spark ? sparkQuery : flinkQuery) ?? query
    }

    /// Whether the engines run different queries (an override is present).
    public var hasEngineOverrides: Bool { spark?.queryOverride == true || flink?.queryOverride == true }

    static let keys = ["name", "query", "spark", "flink", "compare_by"]

    static func parse(_ v: YAMLValue, index: Int, topics: [TopicSpec]) throws(ScenarioError) -> JobSpec {
        let m = try v.mapping(allowed: keys)
        let name = try m.string("name", default: "job\(index)")
        let qv = try m.required("query", hint: "what to compute: topic, schema, window, aggregates …")
        guard m.has("spark") || m.has("flink") else {
            throw v.error("`\(v.path)`: a job needs `spark:`, `flink:` or both (an empty mapping `spark: {}` takes every default)")
        }
        let spark = try m["spark"].map { (x) throws(ScenarioError) -> SparkJobOptions in try SparkJobOptions.parse(x) } ?? (m.has("spark") ? SparkJobOptions() : nil)
        let flink = try m["flink"].map { (x) throws(ScenarioError) -> FlinkJobOptions in try FlinkJobOptions.parse(x) } ?? (m.has("flink") ? FlinkJobOptions() : nil)
        let compareBy = try (m["compare_by"]?.list() ?? []).map { (x) throws(ScenarioError) -> String in try x.string() }
        var sparkQuery: StreamingQuery?
        var flinkQuery: StreamingQuery?
        if let s = spark {
            let override = try m["spark"].flatMap { (x) throws(ScenarioError) -> YAMLValue? in try x.mapping(allowed: SparkJobOptions.keys)["query"] }
            var query = try QuerySpecParser.parse(try merged(qv, override), name: name)
            query.outputMode = s.outputMode
            if let st = s.startingOffsets { query.source.startingOffsets = st }
            query.source.failOnDataLoss = s.failOnDataLoss
            query.source.maxOffsetsPerTrigger = s.maxOffsetsPerTrigger
            // Spark's UnsupportedOperationChecker, checked before anything runs (same text as Spark 3.5).
            if let agg = query.aggregation {
                if s.outputMode == .append, query.watermark == nil {
                    throw (m["spark"] ?? v).error("`\((m["spark"] ?? v).path)`: Append output mode not supported when there are streaming aggregations on streaming DataFrames/DataSets without watermark — add `watermark:` to the query or use outputMode update/complete")
                }
                if s.outputMode == .update, agg.window?.isSession == true {
                    throw (m["spark"] ?? v).error("`\((m["spark"] ?? v).path)`: Update output mode not supported for session window on streaming DataFrames/DataSets (Spark rejects it at start())")
                }
            } else if s.outputMode == .complete {
                throw (m["spark"] ?? v).error("`\((m["spark"] ?? v).path)`: Complete output mode not supported when there are no streaming aggregations on streaming DataFrames/Datasets")
            }
            try checkTopic(query, qv: override ?? qv, topics: topics)
            sparkQuery = query
        }
        if let f = flink {
            let override = try m["flink"].flatMap { (x) throws(ScenarioError) -> YAMLValue? in try x.mapping(allowed: FlinkJobOptions.keys)["query"] }
            var query = try QuerySpecParser.parse(try merged(qv, override), name: name)
            if let st = f.startingOffsets { query.source.startingOffsets = st }
            if query.aggregation?.window != nil, query.watermark == nil, f.boundedOutOfOrderness == nil {
                throw (m["flink"] ?? v).error("`\((m["flink"] ?? v).path)`: event-time windows need a watermark: set the query's `watermark:` or `forBoundedOutOfOrderness:`")
            }
            try checkTopic(query, qv: override ?? qv, topics: topics)
            flinkQuery = query
        }
        if let c = m["compare_by"] {
            guard spark != nil, flink != nil else { throw c.error("`\(c.path)`: compare_by compares the Spark and Flink outputs of a job: the job needs both `spark:` and `flink:`") }
            guard !compareBy.isEmpty else { throw c.error("`\(c.path)`: name at least one column, e.g. [symbol, timestamp]") }
            for q in [sparkQuery!, flinkQuery!] {
                let columns = (try? CompiledQuery(q))?.outputSchema.names ?? []
                for col in compareBy where !columns.contains(col) {
                    var message = "`\(c.path)`: \(col) is not an output column of the job (\(columns.joined(separator: ", ")))"
                    if let s = Suggestion.nearest(to: col, in: columns) { message += "; did you mean \(s)?" }
                    throw c.error(message)
                }
            }
        }
        return JobSpec(name: name, query: sparkQuery ?? flinkQuery!, spark: spark, flink: flink, sparkQuery: sparkQuery, flinkQuery: flinkQuery, compareBy: compareBy)
    }

    /// The job's `query:` mapping with an engine's `query:` keys laid over it (a key there replaces the job's key;
    /// `null` removes it). The merged node keeps each key's own line:column, so errors point where the text is.
    static func merged(_ base: YAMLValue, _ override: YAMLValue?) throws(ScenarioError) -> YAMLValue {
        guard let override else { return base }
        _ = try override.mapping(allowed: QuerySpecParser.keys)
        guard case .mapping(var m) = base.node, case .mapping(let o) = override.node else { return base }
        for (k, value) in o { m[k] = value }
        return YAMLValue(node: .mapping(m), path: override.path, file: base.file)
    }

    static func checkTopic(_ query: StreamingQuery, qv: YAMLValue, topics: [TopicSpec]) throws(ScenarioError) {
        guard !topics.isEmpty, !topics.contains(where: { $0.name == query.source.topic }) else { return }
        let mapping = try qv.mapping(allowed: QuerySpecParser.keys)
        let t = mapping["topic"] ?? qv
        var message = "`\(t.path)`: no topic named \(query.source.topic) in `topics:`"
        if let s = Suggestion.nearest(to: query.source.topic, in: topics.map(\.name)) { message += "; did you mean \(s)?" }
        throw t.error(message + " (an undeclared topic is auto-created with one partition only if a feed writes to it)")
    }
}

/// The Spark side of a job, with Spark's option names.
public struct SparkJobOptions: Sendable, Equatable {
    public enum Trigger: Sendable, Equatable { case processingTime(SimDuration), once, availableNow }
    public var trigger: Trigger = .processingTime(.zero)
    public var outputMode: OutputMode = .append
    public var startingOffsets: StartingOffsets?
    public var failOnDataLoss = true
    public var maxOffsetsPerTrigger: Int64?
    public var noDataMicroBatches = true
    public var multipleWatermarkPolicy = "min"
    /// Batch cost model (virtual time a batch takes).
    public var costFixed: SimDuration = .zero
    public var costPerRowNanos: Int64 = 0
    public var costPerStateRowNanos: Int64 = 0
    public var sink = SinkSpec(kind: .memory, table: nil)
    public var checkpointDirectory: String?
    /// Whether `spark.query` overrides keys of the job's query.
    public var queryOverride = false
    /// What an orchestrator (Airflow, Kubernetes, `spark-submit --supervise`) does when the query fails: start the
    /// driver again after `delay`, at most `maxAttempts` times. nil = a failed query stays failed (plain
    /// `spark-submit`, which is what the seed projects run).
    public var restartOnFailure: RestartOnFailure?

    /// `restart_on_failure`: a supervised driver.
    public struct RestartOnFailure: Sendable, Equatable {
        public var delay: SimDuration
        public var maxAttempts: Int
    }

    public init() {}

    static let keys = ["trigger", "outputMode", "startingOffsets", "failOnDataLoss", "maxOffsetsPerTrigger",
                       "spark.sql.streaming.noDataMicroBatches.enabled", "spark.sql.streaming.multipleWatermarkPolicy",
                       "cost", "sink", "checkpointLocation", "query", "restart_on_failure"]

    static func parse(_ v: YAMLValue) throws(ScenarioError) -> SparkJobOptions {
        let m = try v.mapping(allowed: keys)
        var o = SparkJobOptions()
        if let t = m["trigger"] {
            switch try t.string().lowercased() {
            case "once": o.trigger = .once
            case "availablenow", "available-now", "available_now": o.trigger = .availableNow
            default: o.trigger = .processingTime(try t.duration())
            }
        }
        if let x = m["outputMode"] { o.outputMode = try x.oneOf(OutputMode.self) }
        if let x = m["startingOffsets"] { o.startingOffsets = try startingOffsets(x) }
        o.failOnDataLoss = try m.bool("failOnDataLoss", default: true)
        o.maxOffsetsPerTrigger = try m["maxOffsetsPerTrigger"]?.int()
        if let n = o.maxOffsetsPerTrigger, n <= 0 { throw m["maxOffsetsPerTrigger"]!.error("`maxOffsetsPerTrigger` must be positive") }
        o.noDataMicroBatches = try m.bool("spark.sql.streaming.noDataMicroBatches.enabled", default: true)
        if let p = m["spark.sql.streaming.multipleWatermarkPolicy"] {
            let s = try p.string()
            guard s == "min" || s == "max" else { throw p.error("`\(p.path)` is min or max") }
            o.multipleWatermarkPolicy = s
        }
        if let c = m["cost"] {
            let cm = try c.mapping(allowed: ["fixed", "per_row", "per_state_row"])
            o.costFixed = try cm.duration("fixed", default: .zero)
            o.costPerRowNanos = try nanos(cm["per_row"])
            o.costPerStateRowNanos = try nanos(cm["per_state_row"])
        }
        if let s = m["sink"] { o.sink = try SinkSpec.parse(s, engine: .spark) }
        o.checkpointDirectory = try m["checkpointLocation"]?.string()
        o.queryOverride = m.has("query")
        if let r = m["restart_on_failure"] {
            if r.node.scalar != nil {
                o.restartOnFailure = RestartOnFailure(delay: try r.duration(), maxAttempts: 10)
            } else {
                let rm = try r.mapping(allowed: ["delay", "max_attempts"])
                o.restartOnFailure = RestartOnFailure(delay: try rm.duration("delay", default: .seconds(30)), maxAttempts: Int(try rm.int("max_attempts", default: 10)))
            }
            if o.restartOnFailure!.maxAttempts < 1 { throw r.error("`\(r.path).max_attempts` must be at least 1") }
        }
        return o
    }

    static func nanos(_ v: YAMLValue?) throws(ScenarioError) -> Int64 {
        guard let v else { return 0 }
        let text = try v.string().lowercased()
        let parts = text.split(separator: " ").map(String.init)
        let joined = parts.joined()
        let units: [(String, Double)] = [("ns", 1), ("µs", 1000), ("us", 1000), ("ms", 1_000_000)]
        for (u, f) in units where joined.hasSuffix(u) {
            if let x = Double(joined.dropLast(u.count)), x >= 0 { return Int64(x * f) }
        }
        throw v.error("`\(v.path)`: expected a per-row cost such as 2 µs, 500 ns or 0.01 ms")
    }

    static func startingOffsets(_ v: YAMLValue) throws(ScenarioError) -> StartingOffsets {
        let s = try v.string()
        switch s {
        case "earliest": return .earliest
        case "latest": return .latest
        default:
            throw v.error("`\(v.path)`: startingOffsets is earliest or latest")
        }
    }
}

/// The Flink side of a job, with Flink's option names.
public struct FlinkJobOptions: Sendable, Equatable {
    public enum API: String, Sendable, Equatable, CaseIterable { case datastream, sql }
    public var api: API = .datastream
    /// `forBoundedOutOfOrderness`; nil = the query's watermark delay.
    public var boundedOutOfOrderness: SimDuration?
    /// `pipeline.auto-watermark-interval` (200 ms; 0 = per record).
    public var autoWatermarkInterval: SimDuration = .milliseconds(200)
    /// `withIdleness`.
    public var idleness: SimDuration?
    public var allowedLateness: SimDuration = .zero
    public var sideOutputLateData = false
    public var parallelism = 1
    public var checkpointInterval: SimDuration?
    public var checkpointMinPause: SimDuration = .zero
    public var checkpointTimeout: SimDuration = .minutes(10)
    public var restartStrategy: RestartStrategySpec?
    public var ignoreParseErrors = false
    /// `execution.buffer-timeout` (100 ms).
    public var bufferTimeout: SimDuration = .milliseconds(100)
    /// `heartbeat.timeout` (50 s): how long a lost TaskManager goes unnoticed by the JobManager.
    public var heartbeatTimeout: SimDuration = .seconds(50)
    public var sink = SinkSpec(kind: .jdbc, table: nil)
    public var startingOffsets: StartingOffsets?
    /// Whether `flink.query` overrides keys of the job's query.
    public var queryOverride = false

    public init() {}

    static let keys = ["api", "forBoundedOutOfOrderness", "pipeline.auto-watermark-interval", "withIdleness", "allowedLateness",
                       "sideOutputLateData", "parallelism", "execution.checkpointing.interval", "execution.checkpointing.min-pause",
                       "execution.checkpointing.timeout", "restart-strategy", "json.ignore-parse-errors", "execution.buffer-timeout",
                       "heartbeat.timeout", "sink", "scan.startup.mode", "query"]

    static func parse(_ v: YAMLValue) throws(ScenarioError) -> FlinkJobOptions {
        let m = try v.mapping(allowed: keys)
        var o = FlinkJobOptions()
        if let a = m["api"] { o.api = try a.oneOf(API.self) }
        o.boundedOutOfOrderness = try m.optionalDuration("forBoundedOutOfOrderness")
        o.autoWatermarkInterval = try m.duration("pipeline.auto-watermark-interval", default: o.autoWatermarkInterval)
        o.idleness = try m.optionalDuration("withIdleness")
        if let i = o.idleness, i <= .zero { throw m["withIdleness"]!.error("`withIdleness` must be > 0 (WatermarkStrategy.withIdleness checks this)") }
        o.allowedLateness = try m.duration("allowedLateness", default: .zero)
        o.sideOutputLateData = try m.bool("sideOutputLateData", default: false)
        o.parallelism = Int(try m.int("parallelism", default: 1))
        guard (1...128).contains(o.parallelism) else { throw m["parallelism"]!.error("`parallelism` must be 1 … 128 (maxParallelism)") }
        o.checkpointInterval = try m.optionalDuration("execution.checkpointing.interval")
        o.checkpointMinPause = try m.duration("execution.checkpointing.min-pause", default: .zero)
        o.checkpointTimeout = try m.duration("execution.checkpointing.timeout", default: .minutes(10))
        if let r = m["restart-strategy"] { o.restartStrategy = try RestartStrategySpec.parse(r) }
        o.ignoreParseErrors = try m.bool("json.ignore-parse-errors", default: false)
        o.bufferTimeout = try m.duration("execution.buffer-timeout", default: o.bufferTimeout)
        o.heartbeatTimeout = try m.duration("heartbeat.timeout", default: o.heartbeatTimeout)
        if o.heartbeatTimeout <= .zero { throw m["heartbeat.timeout"]!.error("`heartbeat.timeout` must be > 0") }
        if let s = m["sink"] { o.sink = try SinkSpec.parse(s, engine: .flink) }
        if let s = m["scan.startup.mode"] {
            switch try s.string() {
            case "earliest-offset": o.startingOffsets = .earliest
            case "latest-offset": o.startingOffsets = .latest
            default: throw s.error("`scan.startup.mode` is earliest-offset or latest-offset")
            }
        }
        o.queryOverride = m.has("query")
        if o.api == .sql, o.allowedLateness != .zero || o.sideOutputLateData {
            throw v.error("`\(v.path)`: Flink SQL window aggregations have no allowed lateness or side output (late rows are dropped); use api: datastream")
        }
        if o.sink.mode == .exactlyOnce, o.checkpointInterval == nil {
            throw v.error("`\(v.path)`: an exactly-once (two-phase commit) sink commits on checkpoint completion: set execution.checkpointing.interval")
        }
        return o
    }
}

/// `restart-strategy.type` and its settings (Flink's `RestartStrategyOptions`).
public enum RestartStrategySpec: Sendable, Equatable {
    case none
    case fixedDelay(attempts: Int, delay: SimDuration)
    case failureRate(maxFailures: Int, interval: SimDuration, delay: SimDuration)
    case exponentialDelay(initial: SimDuration, max: SimDuration, multiplier: Double, jitter: Double)

    static func parse(_ v: YAMLValue) throws(ScenarioError) -> RestartStrategySpec {
        if v.node.scalar != nil {
            switch try v.string() {
            case "none", "disable": return .none
            case "fixed-delay": return .fixedDelay(attempts: 1, delay: .seconds(1))
            case "failure-rate": return .failureRate(maxFailures: 1, interval: .minutes(1), delay: .seconds(1))
            case "exponential-delay": return .exponentialDelay(initial: .seconds(1), max: .minutes(1), multiplier: 1.5, jitter: 0.1)
            default: throw v.error("`\(v.path)`: restart-strategy is none, fixed-delay, failure-rate or exponential-delay")
            }
        }
        let m = try v.mapping(allowed: ["type", "attempts", "delay", "max-failures-per-interval", "failure-rate-interval",
                                        "initial-backoff", "max-backoff", "backoff-multiplier", "jitter-factor"])
        switch try m.required("type").string() {
        case "none", "disable": return .none
        case "fixed-delay": return .fixedDelay(attempts: Int(try m.int("attempts", default: 1)), delay: try m.duration("delay", default: .seconds(1)))
        case "failure-rate":
            return .failureRate(maxFailures: Int(try m.int("max-failures-per-interval", default: 1)),
                                interval: try m.duration("failure-rate-interval", default: .minutes(1)), delay: try m.duration("delay", default: .seconds(1)))
        case "exponential-delay":
            return .exponentialDelay(initial: try m.duration("initial-backoff", default: .seconds(1)), max: try m.duration("max-backoff", default: .minutes(1)),
                                     multiplier: try m.double("backoff-multiplier", default: 1.5), jitter: try m.double("jitter-factor", default: 0.1))
        default: throw m["type"]!.error("`\(m["type"]!.path)` is none, fixed-delay, failure-rate or exponential-delay")
        }
    }
}

/// Where a job's results go.
public struct SinkSpec: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        /// Spark: the memory sink (a table queryable by SQL); Flink: collected rows.
        case memory
        /// Spark's console sink / Flink's print sink.
        case console
        /// Spark `foreachBatch` → SQLite table, Flink JDBC sink → SQLite table.
        case sqlite
        /// Flink's JDBC sink (an alias of sqlite for Flink).
        case jdbc
        /// Spark's file sink with a `_spark_metadata` log.
        case file
    }
    public enum Mode: String, Sendable, Equatable, CaseIterable {
        case atLeastOnce = "at-least-once", exactlyOnce = "exactly-once"
    }
    public var kind: Kind
    public var table: String?
    public var mode: Mode = .atLeastOnce
    /// Spark foreachBatch: skip a batch id already written (idempotent by batch id).
    public var idempotent = false
    /// Spark file sink.
    public var path: String?
    public var partitionBy: String?
    public var format = "jsonl"
    /// Flink JDBC flushing. The defaults are the Table API JDBC connector's, which the seed Flink job uses:
    /// `sink.buffer-flush.max-rows` = 100, `sink.buffer-flush.interval` = 1 s, `sink.max-retries` = 3 (docs
    /// `connectors/table/jdbc.md`). The DataStream `JdbcSink`'s `JdbcExecutionOptions` defaults are 5000 / 0 / 3 —
    /// with those, rows reach the table only every 5000 rows or at a checkpoint.
    public var batchSize = 100
    public var batchInterval: SimDuration = .seconds(1)
    public var maxRetries = 3
    /// Spark console `numRows` / `truncate`.
    public var numRows = 20
    public var truncate = true

    public init(kind: Kind, table: String?) {
        self.kind = kind
        self.table = table
    }

    static func parse(_ v: YAMLValue, engine: EngineName) throws(ScenarioError) -> SinkSpec {
        let m = try v.mapping(allowed: ["type", "table", "mode", "idempotent", "path", "partitionBy", "format", "batch-size",
                                        "batch-interval", "max-retries", "numRows", "truncate"])
        var s = SinkSpec(kind: try m.required("type", hint: "memory, console, sqlite, jdbc or file").oneOf(Kind.self), table: try m["table"]?.string())
        if let x = m["mode"] { s.mode = try x.oneOf(Mode.self) }
        s.idempotent = try m.bool("idempotent", default: false)
        s.path = try m["path"]?.string()
        s.partitionBy = try m["partitionBy"]?.string()
        s.format = try m.string("format", default: "jsonl")
        s.batchSize = Int(try m.int("batch-size", default: 100))
        s.batchInterval = try m.duration("batch-interval", default: .seconds(1))
        s.maxRetries = Int(try m.int("max-retries", default: 3))
        s.numRows = Int(try m.int("numRows", default: 20))
        s.truncate = try m.bool("truncate", default: true)
        switch (engine, s.kind) {
        case (.spark, .jdbc): throw m["type"]!.error("Spark writes to a database through foreachBatch: use type: sqlite")
        case (.flink, .file): throw m["type"]!.error("the file sink is modelled for Spark only")
        case (.flink, .sqlite): s.kind = .jdbc
        default: break
        }
        if (s.kind == .sqlite || s.kind == .jdbc), s.table == nil { throw v.error("`\(v.path)`: a \(s.kind.rawValue) sink needs `table:`") }
        if s.kind == .file, s.path == nil { throw v.error("`\(v.path)`: a file sink needs `path:`") }
        if s.mode == .exactlyOnce, engine == .flink, s.maxRetries != 0, m.has("max-retries") {
            throw m["max-retries"]!.error("an exactly-once JDBC sink requires max-retries 0 (JdbcSink.exactlyOnceSink, FLINK-22311)")
        }
        if s.mode == .exactlyOnce, engine == .flink { s.maxRetries = 0 }
        if s.mode == .exactlyOnce, engine == .spark, s.kind != .file, s.kind != .memory {
            throw m["mode"]!.error("Spark's \(s.kind.rawValue) sink is at-least-once; for exactly-once use the file sink, or `idempotent: true` on sqlite")
        }
        return s
    }
}

/// The metrics expectations may name, per engine that runs.
public enum ScenarioMetrics {
    public static let spark = ["spark.input_rows", "spark.throughput_rps", "spark.batch_duration_max_ms", "spark.trigger_overruns", "spark.batches", "spark.rows_emitted", "spark.late_dropped", "spark.late_dropped_groups", "spark.malformed",
                               "spark.lost_records", "spark.restarts", "spark.duplicates", "spark.watermark_ms", "spark.latency_p50_ms",
                               "spark.latency_p95_ms", "spark.latency_max_ms", "spark.failed"]
    public static let flink = ["flink.records_read", "flink.rows_emitted", "flink.late_dropped", "flink.side_output.count", "flink.late_firings", "flink.malformed",
                               "flink.checkpoints", "flink.restarts", "flink.duplicates", "flink.watermark_ms", "flink.latency_p50_ms",
                               "flink.latency_p95_ms", "flink.latency_max_ms", "flink.failed"]
    public static let common = ["log.records", "log.lost_to_retention", "log.duplicates", "producer.retries", "producer.failed",
                                "producer.duplicates_rejected", "diff.unexplained", "diff.expected", "diff.rows_matched", "diff.rows_unmatched"]

    public static func known(jobs: [JobSpec]) -> [String] {
        var out = common
        if jobs.contains(where: { $0.spark != nil }) { out += spark }
        if jobs.contains(where: { $0.flink != nil }) { out += flink }
        return out
    }
}
