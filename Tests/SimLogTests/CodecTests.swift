import XCTest
import SimCore
@testable import SimLog
import SimTesting

/// Varints, checksums and record batch v2, byte for byte against the research note's vectors (§2.2, §2.5).
final class CodecTests: XCTestCase {
    func testZigzagVarintExamples() throws {
        // ByteUtils.writeVarint: −1 → 01, 0 → 00, 5 → 0a, 300 → d8 04.
        XCTAssertEqual(Varint.encodeVarint(-1), [0x01])
        XCTAssertEqual(Varint.encodeVarint(0), [0x00])
        XCTAssertEqual(Varint.encodeVarint(5), [0x0a])
        XCTAssertEqual(Varint.encodeVarint(300), [0xd8, 0x04])
        XCTAssertEqual(Varint.encodeVarint(Int32.min), [0xff, 0xff, 0xff, 0xff, 0x0f])
        XCTAssertEqual(Varint.encodeVarlong(Int64.min).count, 10)
        for v: Int32 in [0, 1, -1, 63, -64, 64, 300, Int32.max, Int32.min] {
            var r = ByteReader(Varint.encodeVarint(v))
            XCTAssertEqual(try r.readVarint(), v)
            XCTAssertEqual(Varint.sizeOfVarint(v), Varint.encodeVarint(v).count)
        }
        for v: Int64 in [0, -5, 1_700_000_000_000, Int64.max, Int64.min] {
            var r = ByteReader(Varint.encodeVarlong(v))
            XCTAssertEqual(try r.readVarlong(), v)
        }
        // A sixth continuation byte is malformed (ByteUtils.illegalVarintException).
        var bad = ByteReader([0xff, 0xff, 0xff, 0xff, 0xff, 0x01])
        XCTAssertThrowsError(try bad.readVarint()) { XCTAssertEqual($0 as? ByteReadError, .malformedVarint(at: 0)) }
    }

    func testCRC32CAndCRC32CheckValues() {
        XCTAssertEqual(CRC32C.checksum(utf8("123456789")), 0xe306_9283)
        XCTAssertEqual(CRC32.checksum(utf8("123456789")), 0xcbf4_3926)
        XCTAssertEqual(CRC32C.checksum([UInt8]()), 0)
    }

    static let vectorA = hexBytes("""
        0000000000000000 0000003d 00000000 02 e641a44b 0000 00000000
        0000018bcfe56800 0000018bcfe56800 ffffffffffffffff ffff ffffffff 00000001
        16 00 00 00 01 0a 68656c6c6f 00
        """)

    static let vectorB = hexBytes("""
        0000000000000000 00000049 00000000 02 aecbe7cd 0000 00000001
        0000018bcfe56800 0000018bcfe56805 00000000000003e8 0000 00000000 00000002
        1c 00 00 00 04 6b31 04 7631 02 02 68 02 78
        10 00 0a 02 04 6b32 01 00
        """)

    func testVectorAEncodesByteForByte() throws {
        // kafka-python writes partitionLeaderEpoch 0 (Java writes −1); it is outside the CRC.
        let batch = RecordBatch(partitionLeaderEpoch: 0, records: [(1_700_000_000_000, nil, utf8("hello"), [])])
        let bytes = try batch.encode()
        XCTAssertEqual(bytes.count, 73)
        XCTAssertEqual(hexString(bytes), hexString(Self.vectorA))
        XCTAssertEqual(batch.uncompressedSizeInBytes, 73)
    }

    func testVectorBEncodesByteForByte() throws {
        let batch = RecordBatch(partitionLeaderEpoch: 0, producerId: 1000, producerEpoch: 0, baseSequence: 0, records: [
            (1_700_000_000_000, utf8("k1"), utf8("v1"), [RecordHeader(key: "h", value: utf8("x"))]),
            (1_700_000_000_005, utf8("k2"), nil, []),
        ])
        let bytes = try batch.encode()
        XCTAssertEqual(bytes.count, 85)
        XCTAssertEqual(hexString(bytes), hexString(Self.vectorB))
        XCTAssertEqual(batch.lastSequence, 1)
    }

    func testVectorsDecode() throws {
        let (a, sizeA) = try RecordBatch.decode(Self.vectorA)
        XCTAssertEqual(sizeA, 73)
        XCTAssertEqual(a.records.count, 1)
        XCTAssertNil(a.records[0].key)
        XCTAssertEqual(a.records[0].value, utf8("hello"))
        XCTAssertEqual(a.maxTimestamp, 1_700_000_000_000)
        XCTAssertEqual(a.producerId, -1)
        let (b, _) = try RecordBatch.decode(Self.vectorB)
        XCTAssertEqual(b.producerId, 1000)
        XCTAssertEqual(b.baseSequence, 0)
        XCTAssertEqual(b.absoluteRecords.map(\.timestamp.millisecondsSinceEpoch), [1_700_000_000_000, 1_700_000_000_005])
        XCTAssertEqual(b.records[0].headers, [RecordHeader(key: "h", value: utf8("x"))])
        XCTAssertNil(b.records[1].value)
        XCTAssertEqual(try RecordBatch.decodeAll(Self.vectorA + Self.vectorB).count, 2)
    }

    func testCorruptBytesThrowDescriptiveErrors() {
        var flipped = Self.vectorA
        flipped[70] ^= 0x01
        XCTAssertThrowsError(try RecordBatch.decode(flipped)) { e in
            guard case .crcMismatch(let stored, _)? = e as? RecordBatchError else { return XCTFail("\(e)") }
            XCTAssertEqual(stored, 0xe641_a44b)
            XCTAssertTrue("\(e)".contains("CRC-32C mismatch"))
        }
        var magic = Self.vectorA
        magic[16] = 1
        XCTAssertThrowsError(try RecordBatch.decode(magic)) { XCTAssertEqual($0 as? RecordBatchError, .unsupportedMagic(1)) }
        XCTAssertThrowsError(try RecordBatch.decode(Array(Self.vectorA.prefix(70)))) {
            XCTAssertEqual($0 as? RecordBatchError, .truncated(needed: 73, available: 70))
        }
        XCTAssertThrowsError(try RecordBatch.decode(Array(Self.vectorA.prefix(20)))) {
            XCTAssertEqual($0 as? RecordBatchError, .truncated(needed: 61, available: 20))
        }
        var shortLength = Self.vectorA
        shortLength[11] = 0x10  // batchLength 16 < 49
        XCTAssertThrowsError(try RecordBatch.decode(shortLength)) {
            guard case .invalidBatchLength(16, _)? = $0 as? RecordBatchError else { return XCTFail("\($0)") }
        }
        // Bytes ending early inside a stream of batches name the batch's position.
        XCTAssertThrowsError(try RecordBatch.decodeAll(Self.vectorA + Array(Self.vectorB.prefix(40)))) {
            XCTAssertEqual(($0 as? RecordBatchStreamError)?.position, 73)
        }
        // gzip is recognised but not implemented.
        var gzip = RecordBatch(records: [(0, nil, utf8("x"), [])])
        gzip.attributes = BatchAttributes(compression: .gzip)
        XCTAssertThrowsError(try gzip.encode()) { XCTAssertEqual($0 as? RecordBatchError, .unsupportedCompression(codecId: 1)) }
    }

    func testAttributesBits() {
        let a = BatchAttributes(compression: .zstd, timestampType: .logAppendTime, isTransactional: true, isControl: true, hasDeleteHorizon: true)
        XCTAssertEqual(a.rawValue, 0x7c)
        XCTAssertEqual(a.compression, .zstd)
        XCTAssertEqual(a.timestampType, .logAppendTime)
        XCTAssertTrue(a.isTransactional && a.isControl && a.hasDeleteHorizon)
        XCTAssertNil(BatchAttributes(rawValue: 7).compression)
    }

    func testSequenceWrapsPastInt32Max() {
        // DefaultRecordBatch.incrementSequence.
        XCTAssertEqual(RecordBatch.incrementSequence(Int32.max, 1), 0)
        XCTAssertEqual(RecordBatch.incrementSequence(Int32.max - 1, 3), 1)
        XCTAssertEqual(RecordBatch.incrementSequence(10, 5), 15)
    }

    func testZstdBatchRoundTrip() throws {
        let records = (0..<50).map { i in (Int64(1_700_000_000_000 + i), Optional(utf8("key-\(i % 5)")), Optional(utf8(String(repeating: "price ", count: 20))), [RecordHeader]()) }
        let batch = RecordBatch(compression: .zstd, records: records)
        let bytes = try batch.encode()
        XCTAssertLessThan(bytes.count, batch.uncompressedSizeInBytes / 4)
        XCTAssertEqual(bytes[22] & 0x07, 4)  // attributes codec bits
        let (decoded, size) = try RecordBatch.decode(bytes)
        XCTAssertEqual(size, bytes.count)
        XCTAssertEqual(decoded, batch)
    }

    /// Property: encode → decode is the identity on many seeded random batches, uncompressed and zstd.
    func testEncodeDecodeRoundTripProperty() {
        assertProperty(checkProperty("batch encode/decode identity", seeds: 1...150, testFilter: "SimLogTests.CodecTests/testEncodeDecodeRoundTripProperty") { seed in
            var rng = SimRandom(seed: seed)
            let batch = Self.randomBatch(&rng)
            let decoded = try RecordBatch.decode(try batch.encode()).batch
            return decoded == batch ? nil : "decoded batch differs (\(batch.records.count) records, \(batch.compression))"
        })
    }

    static func randomBytes(_ rng: inout SimRandom, max: Int) -> [UInt8]? {
        if rng.nextBool(probability: 0.15) { return nil }
        return (0..<rng.nextIndex(max + 1)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    }

    static func randomBatch(_ rng: inout SimRandom) -> RecordBatch {
        let n = 1 + rng.nextIndex(20)
        let base = rng.nextInt(in: 0...2_000_000_000_000)
        let records = (0..<n).map { _ -> (Int64, [UInt8]?, [UInt8]?, [RecordHeader]) in
            let headers = (0..<rng.nextIndex(3)).map { i in RecordHeader(key: "h\(i)-\(rng.nextIndex(100))", value: randomBytes(&rng, max: 8)) }
            return (base + rng.nextInt(in: -5000...5000), randomBytes(&rng, max: 40), randomBytes(&rng, max: 300), headers)
        }
        let idempotent = rng.nextBool(probability: 0.5)
        return RecordBatch(baseOffset: rng.nextInt(in: 0...1_000_000), partitionLeaderEpoch: Int32(rng.nextInt(in: -1...5)),
                           compression: rng.nextBool(probability: 0.5) ? .zstd : .none,
                           timestampType: rng.nextBool(probability: 0.2) ? .logAppendTime : .createTime,
                           producerId: idempotent ? rng.nextInt(in: 0...100_000) : -1, producerEpoch: idempotent ? 3 : -1,
                           baseSequence: idempotent ? Int32(rng.nextInt(in: 0...Int64(Int32.max))) : -1, records: records)
    }
}
