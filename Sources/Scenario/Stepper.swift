// `sim step`: walk a scenario one scheduler event at a time and ask why. The stepper is a plain value-in, text-out
// command interpreter (`execute("next 3")` returns the narration), so the CLI reads stdin into it and tests drive it
// with a script. Rewinding re-runs the scenario from its seed to an earlier step: the simulation is deterministic,
// so the world it rebuilds is the world the learner saw (the stepper checks the trace digest to prove it).
public import SimCore
import SimLog
import QueryModel
import SparkEngine
import FlinkEngine

/// What the stepper answers to one command line.
public struct StepperReply: Sendable {
    public var text: String
    /// True after `quit`.
    public var quit: Bool
}

/// An interactive, scriptable stepper over one scenario.
public final class Stepper {
    public let document: ScenarioDocument
    public let seed: UInt64
    var world: StepperWorld
    /// The scheduler step number after each shown (non-quiet) step, starting with 0: where `back` can return to.
    var positions: [UInt64] = [0]
    /// The trace digest at each position, to check a rewind reproduced it.
    var digests: [UInt64: String] = [:]

    public init(document: ScenarioDocument, seed: UInt64? = nil) throws {
        self.document = document
        self.seed = seed ?? document.seed
        world = try StepperWorld(document: document, seed: self.seed)
        digests[0] = world.run.environment.trace.digest
    }

    var narrator: StepNarrator { StepNarrator(world: world) }

    /// The current step number and virtual time.
    public var position: (step: UInt64, time: ProcessingTime) { (world.stepNumber, world.now) }
    /// Whether the run has reached its end.
    public var isFinished: Bool { world.finished || (world.scheduler.peek().map { $0.time > world.run.end } ?? true) }

    /// What the stepper prints before the first prompt.
    public var introduction: String {
        var s = "sim step — \(document.name)"
        if !document.description.isEmpty { s += ": \(document.description)" }
        s += "\nseed \(seed) · virtual time \(Narrate.time(document.start)) → \(Narrate.time(world.run.end)) (\(document.duration) + \(document.drain) drain)\n"
        for line in JobSettingsText.lines(world.run) { s += "  " + line + "\n" }
        s += "Each step is one scheduler event; `help` lists the commands, an empty line means `next`.\n"
        return s
    }

    /// Runs one command line and returns what to print.
    public func execute(_ line: String) -> StepperReply {
        let words = trimmedText(line).split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        let command = words.first?.lowercased() ?? "next"
        let rest = Array(words.dropFirst())
        let argument = rest.joined(separator: " ")
        switch command {
        case "next", "n":
            guard let count = count(rest) else { return reply("next takes a number of steps, e.g. `next 5`") }
            return reply(advance(shown: count))
        case "tick", "t":
            guard let count = count(rest) else { return reply("tick takes a number of events, e.g. `tick 20`") }
            return reply(tick(count))
        case "until", "u":
            guard let t = InstantText.parse(argument, start: document.start, end: world.run.end) else {
                return reply("until needs a virtual time: `until 00:01:30`, `until 00:01:30.250`, `until +90s` or an ISO-8601 instant")
            }
            return reply(advance(until: ProcessingTime(t)))
        case "continue", "c":
            return reply(advance(stopAt: StepHighlights.stops))
        case "show", "s":
            return reply(ExplainQueries(world: world).show(argument))
        case "why", "w":
            return reply(ExplainQueries(world: world).why(argument))
        case "fate", "f":
            return reply(ExplainQueries(world: world).fate(argument))
        case "back", "b":
            guard let count = count(rest) else { return reply("back takes a number of shown steps, e.g. `back 2`") }
            return reply(back(count))
        case "help", "h", "?":
            return reply(Stepper.help)
        case "quit", "q", "exit":
            return StepperReply(text: "", quit: true)
        default:
            return reply("unknown command `\(command)` — type `help`")
        }
    }

    /// Runs a whole script (one command per line) and returns the transcript: each command echoed after `(sim) `,
    /// then its reply. Stops at `quit`.
    public func transcript(_ script: [String]) -> String {
        var out = introduction
        for line in script {
            out += "(sim) \(line)\n"
            let r = execute(line)
            out += r.text
            if r.quit { break }
        }
        return out
    }

    public static let help = """
        commands (a step is one scheduler event: a record arriving, a Spark trigger or batch phase, a Flink poll,
        periodic watermark, delivery or checkpoint step, a fault):
          next [n]          run until n steps have shown something (default 1). Steps that only ran internal timers
                            with nothing visible (a Flink periodic watermark that did not move, an idle poll, a Spark
                            trigger with no new data) are run but summarised in one line, so the stepper stays readable
          tick [n]          run exactly n scheduler events, quiet ones included
          until <time>      run up to a virtual time: 00:01:30, 00:01:30.250, +90s (after the start) or ISO-8601
          continue          run to the next firing, late record, checkpoint or crash
          show windows      open windows with their partial aggregates, per engine
          show state        watermarks: Spark's global one, its late threshold and next micro-batch; Flink's per split,
                            per input channel and at the window operator, with idleness
          show offsets      log-end offsets, what each engine has read and what a restart would resume from
          why <window>      why a window has (not) fired: the chain of causes. <window> is its start time and key,
                            e.g. `why 00:01:00 BTCUSDT` or `why [00:01:00, 00:02:00) BTCUSDT`
          fate <record>     what each engine did with a record: `fate binance.trade-0@17` (or `fate 0@17`)
          back [n]          rewind n shown steps (default 1) by re-running the scenario from its seed
          help              this text
          quit              leave

        """

    // MARK: stepping

    func count(_ words: [String]) -> Int? {
        guard let w = words.first else { return 1 }
        guard let n = Int(w), n >= 0 else { return nil }
        return n
    }

    func reply(_ text: String) -> StepperReply { StepperReply(text: text.hasSuffix("\n") || text.isEmpty ? text : text + "\n", quit: false) }

    /// Advances, printing each non-quiet step and one line per run of quiet steps, until `done` says stop.
    func advance(_ done: (StepNarration) -> Bool, maxEvents: Int = 5_000_000) -> String {
        var out = ""
        var quiet: [String] = []
        var quietCount = 0
        func flushQuiet() {
            guard quietCount > 0 else { return }
            out += "  … \(quietCount) quiet step\(quietCount == 1 ? "" : "s") (internal timers only: \(quiet.joined(separator: ", ")))\n"
            quiet = []
            quietCount = 0
        }
        var labels: [(String, Int)] = []
        var events = 0
        while events < maxEvents, let facts = world.step() {
            events += 1
            let n = narrator.narrate(facts)
            if n.isQuiet {
                quietCount += 1
                let key = QuietLabel.normalise(n.event.label)
                if let i = labels.firstIndex(where: { $0.0 == key }) { labels[i].1 += 1 } else { labels.append((key, 1)) }
                quiet = labels.map { $0.1 == 1 ? $0.0 : "\($0.0) ×\($0.1)" }
                if done(n) { labels = []; flushQuiet(); break }
                continue
            }
            labels = []
            flushQuiet()
            out += n.text
            positions.append(world.stepNumber)
            digests[world.stepNumber] = world.run.environment.trace.digest
            if done(n) { break }
        }
        flushQuiet()
        if world.finished || isFinished {
            out += "end of the run at \(Narrate.time(world.run.end)) (step \(world.stepNumber)). `show windows`, `why`, `fate` and `back` still work.\n"
        }
        return out
    }

    func advance(shown count: Int) -> String {
        guard count > 0 else { return "" }
        var seen = 0
        return advance { n in
            if !n.isQuiet { seen += 1 }
            return seen >= count
        }
    }

    func advance(until t: ProcessingTime) -> String {
        if world.now >= t { return "already at \(Narrate.time(world.now)) (step \(world.stepNumber)); use `back` to go earlier\n" }
        var out = ""
        // Run only events due at or before t.
        func due(_ time: ProcessingTime?) -> Bool { time.map { $0 <= t } ?? false }
        if due(world.scheduler.peek()?.time) {
            out += advance { _ in !due(self.world.scheduler.peek()?.time) }
        }
        out += "now at \(Narrate.time(max(world.now, min(t, world.run.end)))) (step \(world.stepNumber))\n"
        return out
    }

    func advance(stopAt: StepHighlights) -> String {
        advance { n in !n.highlights.isDisjoint(with: stopAt) }
    }

    func tick(_ count: Int) -> String {
        var out = ""
        for _ in 0..<count {
            guard let facts = world.step() else { break }
            let n = narrator.narrate(facts)
            if n.isQuiet {
                out += n.header + " (nothing visible)\n"
            } else {
                out += n.text
                positions.append(world.stepNumber)
                digests[world.stepNumber] = world.run.environment.trace.digest
            }
        }
        if isFinished { out += "end of the run at \(Narrate.time(world.run.end)) (step \(world.stepNumber)).\n" }
        return out
    }

    /// Rewinds by re-running the scenario from the seed to an earlier shown step.
    func back(_ count: Int) -> String {
        guard count > 0 else { return "" }
        let current = world.stepNumber
        var keep = positions.count - 1
        // Stepping back from the middle of quiet steps first returns to the last shown step.
        if positions.last != current { keep = positions.count }
        let index = max(0, keep - count)
        let target = positions[index]
        let rebuilt: StepperWorld
        do { rebuilt = try StepperWorld(document: document, seed: seed) } catch { return "cannot rebuild the scenario: \(error)\n" }
        while rebuilt.stepNumber < target, rebuilt.step() != nil {}
        world = rebuilt
        positions = Array(positions.prefix(index + 1))
        let digest = world.run.environment.trace.digest
        let check = digests[target].map { $0 == digest ? "the trace digest matches the first time through" : "WARNING: the trace digest differs from the first time through" } ?? ""
        return "rewound to step \(target) at \(Narrate.time(world.now)) by re-running \(target) event(s) from seed \(seed); \(check)\n"
    }
}

/// Quiet-step labels with their changing numbers removed, so that `flink ack 3 source 0` and `flink ack 4 source 0`
/// count as one kind.
enum QuietLabel {
    static func normalise(_ label: String) -> String {
        if label.hasPrefix("flink ack") { return "flink checkpoint acks" }
        if label.hasPrefix("spark run batch") || label.hasPrefix("spark sink batch") || label.hasPrefix("spark commit batch") {
            return label.split(separator: " ").prefix(2).joined(separator: " ") + " batch"
        }
        return label
    }
}

/// One line per job: the settings that decide what the narration shows.
enum JobSettingsText {
    static func lines(_ run: ScenarioRun) -> [String] {
        var out: [String] = []
        for j in run.document.jobs {
            let q = j.query
            var parts: [String] = []
            if let w = q.aggregation?.window { parts.append("window \(WindowText.describe(w))") }
            if let wm = q.watermark { parts.append("watermark on \(wm.column), delay \(Narrate.duration(wm.delayMs))") }
            if !(q.aggregation?.groupBy ?? []).isEmpty { parts.append("by \(q.aggregation!.groupBy.joined(separator: ", "))") }
            out.append("job \(j.name): \(parts.joined(separator: ", "))")
            if let s = j.spark {
                let trig: String
                switch s.trigger {
                case .processingTime(let d): trig = d.milliseconds == 0 ? "as fast as possible" : "every \(Narrate.duration(d.milliseconds))"
                case .once: trig = "once"
                case .availableNow: trig = "available-now"
                }
                out.append("  spark: trigger \(trig), outputMode \(q.outputMode.rawValue)")
            }
            if let f = j.flink {
                var p = ["\(f.api.rawValue)", "forBoundedOutOfOrderness \(Narrate.duration((f.boundedOutOfOrderness?.milliseconds ?? q.watermark?.delayMs) ?? 0))",
                         "auto-watermark-interval \(Narrate.duration(f.autoWatermarkInterval.milliseconds))"]
                p.append(f.idleness.map { "withIdleness \(Narrate.duration($0.milliseconds))" } ?? "no withIdleness")
                if f.api == .datastream {
                    p.append("allowedLateness \(Narrate.duration(f.allowedLateness.milliseconds))")
                    p.append(f.sideOutputLateData ? "late data → side output" : "late data dropped")
                }
                if let c = f.checkpointInterval { p.append("checkpoint every \(Narrate.duration(c.milliseconds))") }
                out.append("  flink: " + p.joined(separator: ", "))
            }
        }
        return out
    }
}

enum WindowText {
    static func describe(_ w: WindowSpec) -> String {
        switch w {
        case .tumbling(let size, let offset): return "tumbling \(Narrate.duration(size))" + (offset == 0 ? "" : " offset \(Narrate.duration(offset))")
        case .sliding(let size, let slide, let offset): return "sliding \(Narrate.duration(size)) every \(Narrate.duration(slide))" + (offset == 0 ? "" : " offset \(Narrate.duration(offset))")
        case .session(let gap): return "session gap \(Narrate.duration(gap))"
        }
    }
}
