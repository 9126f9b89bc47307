// Text forms of instants and durations. Implemented here (not with Foundation's formatters) so that output is
// identical on every platform and locale, and nothing reads the process's time zone: StreamSim is UTC throughout,
// as Spark's `window()` (epoch-aligned) and Flink's `TimeWindow` are.

/// Conversions between milliseconds since the epoch and ISO-8601 UTC text.
public enum UTCTimestamp {
    /// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant, "chrono-Compatible Low-Level
    /// Date Algorithms", `civil_from_days`).
    public static func civil(fromDays z0: Int64) -> (year: Int64, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, Int(m), Int(d))
    }

    /// (year, month, day) → days since 1970-01-01 (`days_from_civil`).
    public static func days(year y0: Int64, month m: Int, day d: Int) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let mm = Int64(m)
        let doy = (153 * (mm > 2 ? mm - 3 : mm + 9) + 2) / 5 + Int64(d) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// `2024-08-09T00:00:01.271Z`.
    public static func iso8601(_ ms: Int64) -> String {
        let days = floorDiv(ms, 86_400_000)
        let msOfDay = ms - days * 86_400_000
        let (y, mo, d) = civil(fromDays: days)
        let h = msOfDay / 3_600_000, mi = (msOfDay / 60_000) % 60, s = (msOfDay / 1000) % 60, f = msOfDay % 1000
        return "\(pad(y, 4))-\(pad(Int64(mo), 2))-\(pad(Int64(d), 2))T\(pad(h, 2)):\(pad(mi, 2)):\(pad(s, 2)).\(pad(f, 3))Z"
    }

    /// `00:00:01.271` — the time of day only, for compact tables.
    public static func timeOfDay(_ ms: Int64) -> String {
        let msOfDay = floorMod(ms, 86_400_000)
        let h = msOfDay / 3_600_000, mi = (msOfDay / 60_000) % 60, s = (msOfDay / 1000) % 60, f = msOfDay % 1000
        return "\(pad(h, 2)):\(pad(mi, 2)):\(pad(s, 2)).\(pad(f, 3))"
    }

    /// Parses `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS[.fff…]]` or with a space instead of `T`, optionally followed by
    /// `Z` or `±HH:MM`. Text without a zone is read as UTC. Returns nil when the text is not such an instant.
    public static func parse(_ text: String) -> Int64? {
        var s = Substring(text.trimmingSpaces)
        func digits(_ n: Int) -> Int64? {
            guard s.count >= n else { return nil }
            let head = s.prefix(n)
            guard head.allSatisfy({ $0.isASCII && $0.isNumber }), let v = Int64(head) else { return nil }
            s = s.dropFirst(n)
            return v
        }
        func expect(_ c: Character) -> Bool {
            guard s.first == c else { return false }
            s = s.dropFirst()
            return true
        }
        guard let y = digits(4), expect("-"), let mo = digits(2), expect("-"), let d = digits(2) else { return nil }
        guard (1...12).contains(mo), (1...31).contains(d) else { return nil }
        var ms = days(year: y, month: Int(mo), day: Int(d)) * 86_400_000
        if s.isEmpty { return ms }
        guard expect("T") || expect(" ") || expect("t") else { return nil }
        guard let h = digits(2), expect(":"), let mi = digits(2), h < 24, mi < 60 else { return nil }
        ms += h * 3_600_000 + mi * 60_000
        if expect(":") {
            guard let sec = digits(2), sec < 61 else { return nil }
            ms += sec * 1000
            if expect(".") || expect(",") {
                var frac = ""
                while let c = s.first, c.isASCII, c.isNumber { frac.append(c); s = s.dropFirst() }
                guard !frac.isEmpty else { return nil }
                let three = (frac + "000").prefix(3)
                ms += Int64(three)!
            }
        }
        if s.isEmpty || expect("Z") || expect("z") { return s.isEmpty ? ms : nil }
        let sign: Int64
        if expect("+") { sign = 1 } else if expect("-") { sign = -1 } else { return nil }
        guard let oh = digits(2) else { return nil }
        _ = expect(":")
        let om = digits(2) ?? 0
        guard s.isEmpty else { return nil }
        return ms - sign * (oh * 3_600_000 + om * 60_000)
    }

    public static func pad(_ v: Int64, _ width: Int) -> String {
        let neg = v < 0
        var digits = String(neg ? -v : v)
        while digits.count < width { digits = "0" + digits }
        return neg ? "-" + digits : digits
    }
}

/// Why a duration string was rejected, with what would have been accepted.
public struct DurationParseError: Error, CustomStringConvertible, Equatable, Sendable {
    public var input: String
    public var reason: String
    public var description: String {
        "invalid duration \"\(input)\": \(reason); expected e.g. \"10 seconds\", \"1 hour\", \"500 ms\", \"5min\", \"PT5S\" (units: ms, s, min, h, d, week, month = 31 days)"
    }
}

extension SimDuration {
    /// Parses a duration the way Spark and Flink configurations accept them.
    ///
    /// - Spark interval strings, as `withWatermark("ts", "10 seconds")` and `Trigger.ProcessingTime("1 minute")` take
    ///   them (`IntervalUtils.stringToInterval`, optionally prefixed by `interval`); several parts add up
    ///   (`"1 hour 30 minutes"`). For watermark delays Spark converts a month to **31 days** and a year to 12 × 31
    ///   days (`EventTimeWatermark.getDelayMs` → `IntervalUtils.getDuration`, pinned by Spark's SPARK-35815 test);
    ///   the same conversion is used here.
    /// - Spark config time strings (`JavaUtils.timeStringAs`: `"500ms"`, `"10s"`, `"5min"`, `"1h"`, `"2d"`, `"100us"`).
    /// - Flink's `TimeUtils.parseDuration` (`"200 ms"`, `"10 s"`, `"1 min"`, `"2 hours"`; a bare number is
    ///   milliseconds, as in Flink).
    /// - ISO-8601 durations as `java.time.Duration.parse` reads them (`"PT5S"`, `"PT1H30M"`, `"P1D"`, `"PT0.5S"`).
    ///
    /// Sub-millisecond parts are truncated toward zero, as `Duration.toMillis()` does in Flink. Negative durations
    /// are rejected, as Spark rejects a negative watermark delay ("should not be negative").
    public static func parse(_ input: String) throws(DurationParseError) -> SimDuration {
        let text = input.trimmingSpaces.lowercased()
        func fail(_ reason: String) -> DurationParseError { DurationParseError(input: input, reason: reason) }
        if text.isEmpty { throw fail("it is empty") }
        if text.hasPrefix("-") { throw fail("durations must not be negative") }
        if text.hasPrefix("p") { return try parseISO(text, original: input) }

        var rest = Substring(text)
        if rest.hasPrefix("interval ") { rest = rest.dropFirst("interval ".count) }
        var totalMicros: Double = 0
        var parts = 0
        while true {
            while rest.first == " " { rest = rest.dropFirst() }
            if rest.isEmpty { break }
            var number = ""
            while let c = rest.first, c.isASCII, c.isNumber || c == "." { number.append(c); rest = rest.dropFirst() }
            guard !number.isEmpty, let value = Double(number) else {
                throw fail("expected a number at \"\(rest.prefix(12))\"")
            }
            while rest.first == " " { rest = rest.dropFirst() }
            var unit = ""
            while let c = rest.first, c.isLetter || c == "µ" { unit.append(c); rest = rest.dropFirst() }
            if unit.isEmpty {
                // A bare number is milliseconds (Flink `TimeUtils.parseDuration` default unit), only on its own.
                guard parts == 0, rest.isEmpty, !number.contains(".") else { throw fail("a number needs a unit here") }
                return SimDuration(milliseconds: Int64(value))
            }
            guard let micros = unitMicros[unit] else { throw fail("unknown unit \"\(unit)\"") }
            totalMicros += value * micros
            parts += 1
        }
        guard parts > 0 else { throw fail("no amount found") }
        guard totalMicros < 9.2e18 else { throw fail("too large") }
        return SimDuration(milliseconds: Int64((totalMicros / 1000).rounded(.towardZero)))
    }

    private static let unitMicros: [String: Double] = {
        var m: [String: Double] = [:]
        for u in ["ns", "nano", "nanos", "nanosecond", "nanoseconds"] { m[u] = 0.001 }
        for u in ["us", "µs", "micro", "micros", "microsecond", "microseconds"] { m[u] = 1 }
        for u in ["ms", "milli", "millis", "millisecond", "milliseconds"] { m[u] = 1000 }
        for u in ["s", "sec", "secs", "second", "seconds"] { m[u] = 1e6 }
        for u in ["m", "min", "mins", "minute", "minutes"] { m[u] = 60e6 }
        for u in ["h", "hr", "hrs", "hour", "hours"] { m[u] = 3600e6 }
        for u in ["d", "day", "days"] { m[u] = 86_400e6 }
        for u in ["w", "week", "weeks"] { m[u] = 7 * 86_400e6 }
        for u in ["month", "months", "mon", "mons"] { m[u] = 31 * 86_400e6 }
        for u in ["y", "year", "years"] { m[u] = 12 * 31 * 86_400e6 }
        return m
    }()

    private static func parseISO(_ text: String, original: String) throws(DurationParseError) -> SimDuration {
        func fail(_ reason: String) -> DurationParseError { DurationParseError(input: original, reason: reason) }
        var rest = Substring(text.dropFirst())  // "p"
        var inTime = false
        var micros: Double = 0
        var any = false
        while !rest.isEmpty {
            if rest.first == "t" { inTime = true; rest = rest.dropFirst(); continue }
            var number = ""
            while let c = rest.first, c.isASCII, c.isNumber || c == "." { number.append(c); rest = rest.dropFirst() }
            guard let value = Double(number), let unit = rest.first else { throw fail("malformed ISO-8601 duration") }
            rest = rest.dropFirst()
            switch (unit, inTime) {
            case ("d", false): micros += value * 86_400e6
            case ("w", false): micros += value * 7 * 86_400e6
            case ("h", true): micros += value * 3600e6
            case ("m", true): micros += value * 60e6
            case ("s", true): micros += value * 1e6
            default: throw fail("unsupported ISO-8601 designator \"\(unit)\" (use PnDTnHnMnS)")
            }
            any = true
        }
        guard any else { throw fail("malformed ISO-8601 duration") }
        return SimDuration(milliseconds: Int64((micros / 1000).rounded(.towardZero)))
    }
}

enum DurationFormat {
    static func compact(_ ms0: Int64) -> String {
        if ms0 == 0 { return "0ms" }
        if ms0 == .max { return "∞" }
        var ms = ms0 < 0 ? -ms0 : ms0
        var out = ms0 < 0 ? "-" : ""
        let units: [(Int64, String)] = [(86_400_000, "d"), (3_600_000, "h"), (60_000, "m"), (1000, "s"), (1, "ms")]
        for (size, name) in units where ms >= size {
            out += "\(ms / size)\(name)"
            ms %= size
        }
        return out
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s = s.dropFirst() }
        while let c = s.last, c.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
