public import SimCore
public import SimLog

// The StreamSim capture format, version 1 (docs/capture-format.md): JSON Lines, usually zstd-compressed
// (`*.jsonl.zst`, readable with `zstdcat`). Line 1 is a header; every further line is one record as it reached the
// producer client / the log, in receive order.

/// Line 1 of a capture.
public struct CaptureHeader: Sendable, Equatable {
    public static let formatName = "streamsim-capture"
    public static let currentVersion: Int64 = 1

    public var version: Int64
    /// Where the records came from: `"sim gen week6"`, `"import hftbacktest examples/spot/btcusdt_20240808.gz"` …
    public var source: String
    /// What the receive clock is, and how it relates to the exchange's clock (e.g. "recorder clock ~1.27 s behind
    /// Binance"), so that nobody mistakes receive-minus-event time for network delay.
    public var clock: String
    /// The tool and version that wrote the file.
    public var createdBy: String
    /// The master seed, for generated captures.
    public var seed: UInt64?

    public init(source: String, clock: String, createdBy: String = "streamsim", seed: UInt64? = nil, version: Int64 = CaptureHeader.currentVersion) {
        self.version = version
        self.source = source
        self.clock = clock
        self.createdBy = createdBy
        self.seed = seed
    }

    public var jsonLine: String {
        var m: [JSONMember] = [
            JSONMember("format", .string(CaptureHeader.formatName)),
            JSONMember("version", .number(JSONNumber(version))),
            JSONMember("source", .string(source)),
            JSONMember("clock", .string(clock)),
            JSONMember("created_by", .string(createdBy)),
        ]
        if let s = seed { m.append(JSONMember("seed", .number(JSONNumber(literal: String(s))))) }
        return JSONValue.object(m).compactText
    }

    /// Parses and validates line 1.
    static func parse(_ line: ArraySlice<UInt8>, file: String) throws(CaptureError) -> CaptureHeader {
        let v: JSONValue
        do { v = try line.withUnsafeBufferPointer { (p) throws(JSONParseError) -> JSONValue in try JSONValue.parse(p) } } catch {
            throw CaptureError.missingHeader(file: file, reason: "\(error)")
        }
        guard v["format"]?.stringValue == formatName else { throw CaptureError.missingHeader(file: file, reason: "no \"format\":\"\(formatName)\" member") }
        guard let version = v["version"]?.int64Value else { throw CaptureError.missingHeader(file: file, reason: "no integer \"version\" member") }
        guard version == currentVersion else { throw CaptureError.unsupportedVersion(file: file, version: version, supported: currentVersion) }
        return CaptureHeader(
            source: v["source"]?.stringValue ?? "", clock: v["clock"]?.stringValue ?? "",
            createdBy: v["created_by"]?.stringValue ?? "", seed: v["seed"]?.numberValue.flatMap { UInt64($0.literal) }, version: version)
    }
}

/// One captured record.
public struct CaptureRecord: Sendable, Equatable {
    /// When the record reached the producer client / the log, on the receive clock (ms since the epoch).
    public var receiveTime: ProcessingTime
    /// The receive time in ns since the epoch when the source had sub-ms precision (hftbacktest: ns; cryptofeed: µs).
    public var receiveNanos: Int64?
    public var topic: String
    public var partition: Int32?
    public var key: [UInt8]?
    public var value: [UInt8]?
    public var headers: [RecordHeader]
    /// The exchange's own event time for the payload, when it has one (Binance `E`, else `T`; Coinbase `time`).
    public var eventTime: EventTime?
    /// The Kafka record timestamp (CreateTime or LogAppendTime) when the capture was recorded from a log.
    public var timestamp: EventTime?

    public init(receiveTime: ProcessingTime, receiveNanos: Int64? = nil, topic: String, partition: Int32? = nil, key: [UInt8]?, value: [UInt8]?,
                headers: [RecordHeader] = [], eventTime: EventTime? = nil, timestamp: EventTime? = nil) {
        self.receiveTime = receiveTime
        self.receiveNanos = receiveNanos
        self.topic = topic
        self.partition = partition
        self.key = key
        self.value = value
        self.headers = headers
        self.eventTime = eventTime
        self.timestamp = timestamp
    }

    /// The key as text (symbols are UTF-8 keys), or nil.
    public var keyText: String? { key.map { String(decoding: $0, as: UTF8.self) } }

    /// Appends the record's line (without the newline) to `out`. Member order is fixed, so equal records give equal
    /// bytes.
    public func writeLine(into out: inout [UInt8]) {
        out.append(contentsOf: "{\"recv\":".utf8)
        out.append(contentsOf: String(receiveTime.millisecondsSinceEpoch).utf8)
        if let ns = receiveNanos { out.append(contentsOf: ",\"recv_ns\":".utf8); out.append(contentsOf: String(ns).utf8) }
        out.append(contentsOf: ",\"topic\":".utf8)
        JSONWriter.writeString(topic, into: &out)
        if let p = partition { out.append(contentsOf: ",\"partition\":".utf8); out.append(contentsOf: String(p).utf8) }
        CaptureRecord.writeBytes("key", key, into: &out)
        CaptureRecord.writeBytes("value", value, into: &out)
        if let e = eventTime { out.append(contentsOf: ",\"event\":".utf8); out.append(contentsOf: String(e.millisecondsSinceEpoch).utf8) }
        if let t = timestamp { out.append(contentsOf: ",\"timestamp\":".utf8); out.append(contentsOf: String(t.millisecondsSinceEpoch).utf8) }
        if !headers.isEmpty {
            out.append(contentsOf: ",\"headers\":[".utf8)
            for (i, h) in headers.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                out.append(contentsOf: "{\"key\":".utf8)
                JSONWriter.writeString(h.key, into: &out)
                CaptureRecord.writeBytes("value", h.value, into: &out)
                out.append(UInt8(ascii: "}"))
            }
            out.append(UInt8(ascii: "]"))
        }
        out.append(UInt8(ascii: "}"))
    }

    public var jsonLine: String {
        var out: [UInt8] = []
        writeLine(into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Bytes as a JSON string when they are valid UTF-8 (all exchange payloads), else as `<name>_hex`.
    static func writeBytes(_ name: String, _ bytes: [UInt8]?, into out: inout [UInt8]) {
        out.append(UInt8(ascii: ","))
        guard let b = bytes else {
            JSONWriter.writeString(name, into: &out)
            out.append(contentsOf: ":null".utf8)
            return
        }
        if let s = String(validating: b, as: UTF8.self) {
            JSONWriter.writeString(name, into: &out)
            out.append(UInt8(ascii: ":"))
            JSONWriter.writeString(s, into: &out)
        } else {
            JSONWriter.writeString(name + "_hex", into: &out)
            out.append(UInt8(ascii: ":"))
            JSONWriter.writeString(hex(b), into: &out)
        }
    }

    static func hex(_ b: [UInt8]) -> String { SHA256.hex(b) }

    static func unhex(_ s: String) -> [UInt8]? {
        let u = Array(s.utf8)
        guard u.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(u.count / 2)
        func nib(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: return c - 0x30
            case 0x61...0x66: return c - 0x61 + 10
            case 0x41...0x46: return c - 0x41 + 10
            default: return nil
            }
        }
        var i = 0
        while i < u.count {
            guard let h = nib(u[i]), let l = nib(u[i + 1]) else { return nil }
            out.append(h << 4 | l)
            i += 2
        }
        return out
    }

    /// Parses one record line; `file`/`line` go into the error.
    static func parse(_ bytes: ArraySlice<UInt8>, file: String, line: Int) throws(CaptureError) -> CaptureRecord {
        let v: JSONValue
        do { v = try bytes.withUnsafeBufferPointer { (p) throws(JSONParseError) -> JSONValue in try JSONValue.parse(p) } } catch {
            throw CaptureError.badLine(file: file, line: line, reason: "\(error)")
        }
        func bad(_ reason: String) -> CaptureError { .badLine(file: file, line: line, reason: reason) }
        guard v.objectMembers != nil else { throw bad("a record must be a JSON object, found \(v.typeName)") }
        guard let recv = v["recv"]?.int64Value else { throw bad("missing or non-integer \"recv\" (receive time in ms)") }
        guard let topic = v["topic"]?.stringValue, !topic.isEmpty else { throw bad("missing or empty \"topic\"") }
        func optInt(_ k: String) throws(CaptureError) -> Int64? {
            guard let x = v[k], !x.isNull else { return nil }
            guard let i = x.int64Value else { throw bad("\"\(k)\" must be an integer, found \(x.typeName)") }
            return i
        }
        func bytesField(_ obj: JSONValue, _ k: String) throws(CaptureError) -> [UInt8]? {
            if let x = obj[k] {
                if x.isNull { return nil }
                guard let s = x.stringValue else { throw bad("\"\(k)\" must be a string or null, found \(x.typeName)") }
                return Array(s.utf8)
            }
            if let x = obj[k + "_hex"] {
                guard let s = x.stringValue, let b = unhex(s) else { throw bad("\"\(k)_hex\" must be a hex string") }
                return b
            }
            return nil
        }
        var headers: [RecordHeader] = []
        if let h = v["headers"], !h.isNull {
            guard let items = h.arrayValue else { throw bad("\"headers\" must be an array") }
            for item in items {
                guard let k = item["key"]?.stringValue else { throw bad("each header needs a string \"key\"") }
                headers.append(RecordHeader(key: k, value: try bytesField(item, "value")))
            }
        }
        let partition = try optInt("partition")
        if let p = partition, p < 0 || p > Int64(Int32.max) { throw bad("\"partition\" out of range: \(p)") }
        return CaptureRecord(
            receiveTime: ProcessingTime(recv), receiveNanos: try optInt("recv_ns"), topic: topic, partition: partition.map { Int32($0) },
            key: try bytesField(v, "key"), value: try bytesField(v, "value"), headers: headers,
            eventTime: try optInt("event").map { EventTime($0) }, timestamp: try optInt("timestamp").map { EventTime($0) })
    }
}

/// Reads a capture record by record, streaming (constant memory).
///
/// Errors name the file and 1-based line. Use `CaptureFile.validate` first when nothing may be consumed from a
/// damaged file (the replayer does).
public final class CaptureReader {
    public let path: String
    public let header: CaptureHeader
    private let lines: LineReader

    public init(path: String) throws(CaptureError) {
        self.path = path
        lines = try LineReader(path: path)
        guard let first = try lines.nextLine() else { throw CaptureError.missingHeader(file: path, reason: "the file is empty") }
        header = try CaptureHeader.parse(first, file: path)
    }

    /// The next record, or nil at the end. Blank lines are skipped.
    public func next() throws(CaptureError) -> CaptureRecord? {
        while let line = try lines.nextLine() {
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            return try CaptureRecord.parse(line, file: path, line: lines.lineNumber)
        }
        return nil
    }
}

/// Writes a capture: the header on creation, then records in order. Close it to finish the zstd frame and move the
/// file to its final name.
public final class CaptureWriter {
    public let path: String
    private let sink: ByteFileSink
    private var line: [UInt8] = []
    public private(set) var recordCount = 0

    public init(path: String, header: CaptureHeader) throws(CaptureError) {
        self.path = path
        sink = try ByteFileSink(path: path)
        try sink.write(Array((header.jsonLine + "\n").utf8))
    }

    public func write(_ record: CaptureRecord) throws(CaptureError) {
        line.removeAll(keepingCapacity: true)
        record.writeLine(into: &line)
        line.append(0x0A)
        try sink.write(line)
        recordCount += 1
    }

    public func close() throws(CaptureError) { try sink.close() }
}

/// Whole-file helpers.
public enum CaptureFile {
    /// Reads every record, or throws without returning anything: a damaged file is never half-loaded.
    public static func load(path: String) throws(CaptureError) -> (header: CaptureHeader, records: [CaptureRecord]) {
        let r = try CaptureReader(path: path)
        var out: [CaptureRecord] = []
        while let rec = try r.next() { out.append(rec) }
        return (r.header, out)
    }

    /// Reads the whole file once, checking every line, and returns the header and record count.
    @discardableResult
    public static func validate(path: String) throws(CaptureError) -> (header: CaptureHeader, count: Int) {
        let r = try CaptureReader(path: path)
        var n = 0
        while try r.next() != nil { n += 1 }
        return (r.header, n)
    }

    /// Writes records to a new capture.
    public static func write(path: String, header: CaptureHeader, records: some Sequence<CaptureRecord>) throws(CaptureError) {
        let w = try CaptureWriter(path: path, header: header)
        for r in records { try w.write(r) }
        try w.close()
    }
}
