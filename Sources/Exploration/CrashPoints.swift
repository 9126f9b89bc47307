public import SimCore
public import Scenario
import Synchronization
import Dispatch
import FlinkEngine

/// Crash-point enumeration: run a small scenario once to list its scheduler steps, then, for every crash point and
/// every engine, rerun it, crash that engine right after that step — which lands between every pair of steps that
/// matter, including between a Spark batch's `offsets/N` and `commits/N` writes and between a Flink barrier and its
/// checkpoint's completion — let it recover, and check exactly-once against the crash-free run.
///
/// **Crashes only in a prefix, then a data tail.** Crash points are tried only up to `crashUntil`; the scenario must
/// keep records arriving after it (the default `crashUntil` is derived from the last scripted record). The reason is
/// Spark's restart rule (docs/semantics/spark.md F2; research spark-semantics.md §1.3.3): after a restart,
/// `MicroBatchExecution.shouldConstructNextBatch` looks at `execCtx.previousContext`, which is empty, so the first
/// batch of the new run is never a newly built no-data batch. Windows that only a no-data batch would have emitted
/// wait for new data — a crash after the last record would leave them unemitted *by design*, and exactly-once would
/// compare the faithful model with an outcome it never promised. With data after every restart, every crash run
/// emits everything the crash-free run emits, and exactly-once is checked in full at every point tried.
///
/// **Equivalent points are tried once.** A crash loses every piece of in-memory state; only what survives it (the
/// log, Spark's checkpoint files, Flink's completed checkpoints, sink contents and pending transactions) decides the
/// recovery. A step that changed none of that and recorded nothing — an idle source poll, an output flusher with
/// nothing to send, a periodic watermark that did not move — gives the same recovery as the step before it, so by
/// default (`everyStep = false`) such steps are not tried as crash points (they are counted as `collapsed`).
public struct CrashPointExplorer: Sendable {
    public var scenario: PropertyScenario
    public var seed: UInt64
    public var engines: [EngineName]
    public var settings: SimulationSettings
    /// The invariants checked after each recovery (default: exactly-once).
    public var invariants: [Invariant] = [.exactlyOnce]
    public var threads = 2
    /// Spark's driver comes back this long after the crash.
    public var sparkRestartAfter: SimDuration = .seconds(2)
    /// Crash only at steps up to this long after the start (nil = derived: the last scripted record's arrival minus
    /// the Spark restart delay, one trigger interval and one second, so data still arrives after every restart).
    public var crashUntil: SimDuration?
    /// Try every scheduler step, not only the distinct crash points.
    public var everyStep = false

    /// `settings` gets Flink's `heartbeat.timeout` cut to 2 s so a lost TaskManager is noticed within a small
    /// scenario's drain (the recovery path is the same, only sooner).
    public init(scenario: PropertyScenario, seed: UInt64 = 1, engines: [EngineName] = [.spark, .flink], settings: SimulationSettings = SimulationSettings()) {
        self.scenario = scenario
        self.seed = seed
        self.engines = engines
        var s = settings
        let previous = s.hooks.flinkQueryOptions
        s.hooks.flinkQueryOptions = { job, o in
            previous?(job, &o)
            o.heartbeatTimeout = .seconds(2)
        }
        self.settings = s
    }

    /// One crash point that broke an invariant.
    public struct Failure: Sendable, CustomStringConvertible {
        public var engine: EngineName
        public var step: Int
        /// The step the crash came right after, e.g. `step 41 @… [engine] spark sink batch 3`.
        public var after: String
        /// Where in the engine's protocol the crash landed (see `CrashPointExplorer.Report.byKind`).
        public var kind: String
        public var invariant: String
        public var message: String
        public var description: String { "crash \(engine.rawValue) after \(after) [\(kind)]: \(invariant): \(message)" }
    }

    public struct Report: Sendable, CustomStringConvertible {
        /// Scheduler steps of the crash-free run (up to the scenario's end).
        public var steps: Int
        /// Steps inside the crash window (`crashUntil`).
        public var stepsInWindow: Int
        public var crashUntil: SimDuration
        /// Crash points tried per engine.
        public var tried: [EngineName: Int]
        /// Steps in the window not tried because nothing survivable changed in them (see the type's comment).
        public var collapsed: [EngineName: Int]
        /// Points where the engine was not running (before start, or already down), per engine.
        public var skipped: [EngineName: Int]
        /// Crash points tried, by where in the engine's protocol they landed, e.g. `spark: between offsets/N and
        /// commits/N, after the sink write` or `flink: between a barrier and its checkpoint's completion`.
        public var byKind: [(kind: String, count: Int)]
        /// Crash points tried, by the label of the step they came right after (`spark sink batch`, `flink ack window`…).
        public var byStepKind: [(kind: String, count: Int)]
        public var failures: [Failure]
        public var seconds: Double
        public var totalTried: Int { tried.values.reduce(0, +) }
        /// Crash points of kinds containing `text`.
        public func count(_ text: String) -> Int { byKind.filter { $0.kind.contains(text) }.reduce(0) { $0 + $1.count } }

        public var description: String {
            var s = "crash points: \(totalTried) tried in the first \(crashUntil) (\(stepsInWindow) of \(steps) scheduler steps; "
            s += EngineName.allCases.compactMap { e in
                tried[e].map { "\(e.rawValue) \($0) tried, \(collapsed[e] ?? 0) collapsed, \(skipped[e] ?? 0) not running" }
            }.joined(separator: "; ") + ")"
            s += failures.isEmpty ? " — exactly-once held at every one" : " — \(failures.count) FAILED"
            for k in byKind { s += "\n  \(k.count)\t\(k.kind)" }
            s += "\n  after steps: " + byStepKind.map { "\($0.kind) ×\($0.count)" }.joined(separator: ", ")
            for f in failures.prefix(10) { s += "\n  ✘ \(f)" }
            return s + "\n"
        }
    }

    /// One step of the crash-free run, with what it did.
    public struct PlannedStep: Sendable {
        public var event: ExecutedEvent
        /// Trace events it recorded (an empty fetch left out).
        public var events: [String]
        /// Where a crash of each engine right after this step lands.
        public var kind: [EngineName: String]
    }

    /// The crash-free run's steps, in order, classified.
    public func plan() throws -> [PlannedStep] {
        let world = try build()
        var recorded: [TraceEvent] = []
        world.environment.trace.observe { e in
            if e.kind == .fetch, e["batches"] == .int(0) { return }
            recorded.append(e)
        }
        world.startJobs()
        var out: [PlannedStep] = []
        let s = world.environment.scheduler
        // Spark: offsets/N written and commits/N not yet; whether the sink has written batch N.
        var sparkOpen = false, sparkSinkWritten = false
        // Flink: checkpoints triggered and not complete; complete and not yet notified to the tasks.
        var flinkPending = Set<Int64>(), flinkUnnotified = Set<Int64>()
        while let t = s.nextEventTime, t <= world.end, let e = s.step() {
            for ev in recorded {
                switch (ev.kind, ev.component) {
                case (.checkpoint, let c) where c.hasPrefix("spark"):
                    if case .string(let f)? = ev["file"], f.hasPrefix("offsets/") { sparkOpen = true; sparkSinkWritten = false }
                case (.sink, let c) where c.hasPrefix("spark"): sparkSinkWritten = true
                case (.batch, let c) where c.hasPrefix("spark"): if ev["phase"] == .string("end") { sparkOpen = false; sparkSinkWritten = false }
                case (.crash, let c) where c.hasPrefix("spark"): sparkOpen = false
                case (.checkpoint, let c) where c.hasPrefix("flink"):
                    guard case .int(let id)? = ev["id"], case .string(let phase)? = ev["event"] else { break }
                    if phase == "trigger" { flinkPending.insert(id) }
                    if phase == "complete" { flinkPending.remove(id); flinkUnnotified.insert(id) }
                    if phase != "trigger" && phase != "complete" { flinkPending.remove(id) }
                default: break
                }
            }
            if e.label.hasPrefix("flink notify") {
                let id = e.label.split(separator: " ").dropFirst(2).first.flatMap { Int64($0) }
                if let id { flinkUnnotified.remove(id) } else { flinkUnnotified = [] }
            }
            var kind: [EngineName: String] = [:]
            kind[.spark] = sparkOpen ? "spark: between offsets/N and commits/N, \(sparkSinkWritten ? "after" : "before") the sink write" : "spark: between batches (commits/N written)"
            if !flinkPending.isEmpty {
                kind[.flink] = "flink: between a barrier and its checkpoint's completion"
            } else if !flinkUnnotified.isEmpty {
                kind[.flink] = "flink: checkpoint complete, sinks not yet notified (commit pending)"
            } else {
                kind[.flink] = "flink: between checkpoints"
            }
            out.append(PlannedStep(event: e, events: recorded.map(\.canonicalLine), kind: kind))
            recorded.removeAll()
        }
        return out
    }

    /// Whether a crash of `engine` right after `step` is a distinct crash point (see the type's comment).
    static func isDistinct(_ step: PlannedStep, for engine: EngineName) -> Bool {
        let label = step.event.label
        let other: EngineName = engine == .spark ? .flink : .spark
        if label.hasPrefix(other.rawValue) { return false }
        if !step.events.isEmpty { return true }
        guard label.hasPrefix(engine.rawValue) else { return false }
        return !(label.hasSuffix(" poll") || label.hasSuffix("output flusher") || label.hasSuffix("periodic watermark"))
    }

    /// The default crash window: up to the last scripted record minus the Spark restart delay, one trigger and 1 s.
    public func defaultCrashUntil() -> SimDuration {
        var last: ProcessingTime?
        for f in scenario.document.feeds {
            if case .scripted(_, let records, _) = f, let m = records.map(\.at).max() { last = max(last ?? m, m) }
        }
        guard let last else { return SimDuration(milliseconds: scenario.document.duration.milliseconds / 2) }
        var trigger = SimDuration.zero
        for j in scenario.document.jobs {
            if case .processingTime(let d)? = j.spark?.trigger { trigger = max(trigger, d) }
        }
        let ms = (last - scenario.document.start).milliseconds - sparkRestartAfter.milliseconds - trigger.milliseconds - 1000
        return SimDuration(milliseconds: max(0, ms))
    }

    func build() throws -> ScenarioRun {
        var options = RunOptions(seed: seed, traceDetail: .control)
        options.testing = settings.hooks
        return try ScenarioRun(document: scenario.document, options: options, databasePath: ":memory:")
    }

    /// Runs every crash point (on `threads` threads) and reports.
    public func run() throws -> Report {
        let started = monotonicSeconds()
        let steps = try plan()
        let until = crashUntil ?? defaultCrashUntil()
        let limit = scenario.document.start + until
        let window = steps.prefix { $0.event.time <= limit }.count
        let reference = ReferenceSummary(try simulate(scenario, seed: seed, settings: settings))
        var points: [(EngineName, Int)] = []
        var collapsed: [EngineName: Int] = [:]
        for e in engines {
            for k in 0..<window {
                if everyStep || Self.isDistinct(steps[k], for: e) { points.append((e, k)) } else { collapsed[e, default: 0] += 1 }
            }
        }
        let outcomes = Mutex<[(index: Int, ran: Bool, failure: Failure?)]>([])
        let next = Atomic<Int>(0)
        let me = self
        let allPoints = points, planned = steps
        DispatchQueue.concurrentPerform(iterations: max(1, min(threads, allPoints.count))) { _ in
            while true {
                let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard i < allPoints.count else { return }
                let (engine, k) = allPoints[i]
                let r = me.crash(engine, afterStep: k, label: planned[k].event.description, kind: planned[k].kind[engine] ?? "", reference: reference)
                outcomes.withLock { $0.append((i, r.ran, r.failure)) }
            }
        }
        let all = outcomes.withLock { $0 }.sorted { $0.index < $1.index }
        var tried: [EngineName: Int] = [:], skipped: [EngineName: Int] = [:]
        var kinds: [(String, Int)] = [], stepKinds: [(String, Int)] = []
        func bump(_ list: inout [(String, Int)], _ key: String) {
            if let i = list.firstIndex(where: { $0.0 == key }) { list[i].1 += 1 } else { list.append((key, 1)) }
        }
        for o in all {
            let (engine, k) = points[o.index]
            if o.ran {
                tried[engine, default: 0] += 1
                bump(&kinds, steps[k].kind[engine] ?? "")
                bump(&stepKinds, "\(engine.rawValue) after " + Self.kind(of: steps[k].event.label))
            } else {
                skipped[engine, default: 0] += 1
            }
        }
        for e in engines where tried[e] == nil { tried[e] = 0 }
        return Report(steps: steps.count, stepsInWindow: window, crashUntil: until, tried: tried, collapsed: collapsed, skipped: skipped,
                      byKind: kinds.sorted { $0.0 < $1.0 }.map { (kind: $0.0, count: $0.1) },
                      byStepKind: stepKinds.map { (kind: $0.0, count: $0.1) }, failures: all.compactMap(\.failure), seconds: monotonicSeconds() - started)
    }

    /// Step labels grouped into kinds: the label without batch numbers and ids.
    static func kind(of label: String) -> String {
        label.split(separator: " ").filter { !$0.allSatisfy { $0.isNumber || $0 == "#" } && !$0.hasPrefix("offsets/") }.joined(separator: " ")
    }

    /// Reruns the scenario, crashes `engine` right after step `k` (0-based: after k+1 steps; an index into `plan()`),
    /// runs to the end, checks the invariants against `reference` (the crash-free run). `ran` is false when the engine
    /// was not running at that point.
    public func crash(_ engine: EngineName, afterStep k: Int, label: String, kind: String, reference: ReferenceSummary) -> (ran: Bool, failure: Failure?) {
        do {
            let world = try build()
            world.startJobs()
            let s = world.environment.scheduler
            for _ in 0...k { s.step() }
            guard world.crashNow(engine, sparkRestartAfter: sparkRestartAfter) else { return (false, nil) }
            world.run()
            let result = SimulationResult(scenario: scenario, seed: seed, world: world, outcome: world.outcome())
            let restarts = result.outcome.metric("\(engine.rawValue).restarts") ?? 0, failed = result.outcome.metric("\(engine.rawValue).failed") ?? 0
            if restarts < 1 || failed > 0 {
                return (true, Failure(engine: engine, step: k + 1, after: label, kind: kind, invariant: "recovers",
                                      message: "\(engine.rawValue) did not recover by the end (restarts \(Int(restarts)), failed \(Int(failed)))"))
            }
            // The crash-free run is the reference.
            let context = PropertyContext(scenario: scenario, seed: seed, settings: settings, result: result)
            context.useReference(reference)
            for inv in invariants {
                if let m = inv.check(context) {
                    return (true, Failure(engine: engine, step: k + 1, after: label, kind: kind, invariant: inv.name, message: m))
                }
            }
            return (true, nil)
        } catch {
            return (true, Failure(engine: engine, step: k + 1, after: label, kind: kind, invariant: "runs", message: "\(error)"))
        }
    }
}
