import SimCore
import SimLog
import QueryModel
import SparkEngine
import FlinkEngine
public import Sinks

extension ScenarioOutcome {
    /// The closing report of `sim run`: one screen that says what each engine did and why.
    public func terminalSummary(maxLateLines: Int = 12, maxDiffLines: Int = 14) -> String {
        var s = ""
        s += "\(name) — seed \(seed) — virtual \(UTCTimestamp.iso8601(start.millisecondsSinceEpoch)) → \(UTCTimestamp.timeOfDay(end.millisecondsSinceEpoch)) (\(end - start))\n"
        let log = metric("log.records").map(formatNumber) ?? "0"
        s += "log: \(log) records appended"
        if let d = metric("log.duplicates"), d > 0 { s += ", \(formatNumber(d)) of them duplicates (same key and value twice)" }
        if let l = metric("log.lost_to_retention"), l > 0 { s += ", \(formatNumber(l)) deleted by retention before every reader had read them" }
        s += "\n"
        let retried = metric("producer.retries") ?? 0, failed = metric("producer.failed") ?? 0, rejected = metric("producer.duplicates_rejected") ?? 0
        if retried + failed + rejected > 0 {
            s += "producers: \(formatNumber(retried)) batch retries, \(formatNumber(failed)) record(s) given up (lost), "
            s += "\(formatNumber(rejected)) retried batch(es) the broker recognised as duplicates (idempotence)\n"
        }
        let engines: [EngineName] = [.spark, .flink].filter { engineLines[$0] != nil }
        if !engines.isEmpty {
            let labelWidth = 22
            let colWidth = engines.count == 2 ? 52 : 90
            s += "\n" + pad("", labelWidth) + engines.map { pad($0.rawValue.uppercased(), colWidth) }.joined() + "\n"
            var labels: [String] = []
            for e in engines { for (l, _) in engineLines[e]! where !labels.contains(l) { labels.append(l) } }
            for l in labels {
                let cells = engines.map { e in engineLines[e]!.first { $0.0 == l }?.1 ?? "" }
                let wrapped = cells.map { wrap($0, colWidth - 2) }
                let height = wrapped.map(\.count).max() ?? 1
                for i in 0..<height {
                    s += pad(i == 0 ? l : "", labelWidth) + wrapped.map { pad(i < $0.count ? $0[i] : "", colWidth) }.joined()
                    s = String(s.reversed().drop { $0 == " " }.reversed()) + "\n"
                }
            }
        }
        if !late.isEmpty {
            s += "\nLate records and their fate (\(late.count)\(late.count > maxLateLines ? ", first \(maxLateLines)" : "")):\n"
            for l in late.prefix(maxLateLines) {
                let et = l.eventTime.map { " event \(UTCTimestamp.timeOfDay($0.millisecondsSinceEpoch))" } ?? ""
                s += "  \(pad(l.engine.rawValue, 6))\(l.topicPartition)@\(l.offset)\(et) at \(UTCTimestamp.timeOfDay(l.at.millisecondsSinceEpoch)): \(l.rule)\n"
            }
        }
        if !diff.isEmpty {
            let same = diff.filter { $0.label == .same }.count
            let expected = diff.filter(\.label.isExpected).count
            let unexplained = diff.filter(\.label.isUnexplained).count
            s += "\nSpark vs Flink, window results: \(same) same, \(expected) expected difference(s), \(unexplained) unexplained\n"
            for d in diff.filter({ $0.label != .same }).prefix(maxDiffLines) {
                let sv = d.spark.map { $0.map { "\($0.0)=\($0.1)" }.joined(separator: " ") } ?? "—"
                let fv = d.flink.map { $0.map { "\($0.0)=\($0.1)" }.joined(separator: " ") } ?? "—"
                s += "  \(d.window)\n      spark: \(sv)\n      flink: \(fv)\n      \(d.label)\n"
            }
        }
        for r in rowDiff {
            s += "\nSpark vs Flink, rows of \(r.job) matched by (\(r.keyColumns.joined(separator: ", "))): \(r.matched) matched, "
            s += "\(r.onlySpark) only in Spark, \(r.onlyFlink) only in Flink\(r.onlySpark + r.onlyFlink > 0 ? " — UNEXPLAINED" : "")\n"
            for c in r.columns {
                if c.label == .same { s += "  \(c.column): same in all \(r.matched)\n"; continue }
                s += "  \(c.column): differs in \(c.differing) of \(r.matched) — \(c.label)\n"
                if let e = c.example { s += "      e.g. (\(e.key)): spark \(e.spark)   flink \(e.flink)\n" }
            }
        }
        if !retentionLosses.isEmpty {
            let total = retentionLosses.reduce(Int64(0)) { $0 + $1.count }
            s += "\nRetention deleted \(total) record(s) before they were read:\n"
            for l in retentionLosses.prefix(6) {
                s += "  \(UTCTimestamp.timeOfDay(l.at.millisecondsSinceEpoch)) \(l.topicPartition) offsets [\(l.from), \(l.to)) unread by \(l.jobs.joined(separator: ", "))\n"
            }
        }
        if !faults.isEmpty {
            s += "\nFaults:\n"
            for f in faults { s += "  \(UTCTimestamp.timeOfDay(f.at.millisecondsSinceEpoch)) \(f.kind) \(f.detail)\n" }
        }
        if !expectations.isEmpty {
            s += "\nExpectations:\n"
            for e in expectations { s += "  \(e.passed ? "✔" : "✘") \(e.expectation)   (actual: \(e.actual))\n" }
        }
        s += "\ntrace digest: \(digest) (\(traceEvents) events)\n"
        if let p = databasePath { s += "results: \(p)\n" }
        return s
    }

    /// The outcome as one JSON object (`sim run --json`).
    public var json: String {
        var parts: [String] = []
        parts.append("\"scenario\":\(JSONText.quote(name))")
        parts.append("\"seed\":\(seed)")
        parts.append("\"digest\":\(JSONText.quote(digest))")
        parts.append("\"passed\":\(passed)")
        parts.append("\"metrics\":{" + metrics.map { "\(JSONText.quote($0.name)):\(formatNumber($0.value))" }.joined(separator: ",") + "}")
        parts.append("\"expectations\":[" + expectations.map {
            "{\"expectation\":\(JSONText.quote($0.expectation.description)),\"actual\":\(JSONText.quote($0.actual)),\"passed\":\($0.passed)}"
        }.joined(separator: ",") + "]")
        parts.append("\"diff\":[" + diff.filter { $0.label != .same }.map {
            "{\"job\":\(JSONText.quote($0.job)),\"window\":\(JSONText.quote($0.window.description)),\"label\":\(JSONText.quote($0.label.description))}"
        }.joined(separator: ",") + "]")
        parts.append("\"row_diff\":[" + rowDiff.flatMap { r in r.columns.filter { $0.label != .same }.map {
            "{\"job\":\(JSONText.quote(r.job)),\"column\":\(JSONText.quote($0.column)),\"differing\":\($0.differing),\"label\":\(JSONText.quote($0.label.description))}"
        } }.joined(separator: ",") + "]")
        if let p = databasePath { parts.append("\"database\":\(JSONText.quote(p))") }
        return "{" + parts.joined(separator: ",") + "}"
    }
}

func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }

func wrap(_ text: String, _ width: Int) -> [String] {
    var lines: [String] = []
    var current = ""
    for word in text.split(separator: " ") {
        if current.isEmpty { current = String(word) } else if current.count + 1 + word.count <= width { current += " " + word } else {
            lines.append(current)
            current = String(word)
        }
    }
    if !current.isEmpty || lines.isEmpty { lines.append(current) }
    return lines
}

extension ScenarioRun {
    /// Writes the simulation's own tables (batches, checkpoints, watermarks, late records, firings, faults, metrics,
    /// diff, the log) into the results database.
    public func writeResults(_ outcome: ScenarioOutcome) throws {
        guard let db = results else { return }
        try db.setRun([("scenario", document.name), ("file", document.file), ("seed", String(seed)), ("digest", outcome.digest),
                       ("start", UTCTimestamp.iso8601(document.start.millisecondsSinceEpoch)), ("end", UTCTimestamp.iso8601(environment.now.millisecondsSinceEpoch)),
                       ("passed", String(outcome.passed))])
        try db.insert("metrics", columns: ["name", "value"], rows: outcome.metrics.map { [.string($0.name), .double($0.value)] })
        try db.insert("faults", columns: ["at_ms", "kind", "detail"], rows: faultLog.map { [.long($0.at.millisecondsSinceEpoch), .string($0.kind), .string($0.detail)] })
        var batches: [[Value]] = [], watermarks: [[Value]] = [], firings: [[Value]] = [], checkpoints: [[Value]] = []
        for j in sparkJobs {
            for p in j.progress {
                let dropped = p.stateOperators.reduce(Int64(0)) { $0 + Int64($1.numRowsDroppedByWatermark) }
                batches.append([.string("spark"), .string(j.job.name), .long(p.batchId), .string(p.kind.rawValue), .long(p.triggerTime.millisecondsSinceEpoch),
                                p.watermarkMs.map { .long($0) } ?? .null, .long(Int64(p.numInputRows)), .long(Int64(p.numOutputRows)), .long(dropped),
                                .long(p.isReexecution ? 1 : 0), .long(p.durationMs)])
                if let w = p.watermarkMs {
                    watermarks.append([.string("spark"), .string(j.job.name), .long(p.triggerTime.millisecondsSinceEpoch), .long(w), .string("batch \(p.batchId)"),
                                       .string("offsets/\(p.batchId).batchWatermarkMs: max event time of earlier batches − delay")])
                }
            }
            for e in j.emitted {
                for r in e.rows {
                    firings.append([.string("spark"), .string(j.job.name), .long(e.at.millisecondsSinceEpoch), windowValue(r, j.outputSchema, "window_start"),
                                    windowValue(r, j.outputSchema, "window_end"), .string(rowKey(r, j.outputSchema, j.job)), .long(0), .string("batch \(e.batchId)"),
                                    .string(r.description)])
                }
            }
        }
        for j in flinkJobs {
            for e in j.events {
                switch e {
                case .watermark(let task, let v, let at, let cause):
                    watermarks.append([.string("flink"), .string(j.job.name), .long(at.millisecondsSinceEpoch), .long(v.millisecondsSinceEpoch), .string(task), .string(cause)])
                case .firing(let f):
                    firings.append([.string("flink"), .string(j.job.name), .long(f.at.millisecondsSinceEpoch), .long(f.windowStart), .long(f.windowEnd),
                                    .string(f.key.map(\.description).joined(separator: ",")), .long(Int64(f.pane)), .string(f.cause.rawValue), .string(f.row.description)])
                case .checkpoint(let id, let phase, let at, _, _):
                    checkpoints.append([.string("flink"), .string(j.job.name), .long(id), .long(at.millisecondsSinceEpoch), .null, .string(phase.rawValue)])
                default: break
                }
            }
        }
        try db.insert("batches", columns: ["engine", "job", "batch_id", "kind", "trigger_ms", "watermark_ms", "rows_in", "rows_out", "dropped_groups", "rerun", "duration_ms"], rows: batches)
        try db.insert("watermarks", columns: ["engine", "job", "at_ms", "watermark_ms", "source", "reason"], rows: watermarks)
        try db.insert("firings", columns: ["engine", "job", "at_ms", "window_start_ms", "window_end_ms", "key", "pane", "cause", "values"], rows: firings)
        try db.insert("checkpoints", columns: ["engine", "job", "checkpoint_id", "triggered_ms", "finished_ms", "status"], rows: checkpoints)
        try db.insert("late_records", columns: ["engine", "job", "at_ms", "topic", "partition", "offset", "event_time_ms", "watermark_ms", "window_start_ms",
                                                "window_end_ms", "key", "fate", "rule", "batch_id"], rows: outcome.late.map { l in
            [.string(l.engine.rawValue), .string(l.job), .long(l.at.millisecondsSinceEpoch), .string(l.topicPartition.topic), .long(Int64(l.topicPartition.partition)),
             .long(l.offset), l.eventTime.map { .long($0.millisecondsSinceEpoch) } ?? .null, .long(l.watermark.millisecondsSinceEpoch),
             l.window.map { .long(floorDiv($0.start, 1000)) } ?? .null, l.window.map { .long(floorDiv($0.end, 1000)) } ?? .null,
             .string(l.window?.key ?? ""), .string(l.fate), .string(l.rule), l.batch.map { .long($0) } ?? .null]
        })
        try db.insert("diff", columns: ["job", "window_start_ms", "window_end_ms", "key", "spark", "flink", "label"], rows: outcome.diff.map { d in
            [.string(d.job), .long(floorDiv(d.window.start, 1000)), .long(floorDiv(d.window.end, 1000)), .string(d.window.key),
             d.spark.map { .string($0.map { "\($0.0)=\($0.1)" }.joined(separator: " ")) } ?? .null,
             d.flink.map { .string($0.map { "\($0.0)=\($0.1)" }.joined(separator: " ")) } ?? .null, .string(d.label.description)]
        })
        try writeLogRecords()
        try db.insert("row_diff", columns: ["job", "column", "differing", "matched", "only_spark", "only_flink", "example_key", "spark", "flink", "label"],
                      rows: outcome.rowDiff.flatMap { r in r.columns.map { c in
            [.string(r.job), .string(c.column), .long(Int64(c.differing)), .long(Int64(r.matched)), .long(Int64(r.onlySpark)), .long(Int64(r.onlyFlink)),
             c.example.map { .string($0.key) } ?? .null, c.example.map { .string($0.spark) } ?? .null, c.example.map { .string($0.flink) } ?? .null,
             .string(c.label.description)]
        } })
        try db.insert("retention_losses", columns: ["at_ms", "topic", "partition", "from_offset", "to_offset", "records", "jobs"], rows: retentionLosses.map { l in
            [.long(l.at.millisecondsSinceEpoch), .string(l.topicPartition.topic), .long(Int64(l.topicPartition.partition)), .long(l.from), .long(l.to),
             .long(l.count), .string(l.jobs.joined(separator: ","))]
        })
    }

    /// Writes `log_records` (every record that entered the log) once; SQL expectations read it before the rest of the
    /// results are written.
    func writeLogRecords() throws {
        guard let db = results, !logRecordsWritten else { return }
        logRecordsWritten = true
        try db.insert("log_records", columns: ["topic", "partition", "offset", "append_ms", "timestamp_ms", "key", "value"], rows: appended.map { a in
            [.string(a.topicPartition.topic), .long(Int64(a.topicPartition.partition)), .long(a.record.offset), .long(a.appendTime.millisecondsSinceEpoch),
             .long(a.record.timestamp.millisecondsSinceEpoch), a.record.key.map { .string(String(decoding: $0, as: UTF8.self)) } ?? .null,
             a.record.value.map { .string(String(decoding: $0, as: UTF8.self)) } ?? .null]
        })
    }

    func windowValue(_ r: Row, _ schema: Schema, _ name: String) -> Value {
        guard let i = schema.index(of: name), case .timestamp(let us) = r[i] else { return .null }
        return .long(floorDiv(us, 1000))
    }

    func rowKey(_ r: Row, _ schema: Schema, _ job: JobSpec) -> String {
        (job.query.aggregation?.groupBy ?? []).compactMap { schema.index(of: $0).map { r[$0].description } }.joined(separator: ",")
    }

    /// `--results FILE.jsonl`: one JSON object per emitted row and per dropped or diverted record
    /// (docs/results-format.md). Spark rows are the ones its sink accepted (a batch re-executed after a crash appears
    /// again, with the same batch id); Flink rows are the ones its sink made visible, numbered in visibility order.
    public func resultsJSONLines(_ outcome: ScenarioOutcome) -> String {
        var out = ""
        for j in sparkJobs {
            let schema = j.outputSchema
            var watermarkOf: [Int64: Int64] = [:]
            for p in j.progress { if let w = p.watermarkMs { watermarkOf[p.batchId] = w } }
            for e in j.accepted {
                for r in e.rows {
                    out += "{\"type\":\"row\",\"engine\":\"spark\",\"job\":\(JSONText.quote(j.job.name)),\"batch\":\(e.batchId),\"processing_time_ms\":\(e.at.millisecondsSinceEpoch)"
                    out += ",\"watermark_ms\":\(watermarkOf[e.batchId].map(String.init) ?? "null")" + windowAndKeyJSON(r, schema, j.job.query(on: .spark))
                    out += ",\"values\":\(rowJSON(r, schema))}\n"
                }
            }
        }
        for j in flinkJobs {
            // The watermark in force when a row became visible: the highest any window subtask had reached by then.
            var marks: [(at: ProcessingTime, value: Int64)] = []
            for e in j.events { if case .watermark(_, let v, let at, _) = e, v < .max { marks.append((at, v.millisecondsSinceEpoch)) } }
            var m = 0
            var current: Int64?
            for (i, v) in j.flinkJob.visibleRows.enumerated() {
                while m < marks.count, marks[m].at <= v.visibleAt { current = max(current ?? .min, marks[m].value); m += 1 }
                out += "{\"type\":\"row\",\"engine\":\"flink\",\"job\":\(JSONText.quote(j.job.name)),\"emission\":\(i),\"processing_time_ms\":\(v.visibleAt.millisecondsSinceEpoch)"
                out += ",\"watermark_ms\":\(current.map(String.init) ?? "null"),\"event_time_ms\":\(v.eventTime.millisecondsSinceEpoch)"
                out += windowAndKeyJSON(v.row, j.outputSchema, j.job.query(on: .flink)) + ",\"values\":\(rowJSON(v.row, j.outputSchema))}\n"
            }
        }
        for l in outcome.late {
            out += "{\"type\":\"late\",\"engine\":\"\(l.engine.rawValue)\",\"job\":\(JSONText.quote(l.job)),\"fate\":\"\(l.fate)\",\"processing_time_ms\":\(l.at.millisecondsSinceEpoch)"
            out += ",\"topic\":\(JSONText.quote(l.topicPartition.topic)),\"partition\":\(l.topicPartition.partition),\"offset\":\(l.offset)"
            out += ",\"watermark_ms\":\(l.watermark.millisecondsSinceEpoch)"
            if let et = l.eventTime { out += ",\"event_time_ms\":\(et.millisecondsSinceEpoch)" }
            if let w = l.window { out += ",\"window_start_ms\":\(floorDiv(w.start, 1000)),\"window_end_ms\":\(floorDiv(w.end, 1000)),\"key\":\(JSONText.quote(w.key))" }
            if let b = l.batch { out += ",\"batch\":\(b)" }
            out += ",\"rule\":\(JSONText.quote(l.rule))}\n"
        }
        return out
    }

    /// `,"window_start_ms":…,"window_end_ms":…,"key":"…"` for a window result, `,"key":"…"` for a grouped one.
    func windowAndKeyJSON(_ r: Row, _ schema: Schema, _ query: StreamingQuery) -> String {
        var out = ""
        if case .long(let a) = windowValue(r, schema, "window_start"), case .long(let b) = windowValue(r, schema, "window_end") {
            out += ",\"window_start_ms\":\(a),\"window_end_ms\":\(b)"
        }
        let keys = (query.aggregation?.groupBy ?? []).compactMap { schema.index(of: $0).map { r[$0].description } }
        if !keys.isEmpty { out += ",\"key\":\(JSONText.quote(keys.joined(separator: ",")))" }
        return out
    }

    func rowJSON(_ r: Row, _ schema: Schema) -> String {
        "{" + zip(schema.fields, r.values).map { f, v in
            let text: String
            switch v {
            case .null: text = "null"
            case .bool(let b): text = b ? "true" : "false"
            case .int(let x): text = String(x)
            case .long(let x): text = String(x)
            case .float(let x): text = x.isFinite ? "\(Double(x))" : JSONText.quote("\(x)")
            case .double(let x): text = x.isFinite ? "\(x)" : JSONText.quote("\(x)")
            case .timestamp(let us): text = JSONText.quote(Value.timestamp(us).description)
            default: text = JSONText.quote(v.description)
            }
            return JSONText.quote(f.name) + ":" + text
        }.joined(separator: ",") + "}"
    }
}
