public import SimCore

// Message bodies exactly as the seed producers put them on the wire. Both seeds serialise with kafka-python's
// `value_serializer=lambda v: json.dumps(v).encode('utf-8')` (read at the commits in the research note §A), so
// values use Python's default separators `", "` and `": "`, Python's float `repr`, `null` for None, and keys in the
// dict literal's order. The trade stream forwards Binance's own compact JSON unchanged.

/// A value in a payload, typed as the producer's JSON would type it.
public enum PayloadValue: Sendable, Hashable {
    case int(Int64)
    /// A Python float, written with `repr` (see `PythonFloat`).
    case float(Double)
    case string(String)
    case bool(Bool)
    case null
}

/// How a payload object is laid out.
public enum PayloadStyle: Sendable {
    /// Python `json.dumps` defaults: `{"a": 1, "b": "x"}`.
    case pythonJSONDumps
    /// Compact, as exchanges send it: `{"a":1,"b":"x"}`.
    case compact
}

/// An ordered JSON object under construction.
public struct PayloadObject: Sendable, Hashable {
    public var members: [PayloadMember]
    public init(_ members: [PayloadMember]) { self.members = members }

    public func bytes(_ style: PayloadStyle) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        out.append(UInt8(ascii: "{"))
        let python = style == .pythonJSONDumps
        for (i, m) in members.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")); if python { out.append(0x20) } }
            JSONWriter.writeString(m.key, into: &out)
            out.append(UInt8(ascii: ":"))
            if python { out.append(0x20) }
            switch m.value {
            case .int(let v): out.append(contentsOf: String(v).utf8)
            case .float(let v): out.append(contentsOf: PythonFloat.repr(v).utf8)
            case .string(let s): JSONWriter.writeString(s, into: &out)
            case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
            case .null: out.append(contentsOf: "null".utf8)
            }
        }
        out.append(UInt8(ascii: "}"))
        return out
    }
}

public struct PayloadMember: Sendable, Hashable {
    public var key: String
    public var value: PayloadValue
    public init(_ key: String, _ value: PayloadValue) {
        self.key = key
        self.value = value
    }
}

/// Fixed-point decimals as the exchanges print them, and the Python floats parsed from those strings.
public enum DecimalText {
    /// `units` × 10^-decimals as text with at least `minimumDecimals` places: (6183763, 2, 8) → `61837.63000000`.
    public static func fixed(_ units: Int64, decimals: Int, minimumDecimals: Int = 0) -> String {
        let neg = units < 0
        var digits = String(units.magnitude)
        let places = max(decimals, minimumDecimals)
        if decimals > 0 {
            while digits.count <= decimals { digits = "0" + digits }
            let cut = digits.index(digits.endIndex, offsetBy: -decimals)
            digits = digits[..<cut] + "." + digits[cut...]
        }
        if places > decimals { digits += (decimals == 0 ? "." : "") + String(repeating: "0", count: places - decimals) }
        return neg ? "-" + digits : digits
    }

    /// Python `float("61837.63000000")`: the double nearest the decimal (correctly rounded both in CPython and in
    /// Swift's `Double(String)`).
    public static func pythonFloat(_ units: Int64, decimals: Int) -> Double {
        Double(fixed(units, decimals: decimals)) ?? .nan
    }
}

/// Python's `datetime.now().isoformat()` for a naive local time: `2024-08-09T07:00:01.271000`, and without the
/// fraction when the microseconds are zero (CPython `datetime.isoformat`, timespec `auto`). The simulated clock has
/// millisecond resolution, so the last three digits are always `000`.
public enum NaiveLocalTimestamp {
    public static func isoformat(utcMilliseconds ms: Int64, utcOffset: SimDuration) -> String {
        let local = ms + utcOffset.milliseconds
        let iso = UTCTimestamp.iso8601(local)  // 2024-08-09T07:00:01.271Z
        let base = String(iso.prefix(19))
        let millis = floorMod(local, 1000)
        if millis == 0 { return base }
        return base + "." + String(iso.dropFirst(20).prefix(3)) + "000"
    }
}

/// The three message shapes.
public enum SeedPayloads {
    /// The week6 producer's message (`fetch_ticker_data` in `week6_streaming/websocket_producer.py`): the REST
    /// 24 h ticker's fields, every amount a rolling 24 h figure, `event_time` the window's `closeTime`.
    public static func week6Ticker(symbol: String, model: SymbolModel, ticker t: RollingTicker, localTimestamp: String) -> PayloadObject {
        let d = model.priceDecimals
        let change = t.lastPrice - t.open
        // Binance prints priceChangePercent with 3 decimals.
        let pct = t.open == 0 ? 0 : Double(change) / Double(t.open) * 100
        let pctUnits = Int64((pct * 1000).rounded(.toNearestOrAwayFromZero))
        return PayloadObject([
            PayloadMember("symbol", .string(symbol)),
            PayloadMember("event_time", .int(t.closeTime)),
            PayloadMember("price", .float(DecimalText.pythonFloat(t.lastPrice, decimals: d))),
            PayloadMember("open", .float(DecimalText.pythonFloat(t.open, decimals: d))),
            PayloadMember("high", .float(DecimalText.pythonFloat(t.high, decimals: d))),
            PayloadMember("low", .float(DecimalText.pythonFloat(t.low, decimals: d))),
            PayloadMember("volume", .float(DecimalText.pythonFloat(t.volume, decimals: 8))),
            PayloadMember("quote_volume", .float(DecimalText.pythonFloat(t.quoteVolume, decimals: 8))),
            PayloadMember("number_trades", .int(t.count)),
            PayloadMember("price_change", .float(DecimalText.pythonFloat(change, decimals: d))),
            PayloadMember("price_change_percent", .float(DecimalText.pythonFloat(pctUnits, decimals: 3))),
            PayloadMember("timestamp", .string(localTimestamp)),
        ])
    }

    /// The Spark-vs-Flink producer's record (`coinbase_producer.py`): v2 spot price, poll-iteration timestamp in
    /// whole seconds, `volume_24h` always None.
    public static func coinbaseSpot(symbol: String, model: SymbolModel, priceUnits: Int64, epochSeconds: Int64, iteration: Int64) -> PayloadObject {
        let parts = symbol.split(separator: "-", maxSplits: 1).map(String.init)
        let base = parts.first ?? symbol
        let currency = parts.count > 1 ? parts[1] : "USD"
        return PayloadObject([
            PayloadMember("timestamp", .int(epochSeconds)),
            PayloadMember("symbol", .string("\(base)-\(currency)")),
            PayloadMember("base", .string(base)),
            PayloadMember("currency", .string(currency)),
            PayloadMember("price", .float(DecimalText.pythonFloat(priceUnits, decimals: model.priceDecimals))),
            PayloadMember("volume_24h", .null),
            PayloadMember("source", .string("coinbase")),
            PayloadMember("iteration", .int(iteration)),
        ])
    }

    /// Binance spot `<symbol>@trade` (2024 shape `e,E,s,t,p,q,T,m,M`; prices and quantities as 8-decimal strings).
    public static func binanceTrade(symbol: String, model: SymbolModel, trade: SimTrade, eventTime: EventTime) -> PayloadObject {
        PayloadObject([
            PayloadMember("e", .string("trade")),
            PayloadMember("E", .int(eventTime.millisecondsSinceEpoch)),
            PayloadMember("s", .string(symbol)),
            PayloadMember("t", .int(trade.id)),
            PayloadMember("p", .string(DecimalText.fixed(trade.priceUnits, decimals: model.priceDecimals, minimumDecimals: 8))),
            PayloadMember("q", .string(DecimalText.fixed(trade.quantityUnits, decimals: model.quantityDecimals, minimumDecimals: 8))),
            PayloadMember("T", .int(trade.time.millisecondsSinceEpoch)),
            PayloadMember("m", .bool(trade.buyerIsMaker)),
            PayloadMember("M", .bool(true)),
        ])
    }
}

/// Deterministic corruption of a payload, for the malformed-message knob.
enum PayloadCorruption {
    static func apply(_ kind: MalformedKind, to object: PayloadObject, style: PayloadStyle, random r: inout SimRandom) -> [UInt8] {
        var o = object
        switch kind {
        case .badJSON:
            let bytes = o.bytes(style)
            let cut = 1 + r.nextIndex(max(1, bytes.count - 2))
            return Array(bytes[0..<cut])
        case .missingField:
            if !o.members.isEmpty { o.members.remove(at: r.nextIndex(o.members.count)) }
            return o.bytes(style)
        case .wrongType:
            guard !o.members.isEmpty else { return o.bytes(style) }
            let i = r.nextIndex(o.members.count)
            switch o.members[i].value {
            case .int(let v): o.members[i].value = .string(String(v))
            case .float(let v): o.members[i].value = .string(PythonFloat.repr(v))
            case .string(let s): o.members[i].value = Int64(s).map { .int($0) } ?? (Double(s).map { .float($0) } ?? .int(0))
            case .bool(let b): o.members[i].value = .string(b ? "true" : "false")
            case .null: o.members[i].value = .string("None")
            }
            return o.bytes(style)
        }
    }
}
