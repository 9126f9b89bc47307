public import SimCore

/// A conformance case (`fixtures/conformance/flink/<case>/case.json`, written by `tools/conformance/flink/`).
public struct FlinkConformanceCase: Sendable {
    public struct Aggregate: Sendable, Equatable {
        public var function: PaneAggregateKind
        public var column: String
        public var name: String
    }
    public enum Strategy: String, Sendable { case boundedOutOfOrderness = "bounded_out_of_orderness", monotonous, sqlInterval = "sql_interval" }
    public enum Window: Sendable, Equatable {
        case tumbling(size: Int64, offset: Int64)
        case sliding(size: Int64, slide: Int64, offset: Int64)
        case session(gap: Int64)
    }

    public var name: String
    /// `datastream` or `sql`.
    public var api: String
    /// `window` (default) or `raw_filter` (the seed job).
    public var job: String
    public var splits: Int
    public var strategy: Strategy
    public var delayMs: Int64
    public var idlenessMs: Int64?
    public var idlenessProbeIntervalMs: Int64
    public var window: Window?
    public var allowedLatenessMs: Int64
    public var sideOutput: Bool
    public var aggregates: [Aggregate]

    public init(json: JSONValue) throws(FlinkError) {
        func str(_ v: JSONValue?, _ what: String) throws(FlinkError) -> String {
            guard let s = v?.stringValue else { throw .malformedInput("case.json: \(what) must be a string") }
            return s
        }
        name = json["name"]?.stringValue ?? "?"
        api = json["api"]?.stringValue ?? "datastream"
        job = json["job"]?.stringValue ?? "window"
        splits = Int(json["splits"]?.int64Value ?? 1)
        let wm = json["watermark"]
        let strategyName = (try? str(wm?["strategy"], "watermark.strategy")) ?? "bounded_out_of_orderness"
        guard let s = Strategy(rawValue: strategyName) else { throw .unsupportedCase("watermark strategy \(strategyName)") }
        strategy = s
        delayMs = wm?["delay_ms"]?.int64Value ?? 0
        if let e = wm?["emission"]?.stringValue, e != "per_record" { throw .unsupportedCase("watermark emission \(e)") }
        idlenessMs = json["idleness_ms"]?.int64Value
        idlenessProbeIntervalMs = json["idleness_probe_interval_ms"]?.int64Value ?? 200
        if let w = json["window"], !w.isNull {
            let type = try str(w["type"], "window.type")
            let offset = w["offset_ms"]?.int64Value ?? 0
            switch type {
            case "tumbling": window = .tumbling(size: w["size_ms"]?.int64Value ?? 0, offset: offset)
            case "sliding": window = .sliding(size: w["size_ms"]?.int64Value ?? 0, slide: w["slide_ms"]?.int64Value ?? 0, offset: offset)
            case "session": window = .session(gap: w["gap_ms"]?.int64Value ?? 0)
            default: throw .unsupportedCase("window type \(type)")
            }
        } else {
            window = nil
        }
        allowedLatenessMs = json["allowed_lateness_ms"]?.int64Value ?? 0
        sideOutput = json["side_output"]?.boolValue ?? false
        var aggs: [Aggregate] = []
        for a in json["aggregates"]?.arrayValue ?? [] {
            let fn = try str(a["fn"], "aggregates.fn")
            guard let k = PaneAggregateKind(rawValue: fn) else { throw .unsupportedCase("aggregate \(fn)") }
            aggs.append(Aggregate(function: k, column: try str(a["column"], "aggregates.column"), name: try str(a["as"], "aggregates.as")))
        }
        aggregates = aggs
    }
}

/// One tape line: `{"seq","arrival_ms","partition","key","value":"<raw JSON>"}`.
public struct TapeRecord: Sendable {
    public var seq: Int64
    public var arrivalMs: Int64
    public var partition: Int
    public var key: String?
    public var value: String
    /// The whole tape line as parsed (the recorder echoes it in `late` / `dropped` lines).
    public var line: JSONValue
    /// The parsed value, nil when it is not a JSON object.
    public var payload: JSONValue?
    public var symbol: String?
    public var eventTime: Int64?
    public var price: Double?
    public var qty: Double?

    public init(line: JSONValue) throws(FlinkError) {
        guard let seq = line["seq"]?.int64Value, let arrival = line["arrival_ms"]?.int64Value, let value = line["value"]?.stringValue else {
            throw .malformedInput("tape line needs seq, arrival_ms and value: \(line.compactText.prefix(200))")
        }
        self.seq = seq
        self.arrivalMs = arrival
        self.partition = Int(line["partition"]?.int64Value ?? 0)
        self.key = line["key"]?.stringValue
        self.value = value
        self.line = line
        let v = try? JSONValue.parse(value)
        payload = v
        symbol = v?["symbol"]?.stringValue
        eventTime = v?["event_time"]?.int64Value ?? v?["event_time"]?.doubleValue.map { Int64($0) }
        price = v?["price"]?.doubleValue
        qty = v?["qty"]?.doubleValue
    }

    /// The numeric column a case's aggregate names (`price`, `qty`).
    public func column(_ name: String) -> Double? {
        switch name {
        case "price": return price
        case "qty": return qty
        default: return payload?[name]?.doubleValue
        }
    }

    /// Reads a tape file's lines and sorts them into replay order, `(arrival_ms, seq)`.
    public static func parseTape(_ text: String) throws(FlinkError) -> [TapeRecord] {
        var out: [TapeRecord] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) where !line.allSatisfy({ $0 == " " }) {
            let v: JSONValue
            do { v = try JSONValue.parse(String(line)) } catch { throw .malformedInput("tape: \(error)") }
            out.append(try TapeRecord(line: v))
        }
        out.sort { $0.arrivalMs != $1.arrivalMs ? $0.arrivalMs < $1.arrivalMs : $0.seq < $1.seq }
        return out
    }
}
