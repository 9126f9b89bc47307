public import SimCore
public import Scenario

/// A scenario under test, kept as a YAML tree as well as a parsed document: the tree is what the shrinker edits and
/// what a failure prints, the document is what runs. Build one from YAML text, a file, or a tree built in Swift.
public struct PropertyScenario: Sendable {
    public var tree: YAMLTree
    public var document: ScenarioDocument
    /// Where it came from (a file path, or `swarm seed N`), for messages and replay commands.
    public var origin: String
    /// The file a replay command can name (nil for generated and shrunk scenarios).
    public var path: String?

    /// Parses `yaml`; `file` names it in errors, `baseDirectory` resolves capture paths.
    public init(yaml: String, file: String = "scenario.yaml", baseDirectory: String = ".", path: String? = nil) throws {
        tree = try YAMLTree.parse(yaml)
        document = try ScenarioDocument.parse(text: yaml, file: file, baseDirectory: baseDirectory)
        origin = file
        self.path = path
    }

    /// A scenario from a tree (rendered and parsed, so it is exactly what the printed YAML means).
    public init(tree: YAMLTree, origin: String, baseDirectory: String = ".") throws {
        self.tree = tree
        document = try ScenarioDocument.parse(text: tree.render(), file: origin, baseDirectory: baseDirectory)
        self.origin = origin
        path = nil
    }

    /// Reads a scenario file.
    public static func load(path: String) throws -> PropertyScenario {
        let text = try readTextFile(path)
        let base = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        return try PropertyScenario(yaml: text, file: path, baseDirectory: base, path: path)
    }

    /// The YAML text of the scenario.
    public var yaml: String { tree.render() }

    /// A copy with the tree changed (nil if the result does not parse: a shrink step that broke validity).
    public func with(_ edit: (inout YAMLTree) -> Void) -> PropertyScenario? {
        var t = tree
        edit(&t)
        guard t != tree else { return nil }
        var s = try? PropertyScenario(tree: t, origin: origin)
        s?.path = nil
        return s
    }
}

/// How a property run builds its world: the test-only seams (a planted sink, a custom watermark generator) and
/// whether the canonical trace lines are kept (needed to show where two runs diverge).
public struct SimulationSettings: Sendable {
    public var hooks: ScenarioTestingHooks
    public var keepTrace = false
    public var traceDetail: Trace.Detail = .full

    public init(hooks: ScenarioTestingHooks = ScenarioTestingHooks(), keepTrace: Bool = false) {
        var h = hooks
        h.keepFilesInMemory = true
        self.hooks = h
        self.keepTrace = keepTrace
    }
}

/// One finished run: the world (for invariants that read engine internals) and its outcome.
public final class SimulationResult {
    public let scenario: PropertyScenario
    public let seed: UInt64
    public let world: ScenarioRun
    public let outcome: ScenarioOutcome
    public let traceLines: [String]

    init(scenario: PropertyScenario, seed: UInt64, world: ScenarioRun, outcome: ScenarioOutcome) {
        self.scenario = scenario
        self.seed = seed
        self.world = world
        self.outcome = outcome
        traceLines = world.environment.trace.lines
    }

    /// What every job's sink holds.
    public lazy var sinks: [SinkContent] = world.sinkContents()
}

/// Runs `scenario` with `seed` to the end, single-threaded, with an in-memory results database (so SQLite sinks work
/// and nothing touches the disk).
public func simulate(_ scenario: PropertyScenario, seed: UInt64, settings: SimulationSettings = SimulationSettings(),
                     beforeRun: ((ScenarioRun) -> Void)? = nil) throws -> SimulationResult {
    var options = RunOptions(seed: seed, traceDetail: settings.traceDetail, keepTrace: settings.keepTrace)
    options.testing = settings.hooks
    let world = try ScenarioRun(document: scenario.document, options: options, databasePath: ":memory:")
    beforeRun?(world)
    world.run()
    return SimulationResult(scenario: scenario, seed: seed, world: world, outcome: world.outcome())
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func readTextFile(_ path: String) throws -> String { try TextFile.read(path) }

/// Writes `text` to `path` (used to save a shrunk repro).
public func writeTextFile(_ path: String, _ text: String) throws { try TextFile.write(path, text) }
