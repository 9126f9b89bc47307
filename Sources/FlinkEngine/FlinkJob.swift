public import SimCore
public import SimLog
public import QueryModel
import DequeModule
import OrderedCollections

/// An element on a network channel: records, watermarks and statuses in band, and checkpoint barriers.
enum ChannelElement {
    case record(JobRecord)
    case watermark(EventTime)
    case status(idle: Bool)
    case barrier(Int64)
    case endOfPartition
}

/// A job's lifecycle (`JobStatus`, simplified).
public enum FlinkJobStatus: String, Sendable { case created, running, restarting, failed, finished }

/// A completed checkpoint: what a restore starts from.
public struct CompletedCheckpoint {
    public var id: Int64
    public var triggeredAt: ProcessingTime
    public var completedAt: ProcessingTime
    /// Per source subtask: partition → next offset to read.
    public var sourceOffsets: [[Int: Int64]]
    var windowStates: [JobWindowState?]
    public var sinkStates: [SinkCheckpointState]
}

/// The keyed state of a job's window subtask.
typealias JobWindowState = WindowOperatorState<FlinkKey, JobWindowAggregate.Accumulator>
typealias JobWindowOperator = WindowOperator<FlinkKey, JobWindowAggregate>

/// Counters over the whole run (across restarts).
public struct FlinkJobMetrics: Sendable {
    public var recordsRead: Int64 = 0
    public var recordsUndeserializable: Int64 = 0
    public var recordsFiltered: Int64 = 0
    public var windowFirings: Int64 = 0
    public var numLateRecordsDropped: Int64 = 0
    public var restarts = 0
    public var checkpointsCompleted = 0
    public var checkpointsAborted = 0
}

/// A Flink job on the virtual clock: Kafka source subtasks (one split per partition, `KafkaSplitAssignment`), a keyBy
/// exchange over buffered network channels to window subtasks (`KeyGroupAssignment`), a chained sink per last-stage
/// subtask; periodic watermarks, aligned checkpoint barriers, failover with a restart strategy, restore from the last
/// completed checkpoint. Every step — poll, periodic watermark, buffer flush, delivery, barrier injection, alignment,
/// acknowledgement, completion, notification, crash, detection, restart — is its own scheduler event.
public final class FlinkJob {
    public let env: SimEnvironment
    public let config: FlinkJobConfig
    public let pipeline: FlinkPipeline
    let log: any FlinkSourceLog
    let makeSink: (_ subtask: Int, _ parallelism: Int) -> any FlinkSink

    public private(set) var status = FlinkJobStatus.created
    public internal(set) var metrics = FlinkJobMetrics()
    public internal(set) var lastCompleted: CompletedCheckpoint?
    /// The sinks of the current attempt, one per last-stage subtask.
    public var sinks: [any FlinkSink] { lastStage.map { $0.sink } }
    /// The resolved query when the job was built from a `StreamingQuery`.
    public internal(set) var queryPlan: FlinkQueryPlan?
    /// Why the job failed for good, if it did.
    public private(set) var failureCause: String?

    /// Every `FlinkJobEvent` so far, in order (when `keepsEvents`).
    public private(set) var events: [FlinkJobEvent] = []
    /// Whether `events` accumulates (observers are called either way).
    public var keepsEvents = true
    /// Late records routed to the side output (`sideOutputLateData`), in emission order; replays after a restore
    /// emit them again, as a real side output without a transactional sink would.
    public private(set) var sideOutput: [FlinkLateRecord] = []
    /// Every row made visible by a sink, with its latency, in visibility order.
    public private(set) var visibleRows: [FlinkVisibleRow] = []
    private var observers: [(FlinkJobEvent) -> Void] = []
    /// `scan.bounded.mode = latest-offset`: the stopping offsets fixed at the first deployment.
    public private(set) var stoppingOffsets: [TopicPartition: Int64]?

    var attempt = 0
    var sources: [SourceSubtask] = []
    /// The sinks of earlier attempts (their pending transactions are recovered by the next restore).
    var retiredSinks: [ObservedSink] = []
    var windows: [WindowSubtask] = []
    var restartBackoff: RestartBackoff
    var coordinator = CheckpointCoordinatorState()
    var initialDelayRandom: SimRandom

    var lastStage: [any JobSubtask] { pipeline.window == nil ? sources : windows }
    var component: String { "flink" }

    public init(environment: SimEnvironment, config: FlinkJobConfig, log: any FlinkSourceLog, pipeline: FlinkPipeline,
                sink: @escaping (_ subtask: Int, _ parallelism: Int) -> any FlinkSink) throws(FlinkError) {
        try config.watermarkStrategy.validate()
        if let w = pipeline.window { try w.assigner.validate() }
        if config.sourceParallelism < 1 || config.windowParallelism < 1 || config.windowParallelism > config.maxParallelism {
            throw .invalidConfiguration("parallelism must be within 1..maxParallelism")
        }
        self.env = environment
        self.config = config
        self.pipeline = pipeline
        self.log = log
        self.makeSink = sink
        self.restartBackoff = RestartBackoff(config.effectiveRestartStrategy, random: environment.random.stream("flink.restart.jitter"))
        self.initialDelayRandom = environment.random.stream("flink.checkpoint.initial-delay")
    }

    // MARK: lifecycle

    /// Deploys the job at the current virtual time.
    public func start() {
        guard status == .created else { return }
        deploy(from: nil)
    }

    /// Registers an observer of every job event, called synchronously in order.
    public func observe(_ body: @escaping (FlinkJobEvent) -> Void) { observers.append(body) }

    func emit(_ e: FlinkJobEvent) {
        if keepsEvents { events.append(e) }
        for o in observers { o(e) }
    }

    func rowsVisible(_ rows: [FlinkVisibleRow]) {
        guard !rows.isEmpty else { return }
        visibleRows += rows
        // A sink write that became visible in the external system is an observable event (the trace covers sink
        // writes for both engines; Spark records its `addBatch`).
        env.record(.sink, component, [("rows", .int(rows.count)), ("visible", .int(visibleRows.count))])
        emit(.sinkVisible(rows: rows, at: env.now))
    }

    func late(_ l: FlinkLateRecord) {
        if l.fate == .sideOutput { sideOutput.append(l) }
        emit(.late(l))
    }

    func isCurrent(_ a: Int) -> Bool { a == attempt && status == .running }

    /// Schedules `body` for the current attempt only (a failover makes it a no-op).
    func schedule(after d: SimDuration, _ label: @autoclosure () -> String, phase: EventPhase = .engine, _ body: @escaping () -> Void) {
        let a = attempt
        env.scheduler.schedule(after: d, phase: phase, label()) { [weak self] in
            guard let self, self.isCurrent(a) else { return }
            body()
        }
    }

    /// The offset a partition starts at on a fresh start (`scan.startup.mode`).
    func startOffset(_ tp: TopicPartition) -> Int64 {
        let earliest = (try? log.sourceOffset(tp, latest: false)) ?? 0
        let latest = (try? log.sourceOffset(tp, latest: true)) ?? earliest
        switch config.startingOffsets {
        case nil: return config.startFromEarliest ? earliest : latest
        case .earliest?: return earliest
        case .latest?: return latest
        case .specific(let m)?:
            guard let o = m[tp], o != -2 else { return earliest }
            return o == -1 ? latest : min(max(o, earliest), latest)
        }
    }

    func deploy(from checkpoint: CompletedCheckpoint?) {
        attempt += 1
        status = .running
        let now = env.now
        let partitions = log.sourcePartitions(of: config.topic)
        if config.stopAtLatestOffsets && stoppingOffsets == nil {
            var stops: [TopicPartition: Int64] = [:]
            for tp in partitions { stops[tp] = (try? log.sourceOffset(tp, latest: true)) ?? 0 }
            stoppingOffsets = stops
        }
        sources = (0..<config.sourceParallelism).map { i in
            let mine = partitions.filter { KafkaSplitAssignment.owner(of: $0, readers: config.sourceParallelism) == i }
            var offsets: [Int: Int64] = [:]
            var stops: [Int: Int64]?
            for tp in mine {
                let p = Int(tp.partition)
                offsets[p] = checkpoint?.sourceOffsets[i][p] ?? startOffset(tp)
                if let s = stoppingOffsets?[tp] { stops = stops ?? [:]; stops?[p] = s }
            }
            if config.stopAtLatestOffsets && stops == nil { stops = [:] }
            return SourceSubtask(job: self, index: i, partitions: mine.map { Int($0.partition) }, offsets: offsets, stops: stops)
        }
        if let w = pipeline.window {
            // The assigner was validated in `init`, so this cannot throw.
            guard let op = try? JobWindowOperator(assigner: w.assigner, allowedLateness: w.allowedLateness.milliseconds, sideOutputLateData: w.sideOutputLateData,
                                                  aggregate: w.aggregateFunction) else { return }
            windows = (0..<config.windowParallelism).map { j in
                let t = WindowSubtask(job: self, index: j, channels: config.sourceParallelism, op: op)
                if let s = checkpoint?.windowStates[j] { t.op.restoreState(s) }
                return t
            }
            for s in sources { s.channels = windows.map { _ in [] } }
        } else {
            windows = []
        }
        let stage = lastStage
        for (i, t) in stage.enumerated() {
            let observed = ObservedSink(makeSink(i, stage.count), subtask: i)
            observed.onVisible = { [unowned self] rows in self.rowsVisible(rows) }
            t.observed = observed
            if case .failed(let e) = t.sink.initializeState(checkpoint?.sinkStates[i], now: now) {
                failover(reason: "sink initializeState failed: \(e)", detectionDelay: .zero)
                return
            }
            if let interval = t.sink.flushIntervalMs, interval > 0 { scheduleFlushTimer(t, every: .milliseconds(interval)) }
        }
        if let c = checkpoint {
            // recoverAndCommit: what the dead attempts pre-committed up to checkpoint c is visible now.
            for r in retiredSinks { r.recovered(through: c.id, now: now) }
        }
        retiredSinks = []
        if attempt > 1 || checkpoint != nil {
            emit(.restart(attempt: metrics.restarts, at: now, restoredCheckpoint: checkpoint?.id))
        }
        if let c = checkpoint {
            env.record(.recover, component, [("checkpoint", .int(c.id)), ("attempt", .int(attempt))])
        }
        for s in sources { s.startTimers() }
        coordinator = CheckpointCoordinatorState(nextId: coordinator.nextId)
        if let interval = config.checkpointInterval {
            // CheckpointCoordinator.getRandomInitDelay: uniform in [minPause, interval], from a seeded stream.
            let lo = config.checkpointMinPause.milliseconds, hi = max(lo, interval.milliseconds)
            let delay = initialDelayRandom.nextInt(in: lo...hi)
            schedule(after: .milliseconds(delay), "flink checkpoint trigger") { [unowned self] in self.triggerCheckpoint() }
        }
    }

    /// The sink's flusher: `scheduleWithFixedDelay` — the next run `interval` after this one, for this attempt only.
    func scheduleFlushTimer(_ task: any JobSubtask, every interval: SimDuration) {
        schedule(after: interval, "flink sink flush timer") { [weak self, weak task] in
            guard let self, let task, !task.ended else { return }
            (task as? TaskBase)?.enqueueAction(.sinkFlushTimer)
            self.scheduleFlushTimer(task, every: interval)
        }
    }

    /// A TaskManager crash now: every task dies at once; the JobManager notices after `heartbeat.timeout`.
    public func crashTaskManager() {
        guard status == .running else { return }
        env.record(.crash, component, [("cause", "taskmanager-lost"), ("attempt", .int(attempt))])
        failover(reason: "TaskManager lost", detectionDelay: config.heartbeatTimeout)
    }

    /// Fault injection: a task throws `cause` now (the JobManager learns of it at once), e.g. a poisoned record.
    public func failTask(cause: String) { taskFailed(cause) }

    /// A task threw: the failure is reported at once.
    func taskFailed(_ reason: String) {
        guard status == .running else { return }
        env.record(.crash, component, [("cause", .string(reason)), ("attempt", .int(attempt))])
        failover(reason: reason, detectionDelay: .zero)
    }

    func failover(reason: String, detectionDelay: SimDuration) {
        status = .restarting
        attempt += 1  // cancels every scheduled step of the dead attempt; in-flight buffers are lost
        metrics.checkpointsAborted += coordinator.pending.count
        let now = env.now
        emit(.failure(cause: reason, at: now))
        for id in coordinator.pending.keys {
            emit(.checkpoint(id: id, phase: .aborted, at: now, sourceOffsets: [:], reason: "failover: \(reason)"))
        }
        coordinator.pending = [:]
        retiredSinks += lastStage.compactMap { $0.observed }
        let a = attempt
        env.scheduler.schedule(after: detectionDelay, "flink failure detected") { [weak self] in
            guard let self, self.attempt == a, self.status == .restarting else { return }
            guard let backoff = self.restartBackoff.onFailure(at: self.env.now) else {
                self.status = .failed
                self.failureCause = reason
                self.env.record(.restart, self.component, [("decision", "fail"), ("cause", .string(reason))])
                self.emit(.failure(cause: "Recovery is suppressed by \(self.restartBackoff.config == .none ? "NoRestartBackoffTimeStrategy" : "the restart strategy"): \(reason)", at: self.env.now))
                return
            }
            self.env.record(.restart, self.component, [("decision", "restart"), ("backoff_ms", .int(backoff.milliseconds)), ("cause", .string(reason))])
            self.env.scheduler.schedule(after: backoff, "flink restart") { [weak self] in
                guard let self, self.attempt == a, self.status == .restarting else { return }
                self.metrics.restarts += 1
                self.deploy(from: self.lastCompleted)
            }
        }
    }

    /// Stops the sources at their current position and drains: `MAX` watermark, windows flush, sinks get end of input
    /// (what a bounded run does when its input ends; `FlinkJobConfig.stopAtLatestOffsets` does it by itself).
    public func endInput() {
        guard status == .running else { return }
        for s in sources where !s.finished { s.enqueue(.endOfInput) }
    }

    func sinkEnded() {
        if lastStage.allSatisfy({ $0.ended }) {
            status = .finished
            env.record(.note, component, [("event", "finished")])
            emit(.finished(at: env.now))
        }
    }
}
