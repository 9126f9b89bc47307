import ArgumentParser

@main
struct Sim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "StreamSim: a deterministic simulation and replay testbed for exchange feed → Kafka → Spark / Flink → database pipelines.",
        subcommands: [RunCommand.self, QueryCommand.self, DiffCommand.self, TopicsCommand.self, LogCommand.self, GenCommand.self, CaptureCommand.self, BenchCommand.self, ExploreCommand.self, StepCommand.self, ExplainCommand.self, ReportCommand.self]
    )
}
