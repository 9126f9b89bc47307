#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SimCore
public import SimLog

// The benchmark suite's shared parts (not used by simulations or timed in tests): the benchmark clock, peak-memory
// readings, the synthetic "day tape" every engine benchmark reads, and the decode-only floor.
//
// THE ONE PLACE IN QueryModel THAT READS A REAL CLOCK: `BenchClock` reads `clock_gettime(CLOCK_MONOTONIC)` to time
// benchmark loops. Nothing it measures feeds back into a simulation.

/// Monotonic wall-clock seconds and process memory, for benchmarks only.
public enum BenchClock {
    public static func seconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// `VmHWM` (peak resident set) from /proc/self/status, in MiB; 0 where unavailable.
    public static func peakRSSMiB() -> Double { procStatus("VmHWM:") }
    /// `VmRSS` (current resident set), in MiB.
    public static func currentRSSMiB() -> Double { procStatus("VmRSS:") }

    static func procStatus(_ key: String) -> Double {
        guard let f = fopen("/proc/self/status", "r") else { return 0 }
        defer { fclose(f) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), f) != nil {
            let s = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if s.hasPrefix(key) {
                let digits = s.dropFirst(key.count).filter { $0.isNumber }
                return (Double(String(digits)) ?? 0) / 1024  // kB → MiB
            }
        }
        return 0
    }

    /// Resets the peak-RSS mark (`echo 5 > /proc/self/clear_refs`), so a later `peakRSSMiB` covers what follows.
    /// Returns false where the kernel does not allow it.
    @discardableResult
    public static func resetPeakRSS() -> Bool {
        guard let f = fopen("/proc/self/clear_refs", "w") else { return false }
        defer { fclose(f) }
        return fputs("5", f) >= 0
    }
}

/// The benchmark tape: a day of trades for a few symbols as compact JSON lines of ~80 bytes, e.g.
/// `{"s":"BTCUSDT","T":1723161600000,"p":61837.63,"q":0.00215,"t":1000000000,"m":false}`, 50 records per
/// virtual second (4.32 M records a day). Record `i` is a pure function of `(seed, i)`: symbol `i mod symbols`,
/// event time `start + i·20 ms` minus a jitter of up to 1.5 s (out of order, never beyond a 10 s watermark), price a
/// bounded walk around the symbol's base. Deterministic, allocation-free to produce, and streamable: nothing holds
/// the whole tape.
public struct DayTape: Sendable {
    public var records: Int
    public var symbols: Int
    public var seed: UInt64
    /// Event time of record 0 (2024-08-09T00:00:00Z).
    public var startMs: Int64 = 1_723_161_600_000
    /// Event-time spacing: 20 ms = 50 records per second.
    public var intervalMs: Int64 = 20

    public static let dayRecords = 4_320_000
    public static let topic = "ticks"

    public init(records: Int = DayTape.dayRecords, symbols: Int = 5, seed: UInt64 = 42) {
        self.records = records
        self.symbols = max(1, symbols)
        self.seed = seed
    }

    static let names = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT", "XRPUSDT"]
    static let basePrices: [Int64] = [6_183_763, 268_135, 15_012, 56_040, 5_512]

    /// The symbol of record `i`'s key: the five majors, then `S00005`, `S00006`, … for larger key counts.
    public func symbol(_ k: Int) -> String {
        if k < DayTape.names.count { return DayTape.names[k] }
        var s = String(k)
        while s.count < 5 { s = "0" + s }
        return "S" + s
    }

    /// The key bytes of each symbol (shared by every record of that symbol).
    public func keyBytes() -> [[UInt8]] { (0..<symbols).map { Array(symbol($0).utf8) } }

    @inline(__always) func mix(_ i: Int) -> UInt64 {
        var z = seed &+ UInt64(truncatingIfNeeded: i) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inline(__always) public func symbolIndex(_ i: Int) -> Int { i % symbols }

    /// Event time (and Kafka CreateTime) of record `i`.
    @inline(__always) public func eventTimeMs(_ i: Int) -> Int64 {
        startMs &+ Int64(i) &* intervalMs &- Int64(mix(i) % 1_500)
    }

    /// Appends record `i`'s JSON line (without the newline) to `out`.
    public func writeValue(_ i: Int, into out: inout [UInt8]) {
        let k = symbolIndex(i)
        let h = mix(i)
        let base = k < DayTape.basePrices.count ? DayTape.basePrices[k] : 10_000 + Int64(k % 97) * 1_000
        // A walk bounded to ±2 % of the base, in cents: a slow triangle wave over the day plus per-record noise.
        let phase = Int64((i / symbols) % 20_000)
        let wave = (phase < 10_000 ? phase : 20_000 - phase) - 5_000
        let cents = base + base / 50 * wave / 5_000 + Int64(h >> 40 & 0xff) - 128
        out.append(contentsOf: #"{"s":""#.utf8)
        if k < DayTape.names.count { out.append(contentsOf: DayTape.names[k].utf8) } else { out.append(contentsOf: symbol(k).utf8) }
        out.append(contentsOf: #"","T":"#.utf8)
        DayTape.appendInt(eventTimeMs(i), into: &out)
        out.append(contentsOf: #","p":"#.utf8)
        DayTape.appendFixed(max(1, cents), decimals: 2, into: &out)
        out.append(contentsOf: #","q":"#.utf8)
        DayTape.appendFixed(Int64(h % 99_999) + 1, decimals: 5, into: &out)
        out.append(contentsOf: #","t":"#.utf8)
        DayTape.appendInt(1_000_000_000 + Int64(i), into: &out)
        out.append(contentsOf: (h & 1 == 0 ? #","m":false}"# : #","m":true}"#).utf8)
    }

    static func appendInt(_ v: Int64, into out: inout [UInt8]) {
        if v < 0 { out.append(0x2d) }
        var m = v.magnitude
        var tmp: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                  UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &tmp) { buf in
            repeat { buf[n] = UInt8(48 + m % 10); m /= 10; n += 1 } while m > 0
            while n > 0 { n -= 1; out.append(buf[n]) }
        }
    }

    static func appendFixed(_ units: Int64, decimals: Int, into out: inout [UInt8]) {
        var p: Int64 = 1
        for _ in 0..<decimals { p *= 10 }
        appendInt(units / p, into: &out)
        out.append(0x2e)
        var frac = units % p
        var digits = [UInt8](repeating: 0x30, count: decimals)
        var j = decimals - 1
        while j >= 0 { digits[j] = UInt8(48 + frac % 10); frac /= 10; j -= 1 }
        out.append(contentsOf: digits)
    }

    /// The schema the benchmark queries read (`t` and `m` are skipped by from_json).
    public static var schema: Schema { Schema([Field("s", .string), Field("T", .long), Field("p", .double), Field("q", .double)]) }

    /// The reference query: 1-minute tumbling OHLC per symbol with a 10 s watermark (`late-data.yaml`'s shape).
    public static func ohlcQuery(topic: String = DayTape.topic, windowMs: Int64 = 60_000, maxOffsetsPerTrigger: Int64? = 100_000) -> StreamingQuery {
        StreamingQuery(
            name: "ohlc", source: KafkaSourceSpec(topic: topic, startingOffsets: .earliest, maxOffsetsPerTrigger: maxOffsetsPerTrigger),
            valueFormat: .json(schema),
            derivedColumns: [DerivedColumn("symbol", .column("s")), DerivedColumn("ts", .timestampMillis(.column("T")))],
            watermark: WatermarkSpec(column: "ts", delayMs: 10_000),
            aggregation: AggregationSpec(window: .tumbling(sizeMs: windowMs), timeColumn: "ts", groupBy: ["symbol"], aggregates: [
                AggregateSpec(.count, "*", as: "trades"), AggregateSpec(.first, "p", as: "open"), AggregateSpec(.max, "p", as: "high"),
                AggregateSpec(.min, "p", as: "low"), AggregateSpec(.last, "p", as: "close"), AggregateSpec(.sum, "q", as: "volume")]),
            outputMode: .append)
    }

    /// The tape as a file of JSON lines (`/tmp/streamsim-tape-<records>-<symbols>-<seed>.jsonl`), written once and
    /// reused. Returns the path, or nil if it cannot be written.
    public func file(directory: String = "/tmp") -> String? {
        let path = "\(directory)/streamsim-tape-\(records)-\(symbols)-\(seed).jsonl"
        if let f = fopen(path, "rb") {
            fseek(f, 0, SEEK_END)
            let size = ftell(f)
            fclose(f)
            if size > Int(records) * 40 { return path }
        }
        let partial = path + ".partial"
        guard let f = fopen(partial, "wb") else { return nil }
        var buf: [UInt8] = []
        buf.reserveCapacity(1 << 20 + 256)
        for i in 0..<records {
            writeValue(i, into: &buf)
            buf.append(0x0a)
            if buf.count >= 1 << 20 { _ = fwrite(buf, 1, buf.count, f); buf.removeAll(keepingCapacity: true) }
        }
        if !buf.isEmpty { _ = fwrite(buf, 1, buf.count, f) }
        fclose(f)
        return rename(partial, path) == 0 ? path : nil
    }
}

/// Reads a tape file front to back in 1 MiB chunks and hands out one line at a time (memory: one chunk).
public final class TapeReader {
    let file: UnsafeMutablePointer<FILE>
    var buffer: [UInt8]
    var start = 0
    var end = 0
    var eof = false
    /// Lines handed out so far (the next line's index in the tape).
    public private(set) var index = 0

    public init?(path: String, chunkSize: Int = 1 << 20) {
        guard let f = fopen(path, "rb") else { return nil }
        file = f
        buffer = [UInt8](repeating: 0, count: chunkSize)
    }

    deinit { fclose(file) }

    /// Calls `body` with the next line's bytes (without the newline); false at the end of the file.
    @inline(__always)
    public func nextLine<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R? {
        while true {
            let found: Int? = buffer.withUnsafeBufferPointer { b in
                guard start < end, let p = memchr(b.baseAddress! + start, 0x0a, end - start) else { return nil }
                return b.baseAddress!.distance(to: p.assumingMemoryBound(to: UInt8.self))
            }
            if let nl = found {
                let s = start
                start = nl + 1
                index += 1
                return buffer.withUnsafeBufferPointer { b in body(UnsafeBufferPointer(rebasing: b[s..<nl])) }
            }
            if eof {
                guard start < end else { return nil }
                let s = start, e = end
                start = end
                index += 1
                return buffer.withUnsafeBufferPointer { b in body(UnsafeBufferPointer(rebasing: b[s..<e])) }
            }
            refill()
        }
    }

    func refill() {
        if start > 0 {
            let n = end - start
            buffer.withUnsafeMutableBufferPointer { b in
                if n > 0 { memmove(b.baseAddress!, b.baseAddress! + start, n) }
            }
            start = 0
            end = n
        }
        if end == buffer.count { buffer.append(contentsOf: [UInt8](repeating: 0, count: buffer.count)) }  // a line longer than a chunk
        let got = buffer.withUnsafeMutableBufferPointer { b in fread(b.baseAddress! + end, 1, b.count - end, file) }
        if got == 0 { eof = true }
        end += got
    }

    /// The next line as a Kafka record of the tape (offset = line index, CreateTime = the tape's event time, key =
    /// the symbol), or nil at the end.
    public func nextRecord(tape: DayTape, keys: [[UInt8]]) -> Record? {
        let i = index
        guard let value = nextLine({ Array($0) }) else { return nil }
        return Record(offset: Int64(i), timestamp: EventTime(tape.eventTimeMs(i)), key: keys[tape.symbolIndex(i)], value: value)
    }
}

/// The decode-only floor: the day tape read and its four fields decoded, nothing else.
public enum DecodeFloor {
    public struct Result: Sendable {
        public var records: Int
        public var bytes: Int
        public var seconds: Double
        /// A sum over every decoded field, so no decoding can be optimised away (and runs can be compared).
        public var checksum: Double
        public var recordsPerSecond: Double { Double(records) / max(seconds, 1e-9) }
        public var megabytesPerSecond: Double { Double(bytes) / 1_048_576 / max(seconds, 1e-9) }
    }

    /// A tight hand-written scanner over the bytes: `s` as a byte range (hashed), `T` as an integer, `p` and `q` as
    /// correctly rounded doubles (Clinger's fast path, else `strtod`) — the same work as the C `strtod` scan.
    public static func handScanner(path: String) -> Result? {
        guard let reader = TapeReader(path: path) else { return nil }
        var sum = 0.0
        var bytes = 0
        var n = 0
        let t0 = BenchClock.seconds()
        while let v = reader.nextLine({ line -> Double in
            bytes += line.count + 1
            return scanLine(line)
        }) {
            sum += v
            n += 1
        }
        return Result(records: n, bytes: bytes, seconds: BenchClock.seconds() - t0, checksum: sum)
    }

    /// QueryModel's `from_json` (Spark PERMISSIVE) over each line into one reused row.
    public static func fromJSON(path: String) -> Result? {
        guard let reader = TapeReader(path: path) else { return nil }
        let decoder = FromJSONDecoder(schema: DayTape.schema)
        var row = [Value](repeating: .null, count: DayTape.schema.count)
        var sum = 0.0
        var bytes = 0
        var n = 0
        let t0 = BenchClock.seconds()
        while reader.nextLine({ line -> Bool in
            bytes += line.count + 1
            return decoder.decode(line, into: &row) == .parsed
        }) != nil {
            if case .double(let p) = row[2] { sum += p }
            if case .long(let t) = row[1] { sum += Double(t & 0xff) }
            n += 1
        }
        return Result(records: n, bytes: bytes, seconds: BenchClock.seconds() - t0, checksum: sum)
    }

    /// Reading only (lines found, nothing decoded): the cost of the file itself.
    public static func readOnly(path: String) -> Result? {
        guard let reader = TapeReader(path: path) else { return nil }
        var bytes = 0
        var n = 0
        let t0 = BenchClock.seconds()
        while reader.nextLine({ line in bytes += line.count + 1 }) != nil { n += 1 }
        return Result(records: n, bytes: bytes, seconds: BenchClock.seconds() - t0, checksum: Double(bytes))
    }

    @inline(__always)
    static func scanLine(_ b: UnsafeBufferPointer<UInt8>) -> Double {
        var i = 0
        let n = b.count
        var acc = 0.0
        while i < n {
            // Find the next key: `"x":`
            guard b[i] == 0x22, i + 3 < n, b[i + 2] == 0x22, b[i + 3] == 0x3a else { i += 1; continue }
            let key = b[i + 1]
            i += 4
            switch key {
            case 0x73:  // s: string
                i += 1
                var h: UInt64 = 14_695_981_039_346_656_037
                while i < n, b[i] != 0x22 { h = (h ^ UInt64(b[i])) &* 1_099_511_628_211; i += 1 }
                acc += Double(h & 0xff)
                i += 1
            case 0x54:  // T: integer
                var v: Int64 = 0
                while i < n, b[i] >= 0x30, b[i] <= 0x39 { v = v &* 10 &+ Int64(b[i] &- 0x30); i += 1 }
                acc += Double(v & 0xff)
            case 0x70, 0x71:  // p, q: doubles
                let s = i
                while i < n, b[i] != 0x2c, b[i] != 0x7d { i += 1 }
                acc += parseDouble(b, s, i)
            default:
                while i < n, b[i] != 0x2c, b[i] != 0x7d { i += 1 }
            }
        }
        return acc
    }

    static let powers: [Double] = (0...22).map { k in var p = 1.0; for _ in 0..<k { p *= 10 }; return p }

    @inline(__always)
    static func parseDouble(_ b: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> Double {
        var i = s
        var m: UInt64 = 0
        var digits = 0
        var exp = 0
        while i < e, b[i] >= 0x30, b[i] <= 0x39 { m = m &* 10 &+ UInt64(b[i] &- 0x30); digits += 1; i += 1 }
        if i < e, b[i] == 0x2e {
            i += 1
            while i < e, b[i] >= 0x30, b[i] <= 0x39 { m = m &* 10 &+ UInt64(b[i] &- 0x30); digits += 1; exp -= 1; i += 1 }
        }
        if i == e, digits <= 15, exp >= -22 { return Double(m) / powers[-exp] }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: e - s + 1) { t in
            for k in 0..<(e - s) { t[k] = CChar(bitPattern: b[s + k]) }
            t[e - s] = 0
            return strtod(t.baseAddress!, nil)
        }
    }
}
