import ArgumentParser
import Scenario
import Sinks

struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two runs' results databases: what changed between two seeds, or two settings.",
        discussion: """
            The simulation is deterministic, so two runs differ only because something you chose differs: the seed \
            (the random market, network delays and arrival order), or the scenario (a watermark delay, a trigger, \
            a fault). `sim diff` shows what that change did:
              1. the run — scenario, seed, trace digest (equal digests mean identical runs), whether expectations held;
              2. every metric side by side with the change (late records dropped, latency, duplicates, …);
              3. every job table row by row, compared as multisets (the surrogate id column is ignored), with the \
            rows only one run has;
              4. the late records — which ones only one run dropped, sent to a side output or fired late for.
            Exit status: 0 when the runs are the same, 1 when they differ, 2 when a file cannot be read.

            Examples:
              sim run scenarios/late-data.yaml --seed 1 && sim run scenarios/late-data.yaml --seed 2
              sim diff runs/late-data-1.sqlite runs/late-data-2.sqlite
              # one setting: copy the scenario, change allowedLateness, run it with --db runs/lateness-60s.sqlite
              sim diff runs/late-data-42.sqlite runs/lateness-60s.sqlite --all
            """
    )

    @Argument(help: "The first run's results database (A).") var runA: String
    @Argument(help: "The second run's results database (B).") var runB: String
    @Flag(help: "Also list the metrics that are equal.") var all = false
    @Option(help: "How many differing rows to show per table.") var rows = 8

    func run() throws {
        let comparison: RunComparison
        do {
            let a = try ResultsFile.open(runA), b = try ResultsFile.open(runB)
            comparison = try RunComparison.compare(a, b)
        } catch {
            printError("sim diff: \(error)")
            throw ExitCode(2)
        }
        print(comparison.text(nameA: runA, nameB: runB, all: all, maxRows: rows), terminator: "")
        if !comparison.identical { throw ExitCode(1) }
    }
}
