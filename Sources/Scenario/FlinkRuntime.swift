public import SimCore
import SimLog
public import QueryModel
public import FlinkEngine
import Sinks

/// One job on the Flink model: the `FlinkJob` (which restarts itself by its restart strategy) and its sink.
public final class FlinkJobRuntime {
    public let job: JobSpec
    public let options: FlinkJobOptions
    unowned let run: ScenarioRun
    public let flinkJob: FlinkJob
    public let outputSchema: Schema
    var sqliteStore: FlinkSQLiteStore?
    var memoryStores: [InMemorySinkStore] = []
    public let printOutput = PrintSinkOutput()
    /// The sink a test put in place of the scenario's (`ScenarioTestingHooks.flinkSink`), if any.
    public private(set) var testingSink: FlinkSinkReplacement?

    init(job: JobSpec, options: FlinkJobOptions, run: ScenarioRun) throws {
        self.job = job
        self.options = options
        self.run = run
        var o = FlinkQueryOptions(api: options.api == .sql ? .sql : .datastream)
        o.forBoundedOutOfOrderness = options.boundedOutOfOrderness
        o.autoWatermarkInterval = options.autoWatermarkInterval
        o.withIdleness = options.idleness
        o.allowedLateness = options.allowedLateness
        o.sideOutputLateData = options.sideOutputLateData
        o.checkpointInterval = options.checkpointInterval
        o.checkpointMinPause = options.checkpointMinPause
        o.checkpointTimeout = options.checkpointTimeout
        o.parallelism = options.parallelism
        o.jsonIgnoreParseErrors = options.ignoreParseErrors
        o.bufferTimeout = options.bufferTimeout
        o.heartbeatTimeout = options.heartbeatTimeout
        o.scanStartupMode = options.startingOffsets
        if let r = options.restartStrategy {
            switch r {
            case .none: o.restartStrategy = RestartStrategyConfig.none
            case .fixedDelay(let a, let d): o.restartStrategy = .fixedDelay(attempts: a, delay: d)
            case .failureRate(let n, let i, let d): o.restartStrategy = .failureRate(maxFailuresPerInterval: n, interval: i, delay: d)
            case .exponentialDelay(let initial, let max, let m, let j):
                o.restartStrategy = .exponentialDelay(initialBackoff: initial, maxBackoff: max, multiplier: m, resetBackoffThreshold: .hours(1), jitterFactor: j)
            }
        }
        run.testing.flinkQueryOptions?(job, &o)
        let plan: FlinkQueryPlan
        do { plan = try FlinkQueryPlan(job.query(on: .flink), options: o) } catch { throw ScenarioRunError("\(run.document.file): job \(job.name) on flink: \(error)") }
        outputSchema = plan.outputSchema
        let sinkSpec = options.sink
        var factory: (Int, Int) -> any FlinkSink
        switch sinkSpec.kind {
        case .console:
            factory = PrintSink.factory(identifier: "", output: printOutput)
        case .sqlite, .jdbc:
            if let db = run.results?.database {
                let table = sinkSpec.table ?? job.name
                let columns = table == "crypto_prices_flink" && plan.outputSchema.names == FlinkSQLiteStore.seedColumns.map(\.name)
                    ? FlinkSQLiteStore.seedColumns : plan.outputSchema.fields.map { ($0.name, $0.type) }
                let store = try FlinkSQLiteStore(database: db, table: table, columns: columns)
                sqliteStore = store
                let jdbc = JdbcExecutionOptions(batchSize: sinkSpec.batchSize, batchIntervalMs: sinkSpec.batchInterval.milliseconds, maxRetries: sinkSpec.maxRetries)
                if sinkSpec.mode == .exactlyOnce {
                    factory = { _, _ in FlinkSQLiteExactlyOnceSink(store: store) }
                } else {
                    factory = { _, _ in FlinkSQLiteAtLeastOnceSink(store: store, options: jdbc) }
                }
            } else {
                fallthrough
            }
        default:
            let store = InMemorySinkStore()
            memoryStores.append(store)
            factory = sinkSpec.mode == .exactlyOnce ? { _, _ in TwoPhaseCommitSink(store: store) } : { _, _ in AtLeastOnceJdbcSink(store: store) }
        }
        if let replacement = run.testing.flinkSink?(job) {
            factory = replacement.factory
            testingSink = replacement
        }
        do {
            flinkJob = try FlinkJob(environment: run.environment, query: job.query(on: .flink), options: o, log: run.trackedLog(engine: .flink, job: job), sink: factory)
        } catch {
            throw ScenarioRunError("\(run.document.file): job \(job.name) on flink: \(error)")
        }
    }

    func start() { flinkJob.start() }

    /// A TaskManager crash: detected after the heartbeat timeout; the restart strategy decides the rest.
    func crash() { flinkJob.crashTaskManager() }

    /// The database refuses writes in `window` (the JDBC sink retries, then the job fails over).
    func addDatabaseOutage(_ window: Range<ProcessingTime>) {
        sqliteStore?.outages.append(window)
        for s in memoryStores { s.outages.append(window) }
    }

    /// End of the scenario: a streaming job keeps running, so nothing is flushed — open windows stay open, exactly
    /// as with a real unbounded Kafka source. (Windows only flush at end of input for bounded sources.)
    func finish() {}

    public var events: [FlinkJobEvent] { flinkJob.events }
}
