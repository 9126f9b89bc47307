import XCTest
import SimCore
@testable import SimLog
import SimTesting

/// Time and size retention, the cleaner schedule, DeleteRecords (research note §0.1, §1.3, §1.4).
final class RetentionTests: XCTestCase {
    let tp = TopicPartition("t", 0)
    let S: Int64 = 1_700_000_000_000

    /// Two 73-byte batches per segment (segment.bytes 200).
    func broker(_ config: TopicConfig, timestamps: [Int64], cleaner: Bool = false) throws -> Broker {
        let b = makeBroker(start: S, cleaner: cleaner)
        try b.createTopic("t", partitions: 1, config: config)
        for ts in timestamps { try b.append(oneRecordBatch(ts: ts), to: tp) }
        return b
    }

    func testTimeRetentionDeletesOnlyAnOldPrefix() throws {
        let b = try broker(TopicConfig(retentionMs: 60_000, segmentBytes: 200),
                           timestamps: [S - 100_000, S - 90_000, S - 1000, S - 2000, S - 200_000])
        XCTAssertEqual(b.partition(tp)!.segments.map(\.baseOffset), [0, 2, 4])
        let deleted = b.runRetentionCheck()
        XCTAssertEqual(deleted.map(\.1.reason), [.time])
        XCTAssertEqual(deleted[0].1.segmentBaseOffsets, [0])
        // The young segment [2, 4) protects the old active segment behind it (prefix-only).
        XCTAssertEqual(b.partition(tp)!.segments.map(\.baseOffset), [2, 4])
        XCTAssertEqual(b.partition(tp)!.logStartOffset, 2)
    }

    func testBoundaryIsStrictlyGreaterThanRetentionMs() throws {
        let b = try broker(TopicConfig(retentionMs: 60_000, segmentBytes: 200), timestamps: [S - 60_000, S - 60_000, S])
        XCTAssertTrue(b.runRetentionCheck().isEmpty)  // now − largestTs = 60000, not > 60000
        b.environment.scheduler.advance(by: .milliseconds(1))
        XCTAssertEqual(b.runRetentionCheck().first?.1.segmentBaseOffsets, [0])
    }

    func testActiveSegmentIsRolledThenDeletedWhenEverythingExpired() throws {
        let b = try broker(TopicConfig(retentionMs: 60_000, segmentBytes: 200), timestamps: [S - 100_000, S - 100_000, S - 100_000])
        let d = b.runRetentionCheck()
        XCTAssertEqual(d.first?.1.rolledFirst, true)
        XCTAssertEqual(d.first?.1.segmentBaseOffsets, [0, 2])
        let log = b.partition(tp)!
        XCTAssertEqual(log.segments.map(\.baseOffset), [3])
        XCTAssertEqual(log.segments[0].sizeInBytes, 0)
        XCTAssertEqual(log.logStartOffset, 3)
        XCTAssertEqual(log.logEndOffset, 3)
        XCTAssertTrue(try b.fetch(tp, offset: 3).batches.isEmpty)
        XCTAssertThrowsError(try b.fetch(tp, offset: 2)) { XCTAssertEqual(($0 as? LogError)?.code, 1) }
        // The empty last segment is never deleted.
        XCTAssertTrue(b.runRetentionCheck().isEmpty)
    }

    func testFutureTimestampProtectsLaterSegments() throws {
        let b = try broker(TopicConfig(retentionMs: 60_000, segmentBytes: 200),
                           timestamps: [S + 1_000_000_000, S - 100_000, S - 100_000, S - 100_000])
        XCTAssertEqual(b.partition(tp)!.segments.map(\.baseOffset), [0, 2])
        XCTAssertTrue(b.runRetentionCheck().isEmpty)
        XCTAssertEqual(b.partition(tp)!.logStartOffset, 0)
    }

    func testSizeRetentionPerPartitionLeavesAtMostOneSegmentOver() throws {
        // Segments of 146, 146, 146, 73 bytes = 511; retention.bytes 200 → diff 311: delete 146 (165 left), 146
        // (19 left), then 19 − 146 < 0 stops. 219 bytes remain, above 200 by less than a segment.
        let b = try broker(TopicConfig(retentionBytes: 200, segmentBytes: 200), timestamps: Array(repeating: S, count: 7))
        let d = b.runRetentionCheck()
        XCTAssertEqual(d.map(\.1.reason), [.size])
        XCTAssertEqual(d[0].1.segmentBaseOffsets, [0, 2])
        XCTAssertEqual(b.partition(tp)!.sizeInBytes, 219)
        XCTAssertEqual(b.partition(tp)!.logStartOffset, 4)
    }

    func testCleanerRunsAt30sThenEvery300s() throws {
        let b = try broker(TopicConfig(retentionMs: 1000), timestamps: [S - 5000], cleaner: true)
        let sched = b.environment.scheduler
        sched.run(until: ProcessingTime(S + 29_999))
        XCTAssertEqual(b.partition(tp)!.logStartOffset, 0)
        sched.run(until: ProcessingTime(S + 30_000))
        XCTAssertEqual(b.partition(tp)!.logStartOffset, 1)
        sched.run(until: ProcessingTime(S + 31_000))
        try b.append(oneRecordBatch(ts: S - 5000), to: tp)
        sched.run(until: ProcessingTime(S + 329_999))
        XCTAssertEqual(b.partition(tp)!.logStartOffset, 1)  // expired but readable until the next check
        XCTAssertEqual(try b.fetchRecords(tp, from: 1).count, 1)
        sched.run(until: ProcessingTime(S + 330_000))
        XCTAssertEqual(b.partition(tp)!.logStartOffset, 2)
    }

    func testDeleteRecordsMovesLogStartMidSegment() throws {
        let b = try broker(TopicConfig(segmentBytes: 200), timestamps: [S, S, S, S])
        XCTAssertEqual(try b.deleteRecords(tp, before: 3), 3)
        XCTAssertThrowsError(try b.fetch(tp, offset: 2)) { XCTAssertEqual(($0 as? LogError)?.code, 1) }
        XCTAssertEqual(try b.fetchRecords(tp, from: 3).map(\.offset), [3])
        XCTAssertEqual(try b.listOffset(tp, .earliest)?.offset, 3)
        XCTAssertThrowsError(try b.deleteRecords(tp, before: 5)) { XCTAssertEqual(($0 as? LogError)?.code, 1) }
        // Whole segments below the new start go at the next retention pass (log-start-offset breach).
        let d = b.runRetentionCheck()
        XCTAssertEqual(d.map(\.1.reason), [.logStartOffset])
        XCTAssertEqual(b.partition(tp)!.segments.map(\.baseOffset), [2])
        XCTAssertEqual(b.partition(tp)!.logStartOffset, 3)  // never moves back to the segment base
    }

    /// Property: retention never removes a record younger than retention.ms, never leaves a gap at or above the
    /// log start, and a fetch is OFFSET_OUT_OF_RANGE exactly when the offset is below the log start (or above LEO).
    func testRetentionSafetyProperty() {
        assertProperty(checkProperty("retention safety", seeds: 1...40, testFilter: "SimLogTests.RetentionTests") { seed in
            var rng = SimRandom(seed: seed)
            let retention = Int64(1000 + rng.nextIndex(20_000))
            let b = makeBroker(seed: seed, start: self.S)
            try b.createTopic("t", partitions: 1, config: TopicConfig(retentionMs: retention, segmentBytes: 150 + rng.nextIndex(300)))
            var appended: [(offset: Int64, ts: Int64)] = []
            for step in 0..<60 {
                b.environment.scheduler.advance(by: .milliseconds(rng.nextInt(in: 0...2000)))
                let now = b.environment.scheduler.now.millisecondsSinceEpoch
                let ts = now + rng.nextInt(in: -30_000...3000)
                let o = try b.append(oneRecordBatch(ts: ts), to: self.tp)
                appended.append((o.baseOffset, ts))
                if rng.nextBool(probability: 0.3) { b.runRetentionCheck() }
                let log = b.partition(self.tp)!
                let start = log.logStartOffset
                for (offset, ts) in appended where offset < start && now - ts <= retention {
                    return "step \(step): record \(offset) (age \(now - ts) ≤ \(retention)) was deleted"
                }
                let kept = try b.fetchRecords(self.tp, from: start, maxBytes: .max).map(\.offset)
                if kept != Array(start..<log.logEndOffset) { return "step \(step): offsets at/above log start \(start) are not all present" }
                if start > 0 {
                    do { _ = try b.fetch(self.tp, offset: start - 1); return "fetch below log start \(start) succeeded" } catch LogError.offsetOutOfRange {}
                }
                do { _ = try b.fetch(self.tp, offset: log.logEndOffset + 1); return "fetch above LEO succeeded" } catch LogError.offsetOutOfRange {}
            }
            return nil
        })
    }
}
