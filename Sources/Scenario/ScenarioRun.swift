public import SimCore
public import SimLog
public import SimFeeds
import QueryModel
public import Sinks

/// How to run a scenario (what the CLI's flags set).
public struct RunOptions: Sendable {
    /// Overrides the scenario's seed.
    public var seed: UInt64?
    /// `.control` leaves per-record log events out of the digest (faster on big runs).
    public var traceDetail: Trace.Detail = .full
    /// Keep every canonical trace line (for `sim step`, `explain`, and digest-divergence reports).
    public var keepTrace = false
    /// The results database path; nil = the scenario's `outputs.db` or `runs/<name>-<seed>.sqlite`; "" = none.
    public var databasePath: String?
    /// Called now and then with the virtual time (for a progress line).
    public var progress: (@Sendable (ProcessingTime, ProcessingTime) -> Void)?
    /// Record every record that enters the log into this capture (`--record FILE.jsonl.zst`); nil = the scenario's
    /// `outputs.record`, "" = none.
    public var recordPath: String?
    /// Test-only seams (SimTesting): replacement sinks, engine option tweaks, no real files. Empty by default.
    public var testing = ScenarioTestingHooks()
    /// Keep every record that entered the log in `ScenarioRun.appended` (on by default: reports, `log_records`,
    /// the duplicate count and the stepper read it). Turn off for very long runs, where it would hold every record;
    /// `ScenarioRun.appendedCount` still counts them, but `log_records`, `log.duplicates` and the late-record
    /// narration then have nothing to work from.
    public var keepAppendedRecords = true

    public init(seed: UInt64? = nil, traceDetail: Trace.Detail = .full, keepTrace: Bool = false, databasePath: String? = nil) {
        self.seed = seed
        self.traceDetail = traceDetail
        self.keepTrace = keepTrace
        self.databasePath = databasePath
    }
}

/// A failure to build or run the world (not a failure of a simulated engine, which is an outcome).
public struct ScenarioRunError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// One scenario built into one simulated world on one scheduler: the broker and its topics, the feeds (each
/// behind a `FeedGate` for producer outages and delay spikes), the jobs on Spark and Flink, the results database,
/// and the fault timeline. `run()` advances the virtual clock to the end and returns the outcome.
public final class ScenarioRun {
    public let document: ScenarioDocument
    public let seed: UInt64
    public let environment: SimEnvironment
    public let broker: Broker
    public let results: ResultsDatabase?
    public let databaseAvailability: DatabaseAvailability
    /// The test-only seams this run was built with (see `ScenarioTestingHooks`).
    public let testing: ScenarioTestingHooks
    public private(set) var gates: [FeedGate] = []
    var replayers: [CaptureReplayer] = []
    var generators: [FeedGenerator] = []
    public private(set) var sparkJobs: [SparkJobRuntime] = []
    public private(set) var flinkJobs: [FlinkJobRuntime] = []
    /// Every record that entered the log, in append order (empty when `RunOptions.keepAppendedRecords` is off).
    public private(set) var appended: [(topicPartition: TopicPartition, record: Record, appendTime: ProcessingTime)] = []
    /// How many records entered the log (whether or not `appended` keeps them).
    public private(set) var appendedCount = 0
    /// Faults as they happened.
    public private(set) var faultLog: [(at: ProcessingTime, kind: String, detail: String)] = []
    /// Each job's tracked view of the broker (how far it has read), in job order.
    var trackedLogs: [TrackedLog] = []
    /// Per partition: the log start offset after the last retention deletion seen.
    var retentionStart: [TopicPartition: Int64] = [:]
    /// Records deleted by retention before a job that reads their topic had read them.
    public internal(set) var retentionLosses: [RetentionLoss] = []
    /// The feeds' producers, in feed order (their counters: retries, failures, duplicates the broker rejected).
    public private(set) var producers: [(feed: String, producer: LogProducer)] = []
    /// The capture being written (`--record`), if any.
    public private(set) var recorder: CaptureRecorder?
    /// Whether `log_records` is in the results database already (SQL expectations write it early).
    var logRecordsWritten = false
    public var end: ProcessingTime { document.start + document.duration + document.drain }

    /// Builds the world. `databasePath` is where the results database is written while running (the caller renames
    /// it into place once the run is complete, so a failed run leaves nothing half-written).
    public init(document: ScenarioDocument, options: RunOptions = RunOptions(), databasePath: String?) throws {
        self.document = document
        testing = options.testing
        seed = options.seed ?? document.seed
        environment = SimEnvironment(seed: seed, start: document.start, detail: options.traceDetail, retention: options.keepTrace ? .all : .none)
        var bc = BrokerConfig()
        bc.logRetentionCheckIntervalMs = document.broker.retentionCheckInterval.milliseconds
        bc.logInitialTaskDelayMs = document.broker.initialTaskDelay.milliseconds
        bc.autoCreateTopicsEnable = document.broker.autoCreateTopics
        bc.numPartitions = document.broker.numPartitions
        broker = Broker(environment: environment, config: bc)
        databaseAvailability = DatabaseAvailability(scheduler: environment.scheduler)
        if let path = databasePath { results = try ResultsDatabase(path: path) } else { results = nil }

        environment.record(.note, "scenario", [("name", .string(document.name)), ("seed", .int(Int64(bitPattern: seed)))])
        for t in document.topics {
            var props: [(String, String)] = [("message.timestamp.type", t.timestampType)]
            if let r = t.retentionMs { props.append(("retention.ms", String(r))) }
            if let r = t.retentionBytes { props.append(("retention.bytes", String(r))) }
            if let s = t.segmentBytes { props.append(("segment.bytes", String(s))) }
            if let s = t.segmentMs { props.append(("segment.ms", String(s))) }
            let config: TopicConfig
            do { config = try TopicConfig(properties: props) } catch { throw ScenarioRunError("\(document.file): topic \(t.name): \(error)") }
            do { _ = try broker.createTopic(t.name, partitions: t.partitions, config: config) } catch { throw ScenarioRunError("\(document.file): topic \(t.name): \(error)") }
        }
        if let path = options.recordPath ?? document.outputs.record, !path.isEmpty {
            do {
                let r = try CaptureRecorder(path: path, header: CaptureHeader(source: "sim run \(document.name)", clock: "virtual", seed: seed))
                recorder = r
                broker.onAppend { tp, records, time in for rec in records { r.record(rec, in: tp, at: time) } }
            } catch {
                throw ScenarioRunError("\(document.file): cannot record to \(path): \(error)")
            }
        }
        environment.trace.observe { [unowned self] event in
            if event.kind == .retention { self.noteRetention(event) }
        }
        if options.keepAppendedRecords {
            broker.onAppend { [unowned self] tp, records, time in
                self.appendedCount += records.count
                for r in records { self.appended.append((tp, r, time)) }
            }
        } else {
            broker.onAppend { [unowned self] _, records, _ in self.appendedCount += records.count }
        }
        try buildFeeds()
        for job in document.jobs {
            if let s = job.spark { sparkJobs.append(try SparkJobRuntime(job: job, options: s, run: self)) }
            if let f = job.flink { flinkJobs.append(try FlinkJobRuntime(job: job, options: f, run: self)) }
        }
        scheduleFaults()
    }

    private func buildFeeds() throws {
        for feed in document.feeds {
            switch feed {
            case .generator(let name, let config, let pc):
                let gate = FeedGate(name: name, env: environment, next: try producer(pc, name))
                gates.append(gate)
                let g = FeedGenerator(env: environment, producer: gate, config: config)
                generators.append(g)
                g.start()
            case .capture(let name, let path, let options, _, let pc):
                let gate = FeedGate(name: name, env: environment, next: try producer(pc, name))
                gates.append(gate)
                let r: CaptureReplayer
                do { r = try CaptureReplayer(path: path, env: environment, producer: gate, options: options, name: name) } catch {
                    throw ScenarioRunError("\(document.file): feed \(name): \(error)")
                }
                replayers.append(r)
                r.start()
            case .scripted(let name, let records, let pc):
                let gate = FeedGate(name: name, env: environment, next: try producer(pc, name))
                gates.append(gate)
                for r in records {
                    let pr = ProducerRecord(topic: r.topic, partition: r.partition, key: r.key.map { Array($0.utf8) }, value: Array(r.value.utf8), timestamp: r.timestamp)
                    environment.scheduler.schedule(at: r.at, phase: .input, "feed.\(name)") { gate.send(pr) }
                }
            }
        }
    }

    private func producer(_ config: ProducerConfig, _ name: String) throws -> LogProducer {
        var c = config
        c.clientId = name
        let p: LogProducer
        do { p = try LogProducer(broker: broker, config: c) } catch { throw ScenarioRunError("\(document.file): feed \(name): \(error)") }
        producers.append((name, p))
        return p
    }

    private func scheduleFaults() {
        let s = environment.scheduler
        for f in document.faults {
            let at = f.at.resolve(start: document.start)
            switch f.action {
            case .brokerDown(let d):
                broker.faults.outages.append(at..<(at + d))
                if let lost = f.lostResponses, lost > .zero { broker.faults.lostResponseWindows.append((at - lost)..<at) }
                s.schedule(at: at, phase: .fault, "fault: broker down") { [unowned self] in self.noteFault("broker_down", "for \(d)") }
            case .databaseDown(let d):
                databaseAvailability.addOutage(at..<(at + d))
                for j in flinkJobs { j.addDatabaseOutage(at..<(at + d)) }
                s.schedule(at: at, phase: .fault, "fault: database down") { [unowned self] in self.noteFault("database_down", "for \(d)") }
            case .networkDelay(let extra, let d):
                for g in gates { g.addDelay(at..<(at + d), extra: extra) }
                s.schedule(at: at, phase: .fault, "fault: network delay") { [unowned self] in self.noteFault("network_delay", "+\(extra) for \(d)") }
            case .producerOutage(let feed, let d):
                for g in gates where feed == nil || g.name == feed { g.addOutage(at..<(at + d)) }
                s.schedule(at: at, phase: .fault, "fault: producer outage") { [unowned self] in self.noteFault("producer_outage", "\(feed ?? "all feeds") for \(d)") }
            case .retentionPurge(let topic):
                s.schedule(at: at, phase: .fault, "fault: retention purge") { [unowned self] in
                    let deleted = self.broker.runRetentionCheck()
                    self.noteFault("retention_purge", "\(topic): \(deleted.count) partition(s) trimmed")
                }
            case .crash(let engine, let restartAfter):
                s.schedule(at: at, phase: .fault, "fault: crash \(engine.rawValue)") { [unowned self] in
                    self.noteFault("crash", engine.rawValue)
                    switch engine {
                    case .spark:
                        for j in self.sparkJobs { j.crash(restartAfter: restartAfter) }
                    case .flink:
                        for j in self.flinkJobs { j.crash() }
                    }
                }
            case .restart(let engine):
                s.schedule(at: at, phase: .fault, "fault: restart \(engine.rawValue)") { [unowned self] in
                    self.noteFault("restart", engine.rawValue)
                    if engine == .spark { for j in self.sparkJobs { j.restart() } }
                }
            case .crashBetweenOffsetsAndCommit(let batch):
                s.schedule(at: at, phase: .fault, "fault: arm crash between offsets and commit") { [unowned self] in
                    self.noteFault("crash_between_offsets_and_commit", batch.map { "batch \($0)" } ?? "next batch")
                    for j in self.sparkJobs { j.armCrashAfterOffsets(batch: batch, afterSink: f.afterSink) }
                }
            }
        }
    }

    func noteFault(_ kind: String, _ detail: String) {
        faultLog.append((environment.now, kind, detail))
        environment.record(.fault, "faults", [("kind", .string(kind)), ("detail", .string(detail))])
    }

    /// Runs to the end of the scenario (start + duration + drain), reporting progress now and then.
    public func run(progress: ((ProcessingTime) -> Void)? = nil) {
        for j in sparkJobs { j.start() }
        for j in flinkJobs { j.start() }
        let s = environment.scheduler
        let step = max(SimDuration.seconds(1), SimDuration(milliseconds: (end - document.start).milliseconds / 100))
        var t = document.start
        while t < end {
            t = min(end, t + step)
            s.run(until: t)
            progress?(t)
        }
        for j in flinkJobs { j.finish() }
        environment.record(.note, "scenario", [("event", "end"), ("digest-of-log", .string(broker.contentDigest()))])
    }
}
