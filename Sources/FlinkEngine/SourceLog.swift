public import SimCore
public import SimLog

/// What the model's Kafka source needs from a log: the partitions of a topic, records from an offset, and the
/// earliest/latest offsets. `Broker` (SimLog) conforms; `InMemorySourceLog` is a small stand-in for tests.
public protocol FlinkSourceLog: AnyObject {
    func sourcePartitions(of topic: String) -> [TopicPartition]
    /// Records at or above `offset` (at most `maxRecords`). Throws while the broker is unreachable.
    func sourceRecords(_ tp: TopicPartition, from offset: Int64, maxRecords: Int) throws -> [Record]
    /// The earliest (log start) or latest (high watermark) offset.
    func sourceOffset(_ tp: TopicPartition, latest: Bool) throws -> Int64
}

extension Broker: FlinkSourceLog {
    public func sourcePartitions(of topic: String) -> [TopicPartition] { topicPartitions(topic) }
    public func sourceRecords(_ tp: TopicPartition, from offset: Int64, maxRecords: Int) throws -> [Record] {
        try fetchRecords(tp, from: offset, maxRecords: maxRecords)
    }
    public func sourceOffset(_ tp: TopicPartition, latest: Bool) throws -> Int64 {
        try listOffset(tp, latest ? .latest : .earliest)?.offset ?? 0
    }
}

/// The error a log reports while the broker is down.
public struct SourceLogUnavailable: Error, CustomStringConvertible, Sendable {
    public var description: String { "broker unavailable" }
    public init() {}
}

/// An in-memory partitioned log: appended records get consecutive offsets; `available` simulates a broker outage.
public final class InMemorySourceLog: FlinkSourceLog {
    public let topic: String
    private var partitions: [[Record]]
    public var available = true

    public init(topic: String, partitions: Int) {
        self.topic = topic
        self.partitions = Array(repeating: [], count: max(1, partitions))
    }

    public var partitionCount: Int { partitions.count }

    /// Appends a record; returns its offset.
    @discardableResult
    public func append(partition: Int, key: [UInt8]?, value: [UInt8]?, timestamp: EventTime) -> Int64 {
        let offset = Int64(partitions[partition].count)
        partitions[partition].append(Record(offset: offset, timestamp: timestamp, key: key, value: value))
        return offset
    }

    public func endOffset(_ partition: Int) -> Int64 { Int64(partitions[partition].count) }

    public func sourcePartitions(of topic: String) -> [TopicPartition] {
        topic == self.topic ? (0..<partitions.count).map { TopicPartition(topic, Int32($0)) } : []
    }
    public func sourceRecords(_ tp: TopicPartition, from offset: Int64, maxRecords: Int) throws -> [Record] {
        guard available else { throw SourceLogUnavailable() }
        let p = partitions[Int(tp.partition)]
        let start = Int(max(0, offset))
        guard start < p.count else { return [] }
        return Array(p[start..<min(p.count, start + maxRecords)])
    }
    public func sourceOffset(_ tp: TopicPartition, latest: Bool) throws -> Int64 {
        guard available else { throw SourceLogUnavailable() }
        return latest ? Int64(partitions[Int(tp.partition)].count) : 0
    }
}

/// `KafkaSourceEnumerator.getSplitOwner` (flink-connector-kafka): `startIndex = ((topic.hashCode() * 31) & 0x7FFFFFFF) %
/// numReaders`, owner = `(startIndex + partition) % numReaders`. One split per partition; readers with no split stay
/// alive (unbounded) and hold downstream watermarks unless idleness is configured.
public enum KafkaSplitAssignment {
    public static func owner(of tp: TopicPartition, readers: Int) -> Int {
        let start = Int((tp.topic.javaHashCode &* 31) & 0x7FFF_FFFF) % readers
        return (start + Int(tp.partition)) % readers
    }
}
