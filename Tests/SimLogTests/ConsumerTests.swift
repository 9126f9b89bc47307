import XCTest
import SimCore
@testable import SimLog

/// Consumer positions, auto.offset.reset and committed offsets (research note §1.8).
final class ConsumerTests: XCTestCase {
    let tp = TopicPartition("t", 0)

    func brokerWith(records n: Int, segmentBytes: Int = 200) throws -> Broker {
        let b = makeBroker()
        try b.createTopic("t", partitions: 1, config: TopicConfig(retentionMs: 1000, segmentBytes: segmentBytes))
        for i in 0..<n { try b.append(oneRecordBatch(ts: 1_700_000_000_000, value: "v\(i)"), to: tp) }
        return b
    }

    func testAutoOffsetResetEarliestLatestNone() throws {
        let b = try brokerWith(records: 5)
        let early = LogConsumer(broker: b, config: ConsumerConfig(groupId: "g1", autoOffsetReset: .earliest))
        early.assign([tp])
        XCTAssertEqual(try early.position(tp), 0)
        let late = LogConsumer(broker: b, config: ConsumerConfig(groupId: "g2", autoOffsetReset: .latest))
        late.assign([tp])
        XCTAssertEqual(try late.position(tp), 5)
        XCTAssertTrue(try late.poll().isEmpty)
        let none = LogConsumer(broker: b, config: ConsumerConfig(groupId: "g3", autoOffsetReset: .none))
        none.assign([tp])
        XCTAssertThrowsError(try none.position(tp)) { XCTAssertEqual($0 as? LogError, .noOffsetForPartition(self.tp)) }
    }

    func testPollAdvancesPositionAndCommitStoresNextOffset() throws {
        let b = try brokerWith(records: 5)
        let c = LogConsumer(broker: b, config: ConsumerConfig(groupId: "g", autoOffsetReset: .earliest))
        c.assign([tp])
        XCTAssertNil(c.committed(tp))  // OffsetFetch: −1 / nil before any commit
        XCTAssertEqual(try c.poll(maxRecords: 3).map(\.offset), [0, 1, 2])
        XCTAssertEqual(try c.position(tp), 3)
        try c.commitSync()
        XCTAssertEqual(b.committedOffset(group: "g", tp), 3)
        // A new consumer of the group starts at the committed offset, not at the reset policy.
        let d = LogConsumer(broker: b, config: ConsumerConfig(groupId: "g", autoOffsetReset: .latest))
        d.assign([tp])
        XCTAssertEqual(try d.poll().map(\.offset), [3, 4])
    }

    func testOffsetOutOfRangeAppliesResetPolicy() throws {
        let b = try brokerWith(records: 6)
        b.environment.scheduler.advance(by: .days(1))
        try b.append(oneRecordBatch(ts: b.environment.now.millisecondsSinceEpoch, value: "fresh"), to: tp)
        b.runRetentionCheck()
        XCTAssertEqual(b.partition(tp)!.logStartOffset, 6)
        let c = LogConsumer(broker: b, config: ConsumerConfig(groupId: "g", autoOffsetReset: .earliest))
        c.assign([tp])
        try c.seek(tp, to: 2)
        XCTAssertEqual(try c.poll().map(\.record.value), [utf8("fresh")])
        let strict = LogConsumer(broker: b, config: ConsumerConfig(groupId: "g", autoOffsetReset: .none))
        strict.assign([tp])
        try strict.seek(tp, to: 2)
        XCTAssertThrowsError(try strict.poll()) { XCTAssertEqual(($0 as? LogError)?.code, 1) }
    }

    func testPollDuringOutageReturnsNothingThenResumes() throws {
        let b = try brokerWith(records: 2)
        let now = b.environment.now
        b.faults.outages = [now..<(now + .seconds(1))]
        let c = LogConsumer(broker: b, config: ConsumerConfig(groupId: "g", autoOffsetReset: .earliest))
        c.assign([tp])
        XCTAssertTrue(try c.poll().isEmpty)
        b.environment.scheduler.advance(by: .seconds(1))
        XCTAssertEqual(try c.poll().count, 2)
    }

    func testUnassignedPartitionIsAnError() {
        let c = LogConsumer(broker: makeBroker())
        XCTAssertThrowsError(try c.position(tp)) { XCTAssertEqual($0 as? LogError, .notAssigned(self.tp)) }
    }
}
