public import SimLog

/// `KafkaLogReader` over SimLog's `Broker`: partitions from topic metadata, `logStartOffset` / high watermark as
/// earliest / latest, records through the broker's fetch path (so retention and outages apply).
public final class BrokerKafkaReader: KafkaLogReader {
    public let broker: Broker

    public init(broker: Broker) { self.broker = broker }

    public func partitions(of topic: String) -> [Int32]? {
        guard let n = broker.partitionCount(topic) else { return nil }
        return (0..<n).map { $0 }
    }

    public func earliestOffset(_ tp: TopicPartition) -> Int64 {
        broker.partition(tp)?.logStartOffset ?? 0
    }

    public func latestOffset(_ tp: TopicPartition) -> Int64 {
        broker.partition(tp)?.highWatermark ?? 0
    }

    public func records(_ tp: TopicPartition, from: Int64, until: Int64) -> [Record] {
        guard until > from, let p = broker.partition(tp) else { return [] }
        var out: [Record] = []
        var next = max(from, p.logStartOffset)
        while next < until {
            guard let batch = try? broker.fetchRecords(tp, from: next, maxRecords: Int(until - next), maxBytes: .max), !batch.isEmpty else { break }
            for r in batch where r.offset >= next && r.offset < until { out.append(r) }
            guard let last = batch.last?.offset, last + 1 > next else { break }
            next = last + 1
        }
        return out
    }
}
