// `sim report RUN.sqlite`: rebuilds `RunObservations` from a results database (the tables `sim run` writes: run,
// batches, watermarks, checkpoints, firings, late_records, faults, diff, log_records — Sources/Sinks/ResultsDatabase.swift),
// so a report can be drawn long after the run. Columns are looked up by name, so columns added later are ignored and
// a missing optional column reads as null. With the scenario file at hand (its path is in the `run` table), event
// times are decoded exactly as the engines decoded them; without it, the Kafka timestamp stands in.
public import SimCore
import SimLog
import QueryModel
public import Sinks
public import Report

/// A results database that cannot be turned into a report.
public struct ObservationsDatabaseError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}

extension ScenarioRun {
    /// Adds what only the recorder saw (each Flink split's watermark) to the results database's `watermarks` table,
    /// with `source` = `split <topic>-<partition>`, so `sim report` can draw the per-split lines too.
    public func writeObservationRows(_ recorder: ObservationRecorder) throws {
        guard let db = results else { return }
        var rows: [[Value]] = []
        for (i, points) in recorder.splitPoints.enumerated() where i < flinkJobs.count {
            for p in points {
                rows.append([.string("flink"), .string(flinkJobs[i].job.name), .long(p.at.millisecondsSinceEpoch), .long(p.watermark.millisecondsSinceEpoch),
                             .string(p.source), .string(p.reason)])
            }
        }
        try db.insert("watermarks", columns: ["engine", "job", "at_ms", "watermark_ms", "source", "reason"], rows: rows)
    }
}

extension RunObservations {
    /// Reads a results database. `document` (the scenario the run came from) lets event times be decoded by the
    /// queries; pass nil when the file is not available.
    public static func load(database path: String, document: ScenarioDocument?) throws -> RunObservations {
        let db: SQLiteDatabase
        do { db = try SQLiteDatabase(readingExisting: path) } catch { throw ObservationsDatabaseError(message: "\(path): \(error)") }
        let reader = TableReader(db: db)
        let run = try reader.rows("run")
        func runValue(_ k: String) -> String? { run.first { $0["key"]?.description == k }?["value"].map(\.description) }
        guard let name = runValue("scenario") else { throw ObservationsDatabaseError(message: "\(path): no `run` table with a scenario name — is this a `sim run` results database?") }
        let seed = runValue("seed").flatMap { UInt64($0) } ?? 0
        let start = ProcessingTime(runValue("start").flatMap(UTCTimestamp.parse) ?? 0)
        let end = ProcessingTime(runValue("end").flatMap(UTCTimestamp.parse) ?? start.millisecondsSinceEpoch)

        let lens = RecordLens(jobs: document?.jobs ?? [])
        var records: [InputRecord] = []
        for r in try reader.rows("log_records") {
            let topic = r["topic"]?.description ?? ""
            let partition = Int(r.int("partition") ?? 0)
            let offset = r.int("offset") ?? 0
            let timestamp = r.int("timestamp_ms") ?? 0
            let value = r["value"].flatMap { $0.isNull ? nil : $0.description }
            let key = r["key"].flatMap { $0.isNull ? nil : $0.description }
            let rec = Record(offset: offset, timestamp: EventTime(timestamp), key: key.map { Array($0.utf8) }, value: value.map { Array($0.utf8) })
            let reading = lens.read(TopicPartition(topic, Int32(partition)), rec)
            records.append(InputRecord(topic: topic, partition: partition, offset: offset, key: reading.key, eventTime: reading.malformed ? nil : reading.eventTime,
                                       appendTime: ProcessingTime(r.int("append_ms") ?? 0), malformed: reading.malformed, summary: reading.summary))
        }

        let batches = try reader.rows("batches")
        let watermarks = try reader.rows("watermarks")
        let firings = try reader.rows("firings")
        let late = try reader.rows("late_records")
        let checkpoints = try reader.rows("checkpoints")
        var engineNames: [String] = []
        for r in batches + watermarks + firings + late + checkpoints {
            if let e = r["engine"]?.description, !engineNames.contains(e) { engineNames.append(e) }
        }
        engineNames.sort { ($0 == "spark" ? 0 : ($0 == "flink" ? 1 : 2), $0) < ($1 == "spark" ? 0 : ($1 == "flink" ? 1 : 2), $1) }

        var engines: [EngineObservations] = []
        for e in engineNames {
            let isSpark = e.hasPrefix("spark")
            var eng = EngineObservations(engine: EngineID(rawValue: e), displayName: isSpark ? "Spark 3.5 (micro-batch)" : (e.hasPrefix("flink") ? "Flink 1.20" : e))
            var previous: Int64 = 0
            for b in batches where b["engine"]?.description == e {
                let id = b.int("batch_id") ?? 0
                let at = ProcessingTime(b.int("trigger_ms") ?? 0)
                let wm = b.int("watermark_ms")
                eng.batches.append(MicroBatch(id: id, kind: b["kind"]?.description == "noData" || b["kind"]?.description == "no_data" ? .noData : .data, start: at,
                                              end: at + .milliseconds(max(0, b.int("duration_ms") ?? 0)), watermark: EventTime(wm ?? 0),
                                              rowsIn: Int(b.int("rows_in") ?? 0), rowsOut: Int(b.int("rows_out") ?? 0), droppedByWatermark: Int(b.int("dropped_groups") ?? 0)))
                if wm != nil {
                    eng.watermarks.append(WatermarkPoint(at: at, watermark: EventTime(id == 0 ? 0 : previous), role: .lateThreshold, source: "global",
                                                         reason: "batch \(id) drops rows of windows ending at or before batch \(id - 1)'s watermark"))
                    previous = wm!
                }
            }
            for w in watermarks where w["engine"]?.description == e {
                let source = w["source"]?.description ?? ""
                let role: WatermarkPoint.Role
                let shown: String
                if isSpark { role = .effective; shown = "global" } else if source.hasPrefix("window") { role = .effective; shown = "window operator" } else if source.hasPrefix("split") {
                    role = .input; shown = source
                } else { role = .input; shown = "\(source) output" }
                eng.watermarks.append(WatermarkPoint(at: ProcessingTime(w.int("at_ms") ?? 0), watermark: EventTime(w.int("watermark_ms") ?? 0), role: role, source: shown,
                                                     reason: (isSpark ? "\(source): " : "") + (w["reason"]?.description ?? "")))
            }
            eng.watermarks.sort { ($0.at, $0.role == .effective ? 1 : 0) < ($1.at, $1.role == .effective ? 1 : 0) }
            for c in checkpoints where c["engine"]?.description == e {
                let id = c.int("checkpoint_id") ?? 0
                let at = ProcessingTime(c.int("triggered_ms") ?? 0)
                switch c["status"]?.description ?? "" {
                case "triggered": eng.checkpoints.append(Checkpoint(id: id, triggered: at, finished: nil, status: .pending))
                case let s:
                    if let k = eng.checkpoints.lastIndex(where: { $0.id == id }) {
                        eng.checkpoints[k].finished = at
                        eng.checkpoints[k].status = s == "completed" ? .completed : (s == "aborted" ? .aborted : .failed)
                    }
                }
            }
            let names = outputNames(document, job: firings.first { $0["engine"]?.description == e }?["job"]?.description, spark: isSpark)
            for f in firings where f["engine"]?.description == e {
                let cause = f["cause"]?.description ?? ""
                let window = EventWindow(start: EventTime(f.int("window_start_ms") ?? 0), end: EventTime(f.int("window_end_ms") ?? 0))
                let at = ProcessingTime(f.int("at_ms") ?? 0)
                let batch = cause.hasPrefix("batch ") ? Int64(cause.dropFirst(6)) : nil
                let c: Report.WindowFiring.Cause = batch != nil ? .batch : (Report.WindowFiring.Cause(rawValue: cause) ?? .watermark)
                eng.firings.append(Report.WindowFiring(window: window, key: f["key"]?.description ?? "", firedAt: at, pane: Int(f.int("pane") ?? 0), cause: c, batchID: batch,
                                                       values: rowValues(f["values"]?.description ?? "", names)))
                eng.latencies.append(LatencySample(recordID: "\(window.start.millisecondsSinceEpoch)/\(f["key"]?.description ?? "")", eventTime: EventTime(window.end.millisecondsSinceEpoch - 1), visibleAt: at))
            }
            for l in late where l["engine"]?.description == e {
                let id = InputRecord.id(topic: l["topic"]?.description ?? "", partition: Int(l.int("partition") ?? 0), offset: l.int("offset") ?? 0)
                let fate = LateRecord.Fate(rawValue: l["fate"]?.description ?? "") ?? .dropped
                let window = l.int("window_start_ms").flatMap { s in l.int("window_end_ms").map { EventWindow(start: EventTime(s), end: EventTime($0)) } }
                eng.lateRecords.append(LateRecord(recordID: id, fate: fate, rule: l["rule"]?.description ?? "", at: ProcessingTime(l.int("at_ms") ?? 0), window: window))
            }
            engines.append(eng)
        }
        var faults: [Incident] = []
        for f in try reader.rows("faults") {
            let kind = f["kind"]?.description ?? ""
            let detail = f["detail"]?.description ?? ""
            let at = ProcessingTime(f.int("at_ms") ?? 0)
            if kind == "crash", let k = engines.firstIndex(where: { detail.hasPrefix($0.engine.rawValue) }) {
                engines[k].incidents.append(Incident(at: at, kind: .crash, text: "crash: \(detail)"))
            } else {
                faults.append(Incident(at: at, kind: .fault, text: "\(kind) \(detail)"))
            }
        }
        var differences: [ResultDifference] = []
        for d in try reader.rows("diff") {
            let text = d["label"]?.description ?? ""
            let label: ResultDifference.Label = text == "same" ? .same : (text.hasPrefix("expected: ") ? .expected(String(text.dropFirst("expected: ".count))) : .unexplained)
            func cells(_ s: Value?) -> [NamedText]? {
                guard let s, !s.isNull else { return nil }
                return s.description.split(separator: " ").map { pair in
                    let parts = pair.split(separator: "=", maxSplits: 1)
                    return NamedText(String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
                }
            }
            differences.append(ResultDifference(window: EventWindow(start: EventTime(d.int("window_start_ms") ?? 0), end: EventTime(d.int("window_end_ms") ?? 0)),
                                                key: d["key"]?.description ?? "", spark: cells(d["spark"]), flink: cells(d["flink"]), label: label))
        }
        return RunObservations(scenarioName: name, scenarioDescription: document?.description ?? "", seed: seed, traceDigest: runValue("digest") ?? "",
                               start: start, end: end, records: records, engines: engines, faults: faults, differences: differences)
    }

    /// The scenario file a results database was written from (the `run` table's `file`), if recorded.
    public static func scenarioFile(database path: String) throws -> String? {
        let db = try SQLiteDatabase(readingExisting: path)
        let rows = try TableReader(db: db).rows("run")
        return rows.first { $0["key"]?.description == "file" }?["value"].map(\.description)
    }

    /// The aggregate column names of a job's output (what a stored result row's values are, after window and keys).
    static func outputNames(_ document: ScenarioDocument?, job: String?, spark: Bool) -> [String]? {
        guard let d = document, let j = d.jobs.first(where: { $0.name == job }) ?? d.jobs.first, let plan = try? CompiledQuery(j.query) else { return nil }
        return plan.outputSchema.fields.map(\.name)
    }

    /// `[a,b,c]` as stored in `firings.values` → named values (window and key columns left out when names are known).
    static func rowValues(_ text: String, _ names: [String]?) -> [NamedText] {
        var body = Substring(text)
        if body.first == "[" { body = body.dropFirst() }
        if body.last == "]" { body = body.dropLast() }
        let parts = body.split(separator: ",", omittingEmptySubsequences: false).map { trimmedText(String($0)) }
        guard let names, names.count == parts.count else { return [NamedText("row", text)] }
        return zip(names, parts).filter { $0.0 != "window_start" && $0.0 != "window_end" }.map { NamedText($0.0, $0.1) }
    }
}

/// Reads whole tables as name → value maps (by column name, so added columns do not matter).
struct TableReader {
    let db: SQLiteDatabase

    struct NamedRow {
        var values: [String: Value]
        subscript(_ name: String) -> Value? { values[name] }
        func int(_ name: String) -> Int64? {
            switch values[name] {
            case .long(let v)?: return v
            case .int(let v)?: return Int64(v)
            case .double(let v)?: return Int64(v)
            case .string(let s)?: return Int64(s)
            default: return nil
            }
        }
    }

    func rows(_ table: String) throws -> [NamedRow] {
        let exists = try db.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?", [.string(table)])
        guard !exists.rows.isEmpty else { return [] }
        let result = try db.query("SELECT * FROM \(SQLiteDatabase.quoteIdentifier(table)) ORDER BY rowid")
        return result.rows.map { r in
            var m: [String: Value] = [:]
            for (i, c) in result.columns.enumerated() { m[c] = r[i] }
            return NamedRow(values: m)
        }
    }
}
