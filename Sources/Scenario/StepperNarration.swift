// Turns what one scheduler event changed (`StepFacts`) into sentences a learner can follow: the record that arrived
// (event time against processing time), each engine's watermark and why it moved, windows opening and filling,
// firings with the rule that fired them, and every late record with the exact rule that decided its fate. Rule
// numbers (S1–S10, F1–F10) refer to docs/semantics and the real-engine recordings.
import SimCore
import SimLog
import QueryModel
import SparkEngine
import FlinkEngine

/// What kind of thing a step did (for `continue` and for summaries).
struct StepHighlights: OptionSet, Sendable {
    let rawValue: Int
    static let record = StepHighlights(rawValue: 1)
    static let watermark = StepHighlights(rawValue: 2)
    static let window = StepHighlights(rawValue: 4)
    static let fire = StepHighlights(rawValue: 8)
    static let late = StepHighlights(rawValue: 16)
    static let checkpoint = StepHighlights(rawValue: 32)
    static let crash = StepHighlights(rawValue: 64)
    static let batch = StepHighlights(rawValue: 128)
    static let fault = StepHighlights(rawValue: 256)
    static let sink = StepHighlights(rawValue: 512)
    static let idle = StepHighlights(rawValue: 1024)
    /// What `continue` stops at.
    static let stops: StepHighlights = [.fire, .late, .checkpoint, .crash]
}

/// The narration of one scheduler event: a header and indented lines; no lines = a quiet step.
struct StepNarration {
    var event: ExecutedEvent
    var lines: [String] = []
    var highlights: StepHighlights = []
    var isQuiet: Bool { lines.isEmpty }

    var header: String { "step \(event.stepNumber) · \(Narrate.time(event.time)) · \(event.label)" }
    var text: String { ([header] + lines.map { "  " + $0 }).joined(separator: "\n") + "\n" }
}

/// Builds narrations for a world.
struct StepNarrator {
    unowned let world: StepperWorld
    /// Result rows listed per firing step before "… and N more".
    var maxRowsPerStep = 8

    func narrate(_ f: StepFacts) -> StepNarration {
        var n = StepNarration(event: f.event)
        for t in f.trace { trace(t, &n) }
        for (k, a) in f.appended.enumerated() { arrival(a.topicPartition, a.record, a.appendTime, f.readings[k], &n) }
        for s in f.spark { spark(s, &n) }
        for s in f.flink { flink(s, &n) }
        return n
    }

    // MARK: records

    func arrival(_ tp: TopicPartition, _ r: Record, _ at: ProcessingTime, _ read: (reading: RecordLens.Reading, previousMax: Int64?), _ n: inout StepNarration) {
        n.highlights.insert(.record)
        let id = Narrate.record(tp, r.offset)
        let key = read.reading.key.isEmpty ? "" : " (key \(read.reading.key))"
        guard let et = read.reading.eventTime, !read.reading.malformed else {
            n.lines.append("record \(id)\(key) arrives at \(Narrate.time(at)): malformed \(read.reading.summary) — no event time: Spark's from_json gives a row of nulls that the query filters out; Flink's JSON format fails the job unless json.ignore-parse-errors")
            return
        }
        let lag = at.millisecondsSinceEpoch - et.millisecondsSinceEpoch
        let how = lag >= 0 ? "\(Narrate.duration(lag)) after it happened" : "\(Narrate.duration(-lag)) before its own event time (clock skew)"
        let source = read.reading.fromQuery ? "event time" : "Kafka timestamp"
        var line = "record \(id)\(key) arrives: \(source) \(Narrate.event(et)), appended at \(Narrate.time(at)) (processing time) — \(how)"
        if let m = read.previousMax, m > et.millisecondsSinceEpoch {
            line += "; out of order: this topic has already seen event time \(Narrate.event(m))"
        }
        n.lines.append(line)
    }

    // MARK: trace (faults, crashes, recoveries)

    func trace(_ t: TraceEvent, _ n: inout StepNarration) {
        func text(_ k: String) -> String {
            guard let v = t[k] else { return "" }
            if case .string(let s) = v { return s }
            return v.description
        }
        switch t.kind {
        case .fault where t.component == "faults":
            n.highlights.insert(.fault)
            n.lines.append("fault injected: \(text("kind")) \(text("detail"))")
        case .crash where t.component.hasPrefix("spark"):
            n.highlights.insert(.crash)
            n.lines.append("\(t.component) crashes during batch \(text("batch")): the driver's memory (state store cache, watermark tracker) is lost; the checkpoint (offsets/, commits/, state/) and the sink survive")
        case .crash:
            n.highlights.insert(.crash)
            n.lines.append("\(t.component) crashes (\(text("cause"))): every task's memory is lost; only the last completed checkpoint survives")
        case .restart where t.component.hasPrefix("spark"):
            n.highlights.insert(.crash)
            n.lines.append("\(t.component) restarts (incarnation \(text("incarnation"))) on the same checkpoint")
        case .recover where t.component.hasPrefix("spark"):
            n.highlights.insert(.crash)
            let commit = text("latestCommit")
            let latest = text("latestOffsets")
            n.lines.append(commit == latest
                           ? "\(t.component) recovers: offsets/\(latest) and commits/\(latest) both exist → resume with batch \((Int64(latest) ?? 0) + 1); the watermark comes back from commits/\(latest)"
                           : "\(t.component) recovers: offsets/\(latest) has no commits/\(latest) → batch \(latest) runs again with the same offsets, watermark and batch timestamp (exactly the same input)")
        case .restart where t.component.hasPrefix("flink") && text("decision") == "fail":
            n.highlights.insert(.crash)
            n.lines.append("\(t.component): the restart strategy gives up (\(text("cause"))) — the job fails for good")
        default:
            break
        }
    }

    // MARK: Spark

    func spark(_ s: SparkStepFacts, _ n: inout StepNarration) {
        let j = world.run.sparkJobs[s.job]
        let name = world.sparkName(s.job)
        let delay = j.job.query.watermark?.delayMs
        if let p = s.planned {
            n.highlights.insert(.batch)
            if p.rerun {
                n.lines.append("\(name) re-plans batch \(p.batch) from offsets/\(p.batch): same offsets, eviction watermark \(Narrate.event(p.watermarkMs)), late threshold \(Narrate.event(p.lateThresholdMs))")
            } else {
                n.lines.append("\(name) plans batch \(p.batch) (writes offsets/\(p.batch)): it evicts and emits with watermark \(Narrate.event(p.watermarkMs))" +
                               (p.batch == 0 ? " (no batch has run yet)" : " (computed after batch \(p.batch - 1))") +
                               " and drops rows of windows ending at or before \(Narrate.event(p.lateThresholdMs))" +
                               (p.batch == 0 ? "" : " (batch \(p.batch - 1)'s own watermark, the previous batch's — S3)"))
            }
        }
        for d in s.newDrops {
            n.highlights.insert(.late)
            let found = world.record(d.topicPartition, d.offset)
            let et = found?.reading.eventTime.map { "event time \(Narrate.event($0)), " } ?? ""
            n.lines.append("\(name) drops \(Narrate.record(d.topicPartition, d.offset)) (\(et)key \(Narrate.key(d.keys))) as late: window \(Narrate.window(floorDiv(d.window.start, 1000), floorDiv(d.window.end, 1000))) end \(Narrate.short(floorDiv(d.window.end, 1000))) ≤ watermark \(Narrate.event(d.watermarkMs)) of batch \(d.batchId - 1) (the previous batch) → Spark drops it in batch \(d.batchId) (S3: the record's own event time plays no part; counted once per (window, key) in numRowsDroppedByWatermark)")
        }
        if let before = s.windowsBefore, let after = s.windowsAfter {
            let evictionWM = s.planned?.watermarkMs ?? j.execution.snapshot.lastBatchWatermarkMs ?? 0
            sparkWindowChanges(name, before, after, evictionWM, j.job.query.outputMode, &n)
        }
        for e in s.newEmitted where !e.rows.isEmpty {
            n.highlights.insert(.fire)
            n.highlights.insert(.sink)
            let mode = j.job.query.outputMode
            let rule: String
            switch mode {
            case .append: rule = "append mode: each window once, in the batch whose watermark reaches its end (S4) — one batch after the data that moved the watermark (S5)"
            case .update: rule = "update mode: every window the batch changed, even before it closes"
            case .complete: rule = "complete mode: the whole result table, every batch"
            }
            n.lines.append("\(name) batch \(e.batchId) writes \(e.rows.count) row(s) to its sink (\(rule)):")
            for r in e.rows.prefix(maxRowsPerStep) { n.lines.append("    " + resultRow(r, j.outputSchema, j.job)) }
            if e.rows.count > maxRowsPerStep { n.lines.append("    … and \(e.rows.count - maxRowsPerStep) more") }
        }
        for p in s.newProgress {
            n.highlights.insert(.batch)
            let range = p.eventTimeMinMs.flatMap { lo in p.eventTimeMaxMs.map { " with event times \(Narrate.event(lo)) … \(Narrate.event($0))" } } ?? ""
            n.lines.append("\(name) commits batch \(p.batchId) (commits/\(p.batchId)): \(p.kind == .noData ? "a no-data batch (S6)" : "\(p.numInputRows) row(s) read\(range)"), \(p.numOutputRows) row(s) out")
        }
        if s.watermarkAfter != s.watermarkBefore {
            n.highlights.insert(.watermark)
            if let last = s.newProgress.last {
                let maxText = delay.map { " = max event time \(Narrate.event(s.watermarkAfter + $0)) − delay \(Narrate.duration($0))" } ?? ""
                n.lines.append("\(name) watermark \(Narrate.event(s.watermarkBefore)) → \(Narrate.event(s.watermarkAfter))\(maxText) (from batch \(last.batchId)'s rows); the next batch uses it — a batch's own rows never move its own watermark (S1)")
            } else if s.watermarkAfter == 0 {
                n.lines.append("\(name) watermark: the new incarnation starts from 0 until it reads the checkpoint")
            } else {
                n.lines.append("\(name) watermark \(Narrate.event(s.watermarkAfter)): read back from the checkpoint (offsets/commits files), not recomputed")
            }
        }
    }

    func sparkWindowChanges(_ name: String, _ before: [SparkOpenWindow], _ after: [SparkOpenWindow], _ wm: Int64, _ mode: OutputMode, _ n: inout StepNarration) {
        func id(_ w: SparkOpenWindow) -> String { (w.windowStartMs.map { Narrate.window($0, w.windowEndMs ?? 0) + " " } ?? "") + Narrate.key(w.keys) }
        func same(_ a: SparkOpenWindow, _ b: SparkOpenWindow) -> Bool { a.windowStartMs == b.windowStartMs && a.windowEndMs == b.windowEndMs && a.keys == b.keys }
        /// Session windows merge: a stored session overlapping a new one of the same key is replaced by the merged one (S9).
        func merged(_ old: SparkOpenWindow, into new: SparkOpenWindow) -> Bool {
            guard old.keys == new.keys, let os = old.windowStartMs, let oe = old.windowEndMs, let ns = new.windowStartMs, let ne = new.windowEndMs else { return false }
            return os <= ne && oe >= ns && !same(old, new)
        }
        var lines: [String] = []
        for w in after {
            if let b = before.first(where: { same($0, w) }) {
                if b.values.map(\.value) != w.values.map(\.value) { lines.append("\(name) state \(id(w)): \(Narrate.values(w.values.map { ($0.name, $0.value) }))") }
            } else if let b = before.first(where: { old in merged(old, into: w) && !after.contains(where: { same($0, old) }) }) {
                lines.append("\(name) state: session \(id(b)) grows to \(id(w)) (merged, S9): \(Narrate.values(w.values.map { ($0.name, $0.value) }))")
            } else {
                lines.append("\(name) state opens \(id(w)): \(Narrate.values(w.values.map { ($0.name, $0.value) }))")
            }
        }
        for b in before where !after.contains(where: { same($0, b) || merged(b, into: $0) }) {
            let end = b.windowEndMs.map(Narrate.short) ?? "?"
            lines.append("\(name) evicts \(id(b)) from state: window end \(end) ≤ batch watermark \(Narrate.event(wm))" + (mode == .append ? " → emitted now (append)" : " (update mode evicts silently)"))
        }
        if !lines.isEmpty { n.highlights.insert(.window) }
        n.lines += cap(lines)
    }

    /// `[23:59:00, 00:00:00) BTCUSDT trades=3 open=61000.0 …` for an output row.
    func resultRow(_ r: Row, _ schema: Schema, _ job: JobSpec) -> String {
        var head = ""
        if let si = schema.index(of: "window_start"), let ei = schema.index(of: "window_end"), case .timestamp(let a) = r[si], case .timestamp(let b) = r[ei] {
            head = Narrate.window(floorDiv(a, 1000), floorDiv(b, 1000)) + " "
        }
        let keys = (job.query.aggregation?.groupBy ?? []).compactMap { schema.index(of: $0) }
        head += keys.map { r[$0].description }.joined(separator: ",")
        let rest = schema.fields.indices.filter { !keys.contains($0) && schema.fields[$0].name != "window_start" && schema.fields[$0].name != "window_end" }
        return head + (head.isEmpty ? "" : " ") + rest.map { "\(schema.fields[$0].name)=\(r[$0])" }.joined(separator: " ")
    }

    // MARK: Flink

    func flink(_ s: FlinkStepFacts, _ n: inout StepNarration) {
        let j = world.run.flinkJobs[s.job]
        let name = world.flinkName(s.job)
        if !s.read.isEmpty {
            n.highlights.insert(.record)
            let parts = s.read.map { r in r.to - r.from == 1 ? Narrate.record(r.topicPartition, r.from) : "\(Narrate.record(r.topicPartition, r.from))…\(r.to - 1)" }
            n.lines.append("\(name) source reads \(parts.joined(separator: ", ")) and sends the rows on to the window operator")
        }
        if let before = s.windowsBefore, let after = s.windowsAfter {
            flinkWindowChanges(name, before, after, j, cleared: false, &n)
        }
        let names = valueNames(j.outputSchema, j.job)
        for e in s.events {
            switch e {
            case .watermark(let task, let v, _, let cause):
                n.highlights.insert(.watermark)
                if task.hasPrefix("window") {
                    let who = j.flinkJob.pipeline.window != nil && j.options.parallelism > 1 ? "window operator \(task)" : "window operator"
                    n.lines.append("\(name) \(who) watermark → \(Narrate.event(v)) (\(cause)); windows with end − 1 ≤ it fire (F3)")
                } else {
                    n.lines.append("\(name) \(task) sends watermark \(Narrate.event(v)) (\(cause))")
                }
            case .firing(let f):
                n.highlights.insert(.fire)
                let vals = zip(names, f.row.values.suffix(names.count)).map { "\($0.0)=\($0.1)" }.joined(separator: " ")
                let why: String
                switch f.cause {
                case .watermark: why = "watermark \(Narrate.event(f.watermark)) ≥ end − 1 = \(Narrate.event(f.windowEnd - 1)) (F3)"
                case .element: why = "late firing: a record within allowed lateness re-fired it at once with everything so far (F5)"
                case .endOfInput: why = "end of input: the MAX watermark fires every open window (F6)"
                }
                n.lines.append("\(name) fires \(Narrate.window(f.windowStart, f.windowEnd)) \(Narrate.key(f.key)) pane \(f.pane): \(why) → \(vals)")
            case .late(let l):
                n.highlights.insert(.late)
                let fate: String
                switch l.fate {
                case .dropped: fate = "drops"
                case .sideOutput: fate = "sends to the side output"
                case .lateFiring: fate = "accepts late"
                }
                n.lines.append("\(name) \(fate) \(l.origin) (event time \(Narrate.event(l.eventTime)), key \(Narrate.key(l.key))): \(l.rule) (F4/F5)")
            case .idle(let task, let split, let idle, _):
                n.highlights.insert(.idle)
                if let split {
                    n.lines.append(idle
                                   ? "\(name) \(task): split \(split) is now idle — no record for longer than withIdleness \(j.options.idleness.map { Narrate.duration($0.milliseconds) } ?? "?"); it stops holding the watermark back"
                                   : "\(name) \(task): split \(split) is active again (a record arrived) and takes part in the minimum again")
                } else {
                    n.lines.append("\(name) \(task) output is \(idle ? "idle (every input idle)" : "active again")")
                }
            case .checkpoint(let id, let phase, _, let offsets, let reason):
                n.highlights.insert(.checkpoint)
                switch phase {
                case .triggered: n.lines.append("\(name) checkpoint \(id) triggered: barriers enter the sources")
                case .completed:
                    let offs = offsets.keys.sorted().map { "\($0)→\(offsets[$0]!)" }.joined(separator: ", ")
                    n.lines.append("\(name) checkpoint \(id) completed: it saved the source offsets (\(offs)), the window state (open windows, timers) and the sink's state — not the watermark, which restarts at MIN after a restore")
                case .aborted: n.lines.append("\(name) checkpoint \(id) aborted: \(reason ?? "")")
                }
            case .failure(let cause, _):
                n.highlights.insert(.crash)
                n.lines.append(cause.hasPrefix("Recovery is suppressed")
                               ? "\(name) job fails for good: \(cause)"
                               : "\(name) task failure (\(cause)): in-flight data and memory are gone; the JobManager notices (a lost TaskManager only after heartbeat.timeout) and the restart strategy decides what happens next")
            case .restart(let attempt, _, let restored):
                n.highlights.insert(.crash)
                n.lines.append("\(name) restarts (restart \(attempt)) " + (restored.map { "from checkpoint \($0): sources rewind to its offsets, window state comes back, the watermark starts again at MIN" } ?? "from the start offsets (no completed checkpoint): everything is read again"))
            case .sinkVisible(let rows, _):
                n.highlights.insert(.sink)
                n.lines.append("\(name) sink: \(rows.count) row(s) now visible in \(j.options.sink.table ?? j.job.name)" + (j.options.sink.mode == .exactlyOnce ? " (the transaction committed with the checkpoint)" : ""))
            case .finished:
                n.lines.append("\(name) job finished (end of input)")
            }
        }
        if let before = s.windowsBefore, let after = s.windowsAfter {
            flinkWindowChanges(name, before, after, j, cleared: true, &n)
        }
    }

    /// Windows opened or updated (`cleared: false`, narrated before the step's events) or cleared once the watermark
    /// passed their cleanup time (`cleared: true`, after the firing that preceded it).
    func flinkWindowChanges(_ name: String, _ before: [FlinkOpenWindow], _ after: [FlinkOpenWindow], _ j: FlinkJobRuntime, cleared: Bool, _ n: inout StepNarration) {
        let names = valueNames(j.outputSchema, j.job)
        func same(_ a: FlinkOpenWindow, _ b: FlinkOpenWindow) -> Bool { a.windowStartMs == b.windowStartMs && a.windowEndMs == b.windowEndMs && a.key == b.key }
        func vals(_ w: FlinkOpenWindow) -> String { zip(names, w.values).map { "\($0.0)=\($0.1)" }.joined(separator: " ") }
        var lines: [String] = []
        /// A session window that grew by merging replaces an overlapping one of the same key.
        func merged(_ old: FlinkOpenWindow, into new: FlinkOpenWindow) -> Bool {
            old.key == new.key && old.windowStartMs <= new.windowEndMs && old.windowEndMs >= new.windowStartMs && !same(old, new)
        }
        for w in after where !cleared {
            if let b = before.first(where: { same($0, w) }) {
                if b.values != w.values { lines.append("\(name) window \(Narrate.window(w.windowStartMs, w.windowEndMs)) \(Narrate.key(w.key)): \(vals(w))") }
            } else if let b = before.first(where: { old in merged(old, into: w) && !after.contains(where: { a in same(a, old) }) }) {
                lines.append("\(name) session \(Narrate.window(b.windowStartMs, b.windowEndMs)) \(Narrate.key(w.key)) grows to \(Narrate.window(w.windowStartMs, w.windowEndMs)) (merged with the new record's [t, t + gap)): \(vals(w))")
            } else {
                lines.append("\(name) opens window \(Narrate.window(w.windowStartMs, w.windowEndMs)) \(Narrate.key(w.key)): \(vals(w))")
            }
        }
        for b in before where cleared && !after.contains(where: { same($0, b) || merged(b, into: $0) }) {
            lines.append("\(name) clears window \(Narrate.window(b.windowStartMs, b.windowEndMs)) \(Narrate.key(b.key)): watermark ≥ end − 1 + allowed lateness = \(Narrate.event(b.cleanupTimeMs)); later records for it are late")
        }
        if !lines.isEmpty { n.highlights.insert(.window) }
        n.lines += cap(lines)
    }

    /// The aggregate columns of an output schema (what a window's values array holds).
    func valueNames(_ schema: Schema, _ job: JobSpec) -> [String] {
        let keys = Set(job.query.aggregation?.groupBy ?? [])
        return schema.fields.map(\.name).filter { $0 != "window_start" && $0 != "window_end" && !keys.contains($0) }
    }

    func cap(_ lines: [String]) -> [String] {
        lines.count <= maxRowsPerStep ? lines : Array(lines.prefix(maxRowsPerStep)) + ["… and \(lines.count - maxRowsPerStep) more"]
    }
}
