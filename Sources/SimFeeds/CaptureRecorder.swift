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

/// A log fed the way feeds and replays feed it: SimLog's broker (topics created up front, others auto-created with
/// `num.partitions`, as Kafka's `auto.create.topics.enable` does) behind SimLog's producer model configured to hand
/// each record to the log at the virtual instant it is sent (`linger.ms=0`, no network latency, acks=all,
/// idempotence on). What a capture recorded as a record's receive time is therefore its append time, and replaying a
/// capture reproduces the log exactly. Scenarios that want batching, latency or retries configure the producer.
public final class IngestLog: RecordProducing {
    public struct Appended: Sendable, Hashable {
        public var topicPartition: TopicPartition
        public var record: Record
        public var appendTime: ProcessingTime
    }

    /// A producer that appends at the instant of the send.
    public static var immediateProducer: ProducerConfig {
        var c = ProducerConfig()
        c.clientId = "feed"
        c.lingerMs = 0
        c.networkLatency = .zero
        return c
    }

    public let broker: Broker
    public let producer: LogProducer
    /// Every record in append order (kept for tests and summaries).
    public private(set) var appended: [Appended] = []

    /// - Parameters:
    ///   - partitions: topics to create first, with their partition counts (e.g. `[("crypto_prices", 3)]`).
    ///   - brokerConfig: defaults to a broker without the periodic retention check, so `runUntilIdle()` ends.
    public init(env: SimEnvironment, partitions: [(topic: String, count: Int32)] = [], brokerConfig: BrokerConfig? = nil,
                producerConfig: ProducerConfig = IngestLog.immediateProducer) throws {
        var bc = brokerConfig ?? BrokerConfig()
        if brokerConfig == nil { bc.retentionCleanerEnabled = false }
        broker = Broker(environment: env, config: bc)
        for (topic, count) in partitions { _ = try broker.createTopic(topic, partitions: Int(count)) }
        producer = try LogProducer(broker: broker, config: producerConfig)
        broker.onAppend { [unowned self] tp, records, time in
            for r in records { self.appended.append(Appended(topicPartition: tp, record: r, appendTime: time)) }
        }
    }

    public func send(_ record: ProducerRecord) { producer.send(record) }

    /// Called after each append with each stored record, its partition and the append time (the capture hook).
    public func onAppend(_ observer: @escaping (Record, TopicPartition, ProcessingTime) -> Void) {
        broker.onAppend { tp, records, time in for r in records { observer(r, tp, time) } }
    }

    /// The partitions that hold data, sorted, with their log end offsets.
    public var partitionEndOffsets: [(topicPartition: TopicPartition, endOffset: Int64)] {
        broker.topicNames.sorted().flatMap { broker.topicPartitions($0) }.compactMap { tp in
            guard let p = broker.partition(tp), p.highWatermark > 0 else { return nil }
            return (tp, p.highWatermark)
        }
    }

    /// SHA-256 over the log's content (`Broker.contentDigest`): equal digests mean equal logs.
    public var contentDigest: String { broker.contentDigest() }
}
