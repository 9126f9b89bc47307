// Checksums and hashes the record format and the partitioners depend on, bit-exact with Kafka and librdkafka.

/// A table-driven, reflected CRC-32 over one polynomial (Sarwate's byte-at-a-time algorithm).
public struct CRC32Table: Sendable {
    let table: [UInt32]

    /// `reflectedPolynomial` is the bit-reversed generator: 0xEDB88320 (IEEE) or 0x82F63B78 (Castagnoli).
    public init(reflectedPolynomial: UInt32) {
        var t = [UInt32](repeating: 0, count: 256)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ reflectedPolynomial : c >> 1 }
            t[i] = c
        }
        table = t
    }

    /// Continues a CRC: pass the previous result as `crc` (0 to start).
    @inline(__always) public func update(_ crc: UInt32, _ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var c = ~crc
        table.withUnsafeBufferPointer { t in
            for b in bytes { c = t[Int((c ^ UInt32(b)) & 0xff)] ^ (c >> 8) }
        }
        return ~c
    }

    public func checksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        if let r = bytes.withContiguousStorageIfAvailable({ update(0, $0) }) { return r }
        return Array(bytes).withUnsafeBufferPointer { update(0, $0) }
    }

    /// CRC of `bytes[range]` without copying.
    public func checksum(_ bytes: [UInt8], range: Range<Int>) -> UInt32 {
        bytes.withUnsafeBufferPointer { update(0, UnsafeBufferPointer(rebasing: $0[range])) }
    }
}

/// CRC-32C (Castagnoli), the checksum of record batch v2 (`clients/.../record/DefaultRecordBatch.java` `computeChecksum`,
/// `common/utils/Crc32C.java`). `CRC32C.checksum("123456789".utf8) == 0xe3069283`.
public enum CRC32C {
    static let table = CRC32Table(reflectedPolynomial: 0x82F6_3B78)
    public static func checksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 { table.checksum(bytes) }
    public static func checksum(_ bytes: [UInt8], range: Range<Int>) -> UInt32 { table.checksum(bytes, range: range) }
}

/// CRC-32 (IEEE 802.3, zlib's `crc32`), the hash of librdkafka's default `consistent_random` partitioner
/// (`src/rdkafka_msg.c` `rd_kafka_msg_partitioner_consistent`: `rd_crc32(key, keylen) % partition_cnt`).
/// `CRC32.checksum("123456789".utf8) == 0xcbf43926`.
public enum CRC32 {
    static let table = CRC32Table(reflectedPolynomial: 0xEDB8_8320)
    public static func checksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 { table.checksum(bytes) }
}

/// MurmurHash2, 32-bit, as the Java client implements it (`clients/.../common/utils/Utils.java` `murmur2`):
/// seed 0x9747b28c, m 0x5bd1e995, r 24, little-endian 4-byte blocks, a fall-through tail, 32-bit wrapping
/// arithmetic. Returns the *signed* Java `int`.
public enum Murmur2 {
    public static func hash<C: Collection>(_ data: C) -> Int32 where C.Element == UInt8 {
        if let r = data.withContiguousStorageIfAvailable({ hash(buffer: $0) }) { return r }
        return Array(data).withUnsafeBufferPointer { hash(buffer: $0) }
    }

    static func hash(buffer data: UnsafeBufferPointer<UInt8>) -> Int32 {
        let length = data.count
        let seed: UInt32 = 0x9747_b28c
        let m: UInt32 = 0x5bd1_e995
        var h: UInt32 = seed ^ UInt32(truncatingIfNeeded: length)
        let length4 = length / 4
        for i in 0..<length4 {
            let i4 = i * 4
            var k = UInt32(data[i4]) | (UInt32(data[i4 + 1]) << 8) | (UInt32(data[i4 + 2]) << 16) | (UInt32(data[i4 + 3]) << 24)
            k &*= m
            k ^= k >> 24  // Java's `>>>`: logical shift of the unsigned bit pattern
            k &*= m
            h &*= m
            h ^= k
        }
        let tail = length & ~3
        switch length % 4 {
        case 3:
            h ^= UInt32(data[tail + 2]) << 16
            h ^= UInt32(data[tail + 1]) << 8
            h ^= UInt32(data[tail])
            h &*= m
        case 2:
            h ^= UInt32(data[tail + 1]) << 8
            h ^= UInt32(data[tail])
            h &*= m
        case 1:
            h ^= UInt32(data[tail])
            h &*= m
        default:
            break
        }
        h ^= h >> 13
        h &*= m
        h ^= h >> 15
        return Int32(bitPattern: h)
    }

    /// `Utils.toPositive`: clears the sign bit (`x & 0x7fffffff`) rather than taking `abs`, so `Int.MIN` maps to 0.
    @inline(__always) public static func toPositive(_ x: Int32) -> Int32 { x & 0x7fff_ffff }
}
