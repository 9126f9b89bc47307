public import SimCore
import OrderedCollections

/// Which client's partitioning rule a producer follows (research note kafka-log.md §3).
public enum PartitionerKind: String, Sendable, Codable, CaseIterable {
    /// Java ≥ 3.3 built-in partitioner (KIP-794): murmur2 for keys; null keys "uniform sticky".
    case javaDefault = "java"
    /// librdkafka's default `consistent_random`: CRC-32 for keys; null *or empty* keys random per record.
    case consistentRandom = "consistent_random"
    /// librdkafka `murmur2_random`: Java-compatible murmur2 for keys; null keys random per record.
    case murmur2Random = "murmur2_random"
}

/// Chooses a partition for each record, deterministically given a seeded `SimRandom`.
///
/// Rules, in order:
/// 1. An explicit `record.partition` always wins (`KafkaProducer.partition`: `record.partition() != null`).
/// 2. Keyed records: Java / `murmur2_random` use `toPositive(murmur2(key)) % numPartitions` over *all* partitions
///    (`clients/.../producer/internals/BuiltInPartitioner.java` `partitionForKey`, `common/utils/Utils.java`
///    `murmur2`, `toPositive`); an empty key is hashed. librdkafka `consistent_random` uses `crc32(key) % n`
///    (`src/rdkafka_msg.c` `rd_kafka_msg_partitioner_consistent_random`), and treats an empty key as no key.
/// 3. Null keys, Java: *uniform sticky* (KIP-794, `BuiltInPartitioner.updatePartitionInfo`): stay on one partition
///    until `batch.size` bytes have been produced to it, then draw the next one uniformly (Java draws with
///    `ThreadLocalRandom`; here a seeded stream). Simplifications: no adaptive weighting (all queues are treated as
///    equal, which is what Java does when they are) and no "defer up to 2× batch.size until the batch is ready".
/// 4. Null keys, librdkafka: a uniformly random partition per record.
public struct RecordPartitioner {
    public let kind: PartitionerKind
    /// The byte budget of a sticky partition (`batch.size`).
    public let stickyBatchSize: Int
    private var random: SimRandom
    private var sticky: OrderedDictionary<String, (partition: Int32, producedBytes: Int)> = [:]

    public init(kind: PartitionerKind, random: SimRandom, stickyBatchSize: Int = 16_384) {
        self.kind = kind
        self.random = random
        self.stickyBatchSize = max(1, stickyBatchSize)
    }

    /// The partition for `record` in a topic with `numPartitions` partitions. `recordSize` is the record's encoded
    /// size, which the Java sticky rule counts toward `batch.size`.
    public mutating func partition(for record: ProducerRecord, numPartitions: Int32, recordSize: Int) -> Int32 {
        if let p = record.partition { return p }
        precondition(numPartitions > 0, "a topic always has at least one partition")
        switch kind {
        case .javaDefault:
            if let key = record.key { return RecordPartitioner.murmur2Partition(key, numPartitions) }
            return stickyPartition(topic: record.topic, numPartitions: numPartitions, recordSize: recordSize)
        case .murmur2Random:
            if let key = record.key { return RecordPartitioner.murmur2Partition(key, numPartitions) }
            return Int32(random.nextInt(below: UInt64(numPartitions)))
        case .consistentRandom:
            if let key = record.key, !key.isEmpty { return RecordPartitioner.crc32Partition(key, numPartitions) }
            return Int32(random.nextInt(below: UInt64(numPartitions)))
        }
    }

    /// `BuiltInPartitioner.partitionForKey`: `Utils.toPositive(Utils.murmur2(key)) % numPartitions`.
    public static func murmur2Partition(_ key: [UInt8], _ numPartitions: Int32) -> Int32 {
        Murmur2.toPositive(Murmur2.hash(key)) % numPartitions
    }

    /// librdkafka `rd_kafka_msg_partitioner_consistent`: `rd_crc32(key, keylen) % partition_cnt` (unsigned).
    public static func crc32Partition(_ key: [UInt8], _ numPartitions: Int32) -> Int32 {
        Int32(CRC32.checksum(key) % UInt32(numPartitions))
    }

    private mutating func stickyPartition(topic: String, numPartitions: Int32, recordSize: Int) -> Int32 {
        var state = sticky[topic] ?? (Int32(random.nextInt(below: UInt64(numPartitions))), 0)
        if state.partition >= numPartitions { state = (Int32(random.nextInt(below: UInt64(numPartitions))), 0) }
        let chosen = state.partition
        state.producedBytes += recordSize
        if state.producedBytes >= stickyBatchSize {
            state = (Int32(random.nextInt(below: UInt64(numPartitions))), 0)
        }
        sticky[topic] = state
        return chosen
    }
}
