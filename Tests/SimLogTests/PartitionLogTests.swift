import XCTest
import SimCore
@testable import SimLog
import SimTesting

/// Appends, offsets, rolling, timestamps, fetch and ListOffsets (research note §1.1, §1.2, §1.6, §1.7).
final class PartitionLogTests: XCTestCase {
    let tp = TopicPartition("t", 0)

    func testOffsetsAreDenseFromZeroAndHighWatermarkIsLEO() throws {
        let b = makeBroker()
        try b.createTopic("t", partitions: 1)
        let o1 = try b.append(RecordBatch(records: [(1, nil, utf8("a"), []), (2, nil, utf8("b"), [])]), to: tp)
        let o2 = try b.append(oneRecordBatch(ts: 3), to: tp)
        XCTAssertEqual([o1.baseOffset, o1.lastOffset, o2.baseOffset], [0, 1, 2])
        let log = b.partition(tp)!
        XCTAssertEqual(log.logEndOffset, 3)
        XCTAssertEqual(log.highWatermark, 3)
        XCTAssertEqual(log.logStartOffset, 0)
        // The broker sets partitionLeaderEpoch and keeps the client's CreateTime.
        XCTAssertEqual(log.segments[0].batches[1].batch.partitionLeaderEpoch, 0)
        XCTAssertEqual(log.segments[0].batches[1].records[0].timestamp, EventTime(3))
    }

    func testSizeRollRule() throws {
        // 73-byte batches, segment.bytes 200: roll when size > 200 − 73 = 127, i.e. before the third batch.
        let b = makeBroker()
        try b.createTopic("t", partitions: 1, config: TopicConfig(segmentBytes: 200))
        for i in 0..<5 { try b.append(oneRecordBatch(ts: Int64(i)), to: tp) }
        let log = b.partition(tp)!
        XCTAssertEqual(log.segments.map(\.baseOffset), [0, 2, 4])
        XCTAssertEqual(log.segments.map(\.sizeInBytes), [146, 146, 73])
    }

    func testTimeRollRuleUsesRecordTimestamps() throws {
        // segment.ms 1000: roll when incomingMaxTs − firstBatchMaxTs > 1000 (strictly).
        let b = makeBroker()
        try b.createTopic("t", partitions: 1, config: TopicConfig(segmentMs: 1000))
        try b.append(oneRecordBatch(ts: 5000), to: tp)
        try b.append(oneRecordBatch(ts: 6000), to: tp)  // 1000, not > 1000
        XCTAssertEqual(b.partition(tp)!.segments.count, 1)
        let o = try b.append(oneRecordBatch(ts: 6001), to: tp)
        XCTAssertEqual(o.rolledSegment, 2)
        // Old CreateTime data never rolls by time (rule 11).
        try b.append(oneRecordBatch(ts: 10), to: tp)
        XCTAssertEqual(b.partition(tp)!.segments.map(\.baseOffset), [0, 2])
        // Time is not a factor: advancing the clock alone rolls nothing.
        b.environment.scheduler.advance(by: .days(30))
        try b.append(oneRecordBatch(ts: 6500), to: tp)
        XCTAssertEqual(b.partition(tp)!.segments.count, 2)
    }

    func testLogAppendTimeStampsEveryRecordWithBrokerTime() throws {
        let b = makeBroker(start: 1_700_000_500_000)
        try b.createTopic("t", partitions: 1, config: TopicConfig(messageTimestampType: .logAppendTime))
        let o = try b.append(RecordBatch(records: [(1, nil, utf8("a"), []), (9, nil, utf8("b"), [])]), to: tp)
        XCTAssertEqual(o.logAppendTime, 1_700_000_500_000)
        XCTAssertEqual(o.records.map(\.timestamp), [EventTime(1_700_000_500_000), EventTime(1_700_000_500_000)])
        let stored = b.partition(tp)!.segments[0].batches[0].batch
        XCTAssertEqual(stored.timestampType, .logAppendTime)
        XCTAssertEqual(stored.maxTimestamp, 1_700_000_500_000)
        XCTAssertEqual(stored.baseTimestamp, 1)  // unchanged, as Kafka's in-place path leaves it
        // The encoded batch carries a fresh, valid CRC.
        XCTAssertEqual(try RecordBatch.decode(try stored.encode()).batch, stored)
        // CreateTime topics report −1.
        try b.createTopic("c", partitions: 1)
        XCTAssertEqual(try b.append(oneRecordBatch(ts: 1), to: TopicPartition("c", 0)).logAppendTime, -1)
    }

    func testClientMayNotSetLogAppendTime() throws {
        let b = makeBroker()
        try b.createTopic("t", partitions: 1)
        var batch = oneRecordBatch(ts: 1)
        batch.attributes.timestampType = .logAppendTime
        XCTAssertThrowsError(try b.append(batch, to: tp)) { XCTAssertEqual(($0 as? LogError)?.code, 32) }
    }

    func testMessageTooLargeAndUnknownPartition() throws {
        let b = makeBroker()
        try b.createTopic("t", partitions: 1, config: TopicConfig(maxMessageBytes: 100))
        XCTAssertThrowsError(try b.append(oneRecordBatch(ts: 1, value: String(repeating: "x", count: 40)), to: tp)) {
            XCTAssertEqual($0 as? LogError, .messageTooLarge(self.tp, size: 108, max: 100))
        }
        XCTAssertThrowsError(try b.append(oneRecordBatch(ts: 1), to: TopicPartition("t", 1))) { XCTAssertEqual(($0 as? LogError)?.code, 3) }
        XCTAssertThrowsError(try b.createTopic("t", partitions: 1)) { XCTAssertEqual(($0 as? LogError)?.code, 36) }
        XCTAssertThrowsError(try b.createTopic("u", partitions: 0)) { XCTAssertEqual(($0 as? LogError)?.code, 37) }
    }

    func testCorruptEncodedBatchIsRejected() throws {
        let b = makeBroker()
        try b.createTopic("t", partitions: 1)
        var bytes = try oneRecordBatch(ts: 1).encode()
        XCTAssertEqual(try b.appendEncoded(bytes, to: tp).baseOffset, 0)
        bytes[65] ^= 0xff
        XCTAssertThrowsError(try b.appendEncoded(bytes, to: tp)) { XCTAssertEqual(($0 as? LogError)?.name, "CORRUPT_MESSAGE") }
    }

    func testFetchReturnsWholeBatchesFromTheContainingBatch() throws {
        let b = makeBroker()
        try b.createTopic("t", partitions: 1)
        for i in 0..<4 { try b.append(RecordBatch(records: (0..<3).map { (Int64(i * 3 + $0), nil, utf8("v\(i)-\($0)"), []) }), to: tp) }
        let r = try b.fetch(tp, offset: 4)
        XCTAssertEqual(r.batches.map(\.baseOffset), [3, 6, 9])  // the batch holding 4 starts at 3
        XCTAssertEqual(r.records.first?.offset, 4)                // the client skips 3
        XCTAssertEqual(r.highWatermark, 12)
        XCTAssertEqual(try b.fetchRecords(tp, from: 4, maxRecords: 2).map(\.offset), [4, 5])
        // maxRecords stops at whole batches: 3 records from offset 4 need batches 3 and 6.
        XCTAssertEqual(try b.fetch(tp, offset: 4, maxRecords: 3).batches.map(\.baseOffset), [3, 6])
    }

    func testFetchFirstBatchAlwaysReturnedKIP74() throws {
        let b = makeBroker()
        try b.createTopic("t", partitions: 1)
        try b.append(oneRecordBatch(ts: 1, value: String(repeating: "x", count: 500)), to: tp)
        try b.append(oneRecordBatch(ts: 2), to: tp)
        let r = try b.fetch(tp, offset: 0, maxBytes: 10)
        XCTAssertEqual(r.batches.count, 1)
        XCTAssertEqual(r.batches[0].sizeInBytes, 570)
        XCTAssertEqual(try b.fetch(tp, offset: 0, maxBytes: 643).batches.count, 2)
        XCTAssertEqual(try b.fetch(tp, offset: 0, maxBytes: 642).batches.count, 1)
    }

    func testFetchOutOfRangeAndEmptyAtLEO() throws {
        let b = makeBroker()
        try b.createTopic("t", partitions: 1)
        try b.append(oneRecordBatch(ts: 1), to: tp)
        XCTAssertTrue(try b.fetch(tp, offset: 1).batches.isEmpty)
        XCTAssertThrowsError(try b.fetch(tp, offset: 2)) {
            XCTAssertEqual($0 as? LogError, .offsetOutOfRange(self.tp, requested: 2, logStartOffset: 0, logEndOffset: 1))
            XCTAssertEqual(($0 as? LogError)?.code, 1)
        }
        XCTAssertThrowsError(try b.fetch(tp, offset: -1)) { XCTAssertEqual(($0 as? LogError)?.name, "OFFSET_OUT_OF_RANGE") }
    }

    func testListOffsetsEarliestLatestAndByTimestamp() throws {
        let b = makeBroker()
        try b.createTopic("t", partitions: 1, config: TopicConfig(segmentBytes: 150))
        // Non-monotonic CreateTime: offsets 0..5 with timestamps 100, 300, 200, 500, 400, 600; two batches per segment.
        for ts: Int64 in [100, 300, 200, 500, 400, 600] { try b.append(oneRecordBatch(ts: ts), to: tp) }
        XCTAssertEqual(try b.listOffset(tp, .earliest)?.offset, 0)
        XCTAssertEqual(try b.listOffset(tp, .latest)?.offset, 6)
        XCTAssertEqual(try b.listOffset(tp, .latest)?.timestamp, -1)
        // First segment with largestTs ≥ 250 is [100, 300]; first record in it with ts ≥ 250 is offset 1.
        XCTAssertEqual(try b.listOffset(tp, .timestamp(250))?.offset, 1)
        XCTAssertEqual(try b.listOffset(tp, .timestamp(250))?.timestamp, 300)
        // ts ≥ 450: segment [200, 500] → offset 3 (ts 500), not offset 4 (ts 400 < 450).
        XCTAssertEqual(try b.listOffset(tp, .timestamp(450))?.offset, 3)
        XCTAssertNil(try b.listOffset(tp, .timestamp(601)))
    }

    /// Property: offsets are dense and monotonic across any seeded sequence of appends (with rolls).
    func testOffsetsDenseAndMonotonicProperty() {
        assertProperty(checkProperty("offsets dense and monotonic", seeds: 1...60, testFilter: "SimLogTests.PartitionLogTests") { seed in
            var rng = SimRandom(seed: seed)
            let b = makeBroker(seed: seed)
            try b.createTopic("t", partitions: 1, config: TopicConfig(segmentBytes: 100 + rng.nextIndex(400), segmentMs: Int64(1 + rng.nextIndex(5000))))
            var expected: Int64 = 0
            for _ in 0..<40 {
                let n = 1 + rng.nextIndex(4)
                let o = try b.append(RecordBatch(records: (0..<n).map { _ in (rng.nextInt(in: 0...10_000), nil, utf8("x"), []) }), to: self.tp)
                if o.baseOffset != expected { return "batch got base \(o.baseOffset), expected \(expected)" }
                expected += Int64(n)
            }
            let all = try b.fetchRecords(self.tp, from: 0, maxBytes: .max).map(\.offset)
            return all == Array(0..<expected) ? nil : "fetched offsets are not 0..<\(expected)"
        })
    }
}
