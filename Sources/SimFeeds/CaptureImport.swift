public import SimCore

// Converts real recorded market data into the capture format: hftbacktest's collector files
// (`<recv_ns> <raw Binance combined-stream JSON>`, gzip) and cryptofeed's raw-data files
// (`<recv_s.fraction>: <raw JSON>`, with `<url> <-> ts` / `<url> <- ts: …` control lines). Several files are
// merged by receive time, streaming, so the whole 11-minute recording never sits in memory.

/// The raw recording formats the importer understands.
public enum RawCaptureFormat: String, Sendable, CaseIterable {
    case hftbacktest
    case cryptofeed

    /// By name: `*.gz` files are hftbacktest, `*.ws.*` files cryptofeed.
    public static func detect(_ path: String) -> RawCaptureFormat? {
        if path.hasSuffix(".gz") { return .hftbacktest }
        let name = path.split(separator: "/").last.map(String.init) ?? path
        if name.contains(".ws.") { return .cryptofeed }
        return nil
    }
}

/// Which records to keep.
public struct CaptureImportFilter: Sendable {
    /// Keep only these topics (nil = all).
    public var topics: [String]?
    /// Keep only these keys/symbols (nil = all).
    public var keys: [String]?
    /// Keep only records with an exchange event time in [from, to) (records without one are kept only if both are nil).
    public var eventFrom: EventTime?
    public var eventTo: EventTime?

    public init(topics: [String]? = nil, keys: [String]? = nil, eventFrom: EventTime? = nil, eventTo: EventTime? = nil) {
        self.topics = topics
        self.keys = keys
        self.eventFrom = eventFrom
        self.eventTo = eventTo
    }

    func accepts(_ r: CaptureRecord) -> Bool {
        if let t = topics, !t.contains(r.topic) { return false }
        if let k = keys, !k.contains(r.keyText ?? "") { return false }
        if eventFrom != nil || eventTo != nil {
            guard let e = r.eventTime else { return false }
            if let f = eventFrom, e < f { return false }
            if let t = eventTo, e >= t { return false }
        }
        return true
    }
}

/// Counts from one import.
public struct CaptureImportSummary: Sendable, CustomStringConvertible {
    public var linesRead = 0
    public var written = 0
    public var filteredOut = 0
    /// Control lines (connect/subscribe) and lines without a stream, such as the REST depth snapshot.
    public var skipped = 0
    public var description: String { "read \(linesRead) lines, wrote \(written) records, filtered out \(filteredOut), skipped \(skipped) control/snapshot lines" }
}

/// One source file, read line by line and turned into capture records.
final class RawCaptureSource {
    let path: String
    let format: RawCaptureFormat
    private let lines: LineReader
    var skipped = 0
    var linesRead = 0

    init(path: String, format: RawCaptureFormat) throws(CaptureError) {
        self.path = path
        self.format = format
        lines = try LineReader(path: path)
    }

    /// The next data record, skipping control lines.
    func next() throws(CaptureError) -> CaptureRecord? {
        while let line = try lines.nextLine() {
            linesRead += 1
            if line.isEmpty { continue }
            let n = lines.lineNumber
            switch format {
            case .hftbacktest:
                guard let space = line.firstIndex(of: 0x20), let ns = Int64(String(decoding: line[line.startIndex..<space], as: UTF8.self)) else {
                    throw CaptureError.badLine(file: path, line: n, reason: "expected \"<receive_ns> <json>\"")
                }
                if let r = try RawCaptureSource.record(json: line[(space + 1)...], receiveNanos: ns, file: path, line: n) { return r }
                skipped += 1
            case .cryptofeed:
                // Control lines start with the websocket URL.
                if line.starts(with: Array("wss://".utf8)) || line.starts(with: Array("https://".utf8)) { skipped += 1; continue }
                guard let colon = line.firstIndex(of: UInt8(ascii: ":")), let ns = RawCaptureSource.nanos(fromSeconds: line[line.startIndex..<colon]) else {
                    throw CaptureError.badLine(file: path, line: n, reason: "expected \"<receive_seconds>: <json>\"")
                }
                if let r = try RawCaptureSource.record(json: line[(colon + 1)...], receiveNanos: ns, file: path, line: n) { return r }
                skipped += 1
            }
        }
        return nil
    }

    /// `1618677817.079694` → ns, exactly (decimal digits, no floating point).
    static func nanos(fromSeconds text: ArraySlice<UInt8>) -> Int64? {
        let s = String(decoding: text, as: UTF8.self)
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let secs = Int64(parts[0]) else { return nil }
        var frac = parts.count == 2 ? String(parts[1]) : ""
        guard frac.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        if frac.count > 9 { frac = String(frac.prefix(9)) }
        frac += String(repeating: "0", count: 9 - frac.count)
        return secs * 1_000_000_000 + (Int64(frac) ?? 0)
    }

    /// Maps one exchange message to a topic and key. Returns nil for messages that are not part of a stream.
    static func record(json: ArraySlice<UInt8>, receiveNanos ns: Int64, file: String, line: Int) throws(CaptureError) -> CaptureRecord? {
        let v: JSONValue
        do { v = try json.withUnsafeBufferPointer { (p) throws(JSONParseError) -> JSONValue in try JSONValue.parse(p) } } catch {
            throw CaptureError.badLine(file: file, line: line, reason: "\(error)")
        }
        let recv = ProcessingTime(floorDiv(ns, 1_000_000))
        // Binance combined stream: {"stream":"btcusdt@depth@100ms","data":{…}} → binance.depth, value = data.
        if let stream = v["stream"]?.stringValue, let data = v["data"] {
            let parts = stream.split(separator: "@")
            guard parts.count >= 2 else { return nil }
            let kind = String(parts[1])
            let symbol = data["s"]?.stringValue ?? parts[0].uppercased()
            return CaptureRecord(receiveTime: recv, receiveNanos: ns, topic: "binance." + kind, key: Array(symbol.utf8), value: Array(data.compactText.utf8),
                                 eventTime: PayloadEventTime.extract(data))
        }
        // Coinbase Exchange websocket: {"type":"ticker","product_id":…,"time":…} → coinbase.ticker, key = product.
        if let type = v["type"]?.stringValue, let product = v["product_id"]?.stringValue {
            return CaptureRecord(receiveTime: recv, receiveNanos: ns, topic: "coinbase." + type, key: Array(product.utf8), value: Array(v.compactText.utf8),
                                 eventTime: PayloadEventTime.extract(v, field: .time))
        }
        return nil  // subscriptions acknowledgements, REST snapshots
    }
}

/// Converts raw recordings into one capture.
public enum CaptureImporter {
    /// Merges `inputs` by receive time (ties: the earlier-listed file first) into `output`.
    public static func importFiles(_ inputs: [String], format: RawCaptureFormat? = nil, filter: CaptureImportFilter = .init(),
                                   to output: String, source: String, clock: String) throws(CaptureError) -> CaptureImportSummary {
        var sources: [RawCaptureSource] = []
        for p in inputs {
            guard let f = format ?? RawCaptureFormat.detect(p) else {
                throw CaptureError.io(file: p, operation: "import", reason: "cannot tell the format from the name; pass --format hftbacktest|cryptofeed")
            }
            sources.append(try RawCaptureSource(path: p, format: f))
        }
        var heads: [CaptureRecord?] = []
        for s in sources { heads.append(try s.next()) }
        let writer = try CaptureWriter(path: output, header: CaptureHeader(source: source, clock: clock, createdBy: "streamsim capture import"))
        var summary = CaptureImportSummary()
        while true {
            var best: Int? = nil
            for (i, h) in heads.enumerated() {
                guard let h else { continue }
                if let b = best, let hb = heads[b], (hb.receiveNanos ?? 0) <= (h.receiveNanos ?? 0) { continue }
                best = i
            }
            guard let i = best, let r = heads[i] else { break }
            if filter.accepts(r) { try writer.write(r); summary.written += 1 } else { summary.filteredOut += 1 }
            heads[i] = try sources[i].next()
        }
        try writer.close()
        for s in sources { summary.linesRead += s.linesRead; summary.skipped += s.skipped }
        return summary
    }
}
