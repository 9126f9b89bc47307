public import SimCore

/// A topic and one of its partitions (Kafka `TopicPartition`).
public struct TopicPartition: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(_ topic: String, _ partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public static func < (a: Self, b: Self) -> Bool { (a.topic, a.partition) < (b.topic, b.partition) }
    /// `crypto_prices-2`, as Kafka names partition directories.
    public var description: String { "\(topic)-\(partition)" }
}

/// A half-open range of offsets `[start, end)` in one partition: Spark's per-batch Kafka offset range
/// (`KafkaSourceOffset`: the end is the *next* offset to read).
public struct OffsetRange: Hashable, Sendable, Codable, CustomStringConvertible {
    public var topicPartition: TopicPartition
    public var start: Int64
    public var end: Int64

    public init(_ tp: TopicPartition, start: Int64, end: Int64) {
        self.topicPartition = tp
        self.start = start
        self.end = end
    }

    public var count: Int64 { max(0, end - start) }
    public var description: String { "\(topicPartition)[\(start),\(end))" }
}

/// A record header (Kafka `Header`: non-null UTF-8 key, nullable bytes value).
public struct RecordHeader: Hashable, Sendable, Codable {
    public var key: String
    public var value: [UInt8]?

    public init(key: String, value: [UInt8]?) {
        self.key = key
        self.value = value
    }
}

/// Kafka's `message.timestamp.type` / the batch attribute bit 3.
public enum TimestampType: String, Sendable, Codable, CaseIterable {
    /// The producer's timestamp is kept (the default).
    case createTime = "CreateTime"
    /// The broker stamps every record with its own clock at append (`LogValidator`, attribute bit 3).
    case logAppendTime = "LogAppendTime"
}

/// A record as stored in the log and returned by a fetch.
public struct Record: Hashable, Sendable {
    public var offset: Int64
    /// The record's Kafka timestamp: the producer's CreateTime, or the broker's LogAppendTime.
    public var timestamp: EventTime
    public var key: [UInt8]?
    public var value: [UInt8]?
    public var headers: [RecordHeader]

    public init(offset: Int64, timestamp: EventTime, key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader] = []) {
        self.offset = offset
        self.timestamp = timestamp
        self.key = key
        self.value = value
        self.headers = headers
    }
}

/// What a client hands to a producer (Kafka `ProducerRecord`).
public struct ProducerRecord: Hashable, Sendable {
    public var topic: String
    /// An explicit partition always wins over the partitioner (`KafkaProducer.partition`).
    public var partition: Int32?
    public var key: [UInt8]?
    public var value: [UInt8]?
    /// CreateTime; nil means "now" on the producer's clock, as the Java client does.
    public var timestamp: EventTime?
    public var headers: [RecordHeader]

    public init(topic: String, partition: Int32? = nil, key: [UInt8]?, value: [UInt8]?, timestamp: EventTime? = nil, headers: [RecordHeader] = []) {
        self.topic = topic
        self.partition = partition
        self.key = key
        self.value = value
        self.timestamp = timestamp
        self.headers = headers
    }
}

/// Anything a feed can hand records to. Sends are asynchronous: what reaches the log, when, and how often is
/// decided by the producer model on the virtual clock (linger, batching, acks, retries, idempotence, outages).
public protocol RecordProducing: AnyObject {
    func send(_ record: ProducerRecord)
}

extension Array where Element == UInt8 {
    /// The UTF-8 bytes of a string.
    @inlinable public init(utf8 s: String) { self = Array(s.utf8) }
}
