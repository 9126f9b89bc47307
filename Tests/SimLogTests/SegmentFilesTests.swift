import XCTest
import Foundation
import SimCore
@testable import SimLog

/// Kafka-layout segment files: names, exact bytes, load with validation (research note §2, `LogFileUtils`).
final class SegmentFilesTests: XCTestCase {
    let tp = TopicPartition("t", 0)

    func tempDir() -> String {
        let d = NSTemporaryDirectory() + "simlog-\(UUID().uuidString)/t-0"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: (d as NSString).deletingLastPathComponent) }
        return d
    }

    func testFileNameIsTwentyDigitBaseOffset() {
        XCTAssertEqual(SegmentFiles.fileName(baseOffset: 0), "00000000000000000000.log")
        XCTAssertEqual(SegmentFiles.fileName(baseOffset: 42), "00000000000000000042.log")
    }

    func testSaveAndLoadRoundTrip() throws {
        let b = makeBroker()
        try b.createTopic("t", partitions: 1, config: TopicConfig(segmentBytes: 300))
        for i in 0..<7 {
            try b.append(RecordBatch(compression: i % 2 == 0 ? .none : .zstd, producerId: 5, producerEpoch: 0, baseSequence: Int32(i),
                                     records: [(Int64(i), utf8("k\(i)"), utf8("value \(i)"), [RecordHeader(key: "h", value: nil)])]), to: tp)
        }
        let log = b.partition(tp)!
        let dir = tempDir()
        let names = try SegmentFiles.save(log, to: dir)
        XCTAssertEqual(names, log.segments.map { SegmentFiles.fileName(baseOffset: $0.baseOffset) })
        XCTAssertGreaterThan(names.count, 1)
        // The first file is exactly the concatenated encoded batches.
        let first = [UInt8](FileManager.default.contents(atPath: dir + "/" + names[0])!)
        XCTAssertEqual(first, try log.segments[0].batches.flatMap { try $0.batch.encode() })
        let loaded = try SegmentFiles.load(tp, from: dir)
        XCTAssertEqual(loaded.segments.map(\.baseOffset), log.segments.map(\.baseOffset))
        XCTAssertEqual(loaded.logEndOffset, 7)
        XCTAssertEqual(try loaded.fetch(offset: 0, maxBytes: .max).records, try log.fetch(offset: 0, maxBytes: .max).records)
        // Restoring into a broker makes the data fetchable again.
        let b2 = makeBroker()
        try b2.createTopic("t", partitions: 1)
        try b2.restore(loaded)
        XCTAssertEqual(try b2.fetchRecords(tp, from: 3).first?.key, utf8("k3"))
    }

    func testCorruptionNamesFileAndByteOffset() throws {
        let b = makeBroker()
        try b.createTopic("t", partitions: 1)
        for i in 0..<3 { try b.append(oneRecordBatch(ts: Int64(i)), to: tp) }
        let dir = tempDir()
        let names = try SegmentFiles.save(b.partition(tp)!, to: dir)
        let path = dir + "/" + names[0]
        var bytes = [UInt8](FileManager.default.contents(atPath: path)!)
        bytes[73 + 70] ^= 0x20  // inside the second batch's value
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        XCTAssertThrowsError(try SegmentFiles.load(tp, from: dir)) { e in
            guard case let .corrupt(file, at, detail)? = e as? SegmentFileError else { return XCTFail("\(e)") }
            XCTAssertEqual(file, path)
            XCTAssertEqual(at, 73)
            XCTAssertTrue(detail.contains("CRC"))
        }
    }
}
