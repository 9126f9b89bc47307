import ArgumentParser
import SimCore
import Scenario
import Exploration

struct ExploreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explore",
        abstract: "Run a scenario (or swarm-generated scenarios) for many seeds, check invariants, shrink failures.",
        discussion: """
            Each seed runs one simulation (single-threaded); seeds run two at a time on separate threads and are \
            reported in seed order. With no SCENARIO, every seed generates its own small scenario, swarm style: a \
            random subset of features (late records, window edges, malformed records, partitions, symbols, sliding \
            windows, Flink parallelism, checkpointing, crashes). A failure is shrunk to a minimal YAML scenario that \
            still fails, printed with the command that replays it; the exit code is then 1.

            --swarm crash-heavy makes every generated seed checkpoint and crash each engine (with records after \
            every restart) and use sinks that claim exactly-once: the profile that finds recovery and sink bugs.

            --crash-points SCENARIO crashes each engine after every distinct scheduler step in the first part of one \
            run of a small scenario (including between a Spark batch's offsets and commit writes and between a Flink \
            barrier and its checkpoint's completion), lets it recover, and checks exactly-once against the crash-free \
            run; the report counts the crash points by where they landed. Crashes stop at --crash-until (default: \
            the last scripted record minus Spark's restart delay, a trigger and 1 s), because a restarted Spark \
            query runs no no-data batch before new data arrives (docs/semantics/spark.md F2): the records after the \
            last crash point let every restarted query emit what the crash-free run emits.

            Invariants: \(Invariant.all.map(\.name).joined(separator: ", ")). See docs/property-testing.md.

            Examples:
              sim explore --seeds 1...200
              sim explore scenarios/crash-recovery.yaml --seeds 1...500 --invariants determinism,exactly-once
              sim explore --swarm crash-heavy --seeds 1...300 --invariants exactly-once,at-least-once
              sim explore --crash-points FILE --every-step
            """
    )

    @Argument(help: "A scenario file; omitted = swarm-generated scenarios.") var scenario: String?
    @Option(help: "Seeds, as A...B or a single N.") var seeds = "1...100"
    @Option(help: "Comma-separated invariants (default: every invariant except event-time-invariance, which reruns four variants).")
    var invariants: String?
    @Option(help: "Stop starting new seeds after this many wall-clock seconds.") var timeLimit: Double?
    @Option(help: "Threads (each runs one seed at a time).") var threads = 2
    @Flag(help: "Crash each engine at every scheduler step of SCENARIO (seed: the first of --seeds) and check exactly-once.") var crashPoints = false
    @Option(help: "Write the first failure's shrunk scenario to this file.") var writeRepro: String?
    @Flag(help: "Do not shrink failures.") var noShrink = false
    @Flag(help: "Keep exploring after a failure (default: stop starting new seeds at the first one).") var keepGoing = false
    @Option(help: "Swarm profile without SCENARIO: \(SwarmScenarios.Profile.allCases.map(\.rawValue).joined(separator: ", ")).") var swarm = "mixed"
    @Option(help: "Engines of swarm-generated jobs (spark, flink; comma-separated).") var engines = "spark,flink"
    @Option(help: "Most shrinking runs per failure.") var shrinkBudget = 300
    @Option(help: "--crash-points: crash only up to this long after the start (e.g. '8 seconds').") var crashUntil: String?
    @Flag(help: "--crash-points: try every scheduler step, not only the distinct crash points.") var everyStep = false

    func run() throws {
        let seedList = try parseSeeds(seeds)
        let chosen: [Invariant]
        if let invariants {
            chosen = try invariants.split(separator: ",").map { name in
                guard let i = Invariant.named(String(name)) else {
                    throw ValidationError("unknown invariant \(name); known: \(Invariant.all.map(\.name).joined(separator: ", "))")
                }
                return i
            }
        } else {
            chosen = Invariant.all.filter { $0.name != "event-time-invariance" }
        }
        let source: ScenarioSource
        if let scenario {
            do { source = .fixed(try PropertyScenario.load(path: scenario)) } catch {
                printError("\(error)")
                throw ExitCode(2)
            }
        } else {
            if crashPoints { throw ValidationError("--crash-points needs a SCENARIO") }
            guard let profile = SwarmScenarios.Profile(rawValue: swarm) else {
                throw ValidationError("--swarm: \(swarm)? known: \(SwarmScenarios.Profile.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            var generator = SwarmScenarios(profile: profile)
            generator.engines = try engines.split(separator: ",").map { name in
                guard let e = EngineName(rawValue: String(name)) else { throw ValidationError("--engines: \(name)? known: spark, flink") }
                return e
            }
            source = .swarm(generator)
        }
        if crashPoints, case .fixed(let s) = source {
            var explorer = CrashPointExplorer(scenario: s, seed: seedList.first ?? 1)
            explorer.threads = threads
            explorer.everyStep = everyStep
            if let crashUntil {
                do { explorer.crashUntil = try SimDuration.parse(crashUntil) } catch { throw ValidationError("--crash-until: \(error)") }
            }
            if invariants != nil { explorer.invariants = chosen }
            let report = try explorer.run()
            print(report, terminator: "")
            print("wall time: \(rounded(report.seconds)) s (\(rounded(Double(report.totalTried) / max(report.seconds, 0.001))) crash points/s)")
            if !report.failures.isEmpty { throw ExitCode(1) }
            return
        }
        var explorer = Explorer(source: source, invariants: chosen)
        explorer.threads = threads
        explorer.timeLimit = timeLimit
        explorer.shrink = !noShrink
        explorer.shrinkBudget = shrinkBudget
        explorer.stopAtFirstFailure = !keepGoing
        print("exploring \(scenario ?? "\(swarm) swarm-generated scenarios") for \(seedList.count) seed(s) on \(threads) thread(s); invariants: \(chosen.map(\.name).joined(separator: ", "))")
        let report = explorer.run(seeds: seedList)
        for f in report.failures { print("\n✘ \(f)") }
        if let path = writeRepro, let f = report.failures.first {
            try writeTextFile(path, f.shrunkYAML)
            print("shrunk scenario written to \(path)")
        }
        let last = report.seedsRun.max().map { " (through seed \($0))" } ?? ""
        print("\n\(report.seedsRun.count) seed(s)\(last) in \(rounded(report.seconds)) s = \(rounded(report.seedsPerSecond)) seeds/s; \(report.failures.count) failed"
              + (report.stoppedByTimeLimit ? "; stopped at the time limit" : "")
              + (report.failures.isEmpty || keepGoing ? "" : "; stopped starting seeds at the first failure (--keep-going explores on)"))
        if !report.failures.isEmpty { throw ExitCode(1) }
    }

    func parseSeeds(_ text: String) throws -> [UInt64] {
        if let r = text.firstRange(of: "...") {
            guard let a = UInt64(text[..<r.lowerBound]), let b = UInt64(text[r.upperBound...]), a <= b else { throw ValidationError("--seeds: expected A...B, found \(text)") }
            return Array(a...b)
        }
        guard let n = UInt64(text) else { throw ValidationError("--seeds: expected A...B or N, found \(text)") }
        return [n]
    }

    func rounded(_ x: Double) -> Double { (x * 100).rounded() / 100 }
}
