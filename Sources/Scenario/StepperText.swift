// Text helpers shared by `sim step`, `sim explain` and the observations builder: how instants, watermarks, windows
// and records are written in narration. One place, so that the stepper, the explanation goldens and the report say
// "12:04:59.999" the same way.
import SimCore
import SimLog
import QueryModel

enum Narrate {
    /// A processing-time instant: `23:59:10.000`.
    static func time(_ t: ProcessingTime) -> String { UTCTimestamp.timeOfDay(t.millisecondsSinceEpoch) }

    /// An event time or watermark in ms. Flink's sentinels read `MIN` / `MAX` (Long.MIN_VALUE / MAX_VALUE); Spark's
    /// initial watermark reads `0 (the epoch)` because `00:00:00.000` on the run's day would mislead.
    static func event(_ ms: Int64) -> String {
        if ms == .min { return "MIN (Long.MIN_VALUE)" }
        if ms == .max { return "MAX (end of input)" }
        if ms == 0 { return "0 (the epoch)" }
        return UTCTimestamp.timeOfDay(ms)
    }
    static func event(_ t: EventTime) -> String { event(t.millisecondsSinceEpoch) }

    /// A window's bounds without redundant zeros: `[23:59:00, 00:00:00)`.
    static func window(_ startMs: Int64, _ endMs: Int64) -> String {
        // Day-long windows need the date: [2024-08-09 00:00:00, 2024-08-10 00:00:00).
        if endMs - startMs >= 86_400_000 { return "[\(dated(startMs)), \(dated(endMs)))" }
        return "[\(short(startMs)), \(short(endMs)))"
    }

    /// `2024-08-09 17:00:00` (UTC).
    static func dated(_ ms: Int64) -> String {
        var t = UTCTimestamp.iso8601(ms)
        if t.hasSuffix(".000Z") { t.removeLast(5) } else if t.hasSuffix("Z") { t.removeLast() }
        return t.replacingFirstT
    }

    /// Time of day, dropping `.000`.
    static func short(_ ms: Int64) -> String {
        let t = UTCTimestamp.timeOfDay(ms)
        return t.hasSuffix(".000") ? String(t.dropLast(4)) : t
    }

    /// A duration as the scenario files write it (`10s`, `1m30s`, `200ms`).
    static func duration(_ ms: Int64) -> String { ms == 0 ? "0 ms" : "\(SimDuration(milliseconds: ms))" }

    /// `binance.trade-0@17`.
    static func record(_ tp: TopicPartition, _ offset: Int64) -> String { "\(tp.topic)-\(tp.partition)@\(offset)" }

    /// Group-by values joined: `BTCUSDT` or `BTC,binance`.
    static func key(_ values: [Value]) -> String { values.isEmpty ? "(all)" : values.map(\.description).joined(separator: ",") }

    /// `name=value` pairs.
    static func values(_ pairs: [(String, Value)]) -> String { pairs.map { "\($0.0)=\($0.1)" }.joined(separator: " ") }
}

/// How a record looks to the scenario's queries: its event time (the watermark column, decoded exactly as the
/// engines decode it), its key and a short payload, or that it is malformed.
struct RecordLens {
    struct Reading {
        var eventTime: EventTime?
        /// True when the event time came from the query's watermark column; false = the Kafka timestamp.
        var fromQuery: Bool
        var malformed: Bool
        var key: String
        var summary: String
    }

    private var decoders: [(topic: String, plan: CompiledQuery)] = []

    init(jobs: [JobSpec]) {
        for j in jobs where !decoders.contains(where: { $0.topic == j.query.source.topic }) {
            if let plan = try? CompiledQuery(j.query), plan.eventTimeIndex != nil { decoders.append((j.query.source.topic, plan)) }
        }
    }

    func read(_ tp: TopicPartition, _ record: Record) -> Reading {
        let key = record.key.map { String(decoding: $0, as: UTF8.self) } ?? ""
        let text = record.value.map { String(decoding: $0, as: UTF8.self) } ?? "null"
        let summary = text.count > 80 ? String(text.prefix(77)) + "…" : text
        guard let d = decoders.first(where: { $0.topic == tp.topic }), let ti = d.plan.eventTimeIndex else {
            return Reading(eventTime: record.timestamp, fromQuery: false, malformed: false, key: key, summary: summary)
        }
        var stats = DecodeStats()
        var row = d.plan.makeRowBuffer()
        _ = d.plan.decode(SourceRecord(tp, record), into: &row, context: EvaluationContext(), stats: &stats)
        var et: EventTime?
        if case .timestamp(let us) = row[ti] { et = EventTime(floorDiv(us, 1000)) }
        let keyText = d.plan.keyIndices.isEmpty ? key : d.plan.keyValues(row).map(\.description).joined(separator: ",")
        return Reading(eventTime: et, fromQuery: true, malformed: stats.malformed > 0 || et == nil, key: keyText, summary: summary)
    }
}

/// Parses the instants a learner types: `+90s` (after the start), `00:01:30` / `00:01:30.500` (time of day, on the
/// run's day — or the next day when that is within the run), or ISO-8601.
enum InstantText {
    static func parse(_ text: String, start: ProcessingTime, end: ProcessingTime) -> Int64? {
        let t = trimmedText(text)
        if t.hasPrefix("+"), let d = try? SimDuration.parse(String(t.dropFirst())) { return start.millisecondsSinceEpoch + d.milliseconds }
        if t.contains("T") || t.contains("-"), let ms = UTCTimestamp.parse(t) { return ms }
        let parts = t.split(separator: ":")
        guard parts.count >= 2, parts.count <= 3 else { return nil }
        guard let h = Int64(parts[0]), let m = Int64(parts[1]), h < 24, m < 60 else { return nil }
        var ms: Int64 = (h * 3600 + m * 60) * 1000
        if parts.count == 3 {
            let sec = parts[2].split(separator: ".", omittingEmptySubsequences: false)
            guard let s = Int64(sec[0]), s < 60 else { return nil }
            ms += s * 1000
            if sec.count == 2 {
                let frac = String(sec[1].prefix(3))
                guard let f = Int64(frac) else { return nil }
                ms += f * [1, 100, 10, 1][frac.count]
            }
        }
        // Candidates on the day before, of and after the start; the one nearest the run wins.
        let day = floorDiv(start.millisecondsSinceEpoch, 86_400_000) * 86_400_000
        let candidates = [day - 86_400_000 + ms, day + ms, day + 86_400_000 + ms]
        let lo = start.millisecondsSinceEpoch, hi = end.millisecondsSinceEpoch
        func distance(_ c: Int64) -> Int64 { c < lo ? lo - c : (c > hi ? c - hi : 0) }
        return candidates.min { distance($0) < distance($1) }
    }
}

/// The text without leading and trailing blanks (spaces, tabs, line ends).
func trimmedText(_ text: String) -> String {
    var s = Substring(text)
    while let f = s.first, f == " " || f == "\t" || f == "\r" || f == "\n" { s = s.dropFirst() }
    while let l = s.last, l == " " || l == "\t" || l == "\r" || l == "\n" { s = s.dropLast() }
    return String(s)
}

extension String {
    /// `2024-08-09T17:00:00` → `2024-08-09 17:00:00`.
    var replacingFirstT: String {
        guard let i = firstIndex(of: "T") else { return self }
        var t = self
        t.replaceSubrange(i...i, with: " ")
        return t
    }
}
