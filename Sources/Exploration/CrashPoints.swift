public import SimCore
public import Scenario
import Synchronization
import Dispatch
import FlinkEngine

/// Crash-point enumeration: run a small scenario once to count its scheduler steps, then, for every step k and every
/// engine, rerun it, crash that engine right after step k — which lands between every pair of steps, including
/// between a Spark batch's `offsets/N` and `commits/N` writes and between a Flink barrier and its checkpoint's
/// completion — let it recover, and check exactly-once against the crash-free run.
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
        public var invariant: String
        public var message: String
        public var description: String { "crash \(engine.rawValue) after \(after): \(invariant): \(message)" }
    }

    public struct Report: Sendable, CustomStringConvertible {
        /// Scheduler steps of the crash-free run (up to the scenario's end).
        public var steps: Int
        /// Crash points tried per engine (steps at which that engine was up to be crashed).
        public var tried: [EngineName: Int]
        /// Points where the engine was not running (before start, or already down), per engine.
        public var skipped: [EngineName: Int]
        /// How many crash points fell after each kind of step (`spark trigger`, `spark sink`, `flink checkpoint …`).
        public var byStepKind: [(kind: String, count: Int)]
        public var failures: [Failure]
        public var seconds: Double
        public var totalTried: Int { tried.values.reduce(0, +) }

        public var description: String {
            var s = "crash points: \(totalTried) tried over \(steps) scheduler steps ("
            s += EngineName.allCases.compactMap { e in tried[e].map { "\(e.rawValue) \($0), skipped \(skipped[e] ?? 0)" } }.joined(separator: "; ") + ")"
            s += failures.isEmpty ? " — exactly-once held at every one" : " — \(failures.count) FAILED"
            s += "\n  crashes after: " + byStepKind.map { "\($0.kind) ×\($0.count)" }.joined(separator: ", ")
            for f in failures.prefix(10) { s += "\n  ✘ \(f)" }
            return s + "\n"
        }
    }

    /// The labels of the crash-free run's steps, in order.
    public func stepLabels() throws -> [ExecutedEvent] {
        let world = try build()
        world.startJobs()
        var out: [ExecutedEvent] = []
        let s = world.environment.scheduler
        while let t = s.nextEventTime, t <= world.end, let e = s.step() { out.append(e) }
        return out
    }

    func build() throws -> ScenarioRun {
        var options = RunOptions(seed: seed, traceDetail: .control)
        options.testing = settings.hooks
        return try ScenarioRun(document: scenario.document, options: options, databasePath: ":memory:")
    }

    /// Runs every crash point (on `threads` threads) and reports.
    public func run() throws -> Report {
        let started = monotonicSeconds()
        let steps = try stepLabels()
        let reference = ReferenceSummary(try simulate(scenario, seed: seed, settings: settings))
        let points = engines.flatMap { e in (0..<steps.count).map { (e, $0) } }
        let outcomes = Mutex<[(index: Int, ran: Bool, failure: Failure?)]>([])
        let next = Atomic<Int>(0)
        let me = self
        DispatchQueue.concurrentPerform(iterations: max(1, min(threads, points.count))) { _ in
            while true {
                let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard i < points.count else { return }
                let (engine, k) = points[i]
                let r = me.crash(engine, afterStep: k, label: "step \(steps[k].stepNumber) @\(steps[k].time) \(steps[k].label)", reference: reference)
                outcomes.withLock { $0.append((i, r.ran, r.failure)) }
            }
        }
        let all = outcomes.withLock { $0 }.sorted { $0.index < $1.index }
        var tried: [EngineName: Int] = [:], skipped: [EngineName: Int] = [:]
        var kinds: [(String, Int)] = []
        for o in all {
            let (engine, k) = points[o.index]
            if o.ran {
                tried[engine, default: 0] += 1
                let kind = Self.kind(of: steps[k].label)
                if let i = kinds.firstIndex(where: { $0.0 == kind }) { kinds[i].1 += 1 } else { kinds.append((kind, 1)) }
            } else {
                skipped[engine, default: 0] += 1
            }
        }
        for e in engines where tried[e] == nil { tried[e] = 0 }
        return Report(steps: steps.count, tried: tried, skipped: skipped, byStepKind: kinds.map { (kind: $0.0, count: $0.1) },
                      failures: all.compactMap(\.failure), seconds: monotonicSeconds() - started)
    }

    /// Step labels grouped into kinds: the label without batch numbers and ids.
    static func kind(of label: String) -> String {
        label.split(separator: " ").filter { !$0.allSatisfy { $0.isNumber || $0 == "#" } && !$0.hasPrefix("offsets/") }.joined(separator: " ")
    }

    /// Reruns the scenario, crashes `engine` right after step `k` (0-based: after k+1 steps), runs to the end, checks.
    func crash(_ engine: EngineName, afterStep k: Int, label: String, reference: ReferenceSummary) -> (ran: Bool, failure: Failure?) {
        do {
            var options = RunOptions(seed: seed, traceDetail: .control)
            options.testing = settings.hooks
            let world = try ScenarioRun(document: scenario.document, options: options, databasePath: ":memory:")
            world.startJobs()
            let s = world.environment.scheduler
            for _ in 0...k { s.step() }
            guard world.crashNow(engine, sparkRestartAfter: sparkRestartAfter) else { return (false, nil) }
            world.run()
            let result = SimulationResult(scenario: scenario, seed: seed, world: world, outcome: world.outcome())
            // The crash-free run is the reference: give the context a scenario whose `faultFree` is that run.
            let context = PropertyContext(scenario: scenario, seed: seed, settings: settings, result: result)
            context.useReference(reference)
            for inv in invariants {
                if let m = inv.check(context) {
                    return (true, Failure(engine: engine, step: k + 1, after: label, invariant: inv.name, message: m))
                }
            }
            return (true, nil)
        } catch {
            return (true, Failure(engine: engine, step: k + 1, after: label, invariant: "runs", message: "\(error)"))
        }
    }
}
