// Big-endian fixed-width integers and Kafka's zigzag varints, the two primitive encodings of the record format.

/// Appends big-endian integers and Kafka varints to a byte array.
///
/// Kafka's wire and on-disk formats are big-endian (`java.nio.ByteBuffer`'s default order); record-level lengths
/// and deltas are zigzag varints (`clients/.../common/utils/ByteUtils.java` `writeVarint`, `writeVarlong`).
public struct ByteWriter: Sendable {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public var count: Int { bytes.count }

    @inline(__always) public mutating func writeUInt8(_ v: UInt8) { bytes.append(v) }
    @inline(__always) public mutating func writeInt8(_ v: Int8) { bytes.append(UInt8(bitPattern: v)) }
    @inline(__always) public mutating func writeInt16(_ v: Int16) { writeBigEndian(UInt64(UInt16(bitPattern: v)), width: 2) }
    @inline(__always) public mutating func writeInt32(_ v: Int32) { writeBigEndian(UInt64(UInt32(bitPattern: v)), width: 4) }
    @inline(__always) public mutating func writeUInt32(_ v: UInt32) { writeBigEndian(UInt64(v), width: 4) }
    @inline(__always) public mutating func writeInt64(_ v: Int64) { writeBigEndian(UInt64(bitPattern: v), width: 8) }
    public mutating func writeBytes<C: Collection>(_ b: C) where C.Element == UInt8 { bytes.append(contentsOf: b) }

    @inline(__always) private mutating func writeBigEndian(_ v: UInt64, width: Int) {
        var shift = (width - 1) * 8
        while shift >= 0 {
            bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(shift)))
            shift -= 8
        }
    }

    /// Zigzag varint: `(v << 1) ^ (v >> 31)`, then unsigned LEB128 (`ByteUtils.writeVarint`).
    @inline(__always) public mutating func writeVarint(_ v: Int32) { writeUnsignedVarint(UInt64(Varint.zigzag32(v))) }
    /// Zigzag varlong: `(v << 1) ^ (v >> 63)`, then unsigned LEB128 (`ByteUtils.writeVarlong`).
    @inline(__always) public mutating func writeVarlong(_ v: Int64) { writeUnsignedVarint(Varint.zigzag64(v)) }

    @inline(__always) mutating func writeUnsignedVarint(_ v: UInt64) {
        var x = v
        while x & ~0x7f != 0 {
            bytes.append(UInt8(truncatingIfNeeded: (x & 0x7f) | 0x80))
            x >>= 7
        }
        bytes.append(UInt8(truncatingIfNeeded: x))
    }

    /// Overwrites 4 bytes at `index` with a big-endian value (used to patch lengths and the CRC after the fact).
    mutating func patchUInt32(_ v: UInt32, at index: Int) {
        bytes[index] = UInt8(truncatingIfNeeded: v >> 24)
        bytes[index + 1] = UInt8(truncatingIfNeeded: v >> 16)
        bytes[index + 2] = UInt8(truncatingIfNeeded: v >> 8)
        bytes[index + 3] = UInt8(truncatingIfNeeded: v)
    }
}

/// Why a byte sequence could not be read.
public enum ByteReadError: Error, Equatable, CustomStringConvertible {
    /// Fewer bytes remained than a field needs.
    case truncated(needed: Int, available: Int, at: Int)
    /// A varint ran past 5 bytes (varint) or 10 bytes (varlong) — Kafka's `ByteUtils.illegalVarintException`.
    case malformedVarint(at: Int)

    public var description: String {
        switch self {
        case let .truncated(needed, available, at):
            return "truncated input: needed \(needed) byte(s) at byte \(at), only \(available) left"
        case let .malformedVarint(at):
            return "malformed varint at byte \(at): more than the maximum number of continuation bytes"
        }
    }
}

/// Reads big-endian integers and Kafka varints from a byte array, with bounds checks that throw instead of trapping.
public struct ByteReader {
    public let bytes: [UInt8]
    public private(set) var position: Int
    public let end: Int

    public init(_ bytes: [UInt8], from start: Int = 0, to end: Int? = nil) {
        self.bytes = bytes
        self.position = start
        self.end = min(end ?? bytes.count, bytes.count)
    }

    public var remaining: Int { end - position }
    public var isAtEnd: Bool { position >= end }

    @inline(__always) mutating func need(_ n: Int) throws {
        if n < 0 || end - position < n { throw ByteReadError.truncated(needed: n, available: max(0, end - position), at: position) }
    }

    public mutating func readUInt8() throws -> UInt8 {
        try need(1)
        defer { position += 1 }
        return bytes[position]
    }
    public mutating func readInt8() throws -> Int8 { Int8(bitPattern: try readUInt8()) }
    public mutating func readInt16() throws -> Int16 { Int16(bitPattern: UInt16(truncatingIfNeeded: try readBigEndian(2))) }
    public mutating func readInt32() throws -> Int32 { Int32(bitPattern: UInt32(truncatingIfNeeded: try readBigEndian(4))) }
    public mutating func readUInt32() throws -> UInt32 { UInt32(truncatingIfNeeded: try readBigEndian(4)) }
    public mutating func readInt64() throws -> Int64 { Int64(bitPattern: try readBigEndian(8)) }

    @inline(__always) private mutating func readBigEndian(_ width: Int) throws -> UInt64 {
        try need(width)
        var v: UInt64 = 0
        for i in 0..<width { v = (v << 8) | UInt64(bytes[position + i]) }
        position += width
        return v
    }

    public mutating func readBytes(_ n: Int) throws -> [UInt8] {
        try need(n)
        defer { position += n }
        return Array(bytes[position..<(position + n)])
    }

    public mutating func skip(_ n: Int) throws {
        try need(n)
        position += n
    }

    /// A zigzag varint of at most 5 bytes (`ByteUtils.readVarint`).
    public mutating func readVarint() throws -> Int32 {
        let start = position
        let raw = try readUnsignedVarint(maxBytes: 5)
        guard raw <= UInt64(UInt32.max) else { throw ByteReadError.malformedVarint(at: start) }
        return Varint.unzigzag32(UInt32(raw))
    }

    /// A zigzag varlong of at most 10 bytes (`ByteUtils.readVarlong`).
    public mutating func readVarlong() throws -> Int64 {
        Varint.unzigzag64(try readUnsignedVarint(maxBytes: 10))
    }

    private mutating func readUnsignedVarint(maxBytes: Int) throws -> UInt64 {
        let start = position
        var value: UInt64 = 0
        var shift: UInt64 = 0
        for _ in 0..<maxBytes {
            let b = try readUInt8()
            value |= UInt64(b & 0x7f) << shift
            if b & 0x80 == 0 { return value }
            shift += 7
        }
        throw ByteReadError.malformedVarint(at: start)
    }
}

/// Kafka's zigzag varint helpers (`clients/.../common/utils/ByteUtils.java`).
public enum Varint {
    @inline(__always) public static func zigzag32(_ v: Int32) -> UInt32 { UInt32(bitPattern: (v << 1) ^ (v >> 31)) }
    @inline(__always) public static func zigzag64(_ v: Int64) -> UInt64 { UInt64(bitPattern: (v << 1) ^ (v >> 63)) }
    @inline(__always) public static func unzigzag32(_ u: UInt32) -> Int32 { Int32(bitPattern: (u >> 1) ^ (0 &- (u & 1))) }
    @inline(__always) public static func unzigzag64(_ u: UInt64) -> Int64 { Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1))) }

    /// The encoded bytes of one varint, e.g. `encodeVarint(300) == [0xd8, 0x04]`.
    public static func encodeVarint(_ v: Int32) -> [UInt8] {
        var w = ByteWriter(capacity: 5)
        w.writeVarint(v)
        return w.bytes
    }

    public static func encodeVarlong(_ v: Int64) -> [UInt8] {
        var w = ByteWriter(capacity: 10)
        w.writeVarlong(v)
        return w.bytes
    }

    /// Encoded size of a zigzag varint (`ByteUtils.sizeOfVarint`).
    @inline(__always) public static func sizeOfVarint(_ v: Int32) -> Int { sizeOfUnsigned(UInt64(zigzag32(v))) }
    /// Encoded size of a zigzag varlong (`ByteUtils.sizeOfVarlong`).
    @inline(__always) public static func sizeOfVarlong(_ v: Int64) -> Int { sizeOfUnsigned(zigzag64(v)) }

    @inline(__always) static func sizeOfUnsigned(_ v: UInt64) -> Int {
        var n = 1
        var x = v >> 7
        while x != 0 { n += 1; x >>= 7 }
        return n
    }
}
