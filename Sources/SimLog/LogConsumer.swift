import SimCore
import OrderedCollections

/// `auto.offset.reset`: what a consumer does with no committed offset, or on OFFSET_OUT_OF_RANGE.
public enum AutoOffsetReset: String, Sendable, Codable, CaseIterable {
    /// ListOffsets(EARLIEST): the log start offset.
    case earliest
    /// ListOffsets(LATEST): the high watermark. Java's default.
    case latest
    /// Throw `NoOffsetForPartitionException` / `OffsetOutOfRangeException` (librdkafka calls it `error`).
    case none
}

/// Consumer settings, named as Java's `ConsumerConfig`.
public struct ConsumerConfig: Sendable {
    public var groupId: String?
    public var clientId = "consumer-1"
    /// `auto.offset.reset` = latest.
    public var autoOffsetReset: AutoOffsetReset = .latest
    /// `max.poll.records` = 500.
    public var maxPollRecords = 500
    /// `max.partition.fetch.bytes` = 1048576 (soft: the first batch always comes back, KIP-74).
    public var maxPartitionFetchBytes = 1_048_576

    public init(groupId: String? = nil, autoOffsetReset: AutoOffsetReset = .latest) {
        self.groupId = groupId
        self.autoOffsetReset = autoOffsetReset
    }
}

/// A record as the consumer returns it (`ConsumerRecord`).
public struct ConsumedRecord: Sendable, Hashable {
    public var topicPartition: TopicPartition
    public var record: Record
    public var timestampType: TimestampType
    public var offset: Int64 { record.offset }
}

/// A manually assigned consumer (`KafkaConsumer.assign`), calling the broker directly in the current scheduler
/// event (no fetch latency or long-poll).
///
/// Positions follow `SubscriptionState`: a partition without a position takes the group's committed offset, else
/// the `auto.offset.reset` policy (`resetInitializingPositions`); OFFSET_OUT_OF_RANGE on a fetch applies the same
/// policy (`FetchCollector`), or throws under `none`. `poll` returns records at or above the position, in
/// partition order starting after the partition that served the previous poll, and advances the position past the
/// last record returned. Retriable errors (an outage) make a partition return nothing for this poll, as the Java
/// client's poll returns empty while it retries.
public final class LogConsumer {
    public let broker: Broker
    public let config: ConsumerConfig
    public private(set) var assignment: [TopicPartition] = []
    private var positions: OrderedDictionary<TopicPartition, Int64> = [:]
    private var nextPartitionIndex = 0
    public let component: String

    public init(broker: Broker, config: ConsumerConfig = ConsumerConfig()) {
        self.broker = broker
        self.config = config
        self.component = "consumer.\(config.groupId ?? config.clientId)"
    }

    /// Replaces the assignment; positions of partitions still assigned are kept.
    public func assign(_ partitions: [TopicPartition]) {
        var seen: OrderedDictionary<TopicPartition, Void> = [:]
        for p in partitions { seen[p] = () }
        assignment = Array(seen.keys)
        for tp in Array(positions.keys) where seen[tp] == nil { positions.removeValue(forKey: tp) }
        nextPartitionIndex = 0
    }

    /// Sets the next offset to read (`seek`). Validated on the next fetch.
    public func seek(_ tp: TopicPartition, to offset: Int64) throws {
        guard assignment.contains(tp) else { throw LogError.notAssigned(tp) }
        positions[tp] = offset
    }

    public func seekToBeginning(_ tp: TopicPartition) throws {
        guard let o = try broker.listOffset(tp, .earliest) else { return }
        try seek(tp, to: o.offset)
    }

    public func seekToEnd(_ tp: TopicPartition) throws {
        guard let o = try broker.listOffset(tp, .latest) else { return }
        try seek(tp, to: o.offset)
    }

    /// The next offset `poll` will return for `tp`, resolving it first if needed (`KafkaConsumer.position`).
    public func position(_ tp: TopicPartition) throws -> Int64 {
        guard assignment.contains(tp) else { throw LogError.notAssigned(tp) }
        if let p = positions[tp] { return p }
        let p = try initialPosition(tp)
        positions[tp] = p
        return p
    }

    private func initialPosition(_ tp: TopicPartition) throws -> Int64 {
        if let g = config.groupId, let committed = broker.committedOffset(group: g, tp) { return committed }
        return try reset(tp, cause: .noOffsetForPartition(tp))
    }

    private func reset(_ tp: TopicPartition, cause: LogError) throws -> Int64 {
        switch config.autoOffsetReset {
        case .earliest: return try broker.listOffset(tp, .earliest)?.offset ?? 0
        case .latest: return try broker.listOffset(tp, .latest)?.offset ?? 0
        case .none: throw cause
        }
    }

    /// Returns up to `maxRecords` (default `max.poll.records`) records and advances positions past them.
    public func poll(maxRecords: Int? = nil) throws -> [ConsumedRecord] {
        let limit = maxRecords ?? config.maxPollRecords
        var out: [ConsumedRecord] = []
        guard !assignment.isEmpty, limit > 0 else { return out }
        let n = assignment.count
        let start = nextPartitionIndex % n
        for k in 0..<n where out.count < limit {
            let tp = assignment[(start + k) % n]
            var pos = try position(tp)
            let result: FetchResult
            do {
                result = try broker.fetch(tp, offset: pos, maxRecords: limit - out.count, maxBytes: config.maxPartitionFetchBytes)
            } catch let e as LogError {
                switch e {
                case .offsetOutOfRange:
                    pos = try reset(tp, cause: e)
                    positions[tp] = pos
                    guard let r = try? broker.fetch(tp, offset: pos, maxRecords: limit - out.count, maxBytes: config.maxPartitionFetchBytes) else { continue }
                    result = r
                default:
                    if e.isRetriable { continue }
                    throw e
                }
            }
            for b in result.batches {
                let batchType = b.batch.timestampType
                for r in b.records where r.offset >= pos && out.count < limit {
                    out.append(ConsumedRecord(topicPartition: tp, record: r, timestampType: batchType))
                    pos = r.offset + 1
                }
                // A fully consumed batch moves the position to its end even past gaps (`CompletedFetch`).
                if out.count < limit && b.lastOffset >= pos { pos = b.lastOffset + 1 }
            }
            positions[tp] = pos
            nextPartitionIndex = (start + k + 1) % n
        }
        return out
    }

    /// Commits the current positions of all assigned partitions that have one (`commitSync()`).
    public func commitSync() throws {
        guard let g = config.groupId else { throw LogError.invalidConfig("commit needs a group.id") }
        for tp in assignment { if let p = positions[tp] { try broker.commitOffset(group: g, tp, offset: p) } }
    }

    /// Commits explicit offsets (the *next* offset to read per partition).
    public func commit(_ offsets: [(TopicPartition, Int64)]) throws {
        guard let g = config.groupId else { throw LogError.invalidConfig("commit needs a group.id") }
        for (tp, o) in offsets { try broker.commitOffset(group: g, tp, offset: o) }
    }

    /// The group's committed offset (OffsetFetch), nil where Kafka returns −1.
    public func committed(_ tp: TopicPartition) -> Int64? {
        config.groupId.flatMap { broker.committedOffset(group: $0, tp) }
    }
}
