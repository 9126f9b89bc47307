import SimCore

// Record batch format v2 (magic 2), byte-exact with Kafka's `DefaultRecordBatch` / `DefaultRecord`
// (`clients/src/main/java/org/apache/kafka/common/record/`), research note kafka-log.md §2.

/// Batch attribute bits 0–2 (`CompressionType.id`).
public enum CompressionType: Int16, Sendable, Codable, CaseIterable, CustomStringConvertible {
    case none = 0, gzip = 1, snappy = 2, lz4 = 3, zstd = 4
    public var description: String { String(describing: self) }
}

/// The 16-bit batch attributes (`DefaultRecordBatch`: COMPRESSION_CODEC_MASK 0x07, TIMESTAMP_TYPE_MASK 0x08,
/// TRANSACTIONAL_FLAG_MASK 0x10, CONTROL_FLAG_MASK 0x20, DELETE_HORIZON_FLAG_MASK 0x40).
public struct BatchAttributes: Hashable, Sendable {
    public var rawValue: Int16

    public init(rawValue: Int16) { self.rawValue = rawValue }

    public init(compression: CompressionType = .none, timestampType: TimestampType = .createTime,
                isTransactional: Bool = false, isControl: Bool = false, hasDeleteHorizon: Bool = false) {
        var r = compression.rawValue
        if timestampType == .logAppendTime { r |= 0x08 }
        if isTransactional { r |= 0x10 }
        if isControl { r |= 0x20 }
        if hasDeleteHorizon { r |= 0x40 }
        rawValue = r
    }

    /// Nil for the unused codec ids 5–7.
    public var compression: CompressionType? { CompressionType(rawValue: rawValue & 0x07) }
    public var timestampType: TimestampType {
        get { rawValue & 0x08 != 0 ? .logAppendTime : .createTime }
        set { rawValue = newValue == .logAppendTime ? rawValue | 0x08 : rawValue & ~0x08 }
    }
    public var isTransactional: Bool { rawValue & 0x10 != 0 }
    public var isControl: Bool { rawValue & 0x20 != 0 }
    public var hasDeleteHorizon: Bool { rawValue & 0x40 != 0 }
}

/// One record inside a batch, as `DefaultRecord` stores it: deltas relative to the batch's base offset and timestamp.
public struct BatchRecord: Hashable, Sendable {
    /// Unused by Kafka; always 0 when written, kept as read.
    public var attributes: Int8
    public var timestampDelta: Int64
    public var offsetDelta: Int32
    public var key: [UInt8]?
    public var value: [UInt8]?
    public var headers: [RecordHeader]

    public init(attributes: Int8 = 0, timestampDelta: Int64, offsetDelta: Int32, key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader] = []) {
        self.attributes = attributes
        self.timestampDelta = timestampDelta
        self.offsetDelta = offsetDelta
        self.key = key
        self.value = value
        self.headers = headers
    }

    /// Size of everything after the length varint (`DefaultRecord.sizeOfBodyInBytes`).
    public var bodySize: Int {
        var n = 1 + Varint.sizeOfVarlong(timestampDelta) + Varint.sizeOfVarint(offsetDelta)
        n += BatchRecord.sizeOfBytes(key) + BatchRecord.sizeOfBytes(value)
        n += Varint.sizeOfVarint(Int32(headers.count))
        for h in headers {
            let k = h.key.utf8.count
            n += Varint.sizeOfVarint(Int32(k)) + k + BatchRecord.sizeOfBytes(h.value)
        }
        return n
    }

    /// Size including the length varint (`DefaultRecord.sizeInBytes`).
    public var sizeInBytes: Int { let b = bodySize; return Varint.sizeOfVarint(Int32(b)) + b }

    @inline(__always) static func sizeOfBytes(_ b: [UInt8]?) -> Int {
        guard let b else { return 1 }
        return Varint.sizeOfVarint(Int32(b.count)) + b.count
    }

    func write(to w: inout ByteWriter) {
        w.writeVarint(Int32(bodySize))
        w.writeInt8(attributes)
        w.writeVarlong(timestampDelta)
        w.writeVarint(offsetDelta)
        BatchRecord.writeBytes(key, to: &w)
        BatchRecord.writeBytes(value, to: &w)
        w.writeVarint(Int32(headers.count))
        for h in headers {
            let k = Array(h.key.utf8)
            w.writeVarint(Int32(k.count))
            w.writeBytes(k)
            BatchRecord.writeBytes(h.value, to: &w)
        }
    }

    @inline(__always) static func writeBytes(_ b: [UInt8]?, to w: inout ByteWriter) {
        guard let b else { w.writeVarint(-1); return }
        w.writeVarint(Int32(b.count))
        w.writeBytes(b)
    }

    /// Reads one record (`DefaultRecord.readFrom`), checking that the body is exactly as long as its length says.
    static func read(from r: inout ByteReader, index: Int) throws -> BatchRecord {
        let start = r.position
        let length = Int(try r.readVarint())
        guard length >= 0, length <= r.remaining else {
            throw RecordBatchError.invalidRecord(index: index, detail: "record length \(length) at byte \(start) exceeds the \(r.remaining) byte(s) left")
        }
        let bodyStart = r.position
        var body = ByteReader(r.bytes, from: bodyStart, to: bodyStart + length)
        let attributes = try body.readInt8()
        let tsDelta = try body.readVarlong()
        let offDelta = try body.readVarint()
        let key = try readBytes(&body, index: index, what: "key")
        let value = try readBytes(&body, index: index, what: "value")
        let headerCount = Int(try body.readVarint())
        guard headerCount >= 0 else { throw RecordBatchError.invalidRecord(index: index, detail: "negative header count \(headerCount)") }
        var headers: [RecordHeader] = []
        headers.reserveCapacity(min(headerCount, 64))
        for _ in 0..<headerCount {
            guard let kb = try readBytes(&body, index: index, what: "header key") else {
                throw RecordBatchError.invalidRecord(index: index, detail: "null header key")
            }
            let v = try readBytes(&body, index: index, what: "header value")
            headers.append(RecordHeader(key: String(decoding: kb, as: UTF8.self), value: v))
        }
        guard body.isAtEnd else {
            throw RecordBatchError.invalidRecord(index: index, detail: "record body has \(body.remaining) unread byte(s) after its declared length \(length)")
        }
        try r.skip(length)
        return BatchRecord(attributes: attributes, timestampDelta: tsDelta, offsetDelta: offDelta, key: key, value: value, headers: headers)
    }

    static func readBytes(_ r: inout ByteReader, index: Int, what: String) throws -> [UInt8]? {
        let n = Int(try r.readVarint())
        if n == -1 { return nil }
        guard n >= 0 else { throw RecordBatchError.invalidRecord(index: index, detail: "invalid \(what) length \(n)") }
        guard n <= r.remaining else {
            throw RecordBatchError.invalidRecord(index: index, detail: "\(what) length \(n) exceeds the \(r.remaining) byte(s) left in the record")
        }
        return try r.readBytes(n)
    }
}

/// Why bytes are not a valid v2 record batch. Each case says where and what; a broker maps them to CORRUPT_MESSAGE.
public enum RecordBatchError: Error, Equatable, CustomStringConvertible {
    case truncated(needed: Int, available: Int)
    case invalidBatchLength(Int32, available: Int)
    case unsupportedMagic(Int8)
    case crcMismatch(stored: UInt32, computed: UInt32)
    case unsupportedCompression(codecId: Int16)
    case recordCountMismatch(header: Int32, found: Int)
    case invalidRecord(index: Int, detail: String)
    case decompression(ZstdError)
    case trailingBytes(Int)

    public var description: String {
        switch self {
        case let .truncated(needed, available): return "truncated batch: needs \(needed) byte(s), \(available) available"
        case let .invalidBatchLength(len, available):
            return "invalid batchLength \(len): must be at least \(RecordBatch.headerSize - RecordBatch.logOverhead) and at most the \(available) byte(s) that follow it"
        case let .unsupportedMagic(m): return "unsupported magic \(m) (only record batch v2, magic 2, is supported)"
        case let .crcMismatch(stored, computed):
            return "CRC-32C mismatch: batch says 0x\(String(stored, radix: 16)), bytes give 0x\(String(computed, radix: 16))"
        case let .unsupportedCompression(id): return "unsupported compression codec id \(id) (only none=0 and zstd=4 are implemented)"
        case let .recordCountMismatch(header, found): return "recordsCount says \(header) but the batch holds \(found) record(s)"
        case let .invalidRecord(index, detail): return "record \(index): \(detail)"
        case let .decompression(e): return "records could not be decompressed: \(e)"
        case let .trailingBytes(n): return "\(n) byte(s) left after the last record"
        }
    }
}

/// A v2 record batch: the 61-byte header fields and the records (`DefaultRecordBatch`).
public struct RecordBatch: Hashable, Sendable {
    /// Header size (`DefaultRecordBatch.RECORD_BATCH_OVERHEAD`).
    public static let headerSize = 61
    /// baseOffset + batchLength (`Records.LOG_OVERHEAD`).
    public static let logOverhead = 12
    public static let magic: Int8 = 2
    /// "No producer" markers (`RecordBatch.NO_PRODUCER_ID`, `NO_PRODUCER_EPOCH`, `NO_SEQUENCE`).
    public static let noProducerId: Int64 = -1
    public static let noProducerEpoch: Int16 = -1
    public static let noSequence: Int32 = -1

    public var baseOffset: Int64
    public var partitionLeaderEpoch: Int32
    public var attributes: BatchAttributes
    public var lastOffsetDelta: Int32
    public var baseTimestamp: Int64
    public var maxTimestamp: Int64
    public var producerId: Int64
    public var producerEpoch: Int16
    public var baseSequence: Int32
    public var records: [BatchRecord]

    public init(baseOffset: Int64, partitionLeaderEpoch: Int32, attributes: BatchAttributes, lastOffsetDelta: Int32,
                baseTimestamp: Int64, maxTimestamp: Int64, producerId: Int64, producerEpoch: Int16, baseSequence: Int32,
                records: [BatchRecord]) {
        self.baseOffset = baseOffset
        self.partitionLeaderEpoch = partitionLeaderEpoch
        self.attributes = attributes
        self.lastOffsetDelta = lastOffsetDelta
        self.baseTimestamp = baseTimestamp
        self.maxTimestamp = maxTimestamp
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.baseSequence = baseSequence
        self.records = records
    }

    /// Builds a batch the way a producer does (`MemoryRecordsBuilder`): offset deltas 0…n−1, baseTimestamp = the first
    /// record's timestamp, maxTimestamp = the largest, lastOffsetDelta = n − 1. Java writes partitionLeaderEpoch −1.
    public init(baseOffset: Int64 = 0, partitionLeaderEpoch: Int32 = -1, compression: CompressionType = .none,
                timestampType: TimestampType = .createTime, isTransactional: Bool = false,
                producerId: Int64 = RecordBatch.noProducerId, producerEpoch: Int16 = RecordBatch.noProducerEpoch,
                baseSequence: Int32 = RecordBatch.noSequence,
                records: [(timestamp: Int64, key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader])]) {
        let base = records.first?.timestamp ?? -1
        var maxTs: Int64 = -1
        var built: [BatchRecord] = []
        built.reserveCapacity(records.count)
        for (i, r) in records.enumerated() {
            maxTs = max(maxTs, r.timestamp)
            built.append(BatchRecord(timestampDelta: r.timestamp &- base, offsetDelta: Int32(i), key: r.key, value: r.value, headers: r.headers))
        }
        self.init(baseOffset: baseOffset, partitionLeaderEpoch: partitionLeaderEpoch,
                  attributes: BatchAttributes(compression: compression, timestampType: timestampType, isTransactional: isTransactional),
                  lastOffsetDelta: Int32(max(0, records.count - 1)), baseTimestamp: base, maxTimestamp: maxTs,
                  producerId: producerId, producerEpoch: producerEpoch, baseSequence: baseSequence, records: built)
    }

    public var recordCount: Int { records.count }
    public var lastOffset: Int64 { baseOffset + Int64(lastOffsetDelta) }
    public var nextOffset: Int64 { lastOffset + 1 }
    public var compression: CompressionType { attributes.compression ?? .none }
    public var timestampType: TimestampType { attributes.timestampType }
    public var hasProducerId: Bool { producerId >= 0 }

    /// `DefaultRecordBatch.lastSequence` via `incrementSequence`: wraps past Int32.max to 0.
    public var lastSequence: Int32 {
        if baseSequence == RecordBatch.noSequence { return RecordBatch.noSequence }
        return RecordBatch.incrementSequence(baseSequence, lastOffsetDelta)
    }

    public static func incrementSequence(_ sequence: Int32, _ increment: Int32) -> Int32 {
        if sequence > Int32.max - increment { return increment - (Int32.max - sequence) - 1 }
        return sequence + increment
    }

    /// The records with absolute offsets and their effective timestamps. Under LogAppendTime every record reports the
    /// batch's maxTimestamp (`DefaultRecordBatch.DefaultRecord` timestamp / `DefaultRecordBatch.iterator`).
    public var absoluteRecords: [Record] {
        let appendTime = timestampType == .logAppendTime
        return records.map { r in
            Record(offset: baseOffset + Int64(r.offsetDelta),
                   timestamp: EventTime(appendTime ? maxTimestamp : baseTimestamp &+ r.timestampDelta),
                   key: r.key, value: r.value, headers: r.headers)
        }
    }

    /// Encoded size when uncompressed, computed without encoding (`DefaultRecordBatch.sizeInBytes`).
    public var uncompressedSizeInBytes: Int {
        var n = RecordBatch.headerSize
        for r in records { n += r.sizeInBytes }
        return n
    }

    /// The batch's exact bytes. Compression `.zstd` compresses the records section with libzstd; gzip, snappy and lz4
    /// are not implemented and throw `.unsupportedCompression`.
    public func encode(zstdLevel: Int32 = Zstd.defaultLevel) throws -> [UInt8] {
        var w = ByteWriter(capacity: uncompressedSizeInBytes)
        w.writeInt64(baseOffset)
        w.writeInt32(0)  // batchLength, patched below
        w.writeInt32(partitionLeaderEpoch)
        w.writeInt8(RecordBatch.magic)
        w.writeUInt32(0)  // crc, patched below
        w.writeInt16(attributes.rawValue)
        w.writeInt32(lastOffsetDelta)
        w.writeInt64(baseTimestamp)
        w.writeInt64(maxTimestamp)
        w.writeInt64(producerId)
        w.writeInt16(producerEpoch)
        w.writeInt32(baseSequence)
        w.writeInt32(Int32(records.count))
        switch attributes.compression {
        case .some(.none):
            for r in records { r.write(to: &w) }
        case .some(.zstd):
            var inner = ByteWriter(capacity: uncompressedSizeInBytes - RecordBatch.headerSize)
            for r in records { r.write(to: &inner) }
            w.writeBytes(try Zstd.compress(inner.bytes, level: zstdLevel))
        default:
            throw RecordBatchError.unsupportedCompression(codecId: attributes.rawValue & 0x07)
        }
        w.patchUInt32(UInt32(w.count - RecordBatch.logOverhead), at: 8)
        var bytes = w.bytes
        let crc = CRC32C.checksum(bytes, range: 21..<bytes.count)
        bytes[17] = UInt8(truncatingIfNeeded: crc >> 24)
        bytes[18] = UInt8(truncatingIfNeeded: crc >> 16)
        bytes[19] = UInt8(truncatingIfNeeded: crc >> 8)
        bytes[20] = UInt8(truncatingIfNeeded: crc)
        return bytes
    }

    /// Decodes one batch that starts at `start`, returning it and its total size in bytes. Validates, as
    /// `DefaultRecordBatch.ensureValid` and `LogValidator` do: the batchLength against the bytes available, the
    /// magic, the CRC-32C over [attributes, end), the codec, every record's length, and the record count.
    public static func decode(_ bytes: [UInt8], at start: Int = 0) throws -> (batch: RecordBatch, size: Int) {
        let available = bytes.count - start
        guard available >= headerSize else { throw RecordBatchError.truncated(needed: headerSize, available: max(0, available)) }
        var r = ByteReader(bytes, from: start)
        let baseOffset = try r.readInt64()
        let batchLength = try r.readInt32()
        guard Int(batchLength) >= headerSize - logOverhead, Int(batchLength) <= available - logOverhead else {
            if Int(batchLength) > available - logOverhead && Int(batchLength) >= headerSize - logOverhead {
                throw RecordBatchError.truncated(needed: Int(batchLength) + logOverhead, available: available)
            }
            throw RecordBatchError.invalidBatchLength(batchLength, available: available - logOverhead)
        }
        let end = start + logOverhead + Int(batchLength)
        let leaderEpoch = try r.readInt32()
        let magic = try r.readInt8()
        guard magic == RecordBatch.magic else { throw RecordBatchError.unsupportedMagic(magic) }
        let storedCrc = try r.readUInt32()
        let computed = CRC32C.checksum(bytes, range: (start + 21)..<end)
        guard storedCrc == computed else { throw RecordBatchError.crcMismatch(stored: storedCrc, computed: computed) }
        let attributes = BatchAttributes(rawValue: try r.readInt16())
        let lastOffsetDelta = try r.readInt32()
        let baseTimestamp = try r.readInt64()
        let maxTimestamp = try r.readInt64()
        let producerId = try r.readInt64()
        let producerEpoch = try r.readInt16()
        let baseSequence = try r.readInt32()
        let count = try r.readInt32()
        guard count >= 0 else { throw RecordBatchError.recordCountMismatch(header: count, found: 0) }

        var recordReader: ByteReader
        switch attributes.compression {
        case .some(.none):
            recordReader = ByteReader(bytes, from: r.position, to: end)
        case .some(.zstd):
            let compressed = Array(bytes[r.position..<end])
            do {
                recordReader = ByteReader(try Zstd.decompress(compressed, limit: 64 << 20))
            } catch let e as ZstdError {
                throw RecordBatchError.decompression(e)
            }
        default:
            throw RecordBatchError.unsupportedCompression(codecId: attributes.rawValue & 0x07)
        }
        var records: [BatchRecord] = []
        records.reserveCapacity(Int(min(count, 100_000)))
        do {
            while !recordReader.isAtEnd {
                if records.count == Int(count) { throw RecordBatchError.trailingBytes(recordReader.remaining) }
                records.append(try BatchRecord.read(from: &recordReader, index: records.count))
            }
        } catch let e as ByteReadError {
            throw RecordBatchError.invalidRecord(index: records.count, detail: e.description)
        }
        guard records.count == Int(count) else { throw RecordBatchError.recordCountMismatch(header: count, found: records.count) }
        let batch = RecordBatch(baseOffset: baseOffset, partitionLeaderEpoch: leaderEpoch, attributes: attributes,
                                lastOffsetDelta: lastOffsetDelta, baseTimestamp: baseTimestamp, maxTimestamp: maxTimestamp,
                                producerId: producerId, producerEpoch: producerEpoch, baseSequence: baseSequence, records: records)
        return (batch, end - start)
    }

    /// Decodes a concatenation of batches (a fetch response's records, or a segment file). The error names the byte
    /// position of the batch that failed.
    public static func decodeAll(_ bytes: [UInt8]) throws -> [RecordBatch] {
        var out: [RecordBatch] = []
        var pos = 0
        while pos < bytes.count {
            do {
                let (b, size) = try decode(bytes, at: pos)
                out.append(b)
                pos += size
            } catch let e as RecordBatchError {
                throw RecordBatchStreamError(position: pos, error: e)
            }
        }
        return out
    }
}

/// A batch in a concatenation failed to decode; `position` is its first byte.
public struct RecordBatchStreamError: Error, Equatable, CustomStringConvertible {
    public var position: Int
    public var error: RecordBatchError
    public var description: String { "invalid record batch at byte \(position): \(error)" }
}
