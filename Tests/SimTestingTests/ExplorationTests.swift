import XCTest
import SimCore
import Scenario
import SimTesting

final class ExplorationTests: XCTestCase {
    static let filter = "SimTestingTests.ExplorationTests"

    /// Swarm-generated scenarios on both engines hold every cheap invariant.
    func testSwarmScenariosHoldTheInvariants() {
        let invariants: [Invariant] = [.determinism, .exactlyOnce, .atLeastOnce, .recordAccounting, .watermarkMonotonic, .watermarkBound, .noEarlyFiring, .crossEngineAgreement]
        assertProperty(.swarm(SwarmScenarios()), seeds: 1...10, invariants: invariants, testFilter: Self.filter)
    }

    /// Event-time results do not change with partitions, trigger, parallelism or replay speed.
    func testEventTimeResultsAreInvariant() {
        var swarm = SwarmScenarios()
        swarm.faults = false
        assertProperty(.swarm(swarm), seeds: 1...3, invariants: [.eventTimeInvariance], testFilter: Self.filter)
    }

    /// The teaching point: windows over processing time (`current_timestamp()`) do change with the trigger interval.
    func testProcessingTimeResultsDependOnTheTrigger() throws {
        let yaml = """
            name: processing-time
            start: 2024-08-08T23:59:00Z
            duration: 30 seconds
            drain: 10 seconds
            topics: [{name: ticks, partitions: 1}]
            feeds:
              - name: story
                topic: ticks
                records:
            \((1...20).map { "      - {at: +\($0 * 1300)ms, key: BTC, value: {symbol: BTC, price: \($0)}}" }.joined(separator: "\n"))
            jobs:
              - name: by_arrival
                query:
                  topic: ticks
                  schema: {symbol: string, price: double}
                  columns: {pt: current_timestamp()}
                  window: {tumbling: 10 seconds}
                  group_by: [symbol]
                  aggregates: [count(*) AS trades]
                spark: {trigger: 3 seconds, outputMode: update}
            """
        let scenario = try PropertyScenario(yaml: yaml)
        let a = try simulate(scenario, seed: 1)
        let variant = try XCTUnwrap(ScenarioVariants.all(scenario).first { $0.0 == "Spark trigger changed" }?.1)
        let b = try simulate(variant, seed: 1)
        // Window counts by processing time follow the batches, so a different trigger gives different results.
        XCTAssertNotEqual(a.sinks.map(\.rows), b.sinks.map(\.rows), "processing-time windows should move with the trigger")
    }

    func testDeterminismOfTheLateDataScenario() throws {
        let scenario = try PropertyScenario.load(path: "scenarios/late-data.yaml")
        assertProperty(.fixed(scenario), seeds: [42], invariants: [.determinism, .watermarkMonotonic, .noEarlyFiring, .crossEngineAgreement], testFilter: Self.filter)
    }

    /// A scenario survives the YAML tree round trip (what the shrinker edits and prints).
    func testYAMLTreeRoundTrip() throws {
        let text = try String(contentsOfFile: "scenarios/late-data.yaml", encoding: .utf8)
        let tree = try YAMLTree.parse(text)
        let again = try YAMLTree.parse(tree.render())
        XCTAssertEqual(again.render(), tree.render())
        let doc = try ScenarioDocument.parse(text: tree.render(), file: "x.yaml")
        XCTAssertEqual(doc.name, "late-data")
        XCTAssertEqual(doc.feeds.count, 2)
    }

    func testShrinkerKeepsOnlyWhatTheFailureNeeds() throws {
        // The "failure": some record has price 7. The shrinker should keep that one record only.
        var swarm = SwarmScenarios()
        swarm.maxRecords = 20
        let scenario = try swarm.scenario(seed: 3)
        let records = scenario.yaml.components(separatedBy: "price: ").count - 1
        XCTAssertGreaterThan(records, 2)
        let marker = scenario.yaml.components(separatedBy: "price: ")[2].prefix { $0 != "," && $0 != "}" }
        let result = Shrinker { s in s.yaml.contains("price: \(marker)") ? "has \(marker)" : nil }.shrink(scenario, message: "has \(marker)")
        XCTAssertLessThanOrEqual(result.scenario.yaml.components(separatedBy: "price: ").count - 1, 2, result.scenario.yaml)
    }

    /// The failure's ready XCTest case embeds the shrunk YAML as a multi-line literal that gives back the YAML.
    func testXCTestCaseEmbedsTheShrunkYAML() throws {
        let yaml = try SwarmScenarios().scenario(seed: 5).yaml
        let f = PropertyCheckFailure(invariant: "exactly-once", seed: 5, message: "m", originalYAML: yaml, shrunkYAML: yaml, shrunkMessage: "m",
                                     shrinkAttempts: 0, originalRecords: 0, shrunkRecords: 0, replay: "r")
        let lines = f.xctestCase.split(separator: "\n", omittingEmptySubsequences: false)
        let open = try XCTUnwrap(lines.firstIndex { $0.hasSuffix("(yaml: \"\"\"") })
        let close = try XCTUnwrap(lines.firstIndex { $0.drop { $0 == " " } == "\"\"\")" })
        let indent = lines[close].prefix { $0 == " " }.count
        let body = lines[(open + 1)..<close].map { $0.isEmpty ? "" : String($0.dropFirst(indent)) }.joined(separator: "\n")
        XCTAssertEqual(body, yaml)
        XCTAssertTrue(f.xctestCase.contains(".named(\"exactly-once\")!"))
    }
}
