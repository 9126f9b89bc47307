import XCTest
import SimCore
@testable import SimLog
import SimTesting

/// Partitioners (research note §3): murmur2 bit-exact with the Java client, librdkafka's CRC-32, sticky null keys.
final class PartitionerTests: XCTestCase {
    func testMurmur2VectorsFromUtilsTest() {
        // clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java `testMurmur2`.
        XCTAssertEqual(Murmur2.hash(utf8("21")), -973_932_308)
        XCTAssertEqual(Murmur2.hash(utf8("foobar")), -790_332_482)
        XCTAssertEqual(Murmur2.hash(utf8("a-little-bit-long-string")), -985_981_536)
        XCTAssertEqual(Murmur2.hash(utf8("a-little-bit-longer-string")), -1_486_304_829)
        XCTAssertEqual(Murmur2.hash(utf8("abc")), 479_470_107)
    }

    func testToPositiveClearsSignBit() {
        XCTAssertEqual(Murmur2.toPositive(-1), Int32.max)
        XCTAssertEqual(Murmur2.toPositive(Int32.min), 0)
        XCTAssertEqual(Murmur2.toPositive(42), 42)
    }

    func testSixPartitionKeyTable() {
        let table: [(String, Int32)] = [("key-0", 1), ("key-1", 0), ("key-2", 2), ("key-3", 5), ("key-4", 3),
                                        ("key-5", 2), ("key-6", 2), ("key-7", 1), ("user-42", 4), ("", 3)]
        var p = RecordPartitioner(kind: .javaDefault, random: SimRandom(seed: 1))
        for (key, expected) in table {
            XCTAssertEqual(RecordPartitioner.murmur2Partition(utf8(key), 6), expected, key)
            XCTAssertEqual(p.partition(for: ProducerRecord(topic: "t", key: utf8(key), value: nil), numPartitions: 6, recordSize: 10), expected, key)
        }
    }

    func testExplicitPartitionAlwaysWins() {
        for kind in PartitionerKind.allCases {
            var p = RecordPartitioner(kind: kind, random: SimRandom(seed: 3))
            XCTAssertEqual(p.partition(for: ProducerRecord(topic: "t", partition: 4, key: utf8("key-0"), value: nil), numPartitions: 6, recordSize: 10), 4)
            XCTAssertEqual(p.partition(for: ProducerRecord(topic: "t", partition: 2, key: nil, value: nil), numPartitions: 6, recordSize: 10), 2)
        }
    }

    func testConsistentRandomUsesCRC32AndRandomisesEmptyKeys() {
        XCTAssertEqual(RecordPartitioner.crc32Partition(utf8("123456789"), 6), Int32(0xcbf4_3926 % 6))
        var p = RecordPartitioner(kind: .consistentRandom, random: SimRandom(seed: 9))
        XCTAssertEqual(p.partition(for: ProducerRecord(topic: "t", key: utf8("123456789"), value: nil), numPartitions: 6, recordSize: 1), 2)  // 0xcbf43926 % 6
        // Empty keys are "no key" for librdkafka: spread over partitions.
        var seen = Set<Int32>()
        for _ in 0..<100 { seen.insert(p.partition(for: ProducerRecord(topic: "t", key: [], value: nil), numPartitions: 6, recordSize: 1)) }
        XCTAssertEqual(seen.count, 6)
    }

    func testJavaNullKeysStickUntilBatchSizeBytes() {
        var p = RecordPartitioner(kind: .javaDefault, random: SimRandom(seed: 5), stickyBatchSize: 100)
        let r = ProducerRecord(topic: "t", key: nil, value: utf8("v"))
        let picks = (0..<40).map { _ in p.partition(for: r, numPartitions: 4, recordSize: 25) }
        // Four 25-byte records fill the 100-byte budget, then the partition is re-drawn.
        for chunk in stride(from: 0, to: 40, by: 4) { XCTAssertEqual(Set(picks[chunk..<(chunk + 4)]).count, 1) }
        XCTAssertGreaterThan(Set(picks).count, 1)
        // Same seed ⇒ same picks.
        var q = RecordPartitioner(kind: .javaDefault, random: SimRandom(seed: 5), stickyBatchSize: 100)
        XCTAssertEqual((0..<40).map { _ in q.partition(for: r, numPartitions: 4, recordSize: 25) }, picks)
    }

    /// Property: a key always maps to the same partition, whatever else was partitioned before it.
    func testKeyAlwaysMapsToSamePartitionProperty() {
        assertProperty(checkProperty("key → partition is a function", seeds: 1...100, testFilter: "SimLogTests.PartitionerTests") { seed in
            var rng = SimRandom(seed: seed)
            let n = Int32(1 + rng.nextIndex(12))
            let kind = PartitionerKind.allCases[rng.nextIndex(3)]
            var p = RecordPartitioner(kind: kind, random: rng)
            var first: [String: Int32] = [:]
            for _ in 0..<200 {
                let k = "k\(rng.nextIndex(20))"
                let key: [UInt8]? = rng.nextBool(probability: 0.2) ? nil : utf8(k)
                let got = p.partition(for: ProducerRecord(topic: "t", key: key, value: nil), numPartitions: n, recordSize: 30)
                guard got >= 0 && got < n else { return "partition \(got) out of range for \(n)" }
                if key != nil {
                    if let f = first[k], f != got { return "key \(k) went to \(f) then \(got) (\(kind))" }
                    first[k] = got
                }
            }
            return nil
        })
    }
}
