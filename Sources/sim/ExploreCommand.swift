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

            --crash-points SCENARIO crashes each engine after every scheduler step of one run of a small scenario \
            (including between a Spark batch's offsets and commit writes and between a Flink barrier and its \
            checkpoint's completion), lets it recover, and checks exactly-once against the crash-free run.

            Invariants: \(Invariant.all.map(\.name).joined(separator: ", ")). See docs/property-testing.md.

            Examples:
              sim explore --seeds 1...200
              sim explore scenarios/crash-recovery.yaml --seeds 1...500 --invariants determinism,exactly-once
              sim explore --crash-points scenarios/crash-recovery.yaml
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
            source = .swarm(SwarmScenarios())
        }
        if crashPoints, case .fixed(let s) = source {
            var explorer = CrashPointExplorer(scenario: s, seed: seedList.first ?? 1)
            explorer.threads = threads
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
        print("exploring \(scenario ?? "swarm-generated scenarios") for \(seedList.count) seed(s) on \(threads) thread(s); invariants: \(chosen.map(\.name).joined(separator: ", "))")
        let report = explorer.run(seeds: seedList)
        for f in report.failures { print("\n✘ \(f)") }
        if let path = writeRepro, let f = report.failures.first {
            try writeTextFile(path, f.shrunkYAML)
            print("shrunk scenario written to \(path)")
        }
        let last = report.seedsRun.max().map { " (through seed \($0))" } ?? ""
        print("\n\(report.seedsRun.count) seed(s)\(last) in \(rounded(report.seconds)) s = \(rounded(report.seedsPerSecond)) seeds/s; \(report.failures.count) failed"
              + (report.stoppedByTimeLimit ? "; stopped at the time limit" : ""))
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
