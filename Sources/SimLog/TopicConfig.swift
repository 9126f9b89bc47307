/// `cleanup.policy`. Only `delete` is implemented; `compact` is rejected with INVALID_CONFIG when a topic is created.
public enum CleanupPolicy: String, Sendable, Codable, CaseIterable {
    case delete, compact
}

/// Per-topic configuration, named and defaulted as Kafka's topic configs
/// (`storage/src/main/java/org/apache/kafka/storage/internals/log/LogConfig.java`, `ServerLogConfigs.java`;
/// research note kafka-log.md §1.9 rule 34).
public struct TopicConfig: Hashable, Sendable, Codable {
    /// `retention.ms`: 7 days; −1 = keep forever.
    public var retentionMs: Int64 = 604_800_000
    /// `retention.bytes`: per partition; −1 = no size limit.
    public var retentionBytes: Int64 = -1
    /// `segment.bytes`: 1 GiB (`LogConfig.DEFAULT_SEGMENT_BYTES`).
    public var segmentBytes: Int = 1_073_741_824
    /// `segment.ms`: 7 days. Rolling uses record timestamps, not a clock (`LogSegment.shouldRoll`).
    public var segmentMs: Int64 = 604_800_000
    /// `message.timestamp.type`: CreateTime.
    public var messageTimestampType: TimestampType = .createTime
    /// `cleanup.policy`: delete.
    public var cleanupPolicy: CleanupPolicy = .delete
    /// `max.message.bytes`: 1048588 = 1 MiB + the 12-byte LOG_OVERHEAD, checked after compression.
    public var maxMessageBytes: Int = 1_048_588

    public static let defaults = TopicConfig()

    public init(retentionMs: Int64 = 604_800_000, retentionBytes: Int64 = -1, segmentBytes: Int = 1_073_741_824,
                segmentMs: Int64 = 604_800_000, messageTimestampType: TimestampType = .createTime,
                cleanupPolicy: CleanupPolicy = .delete, maxMessageBytes: Int = 1_048_588) {
        self.retentionMs = retentionMs
        self.retentionBytes = retentionBytes
        self.segmentBytes = segmentBytes
        self.segmentMs = segmentMs
        self.messageTimestampType = messageTimestampType
        self.cleanupPolicy = cleanupPolicy
        self.maxMessageBytes = maxMessageBytes
    }

    /// Builds a config from Kafka property names (`retention.ms=60000` …), as `kafka-topics --config` takes them.
    public init(properties: [(String, String)]) throws {
        self.init()
        for (name, value) in properties { try set(name, value) }
    }

    /// Sets one property by its Kafka name.
    public mutating func set(_ name: String, _ value: String) throws {
        func int64() throws -> Int64 {
            guard let v = Int64(value) else { throw LogError.invalidConfig("\(name)=\(value) is not an integer") }
            return v
        }
        switch name {
        case "retention.ms": retentionMs = try int64()
        case "retention.bytes": retentionBytes = try int64()
        case "segment.bytes": segmentBytes = Int(try int64())
        case "segment.ms": segmentMs = try int64()
        case "max.message.bytes": maxMessageBytes = Int(try int64())
        case "message.timestamp.type":
            guard let t = TimestampType(rawValue: value) else {
                throw LogError.invalidConfig("message.timestamp.type must be CreateTime or LogAppendTime, got \(value)")
            }
            messageTimestampType = t
        case "cleanup.policy":
            guard let p = CleanupPolicy(rawValue: value) else { throw LogError.invalidConfig("cleanup.policy must be delete or compact, got \(value)") }
            cleanupPolicy = p
        default:
            throw LogError.invalidConfig("unknown or unsupported topic config '\(name)'")
        }
        try validate()
    }

    /// Rejects values Kafka's `LogConfig` validators reject, and what this log does not implement.
    public func validate() throws {
        if segmentBytes < RecordBatch.headerSize { throw LogError.invalidConfig("segment.bytes=\(segmentBytes) must be at least \(RecordBatch.headerSize)") }
        if segmentMs < 1 { throw LogError.invalidConfig("segment.ms=\(segmentMs) must be at least 1") }
        if retentionMs < -1 { throw LogError.invalidConfig("retention.ms=\(retentionMs) must be -1 or more") }
        if maxMessageBytes < 0 { throw LogError.invalidConfig("max.message.bytes=\(maxMessageBytes) must be at least 0") }
        if cleanupPolicy == .compact { throw LogError.invalidConfig("cleanup.policy=compact is not implemented by the simulated log") }
    }

    /// Every property with its Kafka name and value, sorted by name.
    public var properties: [(name: String, value: String)] {
        [("cleanup.policy", cleanupPolicy.rawValue),
         ("max.message.bytes", String(maxMessageBytes)),
         ("message.timestamp.type", messageTimestampType.rawValue),
         ("retention.bytes", String(retentionBytes)),
         ("retention.ms", String(retentionMs)),
         ("segment.bytes", String(segmentBytes)),
         ("segment.ms", String(segmentMs))]
    }

    /// The properties that differ from Kafka's defaults, sorted by name: what `kafka-topics --describe` prints after
    /// `Configs:` (`TopicCommand.describeTopic` lists non-default entries only).
    public var nonDefaultProperties: [(name: String, value: String)] {
        let d = TopicConfig.defaults.properties
        return zip(properties, d).filter { $0.0.value != $0.1.value }.map { $0.0 }
    }
}
