// From a finished `ScenarioRun` to the report's data model (`RunObservations`): records with event and append time,
// each engine's watermark lines (Spark: one step per batch plus its late threshold; Flink: the window operator, each
// reader's output and — through `ObservationRecorder` — each split), batches, checkpoints, firings, late records with
// fate and rule, latencies, faults and the labelled diff. Pure reading: building observations never changes the run.
public import SimCore
import SimLog
import QueryModel
import SparkEngine
import FlinkEngine
public import Report

/// Samples what the engines do not keep as history while a run goes: each Flink split's own watermark and idleness,
/// whenever a reader's output watermark or idleness changes. Attach it before `run()`.
public final class ObservationRecorder {
    /// Per Flink job (by index): one point per change of a split's watermark or idle flag, in time order.
    public private(set) var splitPoints: [[WatermarkPoint]] = []
    private var last: [[String: (Int64, Bool)]] = []

    public init(attachingTo run: ScenarioRun) {
        splitPoints = Array(repeating: [], count: run.flinkJobs.count)
        last = Array(repeating: [:], count: run.flinkJobs.count)
        for (i, j) in run.flinkJobs.enumerated() {
            let job = j.flinkJob
            let idleness = j.options.idleness
            job.observe { [unowned self, unowned job] e in
                let at: ProcessingTime
                switch e {
                case .watermark(let task, _, let t, _) where task.hasPrefix("source"): at = t
                case .idle(_, _, _, let t): at = t
                case .restart(_, let t, _): at = t
                default: return
                }
                for s in job.sourceSnapshots {
                    for sp in s.splits {
                        let name = "split \(sp.topicPartition)"
                        let value = (sp.watermark.millisecondsSinceEpoch, sp.idle)
                        if let prev = self.last[i][name], prev == value { continue }
                        self.last[i][name] = value
                        let reason: String
                        if sp.idle {
                            reason = "idle: no record for longer than withIdleness \(idleness.map { Narrate.duration($0.milliseconds) } ?? "?") — not part of the minimum"
                        } else if sp.watermark == .min {
                            reason = "no watermark yet (MIN): the split has had no record since the job (re)started"
                        } else {
                            reason = "the split's max event time − out-of-orderness − 1 ms"
                        }
                        self.splitPoints[i].append(WatermarkPoint(at: at, watermark: sp.watermark, role: .input, source: name, reason: reason))
                    }
                }
            }
        }
    }
}

extension ScenarioRun {
    /// The report's view of this run. `recorder` adds per-split Flink watermark lines when it was attached before
    /// the run.
    public func observations(_ outcome: ScenarioOutcome, recorder: ObservationRecorder? = nil) -> RunObservations {
        let lens = RecordLens(jobs: document.jobs)
        var records: [InputRecord] = []
        records.reserveCapacity(appended.count)
        for a in appended {
            let r = lens.read(a.topicPartition, a.record)
            records.append(InputRecord(topic: a.topicPartition.topic, partition: Int(a.topicPartition.partition), offset: a.record.offset, key: r.key,
                                       eventTime: r.malformed ? nil : r.eventTime, appendTime: a.appendTime, malformed: r.malformed, summary: r.summary))
        }
        var engines: [EngineObservations] = []
        for (i, j) in sparkJobs.enumerated() { engines.append(sparkObservations(j, id: sparkJobs.count > 1 ? EngineID(rawValue: "spark.\(j.job.name)") : .spark, outcome, records, index: i)) }
        for (i, j) in flinkJobs.enumerated() {
            engines.append(flinkObservations(j, id: flinkJobs.count > 1 ? EngineID(rawValue: "flink.\(j.job.name)") : .flink, outcome, records, splits: recorder.flatMap { i < $0.splitPoints.count ? $0.splitPoints[i] : nil } ?? []))
        }
        let faults = outcome.faults.filter { $0.kind != "crash" && $0.kind != "restart" }.map { Incident(at: $0.at, kind: .fault, text: "\($0.kind) \($0.detail)") }
        let differences = outcome.diff.map { d in
            ResultDifference(window: EventWindow(start: EventTime(floorDiv(d.window.start, 1000)), end: EventTime(floorDiv(d.window.end, 1000))), key: d.window.key,
                             spark: d.spark.map { $0.map { NamedText($0.0, $0.1) } }, flink: d.flink.map { $0.map { NamedText($0.0, $0.1) } },
                             label: { switch d.label { case .same: return .same; case .expected(let r): return .expected(r); case .unexplained: return .unexplained } }())
        }
        return RunObservations(scenarioName: document.name, scenarioDescription: document.description, seed: seed, traceDigest: outcome.digest,
                               start: document.start, end: outcome.end, records: records, engines: engines, faults: faults, differences: differences)
    }

    func sparkObservations(_ j: SparkJobRuntime, id: EngineID, _ outcome: ScenarioOutcome, _ records: [InputRecord], index: Int) -> EngineObservations {
        let q = j.job.query
        let delay = q.watermark?.delayMs
        var settings: [NamedText] = []
        switch j.options.trigger {
        case .processingTime(let d): settings.append(NamedText("trigger", d.milliseconds == 0 ? "as fast as possible" : Narrate.duration(d.milliseconds)))
        case .once: settings.append(NamedText("trigger", "once"))
        case .availableNow: settings.append(NamedText("trigger", "available-now"))
        }
        if let d = delay { settings.append(NamedText("watermark delay", Narrate.duration(d))) }
        settings.append(NamedText("output mode", q.outputMode.rawValue))
        if let w = q.aggregation?.window { settings.append(NamedText("window", WindowText.describe(w))) }
        settings.append(NamedText("late rule", "window end ≤ the previous batch's watermark → dropped (S3)"))

        var points: [WatermarkPoint] = []
        var batches: [MicroBatch] = []
        var maxEvent: Int64?
        var previousWatermark: Int64 = 0
        var previousBatch: Int64?
        for p in j.progress {
            if let wm = p.watermarkMs {
                let reason: String
                if previousBatch == nil || maxEvent == nil {
                    reason = "initial watermark 0: no batch has raised it yet"
                } else if let m = maxEvent, let d = delay, wm == m - d {
                    reason = "max event time \(Narrate.event(m)) of batches ≤ \(previousBatch!) − delay \(Narrate.duration(d)), computed after batch \(previousBatch!)"
                } else {
                    reason = "unchanged: no later batch raised the max event time"
                }
                points.append(WatermarkPoint(at: p.triggerTime, watermark: EventTime(wm), role: .effective, source: "global", reason: "batch \(p.batchId): " + reason))
                let threshold = p.batchId == 0 ? 0 : previousWatermark
                points.append(WatermarkPoint(at: p.triggerTime, watermark: EventTime(threshold), role: .lateThreshold, source: "global",
                                             reason: "batch \(p.batchId) drops rows of windows ending at or before batch \(p.batchId - 1)'s watermark"))
                previousWatermark = wm
            }
            if let m = p.eventTimeMaxMs { maxEvent = max(maxEvent ?? m, m) }
            previousBatch = p.batchId
            batches.append(MicroBatch(id: p.batchId, kind: p.kind == .noData ? .noData : .data, start: p.triggerTime, end: p.triggerTime + .milliseconds(max(0, p.durationMs)),
                                      watermark: EventTime(p.watermarkMs ?? 0), rowsIn: p.numInputRows, rowsOut: p.numOutputRows,
                                      droppedByWatermark: Int(p.stateOperators.reduce(Int64(0)) { $0 + $1.numRowsDroppedByWatermark })))
        }
        let schema = j.outputSchema
        let keys = (q.aggregation?.groupBy ?? []).compactMap { schema.index(of: $0) }
        let si = schema.index(of: "window_start"), ei = schema.index(of: "window_end")
        let valueIdx = schema.fields.indices.filter { !keys.contains($0) && $0 != si && $0 != ei }
        var firings: [Report.WindowFiring] = []
        var latencies: [LatencySample] = []
        var panes: [String: Int] = [:]
        for e in j.emitted {
            for r in e.rows {
                guard let si, let ei, case .timestamp(let a) = r[si], case .timestamp(let b) = r[ei] else { continue }
                let window = EventWindow(start: EventTime(floorDiv(a, 1000)), end: EventTime(floorDiv(b, 1000)))
                let key = keys.map { r[$0].description }.joined(separator: ",")
                let cell = "\(a)/\(b)/\(key)"
                let pane = panes[cell, default: 0]
                panes[cell] = pane + 1
                firings.append(Report.WindowFiring(window: window, key: key, firedAt: e.at, pane: pane, cause: .batch, batchID: e.batchId,
                                            values: valueIdx.map { NamedText(schema.fields[$0].name, r[$0].description) }))
                latencies.append(LatencySample(recordID: "\(Narrate.window(window.start.millisecondsSinceEpoch, window.end.millisecondsSinceEpoch)) \(key)",
                                               eventTime: EventTime(window.end.millisecondsSinceEpoch - 1), visibleAt: e.at))
            }
        }
        var late: [LateRecord] = outcome.late.filter { $0.engine == .spark && $0.job == j.job.name }.map { l in
            LateRecord(recordID: InputRecord.id(topic: l.topicPartition.topic, partition: Int(l.topicPartition.partition), offset: l.offset),
                       fate: .dropped, rule: l.rule, at: l.at,
                       window: l.window.map { EventWindow(start: EventTime(floorDiv($0.start, 1000)), end: EventTime(floorDiv($0.end, 1000))) })
        }
        for r in records where r.malformed && r.topic == q.source.topic {
            let tp = TopicPartition(r.topic, Int32(r.partition))
            guard let b = j.progress.first(where: { ($0.startOffsets[tp] ?? 0) <= r.offset && r.offset < ($0.endOffsets[tp] ?? 0) }) else { continue }
            late.append(LateRecord(recordID: r.id, fate: .malformed, rule: "from_json (PERMISSIVE) gave a row of nulls: no event time, so the row is filtered out in batch \(b.batchId)", at: b.triggerTime))
        }
        late.sort { ($0.at, $0.recordID) < ($1.at, $1.recordID) }
        var incidents: [Incident] = []
        for f in outcome.faults where f.kind == "crash" && f.detail.hasPrefix("spark") { incidents.append(Incident(at: f.at, kind: .crash, text: "crash: \(f.detail)")) }
        for inc in j.incarnations.dropFirst() {
            if let first = inc.progress.first {
                incidents.append(Incident(at: first.triggerTime, kind: .restart,
                                          text: first.isReexecution ? "restarted: batch \(first.batchId) re-executed from offsets/\(first.batchId) (it had no commit)" : "restarted: resumed at batch \(first.batchId) from the checkpoint"))
            }
        }
        incidents.sort { ($0.at, $0.kind.rawValue) < ($1.at, $1.kind.rawValue) }
        return EngineObservations(engine: id, displayName: "Spark 3.5 (micro-batch)" + (sparkJobs.count > 1 ? " · job \(j.job.name)" : ""), settings: settings, watermarks: points, batches: batches,
                                  firings: firings, lateRecords: late, latencies: latencies, incidents: incidents)
    }

    func flinkObservations(_ j: FlinkJobRuntime, id: EngineID, _ outcome: ScenarioOutcome, _ records: [InputRecord], splits: [WatermarkPoint]) -> EngineObservations {
        let q = j.job.query
        let o = j.options
        let b = (o.boundedOutOfOrderness?.milliseconds ?? q.watermark?.delayMs) ?? 0
        var settings: [NamedText] = [NamedText("api", o.api.rawValue)]
        settings.append(NamedText("watermark", o.api == .sql ? "rowtime − \(Narrate.duration(b))" : "forBoundedOutOfOrderness(\(Narrate.duration(b))): max event time − \(Narrate.duration(b)) − 1 ms, per split"))
        settings.append(NamedText("auto-watermark-interval", Narrate.duration(o.autoWatermarkInterval.milliseconds)))
        settings.append(NamedText("withIdleness", o.idleness.map { Narrate.duration($0.milliseconds) } ?? "none"))
        if o.api == .datastream {
            settings.append(NamedText("allowed lateness", Narrate.duration(o.allowedLateness.milliseconds)))
            settings.append(NamedText("late data", o.sideOutputLateData ? "side output" : "dropped"))
        }
        if let c = o.checkpointInterval { settings.append(NamedText("checkpoints", "every \(Narrate.duration(c.milliseconds))")) }
        if let w = q.aggregation?.window { settings.append(NamedText("window", WindowText.describe(w))) }

        var points: [WatermarkPoint] = []
        var checkpoints: [Checkpoint] = []
        var firings: [Report.WindowFiring] = []
        var incidents: [Incident] = []
        let schema = j.outputSchema
        let keyNames = Set(q.aggregation?.groupBy ?? [])
        let valueIdx = schema.fields.indices.filter { schema.fields[$0].name != "window_start" && schema.fields[$0].name != "window_end" && !keyNames.contains(schema.fields[$0].name) }
        let multiWindow = o.parallelism > 1
        for e in j.events {
            switch e {
            case .watermark(let task, let v, let at, let cause):
                if task.hasPrefix("window") {
                    points.append(WatermarkPoint(at: at, watermark: v, role: .effective, source: multiWindow ? "window operator \(task)" : "window operator", reason: cause))
                } else if j.flinkJob.pipeline.window == nil {
                    points.append(WatermarkPoint(at: at, watermark: v, role: .effective, source: task, reason: cause))
                } else if splits.isEmpty || j.flinkJob.config.sourceParallelism > 1 {
                    points.append(WatermarkPoint(at: at, watermark: v, role: .input, source: "\(task) output", reason: cause))
                }
            case .firing(let f):
                let cause: Report.WindowFiring.Cause = f.cause == .watermark ? .watermark : (f.cause == .element ? .element : .endOfInput)
                firings.append(Report.WindowFiring(window: EventWindow(start: EventTime(f.windowStart), end: EventTime(f.windowEnd)), key: Narrate.key(f.key), firedAt: f.at,
                                            pane: f.pane, cause: cause, values: valueIdx.map { NamedText(schema.fields[$0].name, f.row[$0].description) }))
            case .checkpoint(let cid, let phase, let at, _, let reason):
                switch phase {
                case .triggered: checkpoints.append(Checkpoint(id: cid, triggered: at, finished: nil, status: .pending))
                case .completed, .aborted:
                    if let k = checkpoints.lastIndex(where: { $0.id == cid }) {
                        checkpoints[k].finished = at
                        checkpoints[k].status = phase == .completed ? .completed : .aborted
                        checkpoints[k].note = reason ?? ""
                    }
                }
            case .failure(let cause, let at):
                incidents.append(Incident(at: at, kind: .crash, text: cause))
            case .restart(let attempt, let at, let restored):
                incidents.append(Incident(at: at, kind: .restart, text: "restart \(attempt): " + (restored.map { "restored from checkpoint \($0); watermarks start again from MIN" } ?? "from the start offsets")))
                points.append(WatermarkPoint(at: at, watermark: .min, role: .effective, source: multiWindow ? "window operator window-0" : "window operator", reason: "restarted: watermarks are not checkpointed, they start again from MIN"))
            default: break
            }
        }
        points += splits
        points.sort { ($0.at, $0.role == .effective ? 1 : 0) < ($1.at, $1.role == .effective ? 1 : 0) }
        var late: [LateRecord] = outcome.late.filter { $0.engine == .flink && $0.job == j.job.name }.map { l in
            LateRecord(recordID: InputRecord.id(topic: l.topicPartition.topic, partition: Int(l.topicPartition.partition), offset: l.offset),
                       fate: l.fate == "side_output" ? .sideOutput : (l.fate == "late_firing" ? .lateFiring : .dropped), rule: l.rule, at: l.at,
                       window: l.window.map { EventWindow(start: EventTime(floorDiv($0.start, 1000)), end: EventTime(floorDiv($0.end, 1000))) })
        }
        if o.ignoreParseErrors {
            for r in records where r.malformed && r.topic == q.source.topic {
                late.append(LateRecord(recordID: r.id, fate: .malformed, rule: "JSON deserialization failed → record skipped (json.ignore-parse-errors=true)", at: r.appendTime))
            }
        }
        late.sort { ($0.at, $0.recordID) < ($1.at, $1.recordID) }
        let latencies = j.flinkJob.visibleRows.map { LatencySample(recordID: $0.row.description, eventTime: $0.eventTime, visibleAt: $0.visibleAt) }
        return EngineObservations(engine: id, displayName: (o.api == .sql ? "Flink 1.20 (SQL)" : "Flink 1.20 (DataStream)") + (flinkJobs.count > 1 ? " · job \(j.job.name)" : ""), settings: settings, watermarks: points,
                                  checkpoints: checkpoints, firings: firings, lateRecords: late, latencies: latencies, incidents: incidents)
    }
}
