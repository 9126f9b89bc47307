public import SimCore
public import SimLog
public import SparkEngine
public import FlinkEngine
import QueryModel

/// One job's view of the broker, on one engine: it forwards every read to the broker and remembers how far the job
/// has read each partition, which is what `log.lost_to_retention` needs — a record the retention cleaner deletes
/// before a job read it is lost to that job, whatever the job's settings then do about it.
///
/// It also carries the one piece of client behaviour the Spark model leaves to its `KafkaLogReader`: while the broker
/// is down, the driver's offset requests (`AdminClient.listOffsets`) block and retry until it is back, so a trigger
/// in the outage plans nothing new. The adapter answers those requests with the last offsets it learnt before the
/// outage, and the first trigger after the outage sees everything appended since. (Without this, a Spark batch
/// planned during an outage would find its records "missing" and report data loss that never happened.)
public final class TrackedLog: KafkaLogReader, FlinkSourceLog {
    public let broker: Broker
    public let engine: EngineName
    public let job: String
    public let topic: String
    /// Per partition of `topic`: the next offset the job has not yet read (reads of other topics are not tracked).
    public private(set) var readUpTo: [Int32: Int64] = [:]
    private var lastKnownLatest: [TopicPartition: Int64] = [:]

    init(broker: Broker, engine: EngineName, job: String, topic: String) {
        self.broker = broker
        self.engine = engine
        self.job = job
        self.topic = topic
    }

    var brokerIsDown: Bool { broker.faults.isUnavailable(at: broker.environment.scheduler.now) }

    func noteRead(_ tp: TopicPartition, _ records: [Record]) {
        guard tp.topic == topic, let last = records.last?.offset else { return }
        if last + 1 > readUpTo[tp.partition, default: 0] { readUpTo[tp.partition] = last + 1 }
    }

    /// The next offset the job has not read in `tp` (0 when it has read nothing there).
    public func position(_ tp: TopicPartition) -> Int64 { readUpTo[tp.partition] ?? 0 }

    // MARK: KafkaLogReader (Spark)

    public func partitions(of topic: String) -> [Int32]? {
        guard let n = broker.partitionCount(topic) else { return nil }
        return (0..<n).map { $0 }
    }

    public func earliestOffset(_ tp: TopicPartition) -> Int64 { broker.partition(tp)?.logStartOffset ?? 0 }

    public func latestOffset(_ tp: TopicPartition) -> Int64 {
        if brokerIsDown, let known = lastKnownLatest[tp] { return known }
        let latest = broker.partition(tp)?.highWatermark ?? 0
        lastKnownLatest[tp] = latest
        return latest
    }

    public func records(_ tp: TopicPartition, from: Int64, until: Int64) -> [Record] {
        guard until > from, let p = broker.partition(tp) else { return [] }
        var out: [Record] = []
        var next = max(from, p.logStartOffset)
        while next < until {
            guard let batch = try? broker.fetchRecords(tp, from: next, maxRecords: Int(until - next), maxBytes: .max), !batch.isEmpty else { break }
            for r in batch where r.offset >= next && r.offset < until { out.append(r) }
            guard let last = batch.last?.offset, last + 1 > next else { break }
            next = last + 1
        }
        noteRead(tp, out)
        return out
    }

    // MARK: FlinkSourceLog

    public func sourcePartitions(of topic: String) -> [TopicPartition] { broker.sourcePartitions(of: topic) }

    public func sourceRecords(_ tp: TopicPartition, from offset: Int64, maxRecords: Int) throws -> [Record] {
        let records = try broker.sourceRecords(tp, from: offset, maxRecords: maxRecords)
        noteRead(tp, records)
        return records
    }

    public func sourceOffset(_ tp: TopicPartition, latest: Bool) throws -> Int64 { try broker.sourceOffset(tp, latest: latest) }
}

/// Records the retention cleaner deleted before every job reading their topic had read them.
public struct RetentionLoss: Sendable, Equatable {
    public var at: ProcessingTime
    public var topicPartition: TopicPartition
    /// `[from, to)`: the unread offsets deleted.
    public var from: Int64
    public var to: Int64
    /// The jobs (`engine/job`) that had not read them.
    public var jobs: [String]
    public var count: Int64 { to - from }
}

extension ScenarioRun {
    /// A retention deletion (a `retention` trace event) → the part of it some reader of the topic had not read yet.
    func noteRetention(_ event: TraceEvent) {
        guard event.kind == .retention, event.component == broker.component, case .string(let tpText)? = event["tp"],
              case .int(let logStart)? = event["logStart"], let dash = tpText.lastIndex(of: "-"), let p = Int32(tpText[tpText.index(after: dash)...]) else { return }
        let tp = TopicPartition(String(tpText[..<dash]), p)
        let deleted: Int64
        if case .int(let n)? = event["records"] { deleted = n } else { deleted = logStart - (retentionStart[tp] ?? 0) }
        let before = max(retentionStart[tp] ?? 0, logStart - deleted)
        retentionStart[tp] = logStart
        let readers = trackedLogs.filter { $0.topic == tp.topic }
        guard !readers.isEmpty else { return }
        let behind = readers.filter { $0.position(tp) < logStart }
        guard let lowest = behind.map({ $0.position(tp) }).min() else { return }
        let from = max(before, lowest)
        guard from < logStart else { return }
        retentionLosses.append(RetentionLoss(at: environment.now, topicPartition: tp, from: from, to: logStart,
                                             jobs: behind.map { "\($0.engine.rawValue)/\($0.job)" }))
    }

    /// The tracked view of the broker for one job on one engine.
    func trackedLog(engine: EngineName, job: JobSpec) -> TrackedLog {
        let log = TrackedLog(broker: broker, engine: engine, job: job.name, topic: job.query(on: engine).source.topic)
        trackedLogs.append(log)
        return log
    }
}
