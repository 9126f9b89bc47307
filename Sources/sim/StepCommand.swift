import ArgumentParser
import Scenario
import SimCore
#if canImport(Glibc)
import Glibc
#endif

struct StepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "step",
        abstract: "Step through a scenario one scheduler event at a time and ask why (watermarks, windows, late records).",
        discussion: """
            Each step is one event on the virtual clock: a record reaching the log, a Spark trigger or batch phase, a \
            Flink poll, periodic watermark, delivery or checkpoint, a fault. For each, the stepper says what changed: \
            the record (event time against processing time, partition, offset), each engine's watermark and why it \
            moved, windows opening and filling, firings, and every late record with the exact rule that decided it. \
            Steps that only ran internal timers are summarised in one line.

            Commands: next [n], tick [n], until <time>, continue, show windows|state|offsets, why <window>, \
            fate <record>, back [n], help, quit. Commands are read from standard input, so a script works too:

              printf 'next 5\\nshow state\\nwhy 00:01:00 BTC\\nquit\\n' | sim step scenarios/lessons/06-idle-partitions.yaml
            """
    )

    @Argument(help: "The scenario file.") var scenario: String
    @Option(help: "Override the scenario's seed.") var seed: UInt64?

    func run() throws {
        let document = try loadScenarioDocument(scenario)
        let stepper: Stepper
        do { stepper = try Stepper(document: document, seed: seed) } catch {
            printError("\(scenario): error: \(error)")
            throw ExitCode(2)
        }
        let interactive = isatty(0) != 0
        print(stepper.introduction, terminator: "")
        while true {
            if interactive { printErrorInline("(sim) ") }
            guard let line = readLine() else { break }
            if !interactive { print("(sim) \(line)") }
            let reply = stepper.execute(line)
            print(reply.text, terminator: "")
            if reply.quit { break }
        }
    }
}

/// Reads and validates a scenario file as `sim run` does (exit code 2 on a mistake).
func loadScenarioDocument(_ path: String) throws -> ScenarioDocument {
    let text: String
    do { text = try readTextFile(path) } catch {
        printError("\(path): error: \(error)")
        throw ExitCode(2)
    }
    let base = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
    do { return try ScenarioDocument.parse(text: text, file: path, baseDirectory: base) } catch {
        printError("\(error)")
        throw ExitCode(2)
    }
}
