public import SimCore
import Yams

/// A whole scenario file, validated: everything `sim run` needs, and nothing runs until all of it has been read.
public struct ScenarioDocument: Sendable {
    public var file: String
    public var name: String
    public var description: String
    public var seed: UInt64
    /// The virtual instant the run starts at.
    public var start: ProcessingTime
    /// How long the run lasts in virtual time (feeds stop then; engines get `drain` more to finish).
    public var duration: SimDuration
    /// Extra virtual time after `duration` for engines to process what is in flight (default 1 minute).
    public var drain: SimDuration
    /// Broker settings (`log.retention.check.interval.ms`, `auto.create.topics.enable`, `num.partitions`).
    public var broker: BrokerSpec
    public var topics: [TopicSpec]
    public var feeds: [FeedSpec]
    public var jobs: [JobSpec]
    public var faults: [FaultSpec]
    public var expectations: [Expectation]
    public var outputs: OutputSpec

    /// The top-level keys, in the order docs/scenarios.md documents them.
    public static let keys = ["name", "description", "seed", "start", "duration", "drain", "broker", "topics", "feeds", "jobs", "faults", "expect", "outputs"]

    /// Reads and validates a scenario from YAML text. `file` names the file in errors; `baseDirectory` resolves
    /// relative capture paths.
    public static func parse(text: String, file: String, baseDirectory: String = "") throws(ScenarioError) -> ScenarioDocument {
        let doc = try YAMLDocument(file: file, text: text)
        let m = try doc.reader.mapping(allowed: keys)
        let name = try m.required("name", hint: "a short identifier such as late-data").string()
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }) else {
            throw m["name"]!.error("`name` is used in file names: use letters, digits, - _ . only, found \"\(name)\"")
        }
        let seed = try m["seed"]?.uint64() ?? 1
        let start = ProcessingTime(try m["start"]?.instantMilliseconds() ?? 1_723_161_300_000)  // 2024-08-08T23:55:00Z
        let duration = try m.duration("duration", default: .minutes(10))
        guard duration > .zero else { throw m["duration"]!.error("`duration` must be positive") }
        let drain = try m.duration("drain", default: .minutes(1))
        let broker = try m["broker"].map { (b) throws(ScenarioError) -> BrokerSpec in try BrokerSpec.parse(b) } ?? BrokerSpec()

        let topics = try (m["topics"]?.list() ?? []).map { (t) throws(ScenarioError) -> TopicSpec in try TopicSpec.parse(t) }
        var seen: [String] = []
        for (i, t) in topics.enumerated() {
            if seen.contains(t.name) { throw try m.required("topics").list()[i].error("topic \(t.name) is declared twice") }
            seen.append(t.name)
        }
        let feedNodes = try m["feeds"]?.list() ?? []
        let feeds = try feedNodes.enumerated().map { (i, f) throws(ScenarioError) -> FeedSpec in
            try FeedSpecParser.parse(f, index: i, start: start, duration: duration, baseDirectory: baseDirectory)
        }
        let jobs = try (m["jobs"]?.list() ?? []).enumerated().map { (i, j) throws(ScenarioError) -> JobSpec in
            try JobSpec.parse(j, index: i, topics: topics)
        }
        let faults = try (m["faults"]?.list() ?? []).map { (f) throws(ScenarioError) -> FaultSpec in try FaultSpec.parse(f) }
        for (i, f) in faults.enumerated() {
            let node = try m.required("faults").list()[i]
            let at = f.at.resolve(start: start)
            guard at >= start, at <= start + duration + drain else {
                throw node.error("`\(node.path).at`: \(at) is outside the run (\(start) … \(start + duration + drain))")
            }
            switch f.action {
            case .crash(let e, _), .restart(let e):
                guard jobs.contains(where: { $0.runs(e) }) else { throw node.error("`\(node.path)`: no job runs on \(e.rawValue)") }
            case .crashBetweenOffsetsAndCommit:
                guard jobs.contains(where: { $0.runs(.spark) }) else { throw node.error("`\(node.path)`: no job runs on spark") }
            case .producerOutage(let feed?, _):
                guard feeds.contains(where: { $0.name == feed }) else {
                    throw node.error("`\(node.path).feed`: no feed named \(feed) (feeds: \(feeds.map(\.name).joined(separator: ", ")))")
                }
            case .retentionPurge(let topic):
                guard topics.contains(where: { $0.name == topic }) else { throw node.error("`\(node.path).retention_purge`: no topic named \(topic)") }
            default: break
            }
        }
        let metrics = ScenarioMetrics.known(jobs: jobs)
        let expectations = try (m["expect"]?.list() ?? []).map { (e) throws(ScenarioError) -> Expectation in
            try Expectation.parse(e, knownMetrics: metrics)
        }
        let outputs = try m["outputs"].map { (o) throws(ScenarioError) -> OutputSpec in try OutputSpec.parse(o) } ?? OutputSpec()
        return ScenarioDocument(file: file, name: name, description: try m.string("description", default: ""), seed: seed, start: start,
                                duration: duration, drain: drain, broker: broker, topics: topics, feeds: feeds, jobs: jobs, faults: faults,
                                expectations: expectations, outputs: outputs)
    }
}

/// Broker-level settings of a scenario.
public struct BrokerSpec: Sendable, Equatable {
    /// `log.retention.check.interval.ms` (Kafka default 300000).
    public var retentionCheckInterval: SimDuration = .minutes(5)
    /// `log.initial.task.delay.ms` (Kafka default 30000).
    public var initialTaskDelay: SimDuration = .seconds(30)
    /// `auto.create.topics.enable` (Kafka default true).
    public var autoCreateTopics = true
    /// `num.partitions` for auto-created topics (Kafka default 1).
    public var numPartitions = 1

    public init() {}

    static func parse(_ v: YAMLValue) throws(ScenarioError) -> BrokerSpec {
        let m = try v.mapping(allowed: ["log.retention.check.interval", "log.initial.task.delay", "auto.create.topics.enable", "num.partitions"])
        var b = BrokerSpec()
        b.retentionCheckInterval = try m.duration("log.retention.check.interval", default: b.retentionCheckInterval)
        b.initialTaskDelay = try m.duration("log.initial.task.delay", default: b.initialTaskDelay)
        b.autoCreateTopics = try m.bool("auto.create.topics.enable", default: true)
        b.numPartitions = Int(try m.int("num.partitions", default: 1))
        return b
    }
}

/// Where results go. Defaults: `runs/<scenario>-<seed>.sqlite`, no JSONL, no HTML.
public struct OutputSpec: Sendable, Equatable {
    public var database: String?
    public var results: String?
    public var report: String?
    public var record: String?

    public init(database: String? = nil, results: String? = nil, report: String? = nil, record: String? = nil) {
        self.database = database
        self.results = results
        self.report = report
        self.record = record
    }

    static func parse(_ v: YAMLValue) throws(ScenarioError) -> OutputSpec {
        let m = try v.mapping(allowed: ["db", "results", "report", "record"])
        return OutputSpec(database: try m["db"]?.string(), results: try m["results"]?.string(), report: try m["report"]?.string(),
                          record: try m["record"]?.string())
    }
}
