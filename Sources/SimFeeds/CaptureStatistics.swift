public import SimCore
public import OrderedCollections

/// Out-of-orderness of event time relative to arrival in one scope, measured exactly as the research note §B3:
/// walk records in arrival (file) order; a record is out of order when its event time is below the running maximum
/// of the earlier records in the same scope, and its lateness is `running max − event time`.
public struct DisorderStatistics: Sendable, Hashable {
    public var scope: String
    /// Records in the scope that have an event time.
    public var events = 0
    public var outOfOrder = 0
    public var maxLateness: Int64 = 0
    /// Lateness of every out-of-order record (for percentiles).
    var latenesses: [Int64] = []
    var runningMax: Int64 = .min

    public init(scope: String) { self.scope = scope }

    mutating func observe(_ ts: Int64) {
        events += 1
        if ts < runningMax {
            outOfOrder += 1
            let late = runningMax - ts
            latenesses.append(late)
            maxLateness = max(maxLateness, late)
        } else {
            runningMax = ts
        }
    }

    public var share: Double { events == 0 ? 0 : Double(outOfOrder) / Double(events) }

    /// The p-th percentile (nearest rank) of the lateness of out-of-order records; 0 when there are none.
    public func latenessPercentile(_ p: Double) -> Int64 {
        guard !latenesses.isEmpty else { return 0 }
        let sorted = latenesses.sorted()
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}

/// What `sim capture inspect` prints: counts, time span, rates and disorder per stream, per topic, per key and
/// merged.
public struct CaptureStatistics: Sendable {
    public var header: CaptureHeader
    public var records = 0
    public var firstReceive: ProcessingTime?
    public var lastReceive: ProcessingTime?
    public var firstEvent: EventTime?
    public var lastEvent: EventTime?
    public var perTopic: OrderedDictionary<String, Int> = [:]
    public var perStream: OrderedDictionary<String, Int> = [:]
    /// Disorder per `topic/key` stream, per topic (all keys merged), per key (all topics merged) and over everything.
    public var streams: OrderedDictionary<String, DisorderStatistics> = [:]
    public var topics: OrderedDictionary<String, DisorderStatistics> = [:]
    public var keys: OrderedDictionary<String, DisorderStatistics> = [:]
    public var merged = DisorderStatistics(scope: "all")
    /// Receive time minus event time (includes any clock offset between recorder and exchange).
    public var minReceiveMinusEvent: Int64?
    public var receiveNotMonotone = 0

    public init(header: CaptureHeader) { self.header = header }

    /// Per-stream, per-topic and per-key disorder as arrays sorted by scope name (no collection import needed).
    public var streamDisorder: [DisorderStatistics] { streams.keys.sorted().map { streams[$0]! } }
    public var topicDisorder: [DisorderStatistics] { topics.keys.sorted().map { topics[$0]! } }
    public var keyDisorder: [DisorderStatistics] { keys.keys.sorted().map { keys[$0]! } }
    /// Records per topic, sorted by topic.
    public var topicCounts: [(topic: String, count: Int)] { perTopic.keys.sorted().map { ($0, perTopic[$0]!) } }

    /// Streams through a capture file. `field` re-extracts the event time from each payload (e.g. `.T` for trade
    /// time) instead of using the recorded one.
    public static func compute(path: String, field: PayloadEventTime.Field? = nil) throws(CaptureError) -> CaptureStatistics {
        let reader = try CaptureReader(path: path)
        var s = CaptureStatistics(header: reader.header)
        while let r = try reader.next() {
            let e = field.flatMap { f in r.value.flatMap { PayloadEventTime.extract($0, field: f) } } ?? (field == nil ? r.eventTime : nil)
            s.add(r, eventTime: e)
        }
        return s
    }

    public mutating func add(_ r: CaptureRecord, eventTime: EventTime?) {
        records += 1
        if let last = lastReceive, r.receiveTime < last { receiveNotMonotone += 1 }
        if firstReceive == nil { firstReceive = r.receiveTime }
        lastReceive = max(lastReceive ?? r.receiveTime, r.receiveTime)
        let key = r.keyText ?? "-"
        let stream = r.topic + "/" + key
        perTopic[r.topic, default: 0] += 1
        perStream[stream, default: 0] += 1
        guard let e = eventTime else { return }
        let ts = e.millisecondsSinceEpoch
        firstEvent = min(firstEvent ?? e, e)
        lastEvent = max(lastEvent ?? e, e)
        let d = r.receiveTime.millisecondsSinceEpoch - ts
        minReceiveMinusEvent = min(minReceiveMinusEvent ?? d, d)
        streams[stream, default: DisorderStatistics(scope: stream)].observe(ts)
        topics[r.topic, default: DisorderStatistics(scope: r.topic)].observe(ts)
        keys[key, default: DisorderStatistics(scope: key)].observe(ts)
        merged.observe(ts)
    }

    /// The report, with every list sorted by name so that it is identical on every run.
    public func report() -> String {
        var out = ""
        out += "source:  \(header.source)\n"
        if !header.clock.isEmpty { out += "clock:   \(header.clock)\n" }
        if let seed = header.seed { out += "seed:    \(seed)\n" }
        out += "records: \(records)\n"
        if let a = firstReceive, let b = lastReceive {
            let span = Double((b - a).milliseconds) / 1000
            out += "receive: \(a) .. \(b) (\(format(span, 3)) s)\(receiveNotMonotone > 0 ? ", \(receiveNotMonotone) receive times go backwards" : "")\n"
            if let e0 = firstEvent, let e1 = lastEvent { out += "event:   \(e0) .. \(e1)\n" }
            if let m = minReceiveMinusEvent { out += "min(receive - event): \(m) ms (a negative value means the receive clock is behind the exchange)\n" }
            out += "\nper topic (records, rate/s):\n"
            for k in perTopic.keys.sorted() { out += "  \(pad(k, 28)) \(pad(String(perTopic[k]!), 8, left: true))  \(format(span > 0 ? Double(perTopic[k]!) / span : 0, 2))\n" }
            out += "per stream (records, rate/s):\n"
            for k in perStream.keys.sorted() { out += "  \(pad(k, 28)) \(pad(String(perStream[k]!), 8, left: true))  \(format(span > 0 ? Double(perStream[k]!) / span : 0, 2))\n" }
        }
        out += "\nout-of-order in event time vs arrival (lateness = running max of earlier events in the scope - event time):\n"
        out += "  \(pad("scope", 36)) \(pad("events", 8, left: true)) \(pad("OOO", 7, left: true)) \(pad("share", 8, left: true)) \(pad("max ms", 7, left: true)) \(pad("p99 ms", 7, left: true))\n"
        func row(_ d: DisorderStatistics, _ label: String) -> String {
            "  \(pad(label, 36)) \(pad(String(d.events), 8, left: true)) \(pad(String(d.outOfOrder), 7, left: true)) \(pad(format(d.share * 100, 3) + "%", 8, left: true)) \(pad(String(d.maxLateness), 7, left: true)) \(pad(String(d.latenessPercentile(99)), 7, left: true))\n"
        }
        for k in streams.keys.sorted() { out += row(streams[k]!, "stream " + k) }
        for k in topics.keys.sorted() { out += row(topics[k]!, "topic " + k + " (keys merged)") }
        for k in keys.keys.sorted() { out += row(keys[k]!, "key " + k + " (topics merged)") }
        out += row(merged, "all merged")
        return out
    }

    func pad(_ s: String, _ n: Int, left: Bool = false) -> String {
        s.count >= n ? s : (left ? String(repeating: " ", count: n - s.count) + s : s + String(repeating: " ", count: n - s.count))
    }

    /// Fixed decimals without Foundation: rounds half away from zero.
    func format(_ v: Double, _ decimals: Int) -> String {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let units = Int64((v * scale).rounded(.toNearestOrAwayFromZero))
        return DecimalText.fixed(units, decimals: decimals)
    }
}
