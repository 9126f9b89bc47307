import SimCore

/// Spark 3.5's non-ANSI `CAST` (`spark.sql.ansi.enabled=false`, the 3.5 default), for the types `DataType` knows.
///
/// Every rule cites `sql/catalyst/src/main/scala/org/apache/spark/sql/catalyst/expressions/Cast.scala` (the
/// `castToX` functions) unless noted. Values that cannot be converted become `null`, never an error: that is the
/// legacy (non-ANSI) behaviour.
public enum SparkCast {
    /// Casts `v` to `to`. `null` stays `null`.
    public static func cast(_ v: Value, to: DataType) -> Value {
        if case .null = v { return .null }
        switch to {
        case .boolean: return toBoolean(v)
        case .int: return toInt(v)
        case .long: return toLong(v)
        case .float: return toFloat(v)
        case .double: return toDouble(v)
        case .string: return .string(toStringText(v))
        case .binary:
            switch v {
            case .binary: return v
            case .string(let s): return .binary(Array(s.utf8))
            default: return .null
            }
        case .timestamp: return toTimestamp(v)
        case .date: return toDate(v)
        }
    }

    /// Java's `(long) d` (JLS §5.1.3): NaN → 0, saturating at `Long.MIN/MAX`, otherwise truncation toward zero.
    @inlinable public static func javaDoubleToLong(_ d: Double) -> Int64 {
        if d.isNaN { return 0 }
        if d >= 9.223372036854775807e18 { return .max }
        if d <= -9.223372036854775808e18 { return .min }
        return Int64(d.rounded(.towardZero))
    }

    /// Java's `(int) d`: NaN → 0, saturating at `Integer.MIN/MAX`, otherwise truncation.
    @inlinable public static func javaDoubleToInt(_ d: Double) -> Int32 {
        if d.isNaN { return 0 }
        if d >= 2147483647 { return .max }
        if d <= -2147483648 { return .min }
        return Int32(d.rounded(.towardZero))
    }

    /// `castToTimestamp` for a double number of seconds: `doubleToTimestamp(d) = (d * MICROS_PER_SECOND).toLong`,
    /// NaN/±Infinity → null. The multiplication is one IEEE double product, then Java truncation — this is the
    /// seed week6 job's `(event_time/1000).cast("timestamp")`, whose microseconds can differ from `event_time*1000`.
    @inlinable public static func secondsToTimestampMicros(_ d: Double) -> Int64? {
        if d.isNaN || d.isInfinite { return nil }
        return javaDoubleToLong(d * 1_000_000.0)
    }

    static func toBoolean(_ v: Value) -> Value {
        switch v {
        case .bool: return v
        case .int(let x): return .bool(x != 0)
        case .long(let x): return .bool(x != 0)
        case .float(let x): return .bool(x != 0)
        case .double(let x): return .bool(x != 0)
        case .timestamp(let x): return .bool(x != 0)
        case .string(let s):
            // `StringUtils.isTrueString` / `isFalseString` (trimmed, case-insensitive).
            let t = s.trimmingSpaces.lowercased()
            if ["t", "true", "y", "yes", "1"].contains(t) { return .bool(true) }
            if ["f", "false", "n", "no", "0"].contains(t) { return .bool(false) }
            return .null
        default: return .null
        }
    }

    static func toLong(_ v: Value) -> Value {
        switch v {
        case .bool(let b): return .long(b ? 1 : 0)
        case .int(let x): return .long(Int64(x))
        case .long: return v
        case .float(let x): return .long(javaDoubleToLong(Double(x)))
        case .double(let x): return .long(javaDoubleToLong(x))
        // `castToLong` for timestamps: `floorDiv(us, MICROS_PER_SECOND)` (whole seconds).
        case .timestamp(let us): return .long(floorDiv(us, 1_000_000))
        case .string(let s): return parseIntegral(s).map { .long($0) } ?? .null
        default: return .null
        }
    }

    static func toInt(_ v: Value) -> Value {
        switch v {
        case .bool(let b): return .int(b ? 1 : 0)
        case .int: return v
        case .long(let x): return .int(Int32(truncatingIfNeeded: x))
        case .float(let x): return .int(javaDoubleToInt(Double(x)))
        case .double(let x): return .int(javaDoubleToInt(x))
        case .timestamp(let us): return .int(Int32(truncatingIfNeeded: floorDiv(us, 1_000_000)))
        case .string(let s):
            guard let l = parseIntegral(s), l >= Int64(Int32.min), l <= Int64(Int32.max) else { return .null }
            return .int(Int32(l))
        default: return .null
        }
    }

    static func toDouble(_ v: Value) -> Value {
        switch v {
        case .bool(let b): return .double(b ? 1 : 0)
        case .int(let x): return .double(Double(x))
        case .long(let x): return .double(Double(x))
        case .float(let x): return .double(Double(x))
        case .double: return v
        // `timestampToDouble`: us / MICROS_PER_SECOND.toDouble.
        case .timestamp(let us): return .double(Double(us) / 1_000_000)
        case .string(let s): return parseFloating(s).map { .double($0) } ?? .null
        default: return .null
        }
    }

    /// `castToFloat`: a double is narrowed with Java's `d.toFloat` (round to nearest, overflow → ±Infinity), which is
    /// what turns 86769.94 into 86769.9375 in the seed Coinbase job.
    static func toFloat(_ v: Value) -> Value {
        switch v {
        case .bool(let b): return .float(b ? 1 : 0)
        case .int(let x): return .float(Float(x))
        case .long(let x): return .float(Float(x))
        case .float: return v
        case .double(let x): return .float(Float(x))
        case .timestamp(let us): return .float(Float(Double(us) / 1_000_000))
        case .string(let s): return parseFloating(s).map { .float(Float($0)) } ?? .null
        default: return .null
        }
    }

    static func toTimestamp(_ v: Value) -> Value {
        switch v {
        case .timestamp: return v
        // `longToTimestamp`: seconds → µs (`SECONDS.toMicros`, saturating).
        case .int(let x): return .timestamp(Int64(x) * 1_000_000)
        case .long(let x): return .timestamp(x.multipliedReportingOverflow(by: 1_000_000).overflow ? (x < 0 ? .min : .max) : x * 1_000_000)
        case .float(let x): return secondsToTimestampMicros(Double(x)).map { .timestamp($0) } ?? .null
        case .double(let x): return secondsToTimestampMicros(x).map { .timestamp($0) } ?? .null
        case .bool(let b): return .timestamp(b ? 1 : 0)
        case .date(let d): return .timestamp(Int64(d) * 86_400_000_000)
        case .string(let s): return SparkTimestampText.parseTimestampMicros(s).map { .timestamp($0) } ?? .null
        default: return .null
        }
    }

    static func toDate(_ v: Value) -> Value {
        switch v {
        case .date: return v
        case .timestamp(let us): return .date(Int32(truncatingIfNeeded: floorDiv(us, 86_400_000_000)))
        case .string(let s): return SparkTimestampText.parseDateDays(s).map { .date($0) } ?? .null
        default: return .null
        }
    }

    /// `UTF8String.toLong` (legacy): optional sign, digits, an optional fraction that is dropped; trimmed.
    static func parseIntegral(_ s: String) -> Int64? {
        var t = Substring(s.trimmingSpaces)
        if let dot = t.firstIndex(of: ".") {
            let frac = t[t.index(after: dot)...]
            guard frac.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            t = t[..<dot]
            if t == "-" || t == "+" || t.isEmpty { return frac.isEmpty ? nil : 0 }
        }
        return Int64(t)
    }

    /// `Cast.processFloatingPointSpecialLiterals` then `toDouble` (trimmed).
    static func parseFloating(_ s: String) -> Double? {
        let t = s.trimmingSpaces
        switch t.lowercased() {
        case "inf", "+inf", "infinity", "+infinity": return .infinity
        case "-inf", "-infinity": return -.infinity
        case "nan": return .nan
        default:
            let trimmed = t.hasSuffix("d") || t.hasSuffix("D") || t.hasSuffix("f") || t.hasSuffix("F") ? String(t.dropLast()) : t
            guard !trimmed.isEmpty, trimmed.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2e || $0 == 0x2d || $0 == 0x2b || $0 == 0x65 || $0 == 0x45 }) else { return nil }
            return Double(trimmed)
        }
    }

    /// `castToString`: Java's `toString` for numbers (`Double.toString`), `yyyy-MM-dd HH:mm:ss[.SSSSSS]` for
    /// timestamps in the session time zone (UTC here), `yyyy-MM-dd` for dates, the UTF-8 text for binary.
    public static func toStringText(_ v: Value) -> String {
        switch v {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let x): return String(x)
        case .long(let x): return String(x)
        case .float(let x): return JavaNumberText.float(x)
        case .double(let x): return JavaNumberText.double(x)
        case .string(let s): return s
        case .binary(let b): return String(decoding: b, as: UTF8.self)
        case .timestamp(let us): return SparkTimestampText.format(us)
        case .date(let d): return SparkTimestampText.formatDate(d)
        }
    }
}

/// Java's `Double.toString` / `Float.toString` layout: plain decimal with at least one fractional digit for
/// 1e-3 ≤ |x| < 1e7, otherwise computerized scientific notation (`1.0E7`, `1.5E-4`). The digits are the shortest
/// round-trip digits (what JDK 19+ prints; JDK 17 prints the same for all but rare values — see docs/semantics/spark.md).
public enum JavaNumberText {
    public static func double(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d > 0 ? "Infinity" : "-Infinity" }
        if d == 0 { return d.sign == .minus ? "-0.0" : "0.0" }
        return layout(shortest: "\(d)", magnitude: abs(d))
    }

    public static func float(_ f: Float) -> String {
        if f.isNaN { return "NaN" }
        if f.isInfinite { return f > 0 ? "Infinity" : "-Infinity" }
        if f == 0 { return f.sign == .minus ? "-0.0" : "0.0" }
        return layout(shortest: "\(f)", magnitude: Double(abs(f)))
    }

    /// Re-lays out Swift's shortest representation (`1e-05`, `12345.678`, `1.0e+20`) the way Java does.
    static func layout(shortest: String, magnitude: Double) -> String {
        var text = shortest
        var negative = false
        if text.hasPrefix("-") { negative = true; text.removeFirst() }
        // Split into digits and a decimal exponent.
        var mantissa = text
        var exp = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = String(text[..<e])
            exp = Int(text[text.index(after: e)...]) ?? 0
        }
        var intPart = mantissa
        var fracPart = ""
        if let dot = mantissa.firstIndex(of: ".") {
            intPart = String(mantissa[..<dot])
            fracPart = String(mantissa[mantissa.index(after: dot)...])
        }
        var digits = intPart + fracPart
        var pointPos = intPart.count + exp  // position of the decimal point within `digits`
        while digits.count > 1, digits.hasPrefix("0") { digits.removeFirst(); pointPos -= 1 }
        while digits.count > 1, digits.hasSuffix("0") { digits.removeLast() }
        var out = negative ? "-" : ""
        if magnitude >= 1e-3 && magnitude < 1e7 {
            if pointPos <= 0 {
                out += "0." + String(repeating: "0", count: -pointPos) + digits
            } else if pointPos >= digits.count {
                out += digits + String(repeating: "0", count: pointPos - digits.count) + ".0"
            } else {
                let i = digits.index(digits.startIndex, offsetBy: pointPos)
                out += digits[..<i] + "." + digits[i...]
            }
        } else {
            let first = digits.prefix(1)
            let rest = digits.dropFirst()
            out += first + "." + (rest.isEmpty ? "0" : rest) + "E" + String(pointPos - 1)
        }
        return out
    }
}

/// Spark's timestamp and date text in the session time zone (UTC throughout StreamSim).
public enum SparkTimestampText {
    /// `yyyy-MM-dd HH:mm:ss` plus the fraction with trailing zeros removed (`TimestampFormatter` default, as
    /// `Dataset.show` and `cast(ts as string)` print it).
    public static func format(_ us: Int64) -> String {
        let days = floorDiv(us, 86_400_000_000)
        let usOfDay = us - days * 86_400_000_000
        let (y, mo, d) = UTCTimestamp.civil(fromDays: days)
        let h = usOfDay / 3_600_000_000, mi = (usOfDay / 60_000_000) % 60, s = (usOfDay / 1_000_000) % 60
        let frac = usOfDay % 1_000_000
        var text = "\(UTCTimestamp.pad(y, 4))-\(UTCTimestamp.pad(Int64(mo), 2))-\(UTCTimestamp.pad(Int64(d), 2)) \(UTCTimestamp.pad(h, 2)):\(UTCTimestamp.pad(mi, 2)):\(UTCTimestamp.pad(s, 2))"
        if frac != 0 {
            var f = UTCTimestamp.pad(frac, 6)
            while f.hasSuffix("0") { f.removeLast() }
            text += "." + f
        }
        return text
    }

    public static func formatDate(_ days: Int32) -> String {
        let (y, m, d) = UTCTimestamp.civil(fromDays: Int64(days))
        return "\(UTCTimestamp.pad(y, 4))-\(UTCTimestamp.pad(Int64(m), 2))-\(UTCTimestamp.pad(Int64(d), 2))"
    }

    /// `DateTimeUtils.stringToTimestamp` for the common ISO shapes: `yyyy-MM-dd[( |T)HH:mm[:ss[.SSSSSS]]][Z|±HH:mm]`.
    /// Text without a zone is in the session zone (UTC). Returns nil for anything else (→ null).
    public static func parseTimestampMicros(_ text: String) -> Int64? {
        let b = Array(text.trimmingSpaces.utf8)
        var i = 0
        func num(_ minDigits: Int, _ maxDigits: Int) -> Int64? {
            var v: Int64 = 0, n = 0
            while i < b.count, n < maxDigits, b[i] >= 0x30, b[i] <= 0x39 { v = v * 10 + Int64(b[i] - 0x30); i += 1; n += 1 }
            return n >= minDigits ? v : nil
        }
        func take(_ c: UInt8) -> Bool { if i < b.count, b[i] == c { i += 1; return true }; return false }
        guard let y = num(4, 6), take(0x2d), let mo = num(1, 2), take(0x2d), let d = num(1, 2),
              (1...12).contains(mo), (1...31).contains(d) else { return nil }
        var us = UTCTimestamp.days(year: y, month: Int(mo), day: Int(d)) * 86_400_000_000
        if i == b.count { return us }
        guard take(0x20) || take(0x54) else { return nil }
        guard let h = num(1, 2), take(0x3a), let mi = num(1, 2), h < 24, mi < 60 else { return nil }
        us += h * 3_600_000_000 + mi * 60_000_000
        if take(0x3a) {
            guard let s = num(1, 2), s < 60 else { return nil }
            us += s * 1_000_000
            if take(0x2e) {
                var frac: Int64 = 0, n = 0
                while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                    if n < 6 { frac = frac * 10 + Int64(b[i] - 0x30) }
                    n += 1; i += 1
                }
                guard n > 0 else { return nil }
                for _ in n..<max(n, 6) { frac *= 10 }
                us += frac
            }
        }
        if i == b.count { return us }
        if take(0x5a) { return i == b.count ? us : nil }
        let sign: Int64 = take(0x2b) ? 1 : (take(0x2d) ? -1 : 0)
        guard sign != 0, let oh = num(2, 2) else { return nil }
        _ = take(0x3a)
        let om = num(2, 2) ?? 0
        guard i == b.count else { return nil }
        return us - sign * (oh * 3_600_000_000 + om * 60_000_000)
    }

    /// `DateTimeUtils.stringToDate`: `yyyy-MM-dd` optionally followed by a time part that is ignored.
    public static func parseDateDays(_ text: String) -> Int32? {
        guard let us = parseTimestampMicros(text) else { return nil }
        return Int32(truncatingIfNeeded: floorDiv(us, 86_400_000_000))
    }
}

extension String {
    /// The string without leading and trailing ASCII whitespace and control characters (`UTF8String.trim` trims
    /// bytes ≤ 0x20).
    var trimmingSpaces: String {
        let u = Array(self.utf8)
        var a = 0, z = u.count
        while a < z, u[a] <= 0x20 { a += 1 }
        while z > a, u[z - 1] <= 0x20 { z -= 1 }
        return a == 0 && z == u.count ? self : String(decoding: u[a..<z], as: UTF8.self)
    }
}
