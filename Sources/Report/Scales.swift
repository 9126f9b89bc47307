// Axis maths shared by the SVG charts and the terminal timeline: extents, linear scales, "nice" tick steps and
// the text of tick labels. Integer milliseconds in, so that the same input gives the same ticks on every machine.
import SimCore

/// A closed interval of milliseconds on one time axis, never empty and never of zero length.
struct TimeExtent: Equatable {
    var lower: Int64
    var upper: Int64

    /// The smallest extent that holds every value, widened so that a chart is never degenerate: no values gives
    /// `fallback`; a single instant (or a zero-length fallback) is centred in a window of `minimumSpan`.
    init(covering values: [Int64], fallback: ClosedRange<Int64>, minimumSpan: Int64 = 2000) {
        var lo = values.min() ?? fallback.lowerBound
        var hi = values.max() ?? fallback.upperBound
        if hi - lo < minimumSpan {
            let middle = lo / 2 + hi / 2
            lo = middle - minimumSpan / 2
            hi = lo + minimumSpan
        }
        self.lower = lo
        self.upper = hi
    }

    init(lower: Int64, upper: Int64) {
        self.lower = lower
        self.upper = Swift.max(upper, lower + 1)
    }

    var span: Int64 { upper - lower }

    /// The same extent with `fraction` of its span added on both sides, so that marks at the edges stay visible.
    func padded(by fraction: Double) -> TimeExtent {
        let pad = Int64((Double(span) * fraction).rounded(.up))
        return TimeExtent(lower: lower - pad, upper: upper + pad)
    }

    func contains(_ v: Int64) -> Bool { v >= lower && v <= upper }
}

/// Maps a value of a domain linearly onto a pixel range (which may run backwards, as a y axis does).
struct LinearScale {
    var domainLower: Double
    var domainUpper: Double
    var rangeStart: Double
    var rangeEnd: Double

    init(domain: TimeExtent, range: ClosedRange<Double>, reversed: Bool = false) {
        self.init(lower: Double(domain.lower), upper: Double(domain.upper), range: range, reversed: reversed)
    }

    init(lower: Double, upper: Double, range: ClosedRange<Double>, reversed: Bool = false) {
        domainLower = lower
        domainUpper = upper > lower ? upper : lower + 1
        rangeStart = reversed ? range.upperBound : range.lowerBound
        rangeEnd = reversed ? range.lowerBound : range.upperBound
    }

    func callAsFunction(_ v: Double) -> Double {
        rangeStart + (v - domainLower) / (domainUpper - domainLower) * (rangeEnd - rangeStart)
    }
    func callAsFunction(_ v: Int64) -> Double { self(Double(v)) }

    /// Like calling the scale, but keeps the result within the pixel range (for values far off the axis, such as
    /// Spark's epoch watermark or Flink's MIN/MAX).
    func clamped(_ v: Int64) -> Double {
        let p = self(v)
        return Swift.min(Swift.max(p, Swift.min(rangeStart, rangeEnd)), Swift.max(rangeStart, rangeEnd))
    }
}

/// Tick positions and labels for time and count axes.
enum Ticks {
    /// Steps a time axis may use: the usual clock divisions, so that labels land on round times.
    static let timeSteps: [Int64] = [
        1, 2, 5, 10, 20, 50, 100, 200, 250, 500,
        1000, 2000, 5000, 10_000, 15_000, 30_000,
        60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000,
        3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000,
    ]

    /// The smallest clock step that gives at most `maxTicks` ticks over `span` milliseconds.
    static func timeStep(span: Int64, maxTicks: Int) -> Int64 {
        let limit = Int64(Swift.max(maxTicks, 1))
        for step in timeSteps where span / step + 1 <= limit { return step }
        // More than `maxTicks` days: whole days, as many as needed.
        let days = (span / 86_400_000) / limit + 1
        return days * 86_400_000
    }

    /// Multiples of a clock step (aligned to the epoch, so 10 s ticks fall on :00, :10, …) within the extent.
    static func timeTicks(_ extent: TimeExtent, maxTicks: Int) -> (step: Int64, values: [Int64]) {
        let step = timeStep(span: extent.span, maxTicks: maxTicks)
        var values: [Int64] = []
        var t = floorDiv(extent.lower, step) * step
        if t < extent.lower { t += step }
        while t <= extent.upper, values.count <= maxTicks + 1 {
            values.append(t)
            t += step
        }
        return (step, values)
    }

    /// `12:00:05` for whole-second steps, `12:00:05.250` below a second, `08-09 12:00` from a day up.
    static func timeLabel(_ ms: Int64, step: Int64) -> String {
        if step < 1000 { return UTCTimestamp.timeOfDay(ms) }
        if step >= 86_400_000 {
            let iso = UTCTimestamp.iso8601(ms)  // 2024-08-09T12:00:00.000Z
            return String(iso.dropFirst(5).prefix(11)).replacing("T", with: " ")
        }
        return String(UTCTimestamp.timeOfDay(ms).prefix(8))
    }

    /// A 1-2-5 step giving at most `maxTicks` ticks over `span` (for counts, so never below 1).
    static func countStep(span: Int64, maxTicks: Int) -> Int64 {
        let limit = Int64(Swift.max(maxTicks, 1))
        var magnitude: Int64 = 1
        while true {
            for m: Int64 in [1, 2, 5] {
                let step = m * magnitude
                if span / step + 1 <= limit { return step }
            }
            if magnitude > Int64.max / 100 { return magnitude }
            magnitude *= 10
        }
    }

    /// A "nice" millisecond step for latency bins: clock steps, so bins read as 1 s, 2 s, 5 s, 10 s, ….
    static func durationStep(span: Int64, maxBins: Int) -> Int64 {
        timeStep(span: Swift.max(span, 1), maxTicks: maxBins)
    }
}

/// Deterministic number text: no locale, no `String(format:)`, no platform float printing differences.
enum NumberText {
    /// One decimal place at most, for SVG coordinates: `12`, `12.5`, `-3.2`.
    static func coordinate(_ v: Double) -> String {
        guard v.isFinite else { return "0" }
        let tenths = Int64((v * 10).rounded())
        let negative = tenths < 0
        let magnitude = negative ? -tenths : tenths
        let whole = magnitude / 10, fraction = magnitude % 10
        let sign = negative && magnitude != 0 ? "-" : ""
        return fraction == 0 ? "\(sign)\(whole)" : "\(sign)\(whole).\(fraction)"
    }

    /// A duration for people: `250 ms`, `15.8 s`, `2.5 min`, `1.5 h`.
    static func duration(_ ms: Int64) -> String {
        let negative = ms < 0
        let m = negative ? (ms == .min ? Int64.max : -ms) : ms
        let sign = negative ? "-" : ""
        func tenths(_ unit: Int64) -> String {
            let t = (m * 10 + unit / 2) / unit
            return t % 10 == 0 ? "\(t / 10)" : "\(t / 10).\(t % 10)"
        }
        if m < 1000 { return "\(sign)\(m) ms" }
        if m < 120_000 { return "\(sign)\(tenths(1000)) s" }
        if m < 7_200_000 { return "\(sign)\(tenths(60_000)) min" }
        return "\(sign)\(tenths(3_600_000)) h"
    }

    /// An event time for tables: time of day with milliseconds, or Flink's sentinels by name.
    static func eventTime(_ t: EventTime) -> String {
        if t == .min { return "MIN (none yet)" }
        if t == .max { return "MAX (end of input)" }
        if t == .epoch { return "epoch (1970-01-01 00:00:00)" }
        return UTCTimestamp.timeOfDay(t.millisecondsSinceEpoch)
    }

    static func processingTime(_ t: ProcessingTime) -> String { UTCTimestamp.timeOfDay(t.millisecondsSinceEpoch) }

    /// `[12:00:00, 12:00:10)` — whole seconds when both ends are whole seconds.
    static func window(_ w: EventWindow) -> String {
        "[\(compactTime(w.start.millisecondsSinceEpoch)), \(compactTime(w.end.millisecondsSinceEpoch)))"
    }

    /// Time of day, without `.000` when the instant is a whole second.
    static func compactTime(_ ms: Int64) -> String {
        let text = UTCTimestamp.timeOfDay(ms)
        return floorMod(ms, 1000) == 0 ? String(text.prefix(8)) : text
    }
}
