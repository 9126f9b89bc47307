// `sim explain`: the stepper's narration for a whole run, as plain text or Markdown — the lessons' goldens are this
// output. Steps that changed nothing visible (internal timers) are left out; for runs with generated or replayed feeds
// (thousands of records), runs of steps that only moved records and window contents are folded into one line, so the
// watermark moves, firings and late records stand out.
public import SimCore
import SimLog
import QueryModel
import FlinkEngine

/// How `sim explain` writes.
public enum ExplainFormat: String, Sendable, CaseIterable {
    case text, markdown
}

/// How much `sim explain` folds.
public enum ExplainDetail: String, Sendable, CaseIterable {
    /// Every step that showed something.
    case full
    /// Fold runs of steps that only appended records, read them, updated window contents or moved a watermark
    /// without firing anything.
    case compact
    /// `full` for scenarios whose feeds are all scripted records, `compact` otherwise.
    case automatic
}

public enum RunExplanation {
    /// Runs the scenario from its seed and narrates it.
    public static func narrate(_ document: ScenarioDocument, seed: UInt64? = nil, format: ExplainFormat = .text, detail: ExplainDetail = .automatic) throws -> String {
        let stepper = try Stepper(document: document, seed: seed)
        let world = stepper.world
        let narrator = StepNarrator(world: world)
        let compact: Bool
        switch detail {
        case .full: compact = false
        case .compact: compact = true
        case .automatic: compact = !document.feeds.allSatisfy { if case .scripted = $0 { return true } else { return false } }
        }
        var w = ExplanationWriter(format: format)
        w.title(document, seed: stepper.seed, run: world.run)
        var folded = FoldedSteps()
        while let facts = world.step() {
            let n = narrator.narrate(facts)
            if n.isQuiet { continue }
            if compact && n.highlights.isSubset(of: [.record, .window, .sink, .watermark]) {
                folded.add(n, facts, world)
                continue
            }
            if let line = folded.flush() { w.folded(line) }
            w.step(n)
        }
        if let line = folded.flush() { w.folded(line) }
        w.closing(world.run.outcome(), end: world.run.end)
        return w.output
    }
}

/// Steps folded into one line in compact mode.
struct FoldedSteps {
    var steps = 0
    var records = 0
    var first: ProcessingTime?
    var last: ProcessingTime?
    var minEvent = Int64.max
    var maxEvent = Int64.min
    var outOfOrder = 0
    /// The last watermark each engine reached within the fold, in first-seen order.
    var watermarks: [(String, Int64)] = []

    mutating func note(_ engine: String, _ w: Int64) {
        if let i = watermarks.firstIndex(where: { $0.0 == engine }) { watermarks[i].1 = w } else { watermarks.append((engine, w)) }
    }

    mutating func add(_ n: StepNarration, _ f: StepFacts, _ world: StepperWorld) {
        steps += 1
        for s in f.spark where s.watermarkAfter != s.watermarkBefore { note(world.sparkName(s.job), s.watermarkAfter) }
        for fl in f.flink {
            for e in fl.events {
                if case .watermark(let task, let v, _, _) = e, task.hasPrefix("window") || world.run.flinkJobs[fl.job].flinkJob.pipeline.window == nil {
                    note(world.flinkName(fl.job), v.millisecondsSinceEpoch)
                }
            }
        }
        if first == nil { first = n.event.time }
        last = n.event.time
        records += f.appended.count
        for r in f.readings {
            guard let et = r.reading.eventTime?.millisecondsSinceEpoch else { continue }
            minEvent = min(minEvent, et)
            maxEvent = max(maxEvent, et)
            if let m = r.previousMax, m > et { outOfOrder += 1 }
        }
    }

    mutating func flush() -> String? {
        guard steps > 0, let a = first, let b = last else { return nil }
        var s = "\(Narrate.time(a)) … \(Narrate.time(b)): \(steps) step(s) that only moved data"
        var parts: [String] = []
        if records > 0 {
            var r = "\(records) record(s) arrived"
            if minEvent <= maxEvent { r += " (event times \(Narrate.event(minEvent)) … \(Narrate.event(maxEvent))\(outOfOrder > 0 ? ", \(outOfOrder) out of order" : ""))" }
            parts.append(r)
        }
        parts.append("open windows were updated")
        if !watermarks.isEmpty { parts.append("watermarks rose to " + watermarks.map { "\($0.0) \(Narrate.event($0.1))" }.joined(separator: ", ")) }
        s += " — " + parts.joined(separator: "; ")
        self = FoldedSteps()
        return s
    }
}

/// Text or Markdown output of an explanation.
struct ExplanationWriter {
    let format: ExplainFormat
    var output = ""

    mutating func title(_ d: ScenarioDocument, seed: UInt64, run: ScenarioRun) {
        switch format {
        case .text:
            output += "\(d.name) — seed \(seed) — virtual time \(Narrate.time(d.start)) → \(Narrate.time(run.end))\n"
            if !d.description.isEmpty { output += d.description + "\n" }
            for l in JobSettingsText.lines(run) { output += "  " + l + "\n" }
            output += "(Each block is one scheduler step that changed something visible; internal timer steps are left out.)\n\n"
        case .markdown:
            output += "# `sim explain` — \(d.name)\n\n"
            if !d.description.isEmpty { output += "> \(d.description)\n\n" }
            output += "Seed \(seed), virtual time \(Narrate.time(d.start)) → \(Narrate.time(run.end)).\n\n"
            for l in JobSettingsText.lines(run) { output += (l.hasPrefix("  ") ? "  - " + trimmedText(l) : "- " + l) + "\n" }
            output += "\nEach entry is one scheduler step that changed something visible; internal timer steps are left out.\n\n"
        }
    }

    mutating func step(_ n: StepNarration) {
        switch format {
        case .text:
            output += n.text
        case .markdown:
            output += "**step \(n.event.stepNumber) · \(Narrate.time(n.event.time))** · `\(n.event.label)`\n\n"
            for l in n.lines {
                if l.hasPrefix("    ") { output += "    - " + trimmedText(l) + "\n" } else { output += "- " + l + "\n" }
            }
            output += "\n"
        }
    }

    mutating func folded(_ line: String) {
        switch format {
        case .text: output += "… \(line)\n"
        case .markdown: output += "*… \(line)*\n\n"
        }
    }

    mutating func closing(_ o: ScenarioOutcome, end: ProcessingTime) {
        var lines: [String] = []
        lines.append("end of the run at \(Narrate.time(end))")
        for l in o.late {
            let et = l.eventTime.map { " (event time \(Narrate.event($0)))" } ?? ""
            lines.append("late: \(l.engine.rawValue) \(Narrate.record(l.topicPartition, l.offset))\(et) → \(l.fate): \(l.rule)")
        }
        if o.late.isEmpty { lines.append("late: no record was late for either engine") }
        let unlike = o.diff.filter { $0.label != .same }
        if !o.diff.isEmpty {
            lines.append("Spark vs Flink: \(o.diff.count - unlike.count) window result(s) the same, \(unlike.count) different")
            for d in unlike {
                let sv = d.spark.map { $0.map { "\($0.0)=\($0.1)" }.joined(separator: " ") } ?? "—"
                let fv = d.flink.map { $0.map { "\($0.0)=\($0.1)" }.joined(separator: " ") } ?? "—"
                lines.append("  \(Narrate.window(floorDiv(d.window.start, 1000), floorDiv(d.window.end, 1000))) \(d.window.key): spark \(sv) | flink \(fv) — \(d.label)")
            }
        }
        for engine in ["spark", "flink"] {
            guard let p50 = o.metric("\(engine).latency_p50_ms"), let pmax = o.metric("\(engine).latency_max_ms"), pmax > 0 else { continue }
            lines.append("latency \(engine) (window end − 1 ms → visible in the sink): p50 \(Narrate.duration(Int64(p50))), max \(Narrate.duration(Int64(pmax)))")
        }
        for e in o.expectations { lines.append("expect \(e.expectation): \(e.passed ? "holds" : "FAILS") (actual \(e.actual))") }
        switch format {
        case .text:
            output += "\nsummary:\n" + lines.map { "  " + $0 + "\n" }.joined()
        case .markdown:
            output += "## Summary\n\n" + lines.map { ($0.hasPrefix("  ") ? "  - " + trimmedText($0) : "- " + $0) + "\n" }.joined() + "\n"
        }
    }
}
