public import SimCore
import SimLog
public import QueryModel
public import SparkEngine
import Sinks

/// One job on the Spark model: the query's incarnations across crashes (each a new `SparkMicroBatchExecution` on
/// the same checkpoint store and sink, as a restarted driver is), and what they emitted.
public final class SparkJobRuntime {
    public let job: JobSpec
    public let options: SparkJobOptions
    unowned let run: ScenarioRun
    let component: String
    let store: CheckpointStore
    public let sink: any SparkSink
    public private(set) var incarnations: [SparkMicroBatchExecution] = []
    public var execution: SparkMicroBatchExecution { incarnations[incarnations.count - 1] }
    public private(set) var restarts = 0
    /// Every batch's output as it reached the sink: (batch id, virtual time, rows).
    public private(set) var emitted: [(batchId: Int64, at: ProcessingTime, rows: [Row])] = []
    public private(set) var outputSchema: Schema
    var outputTable: OutputTable?
    var seedWriter: CryptoPricesRealtimeWriter?
    var memoryMirror: SparkMemoryTableMirror?
    var armed: (batch: Int64?, active: Bool) = (nil, false)
    public private(set) var consoleText = ""
    /// The sink a test put in place of the scenario's (`ScenarioTestingHooks.sparkSink`), if any.
    public private(set) var testingSink: SparkSinkReplacement?
    /// The job's view of the broker (read positions; offsets during a broker outage).
    let log: TrackedLog
    /// Every batch the sink accepted (`addBatch` returned), in order — a re-executed batch appears again.
    public private(set) var accepted: [(batchId: Int64, at: ProcessingTime, rows: [Row])] = []
    /// Restarts made by `restart_on_failure` (the orchestrator), as opposed to scripted crashes.
    public private(set) var supervisedRestarts = 0
    /// Why each incarnation that failed did (a supervised restart may have recovered since).
    public var failures: [SparkQueryError] { incarnations.compactMap(\.failure) }

    init(job: JobSpec, options: SparkJobOptions, run: ScenarioRun) throws {
        self.job = job
        self.options = options
        self.run = run
        component = run.document.jobs.filter { $0.spark != nil }.count > 1 ? "spark.\(job.name)" : "spark"
        store = CheckpointStore(mirrorDirectory: run.testing.keepFilesInMemory ? nil : options.checkpointDirectory)
        let compiled: CompiledQuery
        log = run.trackedLog(engine: .spark, job: job)
        do { compiled = try CompiledQuery(job.query(on: .spark)) } catch { throw ScenarioRunError("\(run.document.file): job \(job.name): \(error)") }
        outputSchema = compiled.outputSchema
        let db = run.results?.database
        let availability = run.databaseAvailability
        let sinkSpec = options.sink
        if let replacement = run.testing.sparkSink?(job) {
            sink = replacement.sink
            testingSink = replacement
        } else {
        switch sinkSpec.kind {
        case .memory:
            let m = MemorySink(queryName: sinkSpec.table ?? job.name)
            sink = m
            if let db { memoryMirror = SparkMemoryTableMirror(sink: m, database: db) }
        case .console:
            sink = ConsoleSink(numRows: sinkSpec.numRows, truncate: sinkSpec.truncate)
        case .file:
            let format: FileSinkFormat = sinkSpec.format == "csv" ? .csv : .json
            sink = FileSink(store: FileSinkStore(mirrorDirectory: run.testing.keepFilesInMemory ? nil : sinkSpec.path), format: format,
                            partitionBy: sinkSpec.partitionBy.map { [$0] } ?? [])
        case .sqlite, .jdbc:
            let table = sinkSpec.table ?? job.name
            guard let db else {
                sink = ForeachBatchSink { _ in }
                break
            }
            if table == CryptoPricesRealtimeWriter.table {
                let w = try CryptoPricesRealtimeWriter(database: db, idempotentByBatchId: sinkSpec.idempotent)
                seedWriter = w
                sink = ForeachBatchSink { batch in
                    try availability.check()
                    try w.write(batch)
                }
            } else {
                let t = try OutputTable(database: db, name: table, schema: compiled.outputSchema, availability: availability, idempotentByBatchId: sinkSpec.idempotent)
                outputTable = t
                sink = ForeachBatchSink { batch in try t.write(rows: batch.rows, batchId: batch.batchId, at: batch.time) }
            }
        }
        }  // testing.sparkSink
        incarnations.append(try makeExecution())
        run.environment.trace.observe { [unowned self] event in self.observe(event) }
    }

    func makeExecution() throws -> SparkMicroBatchExecution {
        var o = SparkQueryOptions()
        switch options.trigger {
        case .processingTime(let d): o.trigger = .processingTime(intervalMs: d.milliseconds)
        case .once: o.trigger = .once
        case .availableNow: o.trigger = .availableNow
        }
        o.conf.noDataMicroBatchesEnabled = options.noDataMicroBatches
        o.conf.multipleWatermarkPolicy = options.multipleWatermarkPolicy
        o.cost = SparkCostModel(fixedMs: options.costFixed.milliseconds, perInputRowNanos: options.costPerRowNanos, perStateRowNanos: options.costPerStateRowNanos)
        o.component = component
        let e: SparkMicroBatchExecution
        do {
            e = try SparkMicroBatchExecution(environment: run.environment, query: job.query(on: .spark), options: o, log: log,
                                             sink: AcceptedBatches(sink) { [unowned self] batch in self.accepted.append((batch.batchId, batch.time, batch.rows)) },
                                             checkpoint: store)
        } catch {
            throw ScenarioRunError("\(run.document.file): job \(job.name) on spark: \(error)")
        }
        e.onBatchOutput = { [unowned self] batchId, rows in
            self.emitted.append((batchId, self.run.environment.now, rows))
        }
        return e
    }

    func start() { execution.start() }

    /// The driver dies: memory is lost; the checkpoint store and the sink survive. With `restartAfter`, a new
    /// incarnation starts on the same checkpoint that long after.
    func crash(restartAfter: SimDuration?) {
        guard !execution.isTerminated else { return }
        execution.crash()
        if let d = restartAfter {
            run.environment.scheduler.schedule(after: d, phase: .fault, "spark restart") { [unowned self] in self.restart() }
        }
    }

    /// A new incarnation resumes from the checkpoint (`MicroBatchExecution.populateStartOffsets`).
    func restart() {
        guard execution.isTerminated else { return }
        guard let e = try? makeExecution() else { return }
        restarts += 1
        incarnations.append(e)
        run.environment.record(.restart, component, [("incarnation", .int(incarnations.count))])
        e.start()
    }

    /// Crash right after the next (or the given) batch's `offsets/N` is written, before `commits/N`; the driver
    /// restarts 5 s later and re-executes batch N with the same offsets, watermark and batch timestamp.
    func armCrashAfterOffsets(batch: Int64?, afterSink: Bool = false) {
        armed = (batch, true)
        armedAfterSink = afterSink
    }

    /// `after_sink`: the crash waits for the sink step of the armed batch (see `armCrashAfterOffsets`).
    var armedAfterSink = false

    func observe(_ event: TraceEvent) {
        if event.kind == .fault, event.component == component, event["error"] != nil { superviseFailure() }
        guard armed.active, event.component == component else { return }
        let n: Int64
        if armedAfterSink {
            guard event.kind == .sink, case .int(let b)? = event["batch"], case .int(let rows)? = event["rows"], rows > 0 else { return }
            n = b
        } else {
            guard event.kind == .checkpoint, case .string(let file)? = event["file"], file.hasPrefix("offsets/"),
                  let b = Int64(file.dropFirst("offsets/".count)) else { return }
            n = b
        }
        if let b = armed.batch, b != n { return }
        armed.active = false
        // The run step of batch N is scheduled now in the engine phase; a fault-phase event at the same instant runs
        // before it, so the crash lands exactly between offsets/N and commits/N.
        run.environment.scheduler.schedule(at: run.environment.now, phase: .fault, "fault: crash spark after offsets/\(n)") { [unowned self] in
            self.run.noteFault("crash", "spark after \(self.armedAfterSink ? "the sink wrote batch \(n)" : "offsets/\(n)"), before commits/\(n)")
            self.crash(restartAfter: .seconds(5))
        }
    }

    /// Every batch of every incarnation, in execution order.
    public var progress: [SparkBatchProgress] { incarnations.flatMap(\.progress) }
    public var droppedRecords: [DroppedRecord] { incarnations.flatMap(\.droppedRecords) }
    /// Why the query is down at the end, if it is (a failure a supervised restart recovered from is not one).
    public var failure: SparkQueryError? { execution.failure }

    /// The query failed (a sink error, data loss…): with `restart_on_failure`, the orchestrator starts a new driver
    /// on the same checkpoint after the delay, as Airflow's retry or `spark-submit --supervise` would.
    func superviseFailure() {
        guard let policy = options.restartOnFailure, supervisedRestarts < policy.maxAttempts else { return }
        supervisedRestarts += 1
        run.environment.scheduler.schedule(after: policy.delay, phase: .fault, "spark supervised restart") { [unowned self] in
            self.run.noteFault("restart", "spark \(self.job.name) by the orchestrator (attempt \(self.supervisedRestarts) of \(policy.maxAttempts))")
            self.restart()
        }
    }

    /// Whether re-delivering a batch id cannot duplicate rows: Spark's memory and file sinks skip a batch id they
    /// have committed; `foreachBatch` does only when made idempotent by batch id.
    var sinkIsIdempotent: Bool {
        switch options.sink.kind {
        case .memory, .file: return true
        case .console: return false
        case .sqlite, .jdbc: return options.sink.idempotent
        }
    }

    /// Rows a re-executed batch delivered again to a sink that keeps them twice.
    public var duplicateRows: Int {
        guard !sinkIsIdempotent else { return 0 }
        var seen: Set<Int64> = []
        var duplicates = 0
        for a in accepted {
            if seen.contains(a.batchId) { duplicates += a.rows.count } else { seen.insert(a.batchId) }
        }
        return duplicates
    }
    public var consoleOutput: String? { (sink as? ConsoleSink)?.text }
}

/// Wraps a job's Spark sink to learn which batches it accepted (`addBatch` returned without throwing), so latency and
/// duplicates are measured on what reached the sink, not on what the batch computed.
final class AcceptedBatches: SparkSink {
    let inner: any SparkSink
    let onAccepted: (SinkBatch) -> Void
    var name: String { inner.name }
    var supportedModes: Set<OutputMode> { inner.supportedModes }

    init(_ inner: any SparkSink, onAccepted: @escaping (SinkBatch) -> Void) {
        self.inner = inner
        self.onAccepted = onAccepted
    }

    func addBatch(_ batch: SinkBatch) throws {
        try inner.addBatch(batch)
        onAccepted(batch)
    }
}
