public import SimCore
public import Scenario
import Synchronization
import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the scenarios of an exploration come from: one scenario (each seed reruns it), or a swarm generator (each
/// seed generates a different scenario and runs it with that seed).
public enum ScenarioSource: Sendable {
    case fixed(PropertyScenario)
    case swarm(SwarmScenarios)

    public func scenario(seed: UInt64) throws -> PropertyScenario {
        switch self {
        case .fixed(let s): return s
        case .swarm(let g): return try g.scenario(seed: seed)
        }
    }
}

/// A seed whose run broke an invariant, with the shrunk scenario and how to replay it.
public struct PropertyCheckFailure: Error, Sendable, CustomStringConvertible {
    public var invariant: String
    public var seed: UInt64
    public var message: String
    /// The scenario as generated or given.
    public var originalYAML: String
    /// The smallest scenario found that still fails, and its failure.
    public var shrunkYAML: String
    public var shrunkMessage: String
    public var shrinkAttempts: Int
    /// Record counts before and after shrinking.
    public var originalRecords: Int
    public var shrunkRecords: Int
    /// One command that replays the failure.
    public var replay: String

    public init(invariant: String, seed: UInt64, message: String, originalYAML: String, shrunkYAML: String, shrunkMessage: String,
                shrinkAttempts: Int, originalRecords: Int, shrunkRecords: Int, replay: String) {
        self.invariant = invariant
        self.seed = seed
        self.message = message
        self.originalYAML = originalYAML
        self.shrunkYAML = shrunkYAML
        self.shrunkMessage = shrunkMessage
        self.shrinkAttempts = shrinkAttempts
        self.originalRecords = originalRecords
        self.shrunkRecords = shrunkRecords
        self.replay = replay
    }

    public var description: String {
        var s = "invariant \"\(invariant)\" failed for seed \(seed):\n  \(message.replacingNewlines("\n  "))\n"
        s += "shrunk from \(originalRecords) to \(shrunkRecords) scripted record(s) in \(shrinkAttempts) run(s); still fails with:\n  \(shrunkMessage.replacingNewlines("\n  "))\n"
        s += "--- shrunk scenario (seed \(seed)) ---\n\(shrunkYAML)--- end ---\n"
        s += "replay: \(replay)\n"
        return s
    }

    /// The shrunk scenario as a ready XCTest case.
    public var xctestCase: String {
        let body = shrunkYAML.split(separator: "\n", omittingEmptySubsequences: false).map { $0.isEmpty ? "" : "            " + $0 }.joined(separator: "\n")
        // A built-in invariant by name; a custom one is the test's own (and a planted bug needs the test's settings).
        let invariantCode = Invariant.named(invariant) != nil ? ".named(\"\(invariant)\")!" : "/* the invariant \"\(invariant)\" */"
        return """
            func testShrunkRepro_\(invariant.replacingOccurrences("-", "_"))_seed\(seed)() throws {
                let scenario = try PropertyScenario(yaml: \"\"\"
            \(body)
                        \"\"\")
                assertProperty(.fixed(scenario), seeds: [\(seed)], invariants: [\(invariantCode)])
            }
            """
    }
}

extension String {
    func replacingNewlines(_ with: String) -> String { split(separator: "\n", omittingEmptySubsequences: false).joined(separator: with) }
    func replacingOccurrences(_ a: Character, _ b: Character) -> String { String(map { $0 == a ? b : $0 }) }
}

/// What an exploration did.
public struct ExplorationReport: Sendable {
    /// Seeds that ran to completion, in order.
    public var seedsRun: [UInt64]
    /// Failures, in seed order.
    public var failures: [PropertyCheckFailure]
    /// Wall-clock seconds (the harness's clock, never the simulation's).
    public var seconds: Double
    public var stoppedByTimeLimit: Bool
    public var seedsPerSecond: Double { seconds > 0 ? Double(seedsRun.count) / seconds : 0 }
}

/// Runs seeds of a scenario source, checks invariants, and shrinks each failure. Seeds run on `threads` threads at
/// once — each simulation stays single-threaded and owns its scheduler — and results come back in seed order.
public struct Explorer: Sendable {
    public var source: ScenarioSource
    public var invariants: [Invariant]
    public var settings: SimulationSettings
    public var threads = 2
    /// Stop starting new seeds after this many wall-clock seconds.
    public var timeLimit: Double?
    public var shrink = true
    public var shrinkBudget = 300
    /// Stop starting new seeds once one fails (seeds already started finish, so the first failure reported is the
    /// lowest failing seed: seeds are taken in order).
    public var stopAtFirstFailure = false
    /// The replay command for a failing seed (default: `sim explore …` for that one seed).
    public var replayCommand: @Sendable (_ seed: UInt64, _ invariant: String) -> String

    public init(source: ScenarioSource, invariants: [Invariant], settings: SimulationSettings = SimulationSettings()) {
        self.source = source
        self.invariants = invariants
        self.settings = settings
        let path: String? = if case .fixed(let s) = source { s.path } else { nil }
        replayCommand = { seed, inv in
            "swift run sim explore \(path.map { $0 + " " } ?? "")--seeds \(seed)...\(seed) --invariants \(inv)"
        }
    }

    /// Runs one seed: nil if every invariant held.
    public func check(seed: UInt64) -> PropertyCheckFailure? {
        let scenario: PropertyScenario
        do { scenario = try source.scenario(seed: seed) } catch {
            return PropertyCheckFailure(invariant: "valid-scenario", seed: seed, message: "\(error)", originalYAML: "", shrunkYAML: "", shrunkMessage: "\(error)",
                                        shrinkAttempts: 0, originalRecords: 0, shrunkRecords: 0, replay: replayCommand(seed, "determinism"))
        }
        let result: SimulationResult
        do { result = try simulate(scenario, seed: seed, settings: settings) } catch {
            return PropertyCheckFailure(invariant: "runs", seed: seed, message: "\(error)", originalYAML: scenario.yaml, shrunkYAML: scenario.yaml,
                                        shrunkMessage: "\(error)", shrinkAttempts: 0, originalRecords: recordCount(scenario.tree),
                                        shrunkRecords: recordCount(scenario.tree), replay: replayCommand(seed, "determinism"))
        }
        let context = PropertyContext(scenario: scenario, seed: seed, settings: settings, result: result)
        for invariant in invariants {
            guard let message = invariant.check(context) else { continue }
            var shrunk = Shrinker.Result(scenario: scenario, message: message, attempts: 0, accepted: 0)
            if shrink {
                let s = settings
                let kind = invariant.failureKind(message)
                shrunk = Shrinker(budget: shrinkBudget) { candidate in
                    guard let r = try? simulate(candidate, seed: seed, settings: s),
                          let m = invariant.check(PropertyContext(scenario: candidate, seed: seed, settings: s, result: r)),
                          invariant.failureKind(m) == kind else { return nil }
                    return m
                }.shrink(scenario, message: message)
            }
            if shrunk.attempts > 0, let labelled = shrunk.scenario.with({ $0["description"] = .text("shrunk by the explorer from \(scenario.origin) (\(invariant.name))") }) {
                shrunk.scenario = labelled
            }
            return PropertyCheckFailure(invariant: invariant.name, seed: seed, message: message, originalYAML: scenario.yaml, shrunkYAML: shrunk.scenario.yaml,
                                        shrunkMessage: shrunk.message, shrinkAttempts: shrunk.attempts, originalRecords: recordCount(scenario.tree),
                                        shrunkRecords: recordCount(shrunk.scenario.tree), replay: replayCommand(seed, invariant.name))
        }
        return nil
    }

    /// Runs every seed (on `threads` threads), stopping early only at the time limit. `progress` is called (from
    /// worker threads, under a lock) after each seed.
    public func run(seeds: [UInt64], progress: (@Sendable (_ done: Int, _ failures: Int) -> Void)? = nil) -> ExplorationReport {
        let started = monotonicSeconds()
        let next = Atomic<Int>(0)
        let results = Mutex<[(index: Int, failure: PropertyCheckFailure?)]>([])
        let timedOut = Atomic<Bool>(false)
        let failed = Atomic<Bool>(false)
        let stopAtFailure = stopAtFirstFailure
        let limit = timeLimit
        let workers = max(1, min(threads, seeds.count))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                if let limit, monotonicSeconds() - started > limit { timedOut.store(true, ordering: .relaxed); return }
                if stopAtFailure && failed.load(ordering: .acquiring) { return }
                let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard i < seeds.count else { return }
                let f = check(seed: seeds[i])
                if f != nil { failed.store(true, ordering: .releasing) }
                results.withLock { r in
                    r.append((i, f))
                    progress?(r.count, r.filter { $0.failure != nil }.count)
                }
            }
        }
        let done = results.withLock { $0 }.sorted { $0.index < $1.index }
        return ExplorationReport(seedsRun: done.map { seeds[$0.index] }, failures: done.compactMap(\.failure),
                                 seconds: monotonicSeconds() - started, stoppedByTimeLimit: timedOut.load(ordering: .relaxed))
    }
}

/// The harness's wall clock (for time limits and seeds per second only — never inside a simulation).
func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
