public import SimCore
public import SimLog
public import QueryModel
public import OrderedCollections

/// What a Kafka micro-batch stream needs from a log: the engine core is written against this, and adapters wrap
/// SimLog's `Broker` or a plain in-memory log.
public protocol KafkaLogReader: AnyObject {
    /// Partition numbers of `topic`, ascending; nil when the topic does not exist.
    func partitions(of topic: String) -> [Int32]?
    /// The log start offset: the first offset still in the log (after retention).
    func earliestOffset(_ tp: TopicPartition) -> Int64
    /// The log end offset visible to consumers (the next offset to be written).
    func latestOffset(_ tp: TopicPartition) -> Int64
    /// Records with offsets in `[from, until)` that are still in the log, ascending.
    func records(_ tp: TopicPartition, from: Int64, until: Int64) -> [Record]
}

/// A small in-memory Kafka log for tests and conformance replay: append, delete (retention), read.
public final class InMemoryKafkaLog: KafkaLogReader {
    struct PartitionData {
        var startOffset: Int64 = 0
        var records: [Record] = []
        var endOffset: Int64 { startOffset + Int64(records.count) }
    }
    private var topics: OrderedDictionary<String, [PartitionData]> = [:]

    public init() {}

    public func createTopic(_ name: String, partitions: Int) {
        topics[name] = Array(repeating: PartitionData(), count: partitions)
    }

    /// Appends a record and returns its offset.
    @discardableResult
    public func append(_ tp: TopicPartition, key: [UInt8]?, value: [UInt8]?, timestamp: EventTime) -> Int64 {
        if topics[tp.topic] == nil { topics[tp.topic] = [] }
        while topics[tp.topic]!.count <= Int(tp.partition) { topics[tp.topic]!.append(PartitionData()) }
        let offset = topics[tp.topic]![Int(tp.partition)].endOffset
        topics[tp.topic]![Int(tp.partition)].records.append(Record(offset: offset, timestamp: timestamp, key: key, value: value))
        return offset
    }

    /// Removes every record below `offset` (Kafka `DeleteRecords` / retention).
    public func deleteRecords(_ tp: TopicPartition, before offset: Int64) {
        guard var p = topics[tp.topic]?[Int(tp.partition)] else { return }
        let n = Int(max(0, min(offset, p.endOffset) - p.startOffset))
        p.records.removeFirst(n)
        p.startOffset += Int64(n)
        topics[tp.topic]![Int(tp.partition)] = p
    }

    public func partitions(of topic: String) -> [Int32]? {
        topics[topic].map { (0..<Int32($0.count)).map { $0 } }
    }
    public func earliestOffset(_ tp: TopicPartition) -> Int64 { topics[tp.topic]?[Int(tp.partition)].startOffset ?? 0 }
    public func latestOffset(_ tp: TopicPartition) -> Int64 { topics[tp.topic]?[Int(tp.partition)].endOffset ?? 0 }
    public func records(_ tp: TopicPartition, from: Int64, until: Int64) -> [Record] {
        guard let p = topics[tp.topic]?[Int(tp.partition)] else { return [] }
        let lo = Int(max(from, p.startOffset) - p.startOffset), hi = Int(min(until, p.endOffset) - p.startOffset)
        return lo < hi ? Array(p.records[lo..<hi]) : []
    }
}

/// Per topic-partition offsets (`KafkaSourceOffset`: the next offset to read), kept sorted by topic-partition.
public struct KafkaOffsets: Hashable, Sendable, CustomStringConvertible {
    public var offsets: OrderedDictionary<TopicPartition, Int64>

    public init(_ pairs: [(TopicPartition, Int64)] = []) {
        var d = OrderedDictionary<TopicPartition, Int64>()
        for (tp, o) in pairs.sorted(by: { $0.0 < $1.0 }) { d[tp] = o }
        offsets = d
    }

    public subscript(tp: TopicPartition) -> Int64? { offsets[tp] }
    public var partitions: [TopicPartition] { Array(offsets.keys) }

    /// `JsonUtils.partitionOffsets`: `{"topic":{"0":12,"1":7}}`, partitions sorted.
    public var json: String {
        var byTopic = OrderedDictionary<String, [(Int32, Int64)]>()
        for (tp, o) in offsets { byTopic[tp.topic, default: []].append((tp.partition, o)) }
        return "{" + byTopic.map { topic, parts in
            JSONText.quote(topic) + ":{" + parts.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
        }.joined(separator: ",") + "}"
    }

    public var description: String { json }

    /// The offsets of one topic.
    public func filtered(topic: String) -> KafkaOffsets {
        KafkaOffsets(offsets.filter { $0.key.topic == topic }.map { ($0.key, $0.value) })
    }

    /// These offsets with `other`'s entries added (other wins on a clash).
    public func merging(_ other: KafkaOffsets) -> KafkaOffsets {
        var pairs = offsets.map { ($0.key, $0.value) }
        for (tp, o) in other.offsets { if let i = pairs.firstIndex(where: { $0.0 == tp }) { pairs[i].1 = o } else { pairs.append((tp, o)) } }
        return KafkaOffsets(pairs)
    }

    /// Parses the JSON form (as in `startingOffsets` and `offsets/N`).
    public static func parse(_ text: String) -> KafkaOffsets? {
        guard case .object(let topics)? = try? JSONValue.parse(text) else { return nil }
        var pairs: [(TopicPartition, Int64)] = []
        for t in topics {
            guard case .object(let parts) = t.value else { return nil }
            for p in parts {
                guard let n = Int32(p.key), let o = p.value.int64Value else { return nil }
                pairs.append((TopicPartition(t.key, n), o))
            }
        }
        return KafkaOffsets(pairs)
    }
}

/// Why a Kafka read lost data, with Spark 3.5's error text.
public enum KafkaDataLoss: Equatable, Sendable, CustomStringConvertible {
    /// `KafkaExceptions.couldNotReadOffsetRange` / `KafkaDataConsumer.get`: records in the range were removed.
    case couldNotReadOffsetRange(tp: TopicPartition, start: Int64, end: Int64, groupId: String)
    /// `KafkaOffsetReader.getOffsetRangesFromResolvedOffsets`: `until < from`.
    case partitionOffsetChanged(tp: TopicPartition, from: Int64, to: Int64)
    /// A partition appeared whose earliest offset is not 0.
    case addedPartitionDoesNotStartFromZero(tp: TopicPartition, start: Int64)
    /// Partitions that were in the previous offsets are gone.
    case partitionsDeleted([TopicPartition])

    /// The `KAFKA_DATA_LOSS` message template (connector `src/main/resources/error/kafka-error-conditions.json`, read
    /// on master; Spark's error framework joins a template's lines with `\n` and appends a sub-class's message to its
    /// class's after a space, `SparkThrowableHelper`/`ErrorClassesJsonReader`). Spark 3.5's copy of the file was not
    /// available to check; the recordings could not cover it (no Kafka connector jar here).
    static let instruction = """
        Some data may have been lost because they are not available in Kafka any more;
        either the data was aged out by Kafka or the topic may have been deleted before all the data in the
        topic was processed.
        If you don't want your streaming query to fail on such cases, set the source option failOnDataLoss to false.
        Reason:
        """

    public var description: String {
        switch self {
        case .couldNotReadOffsetRange(let tp, let s, let e, let g):
            return "[KAFKA_DATA_LOSS.COULD_NOT_READ_OFFSET_RANGE] \(Self.instruction) Could not read records in offset [\(s), \(e)) for topic partition \(tp)\nwith consumer group \(g)."
        case .partitionOffsetChanged(let tp, let f, let t):
            return "[KAFKA_DATA_LOSS.PARTITION_OFFSET_CHANGED] \(Self.instruction) Partition \(tp) offset was changed from \(f) to \(t).\nThis could either be a user error that the start offset is set too high and this is the first batch, or the kafka topic-partition is broken, and some data may have been missed."
        case .addedPartitionDoesNotStartFromZero(let tp, let s):
            return "[KAFKA_DATA_LOSS.ADDED_PARTITION_DOES_NOT_START_FROM_OFFSET_ZERO] \(Self.instruction) Added partition \(tp) starts from \(s) instead of 0."
        case .partitionsDeleted(let tps):
            return "[KAFKA_DATA_LOSS.PARTITIONS_DELETED] \(Self.instruction) Partitions \(tps.map(\.description).joined(separator: ", ")) have been deleted."
        }
    }
}

/// The offset logic of `connector/kafka-0-10-sql/.../KafkaMicroBatchStream.scala`.
public struct KafkaMicroBatchStream {
    public let spec: KafkaSourceSpec
    public let groupId: String

    public init(spec: KafkaSourceSpec, groupId: String) {
        self.spec = spec
        self.groupId = groupId
    }

    /// `getOrCreateInitialPartitionOffsets`: `startingOffsets` resolved against the log (earliest/latest; JSON
    /// `-2` = earliest, `-1` = latest; partitions the JSON does not name start at earliest).
    public func resolveInitialOffsets(_ log: any KafkaLogReader) -> KafkaOffsets {
        let parts = log.partitions(of: spec.topic) ?? []
        return KafkaOffsets(parts.map { p in
            let tp = TopicPartition(spec.topic, p)
            switch spec.startingOffsets {
            case .earliest: return (tp, log.earliestOffset(tp))
            case .latest: return (tp, log.latestOffset(tp))
            case .specific(let m):
                guard let o = m[tp], o != -2 else { return (tp, log.earliestOffset(tp)) }
                return (tp, o == -1 ? log.latestOffset(tp) : o)
            }
        })
    }

    /// `latestOffset(start, readLimit)`: the latest offsets, cut by `maxOffsetsPerTrigger` with `rateLimit`, and
    /// never beyond `bound` (AvailableNow's fixed target).
    public func latestOffset(start: KafkaOffsets, log: any KafkaLogReader, limit: Int64?, bound: KafkaOffsets? = nil) -> KafkaOffsets {
        let parts = log.partitions(of: spec.topic) ?? []
        var until = KafkaOffsets(parts.map { p in
            let tp = TopicPartition(spec.topic, p)
            var latest = log.latestOffset(tp)
            if let b = bound?[tp] { latest = min(latest, b) }
            return (tp, latest)
        })
        if let limit { until = rateLimit(limit, from: start, until: until, log: log) }
        return until
    }

    /// `KafkaMicroBatchStream.rateLimit`: per partition `prorate = limit * (size / total)` (a double), rounded up
    /// when below 1 so small partitions are not starved, down otherwise; `end = min(until, begin + prorate)`.
    public func rateLimit(_ limit: Int64, from: KafkaOffsets, until: KafkaOffsets, log: any KafkaLogReader) -> KafkaOffsets {
        var sizes: [(TopicPartition, Int64)] = []
        for (tp, end) in until.offsets {
            let begin = from[tp] ?? log.earliestOffset(tp)
            let size = end - begin
            if size > 0 { sizes.append((tp, size)) }
        }
        let total = Double(sizes.reduce(0) { $0 + $1.1 })
        if total < 1 { return until }
        return KafkaOffsets(until.offsets.map { tp, end in
            guard let size = sizes.first(where: { $0.0 == tp })?.1 else { return (tp, end) }
            let begin = from[tp] ?? log.earliestOffset(tp)
            let prorate = Double(limit) * (Double(size) / total)
            let prorateLong = Int64(prorate < 1 ? prorate.rounded(.up) : prorate.rounded(.down))
            let off = prorateLong > Int64.max - begin ? Int64.max : begin + prorateLong
            return (tp, min(end, off))
        })
    }

    /// The offset ranges of a batch, with the planning-time data-loss checks of
    /// `KafkaOffsetReaderAdmin.getOffsetRangesFromResolvedOffsets`.
    public func offsetRanges(from: KafkaOffsets, until: KafkaOffsets, log: any KafkaLogReader) -> (ranges: [OffsetRange], losses: [KafkaDataLoss]) {
        var losses: [KafkaDataLoss] = []
        var ranges: [OffsetRange] = []
        let deleted = from.partitions.filter { until[$0] == nil }
        if !deleted.isEmpty { losses.append(.partitionsDeleted(deleted)) }
        for (tp, end) in until.offsets {
            var begin: Int64
            if let b = from[tp] {
                begin = b
            } else {
                begin = log.earliestOffset(tp)
                if begin != 0 { losses.append(.addedPartitionDoesNotStartFromZero(tp: tp, start: begin)) }
            }
            if end < begin {
                losses.append(.partitionOffsetChanged(tp: tp, from: begin, to: end))
                begin = end
            }
            ranges.append(OffsetRange(tp, start: begin, end: end))
        }
        return (ranges, losses)
    }

    /// Reads one range like `KafkaDataConsumer.get` with `failOnDataLoss=false`: records already removed by
    /// retention are skipped (reported), reading resumes at the earliest available offset inside the range.
    public func read(_ range: OffsetRange, log: any KafkaLogReader) -> (records: [Record], lost: KafkaDataLoss?, lostCount: Int64) {
        guard range.end > range.start else { return ([], nil, 0) }
        let earliest = log.earliestOffset(range.topicPartition)
        let recs = log.records(range.topicPartition, from: range.start, until: range.end)
        let firstPresent = recs.first?.offset ?? range.end
        if earliest > range.start || firstPresent > range.start {
            let missingEnd = min(range.end, max(earliest, firstPresent))
            return (recs, .couldNotReadOffsetRange(tp: range.topicPartition, start: range.start, end: missingEnd, groupId: groupId), missingEnd - range.start)
        }
        return (recs, nil, 0)
    }
}
