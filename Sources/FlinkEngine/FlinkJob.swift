public import SimCore
public import SimLog
public import QueryModel
import DequeModule
import OrderedCollections

/// An element on a network channel: records, watermarks and statuses in band, and checkpoint barriers.
enum ChannelElement {
    case record(Row, EventTime)
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
    var windowStates: [WindowOperatorState<String, RowWindowAggregate.Accumulator>?]
    public var sinkStates: [SinkCheckpointState]
}

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
    /// Why the job failed for good, if it did.
    public private(set) var failureCause: String?

    var attempt = 0
    var sources: [SourceSubtask] = []
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

    func isCurrent(_ a: Int) -> Bool { a == attempt && status == .running }

    /// Schedules `body` for the current attempt only (a failover makes it a no-op).
    func schedule(after d: SimDuration, _ label: @autoclosure () -> String, phase: EventPhase = .engine, _ body: @escaping () -> Void) {
        let a = attempt
        env.scheduler.schedule(after: d, phase: phase, label()) { [weak self] in
            guard let self, self.isCurrent(a) else { return }
            body()
        }
    }

    func deploy(from checkpoint: CompletedCheckpoint?) {
        attempt += 1
        status = .running
        let now = env.now
        let partitions = log.sourcePartitions(of: config.topic)
        sources = (0..<config.sourceParallelism).map { i in
            let mine = partitions.filter { KafkaSplitAssignment.owner(of: $0, readers: config.sourceParallelism) == i }
            var offsets: [Int: Int64] = [:]
            for tp in mine {
                let p = Int(tp.partition)
                offsets[p] = checkpoint?.sourceOffsets[i][p] ?? ((try? log.sourceOffset(tp, latest: !config.startFromEarliest)) ?? 0)
            }
            return SourceSubtask(job: self, index: i, partitions: mine.map { Int($0.partition) }, offsets: offsets)
        }
        if let w = pipeline.window {
            // The assigner was validated in `init`, so this cannot throw.
            guard let op = try? WindowOperator<String, RowWindowAggregate>(assigner: w.assigner, allowedLateness: w.allowedLateness.milliseconds, sideOutputLateData: false,
                                                                           aggregate: RowWindowAggregate(specs: w.aggregates)) else { return }
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
            t.sink = makeSink(i, stage.count)
            if case .failed(let e) = t.sink.initializeState(checkpoint?.sinkStates[i], now: now) {
                failover(reason: "sink initializeState failed: \(e)", detectionDelay: .zero)
                return
            }
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

    /// A TaskManager crash now: every task dies at once; the JobManager notices after `heartbeat.timeout`.
    public func crashTaskManager() {
        guard status == .running else { return }
        env.record(.crash, component, [("cause", "taskmanager-lost"), ("attempt", .int(attempt))])
        failover(reason: "TaskManager lost", detectionDelay: config.heartbeatTimeout)
    }

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
        coordinator.pending = [:]
        let a = attempt
        env.scheduler.schedule(after: detectionDelay, "flink failure detected") { [weak self] in
            guard let self, self.attempt == a, self.status == .restarting else { return }
            guard let backoff = self.restartBackoff.onFailure(at: self.env.now) else {
                self.status = .failed
                self.failureCause = reason
                self.env.record(.restart, self.component, [("decision", "fail"), ("cause", .string(reason))])
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

    /// Stops the sources at their current position and drains: `MAX` watermark, windows flush, sinks get end of input.
    public func endInput() {
        guard status == .running else { return }
        for s in sources { s.enqueue(.endOfInput) }
    }

    func sinkEnded() {
        if lastStage.allSatisfy({ $0.ended }) {
            status = .finished
            env.record(.note, component, [("event", "finished")])
        }
    }
}
