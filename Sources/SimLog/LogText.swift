import SimCore
import OrderedCollections

/// Options of `kafka-console-consumer --property …` (`DefaultMessageFormatter`): what to print and the separators.
public struct ConsoleFormat: Sendable {
    public var printTimestamp = false
    public var printPartition = false
    public var printOffset = false
    public var printHeaders = false
    public var printKey = false
    public var printValue = true
    /// `key.separator` (also between every printed field).
    public var keySeparator = "\t"
    public var lineSeparator = "\n"
    public var headersSeparator = ","
    public var nullLiteral = "null"

    public init(printTimestamp: Bool = false, printPartition: Bool = false, printOffset: Bool = false,
                printHeaders: Bool = false, printKey: Bool = false, printValue: Bool = true) {
        self.printTimestamp = printTimestamp
        self.printPartition = printPartition
        self.printOffset = printOffset
        self.printHeaders = printHeaders
        self.printKey = printKey
        self.printValue = printValue
    }

    /// Everything on, as `--property print.timestamp=true …` for all fields.
    public static let all = ConsoleFormat(printTimestamp: true, printPartition: true, printOffset: true, printHeaders: true, printKey: true)
}

/// The text of Kafka's command-line tools, as pure functions over the simulated broker (the CLI prints them).
public enum LogText {
    /// `kafka-topics --describe --topic <t>` (`TopicCommand.describeTopic`, research note §7.1): one tab-separated
    /// topic line, then one line per partition, then — clearly separated, because Kafka has no such output — a
    /// StreamSim section with each partition's log start offset, high watermark, segments, bytes and records.
    public static func describeTopic(_ broker: Broker, _ topic: String, includeStreamSimSection: Bool = true) throws -> String {
        guard let t = broker.topics[topic] else { throw LogError.unknownTopicOrPartition(TopicPartition(topic, -1)) }
        let id = broker.config.brokerId
        let configs = t.config.nonDefaultProperties.map { "\($0.name)=\($0.value)" }.joined(separator: ",")
        var lines = ["Topic: \(topic)\tTopicId: \(t.topicId)\tPartitionCount: \(t.partitions.count)\tReplicationFactor: 1\tConfigs: \(configs)"]
        for p in t.partitions {
            lines.append("\tTopic: \(topic)\tPartition: \(p.topicPartition.partition)\tLeader: \(id)\tReplicas: \(id)\tIsr: \(id)\tElr: N/A\tLastKnownElr: N/A")
        }
        if includeStreamSimSection {
            lines.append("")
            lines.append("# StreamSim log state (not part of kafka-topics output)")
            for p in t.partitions {
                lines.append("\tPartition: \(p.topicPartition.partition)\tLogStartOffset: \(p.logStartOffset)\tHighWatermark: \(p.highWatermark)\tSegments: \(p.segments.count)\tBytes: \(p.sizeInBytes)\tRecords: \(p.recordCount)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One record as `kafka-console-consumer` prints it (`DefaultMessageFormatter.writeTo`), without the line
    /// separator: timestamp (`CreateTime:<ms>` / `LogAppendTime:<ms>`, `NO_TIMESTAMP` for −1), `Partition:<n>`,
    /// `Offset:<n>`, headers (`k:v` joined by `headers.separator`, `NO_HEADERS` when none), key, value — each enabled
    /// field joined by `key.separator`; null key/value/header value print `null.literal`.
    public static func consoleLine(_ r: ConsumedRecord, format: ConsoleFormat = ConsoleFormat()) -> String {
        var fields: [String] = []
        if format.printTimestamp {
            let ts = r.record.timestamp.millisecondsSinceEpoch
            fields.append(ts < 0 ? "NO_TIMESTAMP" : "\(r.timestampType.rawValue):\(ts)")
        }
        if format.printPartition { fields.append("Partition:\(r.topicPartition.partition)") }
        if format.printOffset { fields.append("Offset:\(r.record.offset)") }
        if format.printHeaders {
            if r.record.headers.isEmpty {
                fields.append("NO_HEADERS")
            } else {
                fields.append(r.record.headers.map { "\($0.key):\(text($0.value, format))" }.joined(separator: format.headersSeparator))
            }
        }
        if format.printKey { fields.append(text(r.record.key, format)) }
        if format.printValue { fields.append(text(r.record.value, format)) }
        return fields.joined(separator: format.keySeparator)
    }

    /// Many records, each followed by `line.separator`.
    public static func consoleOutput(_ records: [ConsumedRecord], format: ConsoleFormat = ConsoleFormat()) -> String {
        var s = ""
        for r in records { s += consoleLine(r, format: format); s += format.lineSeparator }
        return s
    }

    /// `kafka-get-offsets` lines, `topic:partition:offset` (`GetOffsetShell`); partitions with no answer are skipped.
    public static func getOffsets(_ broker: Broker, _ topic: String, _ spec: OffsetSpec) throws -> String {
        var s = ""
        for tp in broker.topicPartitions(topic) {
            if let o = try broker.listOffset(tp, spec) { s += "\(topic):\(tp.partition):\(o.offset)\n" }
        }
        return s
    }

    static func text(_ bytes: [UInt8]?, _ format: ConsoleFormat) -> String {
        guard let bytes else { return format.nullLiteral }
        return String(decoding: bytes, as: UTF8.self)
    }
}
