import XCTest
import SimCore
@testable import SimLog

/// Broker-side producer state (research note §5.1): the 5-batch duplicate window, sequence gaps, epochs.
final class IdempotenceTests: XCTestCase {
    let tp = TopicPartition("t", 0)

    func batch(pid: Int64 = 7, epoch: Int16 = 0, seq: Int32, count: Int = 1) -> RecordBatch {
        RecordBatch(producerId: pid, producerEpoch: epoch, baseSequence: seq,
                    records: (0..<count).map { (Int64($0), nil, utf8("s\(seq)-\($0)"), []) })
    }

    func testRetriedBatchIsADuplicateWithTheOriginalOffset() throws {
        let b = makeBroker()
        try b.createTopic("t", partitions: 1)
        XCTAssertEqual(try b.append(batch(seq: 0, count: 2), to: tp).baseOffset, 0)
        XCTAssertEqual(try b.append(batch(seq: 2, count: 3), to: tp).baseOffset, 2)
        let dup = try b.append(batch(seq: 0, count: 2), to: tp)
        XCTAssertTrue(dup.isDuplicate)
        XCTAssertEqual([dup.baseOffset, dup.lastOffset], [0, 1])
        XCTAssertEqual(b.partition(tp)!.logEndOffset, 5)
    }

    func testWindowHoldsTheLastFiveBatches() throws {
        let b = makeBroker()
        try b.createTopic("t", partitions: 1)
        for s in 0..<6 { try b.append(batch(seq: Int32(s)), to: tp) }
        XCTAssertEqual(b.partition(tp)!.producerState(7)?.batches.count, ProducerStateEntry.numBatchesToRetain)
        XCTAssertTrue(try b.append(batch(seq: 1), to: tp).isDuplicate)
        // seq 0 fell out of the window: a retry of it is out of order.
        XCTAssertThrowsError(try b.append(batch(seq: 0), to: tp)) {
            XCTAssertEqual($0 as? LogError, .outOfOrderSequence(self.tp, producerId: 7, expected: 6, received: 0))
        }
    }

    func testGapIsOutOfOrderSequence() throws {
        let b = makeBroker()
        try b.createTopic("t", partitions: 1)
        try b.append(batch(seq: 0, count: 3), to: tp)
        XCTAssertThrowsError(try b.append(batch(seq: 4), to: tp)) { XCTAssertEqual(($0 as? LogError)?.code, 45) }
        XCTAssertEqual(try b.append(batch(seq: 3), to: tp).baseOffset, 3)
    }

    func testEpochRules() throws {
        let b = makeBroker()
        try b.createTopic("t", partitions: 1)
        // No state for a producer: any sequence is accepted.
        XCTAssertEqual(try b.append(batch(epoch: 1, seq: 42), to: tp).baseOffset, 0)
        XCTAssertThrowsError(try b.append(batch(epoch: 0, seq: 43), to: tp)) { XCTAssertEqual(($0 as? LogError)?.code, 47) }
        XCTAssertThrowsError(try b.append(batch(epoch: 2, seq: 5), to: tp)) { XCTAssertEqual(($0 as? LogError)?.code, 45) }
        XCTAssertEqual(try b.append(batch(epoch: 2, seq: 0), to: tp).baseOffset, 1)
        // A new epoch clears the window: the epoch-1 batch is no longer a duplicate.
        XCTAssertThrowsError(try b.append(batch(epoch: 1, seq: 42), to: tp)) { XCTAssertEqual(($0 as? LogError)?.code, 47) }
    }

    func testIdempotentBatchWithoutSequenceIsInvalid() throws {
        let b = makeBroker()
        try b.createTopic("t", partitions: 1)
        XCTAssertThrowsError(try b.append(batch(seq: -1), to: tp)) { XCTAssertEqual(($0 as? LogError)?.code, 87) }
    }
}
