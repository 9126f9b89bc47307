public import SimCore
public import SimLog
public import OrderedCollections

/// Where an exchange payload says it happened: Binance `E` (event time), else `T` (trade time), else Coinbase
/// `time` (ISO-8601), else the week6 `event_time` (ms); Binance combined-stream wrappers
/// (`{"stream":…,"data":{…}}`) are looked through. Malformed payloads have none.
public enum PayloadEventTime {
    public enum Field: String, Sendable, CaseIterable {
        /// E, then T, then time, then event_time.
        case automatic
        case E, T, time
        case eventTime = "event_time"
    }

    public static func extract(_ value: [UInt8], field: Field = .automatic) -> EventTime? {
        guard let v = try? JSONValue.parse(value) else { return nil }
        return extract(v, field: field)
    }

    public static func extract(_ v: JSONValue, field: Field = .automatic) -> EventTime? {
        let body = v["data"].flatMap { $0.objectMembers != nil ? $0 : nil } ?? v
        func ms(_ k: String) -> EventTime? {
            guard let x = body[k] else { return nil }
            if let i = x.int64Value { return EventTime(i) }
            if let s = x.stringValue, let t = UTCTimestamp.parse(s) { return EventTime(t) }
            return nil
        }
        switch field {
        case .automatic: return ms("E") ?? ms("T") ?? ms("time") ?? ms("event_time")
        case .E: return ms("E")
        case .T: return ms("T")
        case .time: return ms("time")
        case .eventTime: return ms("event_time")
        }
    }
}

/// Writes what enters a log to a capture, so any run can be replayed later (`--record out.jsonl.zst`).
///
/// Attach `record(_:in:at:)` to the log's append observer, or `record(_:at:)` to a producer. Hooks cannot throw,
/// so the first write error is kept in `error` and later records are ignored; `close()` reports it.
public final class CaptureRecorder {
    public let path: String
    private let writer: CaptureWriter
    public private(set) var error: CaptureError?
    public private(set) var count = 0

    public init(path: String, header: CaptureHeader) throws(CaptureError) {
        self.path = path
        writer = try CaptureWriter(path: path, header: header)
    }

    /// A record appended to `tp` at `time` (its offset is not kept: a replay assigns offsets afresh).
    public func record(_ record: Record, in tp: TopicPartition, at time: ProcessingTime) {
        write(CaptureRecord(receiveTime: time, topic: tp.topic, partition: tp.partition, key: record.key, value: record.value, headers: record.headers,
                            eventTime: record.value.flatMap { PayloadEventTime.extract($0) }, timestamp: record.timestamp))
    }

    /// A record handed to a producer at `time` (partition only if the sender chose one).
    public func record(_ record: ProducerRecord, at time: ProcessingTime) {
        write(CaptureRecord(receiveTime: time, topic: record.topic, partition: record.partition, key: record.key, value: record.value, headers: record.headers,
                            eventTime: record.value.flatMap { PayloadEventTime.extract($0) }, timestamp: record.timestamp))
    }

    public func write(_ r: CaptureRecord) {
        guard error == nil else { return }
        do { try writer.write(r); count += 1 } catch { self.error = error }
    }

    public func close() throws(CaptureError) {
        if let e = error { throw e }
        try writer.close()
    }
}

/// A `RecordProducing` that writes every send to a capture at the virtual instant it happens (what `sim gen` uses),
/// optionally forwarding to another producer.
public final class CaptureRecordingProducer: RecordProducing {
    public let recorder: CaptureRecorder
    private let scheduler: Scheduler
    private let next: (any RecordProducing)?

    public init(recorder: CaptureRecorder, scheduler: Scheduler, forwardingTo next: (any RecordProducing)? = nil) {
        self.recorder = recorder
        self.scheduler = scheduler
        self.next = next
    }

    public func send(_ record: ProducerRecord) {
        recorder.record(record, at: scheduler.now)
        next?.send(record)
    }
}

/// A minimal in-process log that appends every send immediately (no linger, batching, acks or failures): the
/// stand-in target for `sim capture replay` and the feed tests until SimLog's broker and producer model are
/// wired in. Partitions by SimLog's `RecordPartitioner` (Java default: murmur2 for keys, sticky for null keys) and
/// records an `append` trace event per record, so two replays can be compared by trace digest.
public final class DirectAppendLog: RecordProducing {
    public struct Appended: Sendable, Hashable {
        public var topicPartition: TopicPartition
        public var record: Record
        public var appendTime: ProcessingTime
    }

    let env: SimEnvironment
    private var partitioner: RecordPartitioner
    private let partitionCounts: [(topic: String, count: Int32)]
    private let defaultPartitions: Int32
    /// Every record in append order.
    public private(set) var appended: [Appended] = []
    /// Log end offsets per partition.
    public private(set) var endOffsets: OrderedDictionary<TopicPartition, Int64> = [:]
    private var observers: [(Record, TopicPartition, ProcessingTime) -> Void] = []

    /// - Parameter partitions: partitions per topic (others get `defaultPartitions`), e.g. `[("crypto_prices", 3)]`.
    public init(env: SimEnvironment, partitions: [(topic: String, count: Int32)] = [], defaultPartitions: Int32 = 1) {
        self.env = env
        partitionCounts = partitions
        self.defaultPartitions = defaultPartitions
        partitioner = RecordPartitioner(kind: .javaDefault, random: env.random.stream("log.direct.partitioner"))
    }

    /// The partitions written so far, sorted, with their log end offsets.
    public var partitionEndOffsets: [(topicPartition: TopicPartition, endOffset: Int64)] {
        endOffsets.keys.sorted().map { ($0, endOffsets[$0]!) }
    }

    /// SHA-256 over every appended record (partition, offset, timestamp, append time, key, value, headers) in
    /// append order: equal digests mean equal logs.
    public var contentDigest: String {
        var h = SHA256()
        for a in appended {
            h.update("\(a.topicPartition) \(a.record.offset) \(a.record.timestamp.millisecondsSinceEpoch) \(a.appendTime.millisecondsSinceEpoch) ")
            h.update(a.record.key.map { CaptureRecord.hex($0) } ?? "null")
            h.update(" ")
            h.update(a.record.value ?? [])
            for hd in a.record.headers { h.update(" " + hd.key + "=" + (hd.value.map { CaptureRecord.hex($0) } ?? "null")) }
            h.update("\n")
        }
        return h.hexDigest()
    }

    /// Called after each append with the stored record, its partition and the append time (the capture hook).
    public func onAppend(_ observer: @escaping (Record, TopicPartition, ProcessingTime) -> Void) { observers.append(observer) }

    public func send(_ r: ProducerRecord) {
        let n = partitionCounts.first { $0.topic == r.topic }?.count ?? defaultPartitions
        let size = (r.key?.count ?? 0) + (r.value?.count ?? 0)
        var p = partitioner.partition(for: r, numPartitions: n, recordSize: size)
        if p >= n || p < 0 { p = 0 }
        let tp = TopicPartition(r.topic, p)
        let offset = endOffsets[tp] ?? 0
        endOffsets[tp] = offset + 1
        let now = env.now
        let record = Record(offset: offset, timestamp: r.timestamp ?? EventTime(stampedAt: now), key: r.key, value: r.value, headers: r.headers)
        appended.append(Appended(topicPartition: tp, record: record, appendTime: now))
        if env.trace.wants(.append) {
            env.record(.append, "log", [("tp", .string(tp.description)), ("offset", .int(offset)), ("ts", .time(record.timestamp)),
                                        ("key", .optional(r.key.map { String(decoding: $0, as: UTF8.self) })),
                                        ("fnv", .string(String(RandomStreams.fnv1a64(String(decoding: r.value ?? [], as: UTF8.self)), radix: 16)))])
        }
        for o in observers { o(record, tp, now) }
    }
}
