public import SimCore
import Yams

/// A topic a scenario creates, with Kafka's topic-level configuration names.
public struct TopicSpec: Equatable, Sendable {
    public var name: String
    public var partitions: Int
    /// `retention.ms`; nil = Kafka's default (7 days); `-1` in YAML = infinite.
    public var retentionMs: Int64?
    /// `retention.bytes`; nil = unlimited (Kafka's -1).
    public var retentionBytes: Int64?
    /// `segment.bytes`; nil = Kafka's default (1 GiB).
    public var segmentBytes: Int64?
    /// `segment.ms`; nil = Kafka's default (7 days).
    public var segmentMs: Int64?
    /// `message.timestamp.type`: CreateTime (default) or LogAppendTime.
    public var timestampType: String
    /// `log.retention.check.interval.ms` for this scenario's broker (default 300000).
    public var retentionCheckIntervalMs: Int64?

    static let keys = ["name", "partitions", "retention", "retention.ms", "retention.bytes", "segment.bytes", "segment.ms",
                       "message.timestamp.type", "retention.check.interval"]

    static func parse(_ v: YAMLValue) throws(ScenarioError) -> TopicSpec {
        let m = try v.mapping(allowed: keys)
        let name = try m.required("name", hint: "the topic name, e.g. crypto_prices").string()
        let partitions = try m.int("partitions", default: 1)
        guard partitions >= 1, partitions <= 1024 else {
            throw m["partitions"]!.error("`\(m["partitions"]!.path)`: a topic needs 1 … 1024 partitions, found \(partitions)")
        }
        var retention: Int64?
        if let r = m["retention"] ?? m["retention.ms"] {
            if let ms = try? r.int(), ms == -1 { retention = -1 } else { retention = try r.duration().milliseconds }
        }
        let tsType = try m.string("message.timestamp.type", default: "CreateTime")
        guard ["CreateTime", "LogAppendTime"].contains(tsType) else {
            throw m["message.timestamp.type"]!.error("`message.timestamp.type` must be CreateTime or LogAppendTime, found \"\(tsType)\"")
        }
        return TopicSpec(
            name: name, partitions: Int(partitions), retentionMs: retention,
            retentionBytes: try m["retention.bytes"]?.int(), segmentBytes: try m["segment.bytes"]?.int(),
            segmentMs: try m["segment.ms"]?.duration().milliseconds, timestampType: tsType,
            retentionCheckIntervalMs: try m["retention.check.interval"]?.duration().milliseconds)
    }
}

/// When a fault happens: an absolute instant or an offset from the scenario's start.
public enum FaultInstant: Equatable, Sendable, CustomStringConvertible {
    case absolute(ProcessingTime)
    case afterStart(SimDuration)

    public func resolve(start: ProcessingTime) -> ProcessingTime {
        switch self {
        case .absolute(let t): return t
        case .afterStart(let d): return start + d
        }
    }

    public var description: String {
        switch self {
        case .absolute(let t): return t.description
        case .afterStart(let d): return "+\(d)"
        }
    }

    static func parse(_ v: YAMLValue) throws(ScenarioError) -> FaultInstant {
        let text = try v.string()
        if text.hasPrefix("+") {
            do { return .afterStart(try SimDuration.parse(String(text.dropFirst()))) } catch let e {
                throw v.error("`\(v.path)`: \(e.description)")
            }
        }
        return .absolute(ProcessingTime(try v.instantMilliseconds()))
    }
}

/// Which engine a fault or expectation names.
public enum EngineName: String, Equatable, Sendable, CaseIterable, Codable {
    case spark, flink
}

/// One entry of the fault timeline.
public enum FaultAction: Equatable, Sendable, CustomStringConvertible {
    /// The engine's process dies: all memory is lost; it restarts after `restartAfter` (nil = Spark waits for an
    /// explicit `restart`; Flink follows its restart strategy).
    case crash(EngineName, restartAfter: SimDuration?)
    /// Starts a stopped engine again.
    case restart(EngineName)
    /// Spark only: crash right after the next batch's `offsets/N` is written and before `commits/N`.
    case crashBetweenOffsetsAndCommit(batch: Int64?)
    /// The broker refuses produce and fetch (retriable errors) for a while.
    case brokerDown(SimDuration)
    /// The results database rejects writes for a while; sinks retry with backoff.
    case databaseDown(SimDuration)
    /// Extra one-way network delay on produce for a while.
    case networkDelay(extra: SimDuration, duration: SimDuration)
    /// A feed stops sending for a while (nil = every feed).
    case producerOutage(feed: String?, duration: SimDuration)
    /// Runs the retention cleaner on a topic now (instead of waiting for its check interval).
    case retentionPurge(topic: String)

    public var description: String {
        switch self {
        case .crash(let e, let r): return "crash \(e.rawValue)" + (r.map { ", restart after \($0)" } ?? "")
        case .restart(let e): return "restart \(e.rawValue)"
        case .crashBetweenOffsetsAndCommit(let b): return "crash spark between offsets and commit" + (b.map { " of batch \($0)" } ?? "")
        case .brokerDown(let d): return "broker down for \(d)"
        case .databaseDown(let d): return "database down for \(d)"
        case .networkDelay(let x, let d): return "network delay +\(x) for \(d)"
        case .producerOutage(let f, let d): return "producer outage\(f.map { " (\($0))" } ?? "") for \(d)"
        case .retentionPurge(let t): return "retention purge of \(t)"
        }
    }
}

public struct FaultSpec: Equatable, Sendable {
    public var at: FaultInstant
    public var action: FaultAction
    /// `broker_down` only: produce requests the broker appended in this long before it went down get no response
    /// (it died before answering), so their producers time out after `request.timeout.ms` and retry — the classic
    /// source of duplicates without idempotence. nil = none.
    public var lostResponses: SimDuration? = nil
    /// `crash_between_offsets_and_commit` only: crash after the sink has written batch N (still before `commits/N`),
    /// so the re-executed batch is delivered to the sink a second time — what makes an at-least-once sink duplicate.
    public var afterSink = false

    static let actions = ["crash", "restart", "crash_between_offsets_and_commit", "broker_down", "database_down",
                          "network_delay", "producer_outage", "retention_purge"]

    static func parse(_ v: YAMLValue) throws(ScenarioError) -> FaultSpec {
        let m = try v.mapping(allowed: ["at"] + actions + ["restart_after", "for", "feed", "batch", "lost_responses", "after_sink"])
        let at = try FaultInstant.parse(try m.required("at", hint: "an instant such as 2024-08-09T00:01:00Z, or +90s after the start"))
        let present = actions.filter { m.has($0) }
        guard present.count == 1 else {
            throw v.error("`\(v.path)`: a fault needs exactly one of \(actions.joined(separator: ", ")); found \(present.isEmpty ? "none" : present.joined(separator: " and "))")
        }
        let key = present[0]
        let value = m[key]
        func engine() throws(ScenarioError) -> EngineName {
            guard let value else { throw v.error("`\(key)` needs an engine name (spark or flink)") }
            return try value.oneOf(EngineName.self)
        }
        func length(_ x: YAMLValue?) throws(ScenarioError) -> SimDuration {
            guard let x else { throw v.error("`\(v.path).\(key)` needs a duration such as 30 seconds") }
            return try x.duration()
        }
        let action: FaultAction
        switch key {
        case "crash": action = .crash(try engine(), restartAfter: try m.optionalDuration("restart_after"))
        case "restart": action = .restart(try engine())
        case "crash_between_offsets_and_commit":
            if let value, (try? value.string()) != "spark" { throw value.error("`crash_between_offsets_and_commit` applies to spark only") }
            action = .crashBetweenOffsetsAndCommit(batch: try m["batch"]?.int())
        case "broker_down": action = .brokerDown(try length(value))
        case "database_down": action = .databaseDown(try length(value))
        case "network_delay": action = .networkDelay(extra: try length(value), duration: try length(m["for"]))
        case "producer_outage": action = .producerOutage(feed: try m["feed"]?.string(), duration: try length(value))
        default: action = .retentionPurge(topic: try value?.string() ?? "")
        }
        var spec = FaultSpec(at: at, action: action)
        if let lr = m["lost_responses"] {
            guard key == "broker_down" else { throw lr.error("`\(lr.path)` applies to broker_down only") }
            spec.lostResponses = try lr.duration()
        }
        if let x = m["after_sink"] {
            guard key == "crash_between_offsets_and_commit" else { throw x.error("`\(x.path)` applies to crash_between_offsets_and_commit only") }
            spec.afterSink = try x.bool()
        }
        for (k, only) in [("restart_after", "crash"), ("for", "network_delay"), ("feed", "producer_outage"), ("batch", "crash_between_offsets_and_commit")] where m.has(k) && key != only {
            throw m[k]!.error("`\(m[k]!.path)` applies to \(only) only")
        }
        return spec
    }
}

/// A check run at the end of a scenario; a failure makes `sim run` exit 1.
public enum Expectation: Equatable, Sendable, CustomStringConvertible {
    /// `spark.late_dropped >= 1`: a named metric compared with a number.
    case compare(metric: String, op: ComparisonOperator, value: Double)
    /// `no_duplicates: crypto_prices_flink`: no two rows of the table are equal (ignoring surrogate ids and
    /// processing-time columns).
    case noDuplicates(table: String)
    /// `same_results: [spark, flink]`: windows that closed with no late data agree, up to labelled differences.
    case sameResults([EngineName])
    /// `{sql: "SELECT …", check: ">= 100"}`: a query over the results database (the jobs' tables and `log_records`)
    /// that returns one number, compared with a number — for checks no built-in metric expresses.
    case sql(query: String, op: ComparisonOperator, value: Double)

    public var description: String {
        switch self {
        case .compare(let m, let op, let v): return "\(m) \(op.rawValue) \(v == v.rounded() ? String(Int64(v)) : String(v))"
        case .noDuplicates(let t): return "no_duplicates: \(t)"
        case .sameResults(let e): return "same_results: [\(e.map(\.rawValue).joined(separator: ", "))]"
        case .sql(let q, let op, let v): return "sql: \(q) \(op.rawValue) \(v == v.rounded() ? String(Int64(v)) : String(v))"
        }
    }

    static func parse(_ v: YAMLValue, knownMetrics: [String]) throws(ScenarioError) -> Expectation {
        if v.node.scalar != nil {
            let text = try v.string()
            let ops = ComparisonOperator.allCases.sorted { $0.rawValue.count > $1.rawValue.count }
            for op in ops {
                guard let r = text.range(of: " \(op.rawValue) ") ?? text.range(of: op.rawValue) else { continue }
                let metric = text[..<r.lowerBound].trimmingCharacters()
                let number = text[r.upperBound...].trimmingCharacters()
                guard let value = Double(number) else {
                    throw v.error("`\(v.path)`: expected a number after \(op.rawValue), found \"\(number)\"")
                }
                guard knownMetrics.contains(metric) else {
                    var message = "`\(v.path)`: unknown metric `\(metric)`"
                    if let s = Suggestion.nearest(to: metric, in: knownMetrics) { message += "; did you mean `\(s)`?" }
                    message += " (known: \(knownMetrics.joined(separator: ", ")))"
                    throw v.error(message)
                }
                return .compare(metric: metric, op: op, value: value)
            }
            throw v.error("`\(v.path)`: expected `<metric> <op> <number>` such as `spark.late_dropped >= 1`, found \"\(text)\"")
        }
        let m = try v.mapping(allowed: ["no_duplicates", "same_results", "sql", "check"])
        if let q = m["sql"] {
            let query = try q.string()
            guard query.lowercased().trimmingSpaces.hasPrefix("select") || query.lowercased().trimmingSpaces.hasPrefix("with") else {
                throw q.error("`\(q.path)`: an expectation's SQL is one SELECT returning one number, found \"\(query)\"")
            }
            let c = try m.required("check", hint: "a comparison with a number, e.g. \">= 100\"")
            let text = try c.string().trimmingSpaces
            for op in ComparisonOperator.allCases.sorted(by: { $0.rawValue.count > $1.rawValue.count }) where text.hasPrefix(op.rawValue) {
                guard let value = Double(String(text.dropFirst(op.rawValue.count)).trimmingSpaces) else { break }
                return .sql(query: query, op: op, value: value)
            }
            throw c.error("`\(c.path)`: expected a comparison such as \">= 100\" (== != >= <= > <), found \"\(text)\"")
        }
        if let c = m["check"] { throw c.error("`\(c.path)` goes with `sql:`") }
        if let t = m["no_duplicates"] { return .noDuplicates(table: try t.string()) }
        if let e = m["same_results"] {
            let engines = try e.list().map { (x) throws(ScenarioError) -> EngineName in try x.oneOf(EngineName.self) }
            guard Set(engines.map(\.rawValue)).count == 2 else { throw e.error("`same_results` compares two engines: [spark, flink]") }
            return .sameResults(engines)
        }
        throw v.error("`\(v.path)`: expected `no_duplicates: <table>`, `same_results: [spark, flink]` or `{sql: <SELECT>, check: <op> <number>}`")
    }
}

public enum ComparisonOperator: String, Equatable, Sendable, CaseIterable {
    case equal = "==", notEqual = "!=", greaterOrEqual = ">=", lessOrEqual = "<=", greater = ">", less = "<"

    public func holds(_ a: Double, _ b: Double) -> Bool {
        switch self {
        case .equal: return a == b
        case .notEqual: return a != b
        case .greaterOrEqual: return a >= b
        case .lessOrEqual: return a <= b
        case .greater: return a > b
        case .less: return a < b
        }
    }
}

extension Substring {
    func trimmingCharacters() -> String {
        var s = self
        while let c = s.first, c == " " { s = s.dropFirst() }
        while let c = s.last, c == " " { s = s.dropLast() }
        return String(s)
    }
}

extension String {
    func range(of target: String) -> Range<String.Index>? {
        guard !target.isEmpty else { return nil }
        var i = startIndex
        while i < endIndex {
            if self[i...].hasPrefix(target) { return i..<index(i, offsetBy: target.count) }
            i = index(after: i)
        }
        return nil
    }
}
