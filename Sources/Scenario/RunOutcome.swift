public import SimCore
public import SimLog
public import QueryModel
import SparkEngine
import FlinkEngine
import Sinks
import OrderedCollections

/// A window result's identity: the window (µs, as QueryModel emits it) and the group-key values as text.
public struct WindowKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var start: Int64
    public var end: Int64
    public var key: String

    public init(start: Int64, end: Int64, key: String) {
        self.start = start
        self.end = end
        self.key = key
    }

    /// A window with its group-key values, joined as the diff, the results database and the reports show them.
    public init(start: Int64, end: Int64, keys: [Value]) {
        self.init(start: start, end: end, key: keys.map(\.description).joined(separator: ","))
    }

    public static func < (a: WindowKey, b: WindowKey) -> Bool { (a.start, a.end, a.key) < (b.start, b.end, b.key) }

    public var description: String {
        "[\(UTCTimestamp.timeOfDay(floorDiv(start, 1000))), \(UTCTimestamp.timeOfDay(floorDiv(end, 1000)))) \(key)"
    }
}

/// How a Spark-vs-Flink difference is explained.
public enum DiffLabel: Sendable, Equatable, CustomStringConvertible {
    case same
    case expected(String)
    case unexplained

    public var description: String {
        switch self {
        case .same: return "same"
        case .expected(let r): return "expected: \(r)"
        case .unexplained: return "UNEXPLAINED"
        }
    }
    public var isUnexplained: Bool { if case .unexplained = self { return true } else { return false } }
    public var isExpected: Bool { if case .expected = self { return true } else { return false } }
}

/// One cell of the labelled diff of a job's window results.
public struct DiffEntry: Sendable {
    public var job: String
    public var window: WindowKey
    public var spark: [(String, String)]?
    public var flink: [(String, String)]?
    public var label: DiffLabel
}

/// A record an engine dropped, diverted or fired late for, with the rule that decided it.
public struct LateRecordLine: Sendable {
    public var engine: EngineName
    public var job: String
    public var at: ProcessingTime
    public var topicPartition: TopicPartition
    public var offset: Int64
    public var eventTime: EventTime?
    public var watermark: EventTime
    public var window: WindowKey?
    /// `dropped`, `side_output`, `late_firing`.
    public var fate: String
    public var rule: String
    public var batch: Int64?
}

/// The result of an expectation.
public struct ExpectationResult: Sendable {
    public var expectation: Expectation
    public var actual: String
    public var passed: Bool
}

/// Everything a run produced that the report, the database and the exit code need.
public struct ScenarioOutcome: Sendable {
    public var name: String
    public var file: String
    public var seed: UInt64
    public var start: ProcessingTime
    public var end: ProcessingTime
    public var digest: String
    public var traceEvents: Int
    /// Named numbers, in a stable order (what expectations compare).
    public var metrics: [(name: String, value: Double)]
    public var engineLines: [EngineName: [(String, String)]]
    public var late: [LateRecordLine]
    public var diff: [DiffEntry]
    /// Row-by-row comparisons of jobs without windows that ran on both engines (`compare_by`).
    public var rowDiff: [RowComparison] = []
    /// Records retention deleted before a job that reads their topic had read them.
    public var retentionLosses: [RetentionLoss] = []
    public var expectations: [ExpectationResult]
    public var faults: [(at: ProcessingTime, kind: String, detail: String)]
    public var databasePath: String?

    public var passed: Bool { expectations.allSatisfy(\.passed) }

    public func metric(_ name: String) -> Double? { metrics.first { $0.name == name }?.value }
}

extension ScenarioRun {
    /// Computes metrics, the diff and the expectations from what the engines did.
    public func outcome() -> ScenarioOutcome {
        var metrics: [(String, Double)] = []
        var lines: [EngineName: [(String, String)]] = [:]
        var late: [LateRecordLine] = []
        metrics.append(("log.records", Double(appendedCount)))
        metrics.append(("log.lost_to_retention", Double(retentionLosses.reduce(Int64(0)) { $0 + $1.count })))
        metrics.append(("log.duplicates", Double(logDuplicates())))
        metrics.append(("producer.retries", Double(producers.reduce(0) { $0 + $1.producer.counters.retried })))
        metrics.append(("producer.failed", Double(producers.reduce(0) { $0 + $1.producer.counters.failed })))
        metrics.append(("producer.duplicates_rejected", Double(producers.reduce(0) { $0 + $1.producer.counters.duplicates })))

        // Spark
        if !sparkJobs.isEmpty {
            var rows = 0, groups = 0, malformed = 0, lost: Int64 = 0, restarts = 0, duplicates = 0, failed = 0, batches = 0, noData = 0
            var overruns = 0, maxBatchMs: Int64 = 0, inputRows = 0
            var busyFrom: ProcessingTime?, busyTo: ProcessingTime?
            var latencies: [Int64] = []
            var wm: Int64 = 0
            var failures: [String] = []
            for j in sparkJobs {
                let progress = j.progress
                batches += progress.count
                noData += progress.filter { $0.kind == .noData }.count
                rows += j.accepted.reduce(0) { $0 + $1.rows.count }
                inputRows += progress.reduce(0) { $0 + $1.numInputRows }
                for p in progress where p.kind == .data {
                    maxBatchMs = max(maxBatchMs, p.durationMs)
                    if case .processingTime(let i) = j.options.trigger, i > .zero, p.durationMs > i.milliseconds { overruns += 1 }
                    busyFrom = min(busyFrom ?? p.triggerTime, p.triggerTime)
                    busyTo = max(busyTo ?? p.triggerTime, p.triggerTime + .milliseconds(p.durationMs))
                }
                groups += progress.reduce(0) { $0 + $1.stateOperators.reduce(0) { $0 + Int($1.numRowsDroppedByWatermark) } }
                malformed += progress.reduce(0) { $0 + $1.malformedRecords }
                lost += progress.reduce(0) { $0 + $1.lostRecords }
                restarts += j.restarts
                duplicates += j.duplicateRows
                if let f = j.failure { failed += 1; failures.append("\(j.job.name): \(shortError(f.description))") }
                wm = max(wm, progress.last?.watermarkMs ?? 0, j.execution.currentWatermarkMs)
                latencies += sparkLatencies(j)
                for d in j.droppedRecords {
                        late.append(LateRecordLine(
                        engine: .spark, job: j.job.name, at: progress.first { $0.batchId == d.batchId }?.triggerTime ?? environment.now,
                        topicPartition: d.topicPartition, offset: d.offset, eventTime: nil,
                        watermark: EventTime(d.watermarkMs), window: WindowKey(start: d.window.start, end: d.window.end, keys: d.keys),
                        fate: "dropped",
                        rule: "window end \(UTCTimestamp.timeOfDay(floorDiv(d.window.end, 1000))) ≤ watermark \(UTCTimestamp.timeOfDay(d.watermarkMs)) of the previous batch → Spark drops it in batch \(d.batchId)",
                        batch: d.batchId))
                }
            }
            let dropped = late.filter { $0.engine == .spark }.count
            let (p50, p95, pmax) = percentiles(latencies)
            let busySeconds = Double(((busyTo ?? document.start) - (busyFrom ?? document.start)).milliseconds) / 1000
            let rate = busySeconds > 0 ? Double(inputRows) / busySeconds : 0
            let throughput = rate >= 100 ? rate.rounded() : (rate * 100).rounded() / 100
            metrics += [("spark.input_rows", Double(inputRows)), ("spark.throughput_rps", throughput), ("spark.batch_duration_max_ms", Double(maxBatchMs)),
                        ("spark.trigger_overruns", Double(overruns))]
            metrics += [("spark.batches", Double(batches)), ("spark.rows_emitted", Double(rows)), ("spark.late_dropped", Double(dropped)),
                        ("spark.late_dropped_groups", Double(groups)), ("spark.malformed", Double(malformed)), ("spark.lost_records", Double(lost)),
                        ("spark.restarts", Double(restarts)), ("spark.duplicates", Double(duplicates)), ("spark.watermark_ms", Double(wm)),
                        ("spark.latency_p50_ms", Double(p50)), ("spark.latency_p95_ms", Double(p95)), ("spark.latency_max_ms", Double(pmax)),
                        ("spark.failed", Double(failed))]
            var l: [(String, String)] = []
            l.append(("rows emitted", "\(rows) → " + sparkJobs.map { sinkText($0.options.sink, $0.job) }.joined(separator: ", ")))
            l.append(("late", dropped == 0 ? "none dropped" : "\(dropped) record(s) dropped (\(groups) group(s) in numRowsDroppedByWatermark): window end ≤ previous batch's watermark"))
            l.append(("malformed", malformed == 0 ? "none" : "\(malformed) row(s) of null fields (from_json PERMISSIVE)"))
            let sparkWatermarks = sparkJobs.contains { $0.job.query(on: .spark).watermark != nil }
            l.append(("watermark", sparkWatermarks ? "final \(UTCTimestamp.iso8601(wm)) (moves once per batch, used by the next)" : "none (the query has no watermark)"))
            l.append(("latency p50/p95/max", latencyText(p50, p95, pmax, count: latencies.count)))
            l.append(("batches", "\(batches) (\(noData) no-data)" + (maxBatchMs > 0 ? ", longest \(SimDuration(milliseconds: maxBatchMs)), \(overruns) over the trigger interval" : "")))
            if maxBatchMs > 0 { l.append(("throughput", "\(formatNumber(throughput)) rows/s (\(inputRows) input rows ÷ first trigger → last batch end)")) }
            l.append(("restarts", "\(restarts)"))
            l.append(("duplicates", "\(duplicates)"))
            if lost > 0 { l.append(("lost to retention", "\(lost) record(s) skipped (failOnDataLoss=false)")) }
            let supervised = sparkJobs.reduce(0) { $0 + $1.supervisedRestarts }
            if supervised > 0 { l.append(("orchestrator", "restarted the failed driver \(supervised) time(s) (restart_on_failure)")) }
            let recovered = sparkJobs.compactMap { j -> String? in
                let past = j.failures.dropLast(j.failure == nil ? 0 : 1)
                guard let first = past.first else { return nil }
                return "\(j.job.name): \(past.count) failure(s), e.g. \(shortError(first.description))"
            }
            if !recovered.isEmpty { l.append(("failed, restarted", recovered.joined(separator: "; "))) }
            if !failures.isEmpty { l.append(("FAILED", failures.joined(separator: "; "))) }
            lines[.spark] = l
        }

        // Flink
        if !flinkJobs.isEmpty {
            var rows = 0, dropped = 0, side = 0, lateFirings = 0, checkpoints = 0, restarts = 0, duplicates = 0, failed = 0
            var malformed: Int64 = 0, recordsRead: Int64 = 0
            var latencies: [Int64] = []
            var wm = EventTime.min
            var failures: [String] = []
            for j in flinkJobs {
                let visible = j.flinkJob.visibleRows
                rows += visible.count
                latencies += visible.map(\.latencyMs)
                duplicates += duplicateCount(visible.map(\.row))
                malformed += j.flinkJob.metrics.recordsUndeserializable
                checkpoints += j.flinkJob.metrics.checkpointsCompleted
                recordsRead += j.flinkJob.metrics.recordsRead
                restarts += j.flinkJob.metrics.restarts
                if j.flinkJob.status == .failed { failed += 1; failures.append("\(j.job.name): \(j.flinkJob.failureCause ?? "failed")") }
                for e in j.events {
                    switch e {
                    case .watermark(_, let v, _, _): if v < .max { wm = max(wm, v) }
                    case .late(let r):
                        switch r.fate {
                        case .dropped: dropped += 1
                        case .sideOutput: side += 1
                        case .lateFiring: lateFirings += 1
                        }
                        late.append(LateRecordLine(engine: .flink, job: j.job.name, at: r.at, topicPartition: r.origin.topicPartition, offset: r.origin.offset,
                                                   eventTime: r.eventTime, watermark: r.watermark,
                                                   window: WindowKey(start: r.windowStart * 1000, end: r.windowEnd * 1000, keys: r.key),
                                                   fate: r.fate == .sideOutput ? "side_output" : (r.fate == .lateFiring ? "late_firing" : "dropped"),
                                                   rule: r.rule, batch: nil))
                    default: break
                    }
                }
            }
            let (p50, p95, pmax) = percentiles(latencies)
            metrics += [("flink.records_read", Double(recordsRead))]
            metrics += [("flink.rows_emitted", Double(rows)), ("flink.late_dropped", Double(dropped)), ("flink.side_output.count", Double(side)),
                        ("flink.late_firings", Double(lateFirings)), ("flink.malformed", Double(malformed)), ("flink.checkpoints", Double(checkpoints)),
                        ("flink.restarts", Double(restarts)), ("flink.duplicates", Double(duplicates)),
                        ("flink.watermark_ms", Double(wm == .min ? 0 : wm.millisecondsSinceEpoch)),
                        ("flink.latency_p50_ms", Double(p50)), ("flink.latency_p95_ms", Double(p95)), ("flink.latency_max_ms", Double(pmax)),
                        ("flink.failed", Double(failed))]
            var l: [(String, String)] = []
            l.append(("rows emitted", "\(rows) → " + flinkJobs.map { sinkText($0.options.sink, $0.job) }.joined(separator: ", ")))
            var lateText: [String] = []
            if dropped > 0 { lateText.append("\(dropped) dropped") }
            if side > 0 { lateText.append("\(side) to side output") }
            if lateFirings > 0 { lateText.append("\(lateFirings) late firing(s)") }
            l.append(("late", lateText.isEmpty ? "none" : lateText.joined(separator: ", ") + ": window end − 1 + allowed lateness ≤ current watermark"))
            l.append(("malformed", malformed == 0 ? "none" : "\(malformed) record(s) not deserializable"))
            let flinkWindows = flinkJobs.contains { $0.job.query(on: .flink).aggregation?.window != nil }
            if flinkJobs.count > 1 && flinkWindows {
                // Per job: one job's watermark may be stuck while another's moves (idle-partition.yaml).
                let perJob = flinkJobs.map { j -> String in
                    var w = EventTime.min
                    for e in j.events { if case .watermark(_, let v, _, _) = e, v < .max { w = max(w, v) } }
                    return "\(j.job.name): " + (w == .min ? "never advanced (Long.MIN_VALUE)" : "final \(w)")
                }
                l.append(("watermark", perJob.joined(separator: "; ")))
            } else {
                l.append(("watermark", !flinkWindows ? "none (no event-time window in the query)"
                          : wm == .min ? "never advanced (Long.MIN_VALUE)" : "final \(wm) (after every record or every auto-watermark interval)"))
            }
            l.append(("latency p50/p95/max", latencyText(p50, p95, pmax, count: latencies.count)))
            l.append(("checkpoints", "\(checkpoints) completed"))
            l.append(("restarts", "\(restarts)"))
            l.append(("duplicates", "\(duplicates)"))
            if !failures.isEmpty { l.append(("FAILED", failures.joined(separator: "; "))) }
            lines[.flink] = l
        }

        let diff = windowDiff()
        let rows = rowDiff()
        metrics.append(("diff.unexplained", Double(diff.filter(\.label.isUnexplained).count + rows.reduce(0) { $0 + $1.unexplained })))
        metrics.append(("diff.expected", Double(diff.filter(\.label.isExpected).count + rows.reduce(0) { $0 + $1.expected })))
        metrics.append(("diff.rows_matched", Double(rows.reduce(0) { $0 + $1.matched })))
        metrics.append(("diff.rows_unmatched", Double(rows.reduce(0) { $0 + $1.onlySpark + $1.onlyFlink })))
        late.sort { ($0.at, $0.engine.rawValue, $0.topicPartition, $0.offset) < ($1.at, $1.engine.rawValue, $1.topicPartition, $1.offset) }

        var checked: [ExpectationResult] = []
        for e in document.expectations {
            switch e {
            case .compare(let name, let op, let value):
                let actual = metrics.first { $0.0 == name }?.1
                checked.append(ExpectationResult(expectation: e, actual: actual.map(formatNumber) ?? "n/a", passed: actual.map { op.holds($0, value) } ?? false))
            case .noDuplicates(let table):
                let count = tableDuplicates(table)
                checked.append(ExpectationResult(expectation: e, actual: count.map { "\($0) duplicate row(s)" } ?? "no such table", passed: count == 0))
            case .sameResults:
                let bad = diff.filter(\.label.isUnexplained).count + rows.reduce(0) { $0 + $1.unexplained }
                checked.append(ExpectationResult(expectation: e, actual: "\(bad) unexplained difference(s)", passed: bad == 0))
            case .sql(let query, let op, let value):
                switch sqlNumber(query) {
                case .success(let x): checked.append(ExpectationResult(expectation: e, actual: formatNumber(x), passed: op.holds(x, value)))
                case .failure(let f): checked.append(ExpectationResult(expectation: e, actual: f.message, passed: false))
                }
            }
        }
        return ScenarioOutcome(name: document.name, file: document.file, seed: seed, start: document.start, end: environment.now,
                               digest: environment.trace.digest, traceEvents: environment.trace.eventCount, metrics: metrics, engineLines: lines,
                               late: late, diff: diff, rowDiff: rows, retentionLosses: retentionLosses, expectations: checked, faults: faultLog,
                               databasePath: results?.path)
    }


    /// Runs an expectation's SQL over the results database (writing `log_records` first, so it can be queried).
    func sqlNumber(_ query: String) -> Result<Double, SQLExpectationFailure> {
        guard let db = results?.database else { return .failure(SQLExpectationFailure("no results database (--no-db)")) }
        do {
            try writeLogRecords()
            let r = try db.query(query)
            guard let first = r.rows.first, let v = first.values.first else { return .failure(SQLExpectationFailure("the query returned no rows")) }
            guard let x = v.doubleValue ?? v.int64Value.map(Double.init) else { return .failure(SQLExpectationFailure("the query returned \(v), not a number")) }
            return .success(x)
        } catch {
            return .failure(SQLExpectationFailure("SQL error: \(error)"))
        }
    }



    func sinkText(_ s: SinkSpec, _ job: JobSpec) -> String {
        switch s.kind {
        case .memory: return "memory table \(s.table ?? job.name)"
        case .console: return "console"
        case .file: return "files under \(s.path ?? "?")"
        case .sqlite, .jdbc: return "table \(s.table ?? job.name) (\(s.mode.rawValue)\(s.idempotent ? ", idempotent by batch id" : ""))"
        }
    }

    /// Rows that appear more than once with identical values (re-emitted results), ignoring nothing: the engines'
    /// result rows hold no processing-time columns unless the query asks for `current_timestamp()`.
    func duplicateCount(_ rows: [Row]) -> Int {
        var seen: [Row: Int] = [:]
        for r in rows { seen[r, default: 0] += 1 }
        return seen.values.reduce(0) { $0 + max(0, $1 - 1) }
    }

    func tableDuplicates(_ table: String) -> Int? {
        guard let db = results?.database else { return nil }
        guard let cols = try? db.query("SELECT name FROM pragma_table_info(?)", [.string(table)]).rows.compactMap({ $0[0].stringValue }), !cols.isEmpty else { return nil }
        let keep = cols.filter { !["id", "processed_at", "batch_id"].contains($0) }.map { "\"\($0)\"" }.joined(separator: ", ")
        let sql = "SELECT COALESCE(SUM(c - 1), 0) FROM (SELECT COUNT(*) AS c FROM \"\(table)\" GROUP BY \(keep))"
        return (try? db.query(sql).rows.first?[0].int64Value).flatMap { $0 }.map(Int.init)
    }

    /// Spark's latency: for window results, the time the batch wrote the row minus the window's last event-time
    /// instant (end − 1 ms, as Flink stamps window results); for raw rows, the batch's sink time minus each input
    /// record's Kafka timestamp.
    func sparkLatencies(_ j: SparkJobRuntime) -> [Int64] {
        let schema = j.outputSchema
        if let endIndex = schema.index(of: "window_end") {
            if j.job.query(on: .spark).outputMode != .append {
                // update/complete re-emit open windows: how fresh each result is — the sink time minus the latest event
                // time the batch had seen.
                var maxEvent: [Int64: Int64] = [:]
                for p in j.progress { if let m = p.eventTimeMaxMs { maxEvent[p.batchId] = m } }
                return j.accepted.compactMap { a in
                    guard !a.rows.isEmpty, let m = maxEvent[a.batchId] else { return nil }
                    return a.at.millisecondsSinceEpoch - m
                }
            }
            return j.accepted.flatMap { e in e.rows.compactMap { r -> Int64? in
                guard case .timestamp(let us) = r[endIndex] else { return nil }
                return e.at.millisecondsSinceEpoch - (floorDiv(us, 1000) - 1)
            } }
        }
        var sinkTime: [Int64: ProcessingTime] = [:]
        for e in j.accepted where sinkTime[e.batchId] == nil { sinkTime[e.batchId] = e.at }
        var out: [Int64] = []
        for p in j.progress where p.kind == .data {
            guard let t = sinkTime[p.batchId] else { continue }
            for tp in p.endOffsets.partitions {
                let from = p.startOffsets.offsets[tp] ?? 0
                let to = p.endOffsets.offsets[tp] ?? from
                guard to > from, let recs = try? broker.fetchRecords(tp, from: from, maxRecords: Int(to - from), maxBytes: .max) else { continue }
                for r in recs where r.offset < to { out.append(t.millisecondsSinceEpoch - r.timestamp.millisecondsSinceEpoch) }
            }
        }
        return out
    }

    /// Records the log holds more than once (same topic, key and value): a producer retry without idempotence.
    func logDuplicates() -> Int {
        var seen: [String: Int] = [:]
        var duplicates = 0
        for a in appended {
            let k = a.topicPartition.topic + "\u{1}" + (a.record.key.map { String(decoding: $0, as: UTF8.self) } ?? "") + "\u{1}"
                + (a.record.value.map { String(decoding: $0, as: UTF8.self) } ?? "")
            if seen[k, default: 0] > 0 { duplicates += 1 }
            seen[k, default: 0] += 1
        }
        return duplicates
    }

    func percentiles(_ values: [Int64]) -> (Int64, Int64, Int64) {
        guard !values.isEmpty else { return (0, 0, 0) }
        let s = values.sorted()
        func p(_ q: Double) -> Int64 { s[min(s.count - 1, Int((q * Double(s.count - 1)).rounded()))] }
        return (p(0.5), p(0.95), s.last!)
    }

    func latencyText(_ p50: Int64, _ p95: Int64, _ pmax: Int64, count: Int) -> String {
        count == 0 ? "n/a (nothing visible in the sink)" : "\(SimDuration(milliseconds: p50)) / \(SimDuration(milliseconds: p95)) / \(SimDuration(milliseconds: pmax)) (\(count) rows, event time → visible)"
    }
}

/// An engine error cut to what a reader needs: Spark's error class and the reason after "Reason:".
func shortError(_ text: String) -> String {
    let firstLine = text.split(separator: "\n").first.map(String.init) ?? text
    var out = firstLine
    if let r = text.range(of: "Reason: ") {
        let errorClass = firstLine.hasPrefix("[") ? String(firstLine.prefix { $0 != "]" }) + "] " : ""
        out = errorClass + String(text[r.upperBound...])
    }
    return out.count > 180 ? String(out.prefix(179)) + "…" : out
}

func formatNumber(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v) }

/// Why an SQL expectation could not produce a number.
public struct SQLExpectationFailure: Error, Sendable {
    public var message: String
    init(_ message: String) { self.message = message }
}
