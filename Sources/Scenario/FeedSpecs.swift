public import SimCore
import Yams
public import SimLog
public import SimFeeds
#if canImport(Glibc)
import Glibc
#endif

/// One entry of a scenario's `feeds:` list: a synthetic generator, a capture replay, or a scripted list of records.
public enum FeedSpec: Sendable {
    case generator(name: String, config: FeedGeneratorConfig, producer: ProducerConfig)
    case capture(name: String, path: String, options: ReplayOptions, rebaseToStart: Bool, producer: ProducerConfig)
    case scripted(name: String, records: [ScriptedRecord], producer: ProducerConfig)

    public var name: String {
        switch self {
        case .generator(let n, _, _), .capture(let n, _, _, _, _), .scripted(let n, _, _): return n
        }
    }
}

/// A record written into a scenario by hand: the tool for lessons, where the story needs exact event times and
/// arrival times ("this tick arrives 40 s after it happened").
public struct ScriptedRecord: Sendable, Equatable {
    /// When the record reaches the producer client (processing time).
    public var at: ProcessingTime
    public var topic: String
    public var partition: Int32?
    public var key: String?
    /// The Kafka value: JSON text built from the YAML mapping, or the raw text given (possibly malformed).
    public var value: String
    /// Kafka CreateTime; nil = the producer's clock at send.
    public var timestamp: EventTime?
}

enum FeedSpecParser {
    static let generatorKinds = ["trades", "week6", "coinbase"]
    static let commonKeys = ["name", "producer"]
    static let generatorKeys = ["generator", "topic", "symbols", "duration", "sleep", "http_latency", "ack_wait", "flush_wait", "network_delay",
                                "publish_lag", "fifo_per_symbol", "local_utc_offset", "warm_history", "impairments", "models"]
    static let captureKeys = ["capture", "speed", "rebase", "loops", "symbols", "topics", "gap_jitter", "reorder_probability",
                              "reorder_max_delay", "disconnect", "skew"]
    static let scriptedKeys = ["records", "topic"]

    static func parse(_ v: YAMLValue, index: Int, start: ProcessingTime, duration: SimDuration, baseDirectory: String) throws(ScenarioError) -> FeedSpec {
        let probe = try v.entries().map(\.key)
        let kinds = ["generator", "capture", "records"].filter { probe.contains($0) }
        guard kinds.count == 1 else {
            throw v.error("`\(v.path)`: a feed needs exactly one of `generator:` (trades, week6, coinbase), `capture:` (a .jsonl.zst file) or `records:` (a scripted list); found \(kinds.isEmpty ? "none" : kinds.joined(separator: " and "))")
        }
        switch kinds[0] {
        case "generator":
            let m = try v.mapping(allowed: commonKeys + generatorKeys)
            let name = try m.string("name", default: "feed\(index)")
            return .generator(name: name, config: try generator(m, duration: duration), producer: try producer(m["producer"]))
        case "capture":
            let m = try v.mapping(allowed: commonKeys + captureKeys)
            let name = try m.string("name", default: "replay\(index)")
            let pathValue = try m.required("capture")
            var path = try pathValue.string()
            if !path.hasPrefix("/") && !baseDirectory.isEmpty { path = baseDirectory + "/" + path }
            // Checked now, so a missing file stops the run before anything starts (paths are relative to the scenario).
            if let f = fopen(path, "rb") { fclose(f) } else {
                throw pathValue.error("`\(pathValue.path)`: cannot read capture file \(path) (a path is relative to the scenario file's directory)")
            }
            let (options, rebase) = try replay(m, start: start)
            return .capture(name: name, path: path, options: options, rebaseToStart: rebase, producer: try producer(m["producer"]))
        default:
            let m = try v.mapping(allowed: commonKeys + scriptedKeys)
            let name = try m.string("name", default: "records\(index)")
            let topic = try m.required("topic", hint: "the topic the records go to").string()
            let records = try m.required("records").list().map { (r) throws(ScenarioError) -> ScriptedRecord in try scripted(r, topic: topic, start: start) }
            return .scripted(name: name, records: records, producer: try producer(m["producer"]))
        }
    }

    // MARK: generator

    static func generator(_ m: YAMLMapping, duration: SimDuration) throws(ScenarioError) -> FeedGeneratorConfig {
        let kindValue = try m.required("generator")
        let kind = try kindValue.string()
        guard generatorKinds.contains(kind) else {
            var message = "`\(kindValue.path)`: unknown generator \"\(kind)\" (known: \(generatorKinds.joined(separator: ", ")))"
            if let s = Suggestion.nearest(to: kind, in: generatorKinds) { message += "; did you mean \"\(s)\"?" }
            throw kindValue.error(message)
        }
        let symbols = try m["symbols"].map { (l) throws(ScenarioError) -> [String] in try l.list().map { (x) throws(ScenarioError) -> String in try x.string() } }
        let impairments = try m["impairments"].map { (x) throws(ScenarioError) -> DeliveryImpairments in try self.impairments(x) } ?? .none
        var config = FeedGeneratorConfig(duration: try m.duration("duration", default: duration), warmHistory: try m.bool("warm_history", default: true))
        func reject(_ keys: [String]) throws(ScenarioError) {
            for k in keys where m.has(k) { throw m[k]!.error("`\(m[k]!.path)` does not apply to the \(kind) generator") }
        }
        switch kind {
        case "trades":
            try reject(["sleep", "http_latency", "ack_wait", "flush_wait", "local_utc_offset"])
            var c = TradeStreamConfig(impairments: impairments)
            if let s = symbols { c.symbols = s }
            if let t = m["topic"] { c.topic = try t.string() }
            if let d = m["network_delay"] { c.networkDelay = try delay(d) }
            if let d = m["publish_lag"] { c.publishLag = try delay(d) }
            c.fifoPerSymbol = try m.bool("fifo_per_symbol", default: c.fifoPerSymbol)
            config.trades = c
        case "week6":
            try reject(["network_delay", "publish_lag", "fifo_per_symbol", "flush_wait"])
            var c = Week6TickerConfig(impairments: impairments)
            if let s = symbols { c.symbols = s }
            if let t = m["topic"] { c.topic = try t.string() }
            c.sleep = try m.duration("sleep", default: c.sleep)
            if let d = m["http_latency"] { c.httpLatency = try delay(d) }
            if let d = m["ack_wait"] { c.sendAckWait = try delay(d) }
            c.localUTCOffset = try m.duration("local_utc_offset", default: c.localUTCOffset)
            config.week6 = c
        default:
            try reject(["network_delay", "publish_lag", "fifo_per_symbol", "ack_wait", "local_utc_offset"])
            var c = CoinbaseSpotConfig(impairments: impairments)
            if let s = symbols { c.symbols = s }
            if let t = m["topic"] { c.topic = try t.string() }
            c.sleep = try m.duration("sleep", default: c.sleep)
            if let d = m["http_latency"] { c.httpLatency = try delay(d) }
            if let d = m["flush_wait"] { c.flushWait = try delay(d) }
            config.coinbase = c
        }
        if let models = m["models"] {
            config.symbolModels = try models.list().map { (x) throws(ScenarioError) -> SymbolModel in try model(x) }
        }
        return config
    }

    static func model(_ v: YAMLValue) throws(ScenarioError) -> SymbolModel {
        let m = try v.mapping(allowed: ["symbol", "start_price", "annual_volatility", "trades_per_second", "median_quantity", "price_decimals"])
        var s = SymbolModel.preset(try m.required("symbol").string())
        s.startPrice = try m.double("start_price", default: s.startPrice)
        s.annualVolatility = try m.double("annual_volatility", default: s.annualVolatility)
        s.tradesPerSecond = try m.double("trades_per_second", default: s.tradesPerSecond)
        s.medianQuantity = try m.double("median_quantity", default: s.medianQuantity)
        s.priceDecimals = Int(try m.int("price_decimals", default: Int64(s.priceDecimals)))
        guard s.startPrice > 0, s.tradesPerSecond >= 0, s.annualVolatility >= 0 else {
            throw v.error("`\(v.path)`: start_price must be > 0, trades_per_second and annual_volatility ≥ 0")
        }
        return s
    }

    /// `20 ms` (fixed) | `{uniform: [10 ms, 50 ms]}` | `{lognormal: {median: 20 ms, sigma: 0.5}}` |
    /// `{spikes: {base: <delay>, probability: 0.01, extra: 400 ms}}`.
    static func delay(_ v: YAMLValue) throws(ScenarioError) -> DelayDistribution {
        if v.node.scalar != nil { return .fixed(ms: Double(try v.duration().milliseconds)) }
        let m = try v.mapping(allowed: ["fixed", "uniform", "lognormal", "spikes"])
        guard m.keys.count == 1 else { throw v.error("`\(v.path)`: a delay is one of fixed, uniform, lognormal, spikes") }
        switch m.keys[0] {
        case "fixed": return .fixed(ms: Double(try m.required("fixed").duration().milliseconds))
        case "uniform":
            let l = try m.required("uniform").list()
            guard l.count == 2 else { throw m["uniform"]!.error("`uniform` takes [min, max], e.g. [10 ms, 50 ms]") }
            return .uniform(minMs: Double(try l[0].duration().milliseconds), maxMs: Double(try l[1].duration().milliseconds))
        case "lognormal":
            let x = try m.required("lognormal").mapping(allowed: ["median", "sigma"])
            return .logNormal(medianMs: Double(try x.required("median").duration().milliseconds), sigma: try x.double("sigma", default: 0.5))
        default:
            let x = try m.required("spikes").mapping(allowed: ["base", "probability", "extra"])
            return .spikes(base: try x["base"].map { (b) throws(ScenarioError) -> DelayDistribution in try delay(b) } ?? .fixed(ms: 0),
                           probability: try x.double("probability", default: 0.01),
                           spikeMs: Double(try x.required("extra").duration().milliseconds))
        }
    }

    static func window(_ v: YAMLValue) throws(ScenarioError) -> FeedWindow {
        try window(try v.mapping(allowed: ["start", "duration"]))
    }

    static func window(_ m: YAMLMapping) throws(ScenarioError) -> FeedWindow {
        var startText = try m.required("start", hint: "an offset from the scenario start such as +60s").string()
        if startText.hasPrefix("+") { startText.removeFirst() }
        let start: SimDuration
        do { start = try SimDuration.parse(startText) } catch let e { throw m["start"]!.error("`\(m["start"]!.path)`: \(e.description)") }
        return FeedWindow(start: start, duration: try m.required("duration").duration())
    }

    static func impairments(_ v: YAMLValue) throws(ScenarioError) -> DeliveryImpairments {
        let m = try v.mapping(allowed: ["clock_skew", "reorder_probability", "reorder_max_delay", "duplicate_probability", "duplicate_delay",
                                        "malformed_rate", "malformed_kinds", "outages", "bursts"])
        var i = DeliveryImpairments()
        i.producerClockSkew = try m["clock_skew"].map { (x) throws(ScenarioError) -> SimDuration in
            let text = try x.string()
            if text.hasPrefix("-") {
                do throws(DurationParseError) { return -(try SimDuration.parse(String(text.dropFirst()))) } catch { throw x.error("`\(x.path)`: \(error.description)") }
            }
            return try x.duration()
        } ?? .zero
        i.reorderProbability = try probability(m, "reorder_probability")
        i.reorderMaxDelay = try m.duration("reorder_max_delay", default: i.reorderMaxDelay)
        i.duplicateProbability = try probability(m, "duplicate_probability")
        i.duplicateDelay = try m.duration("duplicate_delay", default: i.duplicateDelay)
        i.malformedRate = try probability(m, "malformed_rate")
        if let k = m["malformed_kinds"] {
            i.malformedKinds = try k.list().map { (x) throws(ScenarioError) -> MalformedKind in try x.oneOf(MalformedKind.self) }
        }
        if let o = m["outages"] { i.outages = try o.list().map { (x) throws(ScenarioError) -> FeedWindow in try window(x) } }
        if let b = m["bursts"] {
            i.bursts = try b.list().map { (x) throws(ScenarioError) -> FeedBurst in
                let bm = try x.mapping(allowed: ["start", "duration", "rate_multiplier"])
                return FeedBurst(window: try window(bm), rateMultiplier: try bm.double("rate_multiplier", default: 10))
            }
        }
        return i
    }

    static func probability(_ m: YAMLMapping, _ key: String) throws(ScenarioError) -> Double {
        guard let v = m[key] else { return 0 }
        let p = try v.double()
        guard (0...1).contains(p) else { throw v.error("`\(v.path)`: a probability is between 0 and 1, found \(p)") }
        return p
    }

    // MARK: capture

    static func replay(_ m: YAMLMapping, start: ProcessingTime) throws(ScenarioError) -> (ReplayOptions, Bool) {
        var o = ReplayOptions()
        o.speed = try m.double("speed", default: 1)
        guard o.speed > 0 else { throw m["speed"]!.error("`\(m["speed"]!.path)`: speed must be > 0") }
        let rebase = try m.bool("rebase", default: true)
        if rebase { o.rebaseTo = start }
        o.loops = Int(try m.int("loops", default: 1))
        if let s = m["symbols"] { o.keys = try s.list().map { (x) throws(ScenarioError) -> String in try x.string() } }
        if let t = m["topics"] { o.topics = try t.list().map { (x) throws(ScenarioError) -> String in try x.string() } }
        o.gapJitter = try m.double("gap_jitter", default: 0)
        o.reorderProbability = try probability(m, "reorder_probability")
        o.reorderMaxDelay = try m.duration("reorder_max_delay", default: o.reorderMaxDelay)
        if let d = m["disconnect"] { o.disconnect = ReplayDisconnect(window: try window(d)) }
        if let s = m["skew"] {
            o.topicSkews = try s.entries().map { (e) throws(ScenarioError) -> TopicSkew in TopicSkew(topic: e.key, skew: try e.value.duration()) }
        }
        return (o, rebase)
    }

    // MARK: producer

    static func producer(_ v: YAMLValue?) throws(ScenarioError) -> ProducerConfig {
        var c = IngestLog.immediateProducer
        guard let v else { return c }
        let m = try v.mapping(allowed: ["acks", "retries", "retry.backoff.ms", "linger.ms", "batch.size", "enable.idempotence",
                                        "max.in.flight.requests.per.connection", "delivery.timeout.ms", "request.timeout.ms", "network_latency",
                                        "partitioner"])
        if let a = m["acks"] {
            switch try a.string() {
            case "0": c.acks = .zero
            case "1": c.acks = .one
            case "all", "-1": c.acks = .all
            default: throw a.error("`\(a.path)`: acks is 0, 1 or all")
            }
        }
        c.retries = Int(try m.int("retries", default: Int64(c.retries)))
        c.retryBackoffMs = try m["retry.backoff.ms"]?.duration().milliseconds ?? c.retryBackoffMs
        c.lingerMs = try m["linger.ms"]?.duration().milliseconds ?? c.lingerMs
        c.batchSize = Int(try m.int("batch.size", default: Int64(c.batchSize)))
        c.enableIdempotence = try m.bool("enable.idempotence", default: c.enableIdempotence)
        c.maxInFlightRequestsPerConnection = Int(try m.int("max.in.flight.requests.per.connection", default: Int64(c.maxInFlightRequestsPerConnection)))
        c.deliveryTimeoutMs = try m["delivery.timeout.ms"]?.duration().milliseconds ?? c.deliveryTimeoutMs
        c.requestTimeoutMs = try m["request.timeout.ms"]?.duration().milliseconds ?? c.requestTimeoutMs
        c.networkLatency = try m.duration("network_latency", default: c.networkLatency)
        if let p = m["partitioner"] {
            switch try p.string() {
            case "murmur2", "default", "java": c.partitioner = .javaDefault
            case "consistent_random", "crc32": c.partitioner = .consistentRandom
            case "murmur2_random": c.partitioner = .murmur2Random
            default: throw p.error("`\(p.path)`: partitioner is murmur2 (Java default), consistent_random (librdkafka default) or murmur2_random")
            }
        }
        if c.enableIdempotence && c.acks != .all {
            throw v.error("`\(v.path)`: enable.idempotence requires acks=all (Kafka's ProducerConfig rejects this combination)")
        }
        if c.enableIdempotence && c.retries < 1 {
            throw (m["retries"] ?? v).error("`\(v.path)`: enable.idempotence requires retries > 0 (Kafka's ProducerConfig: \"Must set retries to non-zero when using the idempotent producer\"); set enable.idempotence: false")
        }
        if c.enableIdempotence && c.maxInFlightRequestsPerConnection > 5 {
            throw (m["max.in.flight.requests.per.connection"] ?? v).error("`\(v.path)`: enable.idempotence requires max.in.flight.requests.per.connection ≤ 5")
        }
        return c
    }

    // MARK: scripted

    static func scripted(_ v: YAMLValue, topic: String, start: ProcessingTime) throws(ScenarioError) -> ScriptedRecord {
        let m = try v.mapping(allowed: ["at", "key", "partition", "value", "timestamp", "raw"])
        let at = try FaultInstant.parse(try m.required("at", hint: "when it reaches the producer, e.g. +5s")).resolve(start: start)
        let value: String
        if let raw = m["raw"] {
            value = try raw.string()
        } else {
            let vm = try m.required("value", hint: "a mapping of JSON fields, or `raw:` text")
            value = try json(vm, start: start)
        }
        let ts = try m["timestamp"].map { (x) throws(ScenarioError) -> EventTime in
            EventTime(try FaultInstant.parse(x).resolve(start: start).millisecondsSinceEpoch)
        }
        let partition = try m["partition"].map { (x) throws(ScenarioError) -> Int32 in Int32(try x.int()) }
        return ScriptedRecord(at: at, topic: topic, partition: partition, key: try m["key"]?.string(), value: value, timestamp: ts)
    }

    /// A YAML mapping as compact JSON. A string `+<duration>` becomes the instant `start + duration` in epoch
    /// milliseconds (so `event_time: +40s` reads naturally); plain scalars keep their YAML type (numbers stay
    /// numbers, quoted text stays text).
    static func json(_ v: YAMLValue, start: ProcessingTime) throws(ScenarioError) -> String {
        let entries = try v.entries()
        var parts: [String] = []
        for (k, x) in entries {
            parts.append(JSONText.quote(k) + ":" + (try jsonScalar(x, start: start)))
        }
        return "{" + parts.joined(separator: ",") + "}"
    }

    static func jsonScalar(_ x: YAMLValue, start: ProcessingTime) throws(ScenarioError) -> String {
        guard let s = x.node.scalar else {
            if (try? x.entries()) != nil { return try json(x, start: start) }
            let items = try x.list().map { (i) throws(ScenarioError) -> String in try jsonScalar(i, start: start) }
            return "[" + items.joined(separator: ",") + "]"
        }
        if x.isNull { return "null" }
        if s.style == .plain {
            if let i = Int64(s.string) { return String(i) }
            if let d = Double(s.string), d.isFinite { return s.string }
            if s.string == "true" || s.string == "false" { return s.string }
            if s.string.hasPrefix("+"), let d = try? SimDuration.parse(String(s.string.dropFirst())) {
                return String((start + d).millisecondsSinceEpoch)
            }
        }
        return JSONText.quote(s.string)
    }
}
