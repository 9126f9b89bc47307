import ArgumentParser
import Scenario

struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Narrate a whole run step by step: records, watermarks and why they moved, firings, late records and their rules.",
        discussion: """
            The same narration as `sim step`, for every step that changed something visible, followed by a summary of \
            late records and the Spark-vs-Flink differences. Runs with generated or replayed feeds fold the steps that \
            only moved data into one line each (--full shows them all). The lessons in docs/tutorial/ are built on it:

              sim explain scenarios/lessons/02-watermark.yaml
              sim explain scenarios/lessons/04-late-data.yaml --markdown > late.md
            """
    )

    @Argument(help: "The scenario file.") var scenario: String
    @Option(help: "Override the scenario's seed.") var seed: UInt64?
    @Flag(help: "Write Markdown instead of plain text.") var markdown = false
    @Flag(help: "Show every step, even for big runs.") var full = false
    @Flag(help: "Fold steps that only moved data, even for scripted runs.") var compact = false
    @Option(name: .shortAndLong, help: "Write to this file instead of standard output.") var output: String?

    func run() throws {
        let document = try loadScenarioDocument(scenario)
        let detail: ExplainDetail = full ? .full : (compact ? .compact : .automatic)
        let text: String
        do { text = try RunExplanation.narrate(document, seed: seed, format: markdown ? .markdown : .text, detail: detail) } catch {
            printError("\(scenario): error: \(error)")
            throw ExitCode(2)
        }
        if let output { try writeTextFile(output, text) } else { print(text, terminator: "") }
    }
}
