import ArgumentParser
import Report
import Scenario
import SimCore
import SimFeeds
#if canImport(Glibc)
import Glibc
#endif

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a scenario: feeds into a Kafka-like log, the same query on Spark and Flink, results into SQLite.",
        discussion: """
            The scenario file (YAML; see docs/scenarios.md) is validated first: a mistake stops the run with \
            file:line:column and exit code 2, and nothing is written. Then one simulated world runs on one virtual \
            clock, and the closing report shows, per engine, rows emitted, what was dropped or diverted as late (and \
            the rule that did it), the watermark, latency from event time to visible in the sink, batches or \
            checkpoints, restarts and duplicates; then the Spark-vs-Flink diff of window results with each \
            difference labelled; then the expectations (exit 1 if one fails); then the trace digest — the same \
            scenario and seed give the same digest on any machine.

            Results land in runs/<scenario>-<seed>.sqlite (or --db): the jobs' tables and the simulation's own \
            (run, batches, checkpoints, watermarks, late_records, firings, faults, metrics, diff, log_records). \
            Try `sim query runs/late-data-1.sqlite "select * from late_records"`.

            Examples:
              sim run scenarios/late-data.yaml
              sim run scenarios/late-data.yaml --seed 7 --results out.jsonl
              sim run scenarios/late-data.yaml --record runs/late-data.jsonl.zst   # then: sim capture inspect …
              sim run scenarios/crash-recovery.yaml --json
            """
    )

    @Argument(help: "The scenario file.") var scenario: String
    @Option(help: "Override the scenario's seed.") var seed: UInt64?
    @Option(help: "The results database (default: the scenario's outputs.db or runs/<name>-<seed>.sqlite).") var db: String?
    @Flag(help: "Write no results database.") var noDb = false
    @Option(help: "Also write every emitted row and every late record as JSON Lines (docs/results-format.md).") var results: String?
    @Option(help: ArgumentHelp("Record every record that entered the log into a capture (FILE.jsonl.zst) for `sim capture replay`.", valueName: "FILE.jsonl.zst"))
    var record: String?
    @Flag(help: "Print only the digest and whether the expectations held.") var quiet = false
    @Flag(help: "Print the outcome as one JSON object.") var json = false
    @Flag(help: "Digest control events only (faster for big runs; the digest then differs from a full trace).") var controlTrace = false
    @Option(help: ArgumentHelp("Also write the run's HTML report: event time against processing time, watermark lines, late records, the diff (docs/report.md).", valueName: "FILE.html"))
    var report: String?
    @Flag(help: "Also print the terminal timeline: batches, firings, late records and each engine's watermark across processing time.") var timeline = false

    func run() throws {
        let text: String
        do { text = try readTextFile(scenario) } catch {
            printError("\(scenario): error: \(error)")
            throw ExitCode(2)
        }
        let base = scenario.contains("/") ? String(scenario[..<scenario.lastIndex(of: "/")!]) : "."
        let document: ScenarioDocument
        do { document = try ScenarioDocument.parse(text: text, file: scenario, baseDirectory: base) } catch {
            printError("\(error)")
            throw ExitCode(2)
        }
        let effectiveSeed = seed ?? document.seed
        let dbPath: String? = noDb ? nil : (db ?? document.outputs.database ?? "runs/\(document.name)-\(effectiveSeed).sqlite")
        // Written under a name unique to this process, renamed into place when complete: a failed run leaves
        // nothing, and two runs of the same scenario at once cannot clobber each other's half-written file.
        let partial = dbPath.map { $0 + ".\(getpid()).partial" }
        if let dbPath { makeParentDirectory(dbPath) }
        if let partial { unlink(partial) }
        var options = RunOptions(seed: seed, traceDetail: controlTrace ? .control : .full)
        options.databasePath = dbPath
        options.recordPath = record
        let world: ScenarioRun
        do { world = try ScenarioRun(document: document, options: options, databasePath: partial) } catch {
            if let partial { unlink(partial) }
            printError("\(scenario): error: \(error)")
            throw ExitCode(2)
        }
        let observationRecorder = ObservationRecorder(attachingTo: world)  // per-split Flink watermarks for reports
        let showProgress = !quiet && !json && isatty(2) != 0
        let wallStart = monotonicSeconds()
        world.run(progress: showProgress ? { t in
            let done = Double((t - document.start).milliseconds) / Double(max(1, (world.end - document.start).milliseconds))
            printErrorInline("\r  simulating \(UTCTimestamp.timeOfDay(t.millisecondsSinceEpoch))  \(Int(done * 100))%   ")
        } : nil)
        if showProgress { printErrorInline("\r\u{1B}[K") }
        var outcome = world.outcome()
        outcome.databasePath = dbPath
        do {
            try world.writeResults(outcome)
            try world.writeObservationRows(observationRecorder)
            if let partial, let dbPath {
                guard rename(partial, dbPath) == 0 else { throw ScenarioRunError("cannot move \(partial) to \(dbPath)") }
            }
            if let results = results ?? document.outputs.results { try writeTextFile(results, world.resultsJSONLines(outcome)) }
            if let recorder = world.recorder { try recorder.close() }
            if let report = report ?? document.outputs.report {
                try writeTextFile(report, HTMLReport.render(world.observations(outcome, recorder: observationRecorder)))
            }
        } catch {
            if let partial { unlink(partial) }
            printError("error writing results: \(error)")
            throw ExitCode(1)
        }
        let wall = monotonicSeconds() - wallStart
        if json {
            print(outcome.json)
        } else if quiet {
            print("\(outcome.name) seed \(outcome.seed): \(outcome.passed ? "passed" : "FAILED") digest \(outcome.digest)")
        } else {
            print(outcome.terminalSummary(), terminator: "")
            print("wall time: \(Double((wall * 100).rounded()) / 100) s")
        }
        if timeline { print("\n" + TerminalTimeline.render(world.observations(outcome, recorder: observationRecorder)), terminator: "") }
        if !outcome.passed { throw ExitCode(1) }
    }
}

func readTextFile(_ path: String) throws -> String { try TextFile.read(path) }

func writeTextFile(_ path: String, _ text: String) throws {
    makeParentDirectory(path)
    try TextFile.write(path, text)
}

func makeParentDirectory(_ path: String) {
    guard let slash = path.lastIndex(of: "/") else { return }
    let dir = String(path[..<slash])
    guard !dir.isEmpty else { return }
    var current = dir.hasPrefix("/") ? "/" : ""
    for part in dir.split(separator: "/") {
        current += (current.isEmpty || current.hasSuffix("/") ? "" : "/") + part
        mkdir(current, 0o755)
    }
}

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func printErrorInline(_ text: String) {
    var t = text
    t.withUTF8 { p in _ = write(2, p.baseAddress, p.count) }
}
