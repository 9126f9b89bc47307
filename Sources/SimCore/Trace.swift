/// The kinds of observable event a simulation records. The raw value is the word used in the canonical text.
public enum TraceKind: String, Sendable, CaseIterable, Codable {
    // Log
    case produce, append, fetch, offsetCommit = "offset-commit", retention, roll, producerError = "producer-error"
    // Feeds
    case feed, malformed
    // Engines
    case batch, watermark, fire, late, checkpoint, crash, restart, recover, idle
    // Sinks and faults
    case sink, fault
    /// Free-form notes that still count toward the digest (scenario start, end of input).
    case note

    /// Per-record kinds, which a `.control` trace leaves out of the digest to keep long runs fast.
    public var isPerRecord: Bool {
        switch self {
        case .produce, .append, .fetch, .feed: return true
        default: return false
        }
    }
}

/// A value in a trace event, with one canonical text form.
public enum TraceValue: Sendable, Equatable, CustomStringConvertible {
    case int(Int64)
    case double(Double)
    case string(String)
    case bool(Bool)
    case null

    /// Canonical text: integers in decimal, doubles in Swift's shortest round-trip form (identical on every
    /// platform), `true`/`false`, `null`, and strings bare when they hold only `[A-Za-z0-9_.:/@+-]`, otherwise
    /// JSON-quoted.
    public var description: String {
        switch self {
        case .int(let v): return String(v)
        case .double(let v): return v.isFinite ? "\(v)" : (v.isNaN ? "nan" : (v > 0 ? "inf" : "-inf"))
        case .bool(let v): return v ? "true" : "false"
        case .null: return "null"
        case .string(let s): return TraceValue.canonicalString(s)
        }
    }

    static func canonicalString(_ s: String) -> String { isBare(s) ? s : JSONText.quote(s) }

    /// Whether a string is written bare (non-empty, only `[A-Za-z0-9_.:/@+-]`).
    @inline(__always)
    static func isBare(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy({ b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a)
                || b == 0x5f || b == 0x2e || b == 0x3a || b == 0x2f || b == 0x40 || b == 0x2b || b == 0x2d
        })
    }
}

extension TraceValue: ExpressibleByIntegerLiteral, ExpressibleByStringLiteral, ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral {
    public init(integerLiteral v: Int64) { self = .int(v) }
    public init(stringLiteral v: String) { self = .string(v) }
    public init(floatLiteral v: Double) { self = .double(v) }
    public init(booleanLiteral v: Bool) { self = .bool(v) }
    public static func int(_ v: Int) -> TraceValue { .int(Int64(v)) }
    public static func time(_ t: EventTime) -> TraceValue { .int(t.millisecondsSinceEpoch) }
    public static func time(_ t: ProcessingTime) -> TraceValue { .int(t.millisecondsSinceEpoch) }
    public static func optional(_ s: String?) -> TraceValue { s.map { .string($0) } ?? .null }
}

/// One observable event at one virtual instant.
public struct TraceEvent: Sendable, Equatable, CustomStringConvertible {
    public var time: ProcessingTime
    public var kind: TraceKind
    /// Which component produced it: `log`, `feed.gen`, `spark`, `flink`, `sink.sqlite`, `faults` …
    public var component: String
    /// Ordered key/value pairs; the order is part of the canonical form.
    public var fields: [(key: String, value: TraceValue)]

    public init(time: ProcessingTime, kind: TraceKind, component: String, fields: [(key: String, value: TraceValue)] = []) {
        self.time = time
        self.kind = kind
        self.component = component
        self.fields = fields
    }

    public subscript(key: String) -> TraceValue? { fields.first(where: { $0.key == key })?.value }

    /// The canonical one-line text: `<ms> <kind> <component> k=v k=v`, which the digest is computed over.
    public var canonicalLine: String {
        var s = String(time.millisecondsSinceEpoch)
        s += " "; s += kind.rawValue
        s += " "; s += component
        for (k, v) in fields { s += " "; s += k; s += "="; s += v.description }
        return s
    }

    public var description: String { canonicalLine }

    /// Appends the bytes of `canonicalLine` to `out` without building a String (the digest's hot path).
    public func appendCanonicalLine(into out: inout [UInt8]) {
        TraceValue.appendDecimal(time.millisecondsSinceEpoch, into: &out)
        out.append(0x20); out.append(contentsOf: kind.rawValue.utf8)
        out.append(0x20); out.append(contentsOf: component.utf8)
        for (k, v) in fields {
            out.append(0x20); out.append(contentsOf: k.utf8); out.append(0x3D)
            v.appendCanonical(into: &out)
        }
    }

    public static func == (a: TraceEvent, b: TraceEvent) -> Bool { a.canonicalLine == b.canonicalLine }
}

extension TraceValue {
    /// Appends the bytes of `description` to `out`.
    @inline(__always)
    func appendCanonical(into out: inout [UInt8]) {
        switch self {
        case .int(let v): TraceValue.appendDecimal(v, into: &out)
        case .string(let s):
            if TraceValue.isBare(s) { out.append(contentsOf: s.utf8) } else { out.append(contentsOf: JSONText.quote(s).utf8) }
        default: out.append(contentsOf: description.utf8)
        }
    }

    /// `String(v)`'s bytes.
    @inline(__always)
    static func appendDecimal(_ v: Int64, into out: inout [UInt8]) {
        if v < 0 { out.append(0x2D) }
        var m = v.magnitude
        if m < 10 { out.append(UInt8(48 + m)); return }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes ≥ 20 digits
        var n = 0
        withUnsafeMutableBytes(of: &digits) { buf in
            while m > 0 { buf[n] = UInt8(48 + m % 10); m /= 10; n += 1 }
            while n > 0 { n -= 1; out.append(buf[n]) }
        }
    }
}

/// The record of a run: every observable event in order, a running SHA-256 over their canonical lines (each
/// followed by `\n`), and observers for live views (`sim step`, reports, the results database).
///
/// Two runs of the same scenario with the same seed must produce byte-identical canonical text, and therefore the
/// same digest, in any process on any machine — the project's definition of determinism.
public final class Trace {
    /// How much a trace digests.
    public enum Detail: Sendable {
        /// Every event, including one per record produced, appended and fetched.
        case full
        /// Control events only (batches, watermarks, firings, late records, checkpoints, crashes, faults, sink
        /// writes): per-record log events are neither digested nor kept. For long runs.
        case control
    }

    /// How many canonical lines a trace keeps in memory (the digest always covers everything digested).
    public enum Retention: Sendable {
        case none
        case all
        case last(Int)
    }

    public let detail: Detail
    public let retention: Retention
    public private(set) var eventCount = 0
    private var hasher = SHA256()
    private var kept: [String] = []
    private var lineBuffer: [UInt8] = []
    private var observers: [(TraceEvent) -> Void] = []

    public init(detail: Detail = .full, retention: Retention = .none) {
        self.detail = detail
        self.retention = retention
    }

    /// Whether events of this kind are digested at the trace's detail level. Callers on hot paths can test this
    /// before building fields.
    @inline(__always) public func wants(_ kind: TraceKind) -> Bool {
        if case .control = detail, kind.isPerRecord { return observers.isEmpty ? false : true }
        return true
    }

    public func record(_ event: TraceEvent) {
        let digested: Bool
        if case .control = detail, event.kind.isPerRecord { digested = false } else { digested = true }
        if digested, case .none = retention {
            // The canonical line's bytes into one reused buffer, then the hasher: no String per event.
            lineBuffer.removeAll(keepingCapacity: true)
            event.appendCanonicalLine(into: &lineBuffer)
            lineBuffer.append(0x0A)
            hasher.update(lineBuffer)
            eventCount += 1
        } else if digested {
            let line = event.canonicalLine
            hasher.update(line)
            hasher.update(CollectionOfOne(UInt8(ascii: "\n")))
            eventCount += 1
            switch retention {
            case .none: break
            case .all: kept.append(line)
            case .last(let n):
                kept.append(line)
                if kept.count > 2 * n { kept.removeFirst(kept.count - n) }
            }
        }
        for o in observers { o(event) }
    }

    public func record(at time: ProcessingTime, _ kind: TraceKind, _ component: String, _ fields: [(key: String, value: TraceValue)] = []) {
        record(TraceEvent(time: time, kind: kind, component: component, fields: fields))
    }

    /// Registers an observer that sees every event, digested or not, in order.
    public func observe(_ observer: @escaping (TraceEvent) -> Void) { observers.append(observer) }

    /// Hex SHA-256 of the canonical text so far.
    public var digest: String { hasher.hexDigest() }

    /// The kept canonical lines (see `Retention`).
    public var lines: [String] {
        if case .last(let n) = retention, kept.count > n { return Array(kept.suffix(n)) }
        return kept
    }

    /// The first line where two traces' kept lines differ: (index, line in a, line in b), nil if equal.
    public static func firstDivergence(_ a: [String], _ b: [String]) -> (index: Int, a: String?, b: String?)? {
        let n = max(a.count, b.count)
        for i in 0..<n {
            let x = i < a.count ? a[i] : nil
            let y = i < b.count ? b[i] : nil
            if x != y { return (i, x, y) }
        }
        return nil
    }
}

/// JSON string quoting shared by the trace, captures and results files (RFC 8259 §7).
public enum JSONText {
    public static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
        return out
    }
}
