/// Errors the log, the producer and the consumer report, named after Kafka's `Errors` enum
/// (`clients/src/main/java/org/apache/kafka/common/protocol/Errors.java`) with its numeric code where one exists.
public enum LogError: Error, Equatable, Sendable, CustomStringConvertible {
    /// OFFSET_OUT_OF_RANGE (1): fetch offset below log start or above LEO (`UnifiedLog.checkLogStartOffset`, `LocalLog.read`).
    case offsetOutOfRange(TopicPartition, requested: Int64, logStartOffset: Int64, logEndOffset: Int64)
    /// CORRUPT_MESSAGE (2): a batch failed CRC, magic or length validation.
    case corruptMessage(String)
    /// UNKNOWN_TOPIC_OR_PARTITION (3).
    case unknownTopicOrPartition(TopicPartition)
    /// REQUEST_TIMED_OUT (7): the producer saw no response within `request.timeout.ms` (client-side `TimeoutException`).
    case requestTimedOut(TopicPartition, afterMs: Int64)
    /// MESSAGE_TOO_LARGE (10): batch size (after compression, with the 12-byte overhead) above `max.message.bytes`.
    case messageTooLarge(TopicPartition, size: Int, max: Int)
    /// NETWORK_EXCEPTION (13): the broker could not be reached (the simulated outage).
    case networkException(String)
    /// INVALID_TIMESTAMP (32): a client set the LogAppendTime bit (`LogValidator.validateTimestamp`).
    case invalidTimestamp(TopicPartition, String)
    /// TOPIC_ALREADY_EXISTS (36).
    case topicAlreadyExists(String)
    /// INVALID_PARTITIONS (37).
    case invalidPartitions(String, Int)
    /// INVALID_CONFIG (40).
    case invalidConfig(String)
    /// OUT_OF_ORDER_SEQUENCE_NUMBER (45) (`ProducerAppendInfo.checkSequence`).
    case outOfOrderSequence(TopicPartition, producerId: Int64, expected: Int32, received: Int32)
    /// INVALID_PRODUCER_EPOCH (47) (`ProducerAppendInfo.checkProducerEpoch`).
    case invalidProducerEpoch(TopicPartition, producerId: Int64, current: Int16, received: Int16)
    /// INVALID_RECORD (87): a batch that is well-formed but breaks a broker rule (`LogValidator.validateBatch`).
    case invalidRecord(TopicPartition, String)
    /// Client-side `NoOffsetForPartitionException`: no committed offset and `auto.offset.reset=none`.
    case noOffsetForPartition(TopicPartition)
    /// Client-side `TimeoutException` from `RecordAccumulator.expiredBatches`: `delivery.timeout.ms` elapsed.
    case deliveryTimeout(TopicPartition, records: Int, elapsedMs: Int64)
    /// The partition is not assigned to this consumer (client-side `IllegalStateException`).
    case notAssigned(TopicPartition)

    /// Kafka's numeric error code, or nil for client-side exceptions.
    public var code: Int16? {
        switch self {
        case .offsetOutOfRange: return 1
        case .corruptMessage: return 2
        case .unknownTopicOrPartition: return 3
        case .requestTimedOut: return 7
        case .messageTooLarge: return 10
        case .networkException: return 13
        case .invalidTimestamp: return 32
        case .topicAlreadyExists: return 36
        case .invalidPartitions: return 37
        case .invalidConfig: return 40
        case .outOfOrderSequence: return 45
        case .invalidProducerEpoch: return 47
        case .invalidRecord: return 87
        case .noOffsetForPartition, .deliveryTimeout, .notAssigned: return nil
        }
    }

    /// Kafka's error name (`Errors.name()`), or the Java exception for client-side errors.
    public var name: String {
        switch self {
        case .offsetOutOfRange: return "OFFSET_OUT_OF_RANGE"
        case .corruptMessage: return "CORRUPT_MESSAGE"
        case .unknownTopicOrPartition: return "UNKNOWN_TOPIC_OR_PARTITION"
        case .requestTimedOut: return "REQUEST_TIMED_OUT"
        case .messageTooLarge: return "MESSAGE_TOO_LARGE"
        case .networkException: return "NETWORK_EXCEPTION"
        case .invalidTimestamp: return "INVALID_TIMESTAMP"
        case .topicAlreadyExists: return "TOPIC_ALREADY_EXISTS"
        case .invalidPartitions: return "INVALID_PARTITIONS"
        case .invalidConfig: return "INVALID_CONFIG"
        case .outOfOrderSequence: return "OUT_OF_ORDER_SEQUENCE_NUMBER"
        case .invalidProducerEpoch: return "INVALID_PRODUCER_EPOCH"
        case .invalidRecord: return "INVALID_RECORD"
        case .noOffsetForPartition: return "NoOffsetForPartitionException"
        case .deliveryTimeout: return "TimeoutException"
        case .notAssigned: return "IllegalStateException"
        }
    }

    /// Whether a producer retries it (Kafka's `RetriableException` subclasses).
    public var isRetriable: Bool {
        switch self {
        case .networkException, .requestTimedOut, .corruptMessage, .unknownTopicOrPartition: return true
        default: return false
        }
    }

    public var description: String {
        let head = code.map { "\(name) (\($0))" } ?? name
        switch self {
        case let .offsetOutOfRange(tp, requested, start, end):
            return "\(head): offset \(requested) is out of range for \(tp) (log start \(start), log end \(end))"
        case let .corruptMessage(detail): return "\(head): \(detail)"
        case let .unknownTopicOrPartition(tp): return "\(head): \(tp) does not exist"
        case let .requestTimedOut(tp, ms): return "\(head): no produce response for \(tp) within \(ms) ms"
        case let .messageTooLarge(tp, size, max): return "\(head): batch of \(size) bytes for \(tp) exceeds max.message.bytes=\(max)"
        case let .networkException(detail): return "\(head): \(detail)"
        case let .invalidTimestamp(tp, detail): return "\(head): \(tp): \(detail)"
        case let .topicAlreadyExists(t): return "\(head): topic '\(t)' already exists"
        case let .invalidPartitions(t, n): return "\(head): topic '\(t)' needs at least 1 partition, got \(n)"
        case let .invalidConfig(detail): return "\(head): \(detail)"
        case let .outOfOrderSequence(tp, pid, expected, received):
            return "\(head): \(tp) producer \(pid) sent sequence \(received), expected \(expected)"
        case let .invalidProducerEpoch(tp, pid, current, received):
            return "\(head): \(tp) producer \(pid) sent epoch \(received), current epoch is \(current)"
        case let .invalidRecord(tp, detail): return "\(head): \(tp): \(detail)"
        case let .noOffsetForPartition(tp): return "\(head): no committed offset for \(tp) and auto.offset.reset=none"
        case let .deliveryTimeout(tp, n, ms): return "\(head): expiring \(n) record(s) for \(tp): \(ms) ms has passed since batch creation"
        case let .notAssigned(tp): return "\(head): \(tp) is not assigned to this consumer"
        }
    }
}
