import ArgumentParser
import Report
import Scenario

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Draw the HTML report (or the terminal timeline) of a finished run from its results database.",
        discussion: """
            Reads the tables `sim run` wrote (run, batches, watermarks, checkpoints, firings, late_records, faults, \
            diff, log_records) and renders one self-contained HTML file: the event-time against processing-time chart \
            with each engine's watermark lines, latency, late records with their rules, the Spark-vs-Flink comparison \
            and the engine details (docs/report.md). Event times are decoded with the scenario's queries when its file \
            (recorded in the database) is still there.

              sim run scenarios/late-data.yaml && sim report runs/late-data-42.sqlite -o late-data.html
              sim report runs/late-data-42.sqlite --timeline
              sim report --demo -o demo.html          # the hand-built teaching example
            """
    )

    @Argument(help: "The results database of a run (runs/<scenario>-<seed>.sqlite).") var database: String?
    @Option(name: .shortAndLong, help: "The HTML file to write (default: the database path with .html).") var output: String?
    @Option(help: "The scenario file, when it has moved since the run.") var scenario: String?
    @Flag(help: "Print the terminal timeline instead of writing HTML.") var timeline = false
    @Option(help: "Terminal width for --timeline.") var width = 100
    @Flag(help: "Use the built-in teaching example instead of a database.") var demo = false

    func run() throws {
        let observations: RunObservations
        if demo {
            observations = .teachingExample
        } else {
            guard let database else {
                printError("sim report: give a results database (runs/<scenario>-<seed>.sqlite) or --demo")
                throw ExitCode(2)
            }
            var document: ScenarioDocument?
            let path = scenario ?? scenarioPath(in: database)
            if let path, let text = try? readTextFile(path) {
                let base = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
                document = try? ScenarioDocument.parse(text: text, file: path, baseDirectory: base)
            }
            do { observations = try RunObservations.load(database: database, document: document) } catch {
                printError("sim report: \(error)")
                throw ExitCode(1)
            }
        }
        if timeline {
            print(TerminalTimeline.render(observations, width: width), terminator: "")
            return
        }
        let out = output ?? (demo ? "report.html" : (database!.hasSuffix(".sqlite") ? String(database!.dropLast(7)) + ".html" : database! + ".html"))
        try writeTextFile(out, HTMLReport.render(observations))
        print("report: \(out)")
    }

    /// The scenario file recorded in the database's `run` table.
    func scenarioPath(in database: String) -> String? {
        (try? RunObservations.scenarioFile(database: database)) ?? nil
    }
}
