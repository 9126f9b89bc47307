public import SimCore
public import OrderedCollections

/// Broker-wide settings, named as Kafka's server configs.
public struct BrokerConfig: Sendable {
    /// `broker.id` / `node.id`; printed as Leader/Replicas/Isr by `describeTopic`.
    public var brokerId: Int32 = 1
    /// `log.initial.task.delay.ms` = 30000: the first retention check (`LogManager.startup`).
    public var logInitialTaskDelayMs: Int64 = 30_000
    /// `log.retention.check.interval.ms` = 300000 (`ServerLogConfigs.LOG_CLEANUP_INTERVAL_MS_DEFAULT`).
    public var logRetentionCheckIntervalMs: Int64 = 300_000
    /// Schedule the periodic retention check on the scheduler at init. Because it repeats forever, drive a
    /// simulation with `scheduler.run(until:)`, not `runUntilIdle()`, when this is on.
    public var retentionCleanerEnabled = true
    /// The first producer id InitProducerId hands out.
    public var firstProducerId: Int64 = 0
    /// `auto.create.topics.enable` (default true): a producer's first metadata request for an unknown topic creates
    /// it with `num.partitions` partitions (`AutoTopicCreationManager`). The week-6 seed pipeline relies on this —
    /// its `crypto-prices` topic is never created explicitly and so has one partition. Simplification: the topic is
    /// usable at once; real Kafka first answers `LEADER_NOT_AVAILABLE` and the client retries after a backoff.
    public var autoCreateTopicsEnable = true
    /// `num.partitions` (default 1): partitions of an auto-created topic.
    public var numPartitions = 1

    public init() {}
}

/// A topic's metadata and partitions.
public struct TopicState: Sendable {
    public let name: String
    /// Deterministic stand-in for Kafka's random topic UUID: base64url (no padding) of the first 16 bytes of
    /// SHA-256("streamsim-topic:" + name), the same 22-character shape as `Uuid.toString`.
    public let topicId: String
    public internal(set) var config: TopicConfig
    public internal(set) var partitions: [PartitionLog]
    /// `partitions[i].topicPartition.description`, made once (trace events name the partition on every fetch).
    let partitionNames: [String]

    init(name: String, topicId: String, config: TopicConfig, partitions: [PartitionLog]) {
        self.name = name
        self.topicId = topicId
        self.config = config
        self.partitions = partitions
        self.partitionNames = partitions.map { $0.topicPartition.description }
    }
}

/// The listing offset kinds of ListOffsets (`ListOffsetsRequest`: EARLIEST −2, LATEST −1, or a timestamp).
public enum OffsetSpec: Sendable, Equatable {
    case earliest, latest
    case timestamp(Int64)
}

/// Windows in which the simulated broker misbehaves, on the virtual clock, plus a seeded lost-response rate.
public struct BrokerFaults: Sendable {
    /// Broker unreachable: produce and fetch fail with NETWORK_EXCEPTION (retriable) and nothing is appended.
    public var outages: [Range<ProcessingTime>] = []
    /// Produce requests *arriving* in these windows are appended, but their responses are lost, so the producer
    /// times out after `request.timeout.ms` and retries (research note §5.3 rule 7).
    public var lostResponseWindows: [Range<ProcessingTime>] = []
    /// Probability that any produce response is lost after the append, drawn from the `log.faults` stream.
    public var lostResponseProbability: Double = 0

    public init() {}

    public func isUnavailable(at t: ProcessingTime) -> Bool { outages.contains { $0.contains(t) } }
}

/// A single-node, single-replica Kafka broker on the virtual clock: topics, partitions, consumer-group offsets, a
/// retention cleaner, fault windows, observers and trace events. One per simulation.
///
/// Every mutation happens in the caller's scheduler event; nothing here reads a clock or iterates a hash map.
public final class Broker {
    public let environment: SimEnvironment
    public let config: BrokerConfig
    public var faults = BrokerFaults()
    public private(set) var topics: OrderedDictionary<String, TopicState> = [:]
    /// group → (partition → committed offset, the *next* offset to read).
    public private(set) var groupOffsets: OrderedDictionary<String, OrderedDictionary<TopicPartition, Int64>> = [:]
    private var appendObservers: [(TopicPartition, [Record], ProcessingTime) -> Void] = []
    private var nextProducerId: Int64
    private var faultRandom: SimRandom
    public let component = "log"

    public init(environment: SimEnvironment, config: BrokerConfig = BrokerConfig()) {
        self.environment = environment
        self.config = config
        self.nextProducerId = config.firstProducerId
        self.faultRandom = environment.random.stream("log.faults")
        if config.retentionCleanerEnabled { scheduleRetentionChecks() }
    }

    var now: ProcessingTime { environment.scheduler.now }
    var trace: Trace { environment.trace }

    // MARK: Topics

    /// CreateTopics: TOPIC_ALREADY_EXISTS (36), INVALID_PARTITIONS (37), INVALID_CONFIG (40).
    @discardableResult
    public func createTopic(_ name: String, partitions: Int, config: TopicConfig = .defaults) throws -> TopicState {
        if topics[name] != nil { throw LogError.topicAlreadyExists(name) }
        guard partitions >= 1 else { throw LogError.invalidPartitions(name, partitions) }
        guard !name.isEmpty, name.count <= 249, name.utf8.allSatisfy({ b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b == 0x2e || b == 0x5f || b == 0x2d
        }) else { throw LogError.invalidConfig("invalid topic name '\(name)': use 1-249 of [a-zA-Z0-9._-] (Topic.validate)") }
        try config.validate()
        let t = TopicState(name: name, topicId: Broker.topicId(for: name), config: config,
                           partitions: (0..<partitions).map { PartitionLog(TopicPartition(name, Int32($0)), now: now) })
        topics[name] = t
        environment.record(.note, component, [("event", "create-topic"), ("topic", .string(name)), ("partitions", .int(partitions))])
        return t
    }

    /// The partition count a producer's metadata request sees: creates the topic first when it is unknown and
    /// `auto.create.topics.enable` is on (nil when it is off, or the name is invalid).
    public func metadataPartitionCount(_ topic: String) -> Int32? {
        if let n = partitionCount(topic) { return n }
        guard config.autoCreateTopicsEnable, (try? createTopic(topic, partitions: config.numPartitions)) != nil else { return nil }
        environment.record(.note, component, [("event", "auto-create-topic"), ("topic", .string(topic)), ("partitions", .int(config.numPartitions))])
        return partitionCount(topic)
    }

    /// SHA-256 over the content of every partition (topic order, then partition, then offset: offset, timestamp,
    /// key, value, headers): equal digests mean equal logs.
    public func contentDigest() -> String {
        // Same bytes as `"\(tp) \(offset) \(timestamp) " + hex(key) + " " + hex(value) + headers + "\n"` per record,
        // written into one reused buffer (hashed every 64 KiB) instead of a String per record and per hex field.
        var h = SHA256()
        var out: [UInt8] = []
        out.reserveCapacity(1 << 17)
        for t in topics.values {
            for p in t.partitions {
                guard let fetched = try? p.fetch(offset: p.logStartOffset, maxBytes: .max, maxRecords: .max) else { continue }
                let prefix = Array(p.topicPartition.description.utf8)
                for b in fetched.batches {
                    for r in b.records where r.offset >= fetched.fetchOffset {
                        out.append(contentsOf: prefix); out.append(0x20)
                        Broker.appendDecimal(r.offset, into: &out); out.append(0x20)
                        Broker.appendDecimal(r.timestamp.millisecondsSinceEpoch, into: &out); out.append(0x20)
                        Broker.appendHexOrNull(r.key, into: &out)
                        out.append(0x20)
                        Broker.appendHexOrNull(r.value, into: &out)
                        for hd in r.headers {
                            out.append(0x20); out.append(contentsOf: hd.key.utf8); out.append(0x3D)
                            Broker.appendHexOrNull(hd.value, into: &out)
                        }
                        out.append(0x0A)
                        if out.count >= 1 << 16 { h.update(out); out.removeAll(keepingCapacity: true) }
                    }
                }
            }
        }
        h.update(out)
        return h.hexDigest()
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Lower-case hex of `bytes`, or `null`, appended to `out` (the bytes of `hex(bytes) ?? "null"`).
    private static func appendHexOrNull(_ bytes: [UInt8]?, into out: inout [UInt8]) {
        guard let bytes else { out.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C]); return }
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: bytes.count * 2))
        out.withUnsafeMutableBufferPointer { o in
            hexDigits.withUnsafeBufferPointer { d in
                bytes.withUnsafeBufferPointer { src in
                    var j = start
                    for b in src { o[j] = d[Int(b >> 4)]; o[j + 1] = d[Int(b & 0xf)]; j += 2 }
                }
            }
        }
    }

    /// The bytes of `String(v)`.
    private static func appendDecimal(_ v: Int64, into out: inout [UInt8]) {
        if v < 0 { out.append(0x2D) }
        var m = v.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes ≥ 20 digits
        var n = 0
        withUnsafeMutableBytes(of: &digits) { buf in
            repeat { buf[n] = UInt8(48 + m % 10); m /= 10; n += 1 } while m > 0
            while n > 0 { n -= 1; out.append(buf[n]) }
        }
    }

    static func hex(_ bytes: [UInt8]) -> String { SHA256.hex(bytes) }

    /// A topic's state, or nil if it does not exist.
    public func topic(_ name: String) -> TopicState? { topics[name] }

    /// Topic names in creation order.
    public var topicNames: [String] { Array(topics.keys) }

    public func partitionCount(_ topic: String) -> Int32? { topics[topic].map { Int32($0.partitions.count) } }

    /// A snapshot of one partition (copy-on-write: cheap).
    public func partition(_ tp: TopicPartition) -> PartitionLog? {
        guard let t = topics[tp.topic], tp.partition >= 0, Int(tp.partition) < t.partitions.count else { return nil }
        return t.partitions[Int(tp.partition)]
    }

    public func topicPartitions(_ topic: String) -> [TopicPartition] {
        guard let n = partitionCount(topic) else { return [] }
        return (0..<n).map { TopicPartition(topic, $0) }
    }

    static func topicId(for name: String) -> String {
        var h = SHA256()
        h.update("streamsim-topic:" + name)
        return Base64URL.encode(Array(h.finalize().prefix(16)))
    }

    private func withPartition<T>(_ tp: TopicPartition, _ body: (inout PartitionLog, TopicConfig) throws -> T) throws -> T {
        guard let ti = topics.index(forKey: tp.topic) else { throw LogError.unknownTopicOrPartition(tp) }
        let p = Int(tp.partition)
        guard p >= 0, p < topics.values[ti].partitions.count else { throw LogError.unknownTopicOrPartition(tp) }
        let cfg = topics.values[ti].config
        return try body(&topics.values[ti].partitions[p], cfg)
    }

    // MARK: Produce

    /// Appends one producer batch to `tp` now. Throws NETWORK_EXCEPTION during an outage, and the validation and
    /// idempotence errors of `PartitionLog.append`. Notifies `onAppend` observers and records `append`/`roll` events.
    @discardableResult
    public func append(_ batch: RecordBatch, to tp: TopicPartition) throws -> AppendOutcome {
        let t = now
        if faults.isUnavailable(at: t) { throw LogError.networkException("broker \(config.brokerId) is unavailable (simulated outage)") }
        let outcome = try withPartition(tp) { log, cfg in try log.append(batch, config: cfg, now: t) }
        if let rolled = outcome.rolledSegment {
            environment.record(.roll, component, [("tp", .string(tp.description)), ("base", .int(rolled))])
        }
        if trace.wants(.append) {
            environment.record(.append, component, [
                ("tp", .string(tp.description)), ("base", .int(outcome.baseOffset)), ("last", .int(outcome.lastOffset)),
                ("count", .int(outcome.records.count)), ("bytes", .int(outcome.sizeInBytes)), ("dup", .bool(outcome.isDuplicate)),
                ("pid", .int(batch.producerId)), ("seq", .int(Int64(batch.baseSequence))),
            ])
        }
        if !outcome.isDuplicate { for o in appendObservers { o(tp, outcome.records, t) } }
        return outcome
    }

    /// Decodes one encoded v2 batch (validating CRC, magic and lengths) and appends it; corrupt bytes give CORRUPT_MESSAGE.
    @discardableResult
    public func appendEncoded(_ bytes: [UInt8], to tp: TopicPartition) throws -> AppendOutcome {
        let batch: RecordBatch
        do {
            let (b, size) = try RecordBatch.decode(bytes)
            guard size == bytes.count else { throw LogError.invalidRecord(tp, "a produce request holds exactly one batch per partition") }
            batch = b
        } catch let e as RecordBatchError {
            throw LogError.corruptMessage("\(tp): \(e)")
        }
        return try append(batch, to: tp)
    }

    /// Whether the response to a produce request handled now is lost (fault windows, then the seeded rate).
    public func produceResponseIsLost() -> Bool {
        let t = now
        if faults.lostResponseWindows.contains(where: { $0.contains(t) }) { return true }
        if faults.lostResponseProbability > 0 { return faultRandom.nextBool(probability: faults.lostResponseProbability) }
        return false
    }

    /// InitProducerId without a transactional id: a fresh producer id, epoch 0.
    public func initProducerId() -> (producerId: Int64, epoch: Int16) {
        defer { nextProducerId += 1 }
        return (nextProducerId, 0)
    }

    /// Registers an observer of every non-duplicate append: the partition, the appended records (offsets and
    /// effective timestamps assigned) and the broker time. A recorder uses this to capture what entered the log.
    public func onAppend(_ observer: @escaping (TopicPartition, [Record], ProcessingTime) -> Void) {
        appendObservers.append(observer)
    }

    // MARK: Fetch and ListOffsets

    /// Fetch for a consumer; see `PartitionLog.fetch` for the rules. Records a `fetch` event.
    public func fetch(_ tp: TopicPartition, offset: Int64, maxRecords: Int = .max, maxBytes: Int = 1_048_576) throws -> FetchResult {
        if faults.isUnavailable(at: now) { throw LogError.networkException("broker \(config.brokerId) is unavailable (simulated outage)") }
        guard let ti = topics.index(forKey: tp.topic), tp.partition >= 0, Int(tp.partition) < topics.values[ti].partitions.count else {
            throw LogError.unknownTopicOrPartition(tp)
        }
        let p = Int(tp.partition)
        let hw = topics.values[ti].partitions[p].highWatermark
        let start = topics.values[ti].partitions[p].logStartOffset
        let result: FetchResult
        if offset == hw && offset >= start {
            // Caught up (the usual idle poll): the answer `PartitionLog.fetch` gives — no batches — without copying
            // the partition.
            result = FetchResult(topicPartition: tp, fetchOffset: offset, batches: [], highWatermark: hw, logStartOffset: start)
        } else {
            result = try topics.values[ti].partitions[p].fetch(offset: offset, maxBytes: maxBytes, maxRecords: maxRecords)
        }
        if trace.wants(.fetch) {
            environment.record(.fetch, component, [
                ("tp", .string(topics.values[ti].partitionNames[p])), ("offset", .int(offset)), ("batches", .int(result.batches.count)),
                ("hw", .int(result.highWatermark)), ("start", .int(result.logStartOffset)),
            ])
        }
        return result
    }

    /// Convenience: the records at or above `offset` that a fetch returns (what a client hands to the application).
    public func fetchRecords(_ tp: TopicPartition, from offset: Int64, maxRecords: Int = .max, maxBytes: Int = 1_048_576) throws -> [Record] {
        let recs = try fetch(tp, offset: offset, maxRecords: maxRecords, maxBytes: maxBytes).records
        return recs.count > maxRecords ? Array(recs.prefix(maxRecords)) : recs
    }

    /// ListOffsets (`Partition.fetchOffsetForTimestamp`): earliest = log start, latest = high watermark (not the LEO,
    /// though equal here), timestamp T → first offset with ts ≥ T (see `PartitionLog.offsetForTimestamp`), nil when
    /// none (Kafka's offset −1, timestamp −1). Timestamps are −1 for earliest/latest, as in Kafka.
    public func listOffset(_ tp: TopicPartition, _ spec: OffsetSpec) throws -> (offset: Int64, timestamp: Int64)? {
        guard let log = partition(tp) else { throw LogError.unknownTopicOrPartition(tp) }
        switch spec {
        case .earliest: return (log.logStartOffset, -1)
        case .latest: return (log.highWatermark, -1)
        case .timestamp(let t): return log.offsetForTimestamp(t)
        }
    }

    // MARK: Consumer-group offsets

    /// OffsetCommit for a standalone (generation −1) consumer: stores the *next* offset to read (rule 1.8.30).
    public func commitOffset(group: String, _ tp: TopicPartition, offset: Int64) throws {
        guard partition(tp) != nil else { throw LogError.unknownTopicOrPartition(tp) }
        groupOffsets[group, default: [:]][tp] = offset
        environment.record(.offsetCommit, component, [("group", .string(group)), ("tp", .string(tp.description)), ("offset", .int(offset))])
    }

    /// OffsetFetch: the committed offset, or nil where Kafka answers −1 (no commit).
    public func committedOffset(group: String, _ tp: TopicPartition) -> Int64? { groupOffsets[group]?[tp] }

    // MARK: Retention and DeleteRecords

    private func scheduleRetentionChecks() {
        let interval = SimDuration.milliseconds(config.logRetentionCheckIntervalMs)
        func tick() {
            runRetentionCheck()
            environment.scheduler.schedule(after: interval, phase: .maintenance, "log-retention") { tick() }
        }
        environment.scheduler.schedule(after: .milliseconds(config.logInitialTaskDelayMs), phase: .maintenance, "log-retention") { tick() }
    }

    /// One run of `LogManager.cleanupLogs` over every partition, in topic-creation and partition order. Also a
    /// fault hook ("advance the retention check"). Returns the deletions made.
    @discardableResult
    public func runRetentionCheck() -> [(TopicPartition, RetentionDeletion)] {
        let t = now
        var all: [(TopicPartition, RetentionDeletion)] = []
        for ti in topics.values.indices {
            let cfg = topics.values[ti].config
            for p in topics.values[ti].partitions.indices {
                let tp = topics.values[ti].partitions[p].topicPartition
                for d in topics.values[ti].partitions[p].deleteOldSegments(config: cfg, now: t) {
                    all.append((tp, d))
                    if d.rolledFirst { environment.record(.roll, component, [("tp", .string(tp.description)), ("base", .int(d.logStartOffsetAfter))]) }
                    environment.record(.retention, component, [
                        ("tp", .string(tp.description)), ("reason", .string(d.reason.rawValue)),
                        ("segments", .int(d.segmentBaseOffsets.count)), ("records", .int(d.records)),
                        ("bytes", .int(d.bytes)), ("logStart", .int(d.logStartOffsetAfter)),
                    ])
                }
            }
        }
        return all
    }

    /// DeleteRecords (API 21): advance the log start to `offset` (−1 = high watermark).
    @discardableResult
    public func deleteRecords(_ tp: TopicPartition, before offset: Int64) throws -> Int64 {
        let lso = try withPartition(tp) { log, _ in try log.deleteRecords(before: offset) }
        environment.record(.retention, component, [("tp", .string(tp.description)), ("reason", "delete-records"), ("logStart", .int(lso))])
        return lso
    }

    /// Replaces a partition with one loaded from segment files (see `SegmentFiles`).
    public func restore(_ log: PartitionLog) throws {
        try withPartition(log.topicPartition) { p, _ in p = log }
    }
}

/// RFC 4648 §5 base64url without padding (Java `Base64.getUrlEncoder().withoutPadding()`, as `Uuid.toString` uses).
enum Base64URL {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        var i = 0
        while i + 3 <= bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            for s in [18, 12, 6, 0] { out.append(alphabet[Int((n >> UInt32(s)) & 63)]) }
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let n = UInt32(bytes[i]) << 16
            out.append(alphabet[Int((n >> 18) & 63)]); out.append(alphabet[Int((n >> 12) & 63)])
        } else if rest == 2 {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out.append(alphabet[Int((n >> 18) & 63)]); out.append(alphabet[Int((n >> 12) & 63)]); out.append(alphabet[Int((n >> 6) & 63)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
