public import SimCore
import SimLog
import QueryModel
import SparkEngine
import FlinkEngine
public import Scenario

/// A property every run of a scenario must have. `check` returns nil when it holds and a readable explanation when it
/// does not; it may rerun the scenario (a reference run without faults, a variant) through the `PropertyContext`.
public struct Invariant: Sendable {
    public let name: String
    /// One line: what it promises.
    public let summary: String
    let body: @Sendable (PropertyContext) throws -> String?
    /// What kind of failure a message describes (e.g. `flink extra` vs `spark missing`): the shrinker keeps a smaller
    /// scenario only if it fails the same way, so a repro of duplicated rows cannot shrink into one of missing rows.
    /// Default: every failure of the invariant is the same kind.
    public let failureKind: @Sendable (String) -> String

    public init(name: String, summary: String, failureKind: @escaping @Sendable (String) -> String = { _ in "" },
                check: @escaping @Sendable (PropertyContext) throws -> String?) {
        self.name = name
        self.summary = summary
        self.body = check
        self.failureKind = failureKind
    }

    public func check(_ context: PropertyContext) -> String? {
        do { return try body(context) } catch { return "could not check: \(error)" }
    }
}

/// What an invariant sees: the run under test, and how to run the same scenario again (as is, without faults, or
/// changed) with the same seed and seams.
public final class PropertyContext {
    public let scenario: PropertyScenario
    public let seed: UInt64
    public let settings: SimulationSettings
    public let result: SimulationResult
    private var faultFreeRun: SimulationResult?

    public init(scenario: PropertyScenario, seed: UInt64, settings: SimulationSettings, result: SimulationResult) {
        self.scenario = scenario
        self.seed = seed
        self.settings = settings
        self.result = result
    }

    /// Runs `variant` (default: the same scenario) with the same seed and seams.
    public func rerun(_ variant: PropertyScenario? = nil, keepTrace: Bool = false) throws -> SimulationResult {
        var s = settings
        s.keepTrace = keepTrace
        return try simulate(variant ?? scenario, seed: seed, settings: s)
    }

    /// Uses `summary` as the fault-free reference (crash-point enumeration computes it once for every point).
    public func useReference(_ summary: ReferenceSummary) { referenceSummary = summary }
    private var referenceSummary: ReferenceSummary?

    /// What the fault-free run's sinks hold, and which engines saw late data in it.
    public func reference() throws -> ReferenceSummary {
        if let r = referenceSummary { return r }
        let r = ReferenceSummary(try faultFree())
        referenceSummary = r
        return r
    }

    /// The same scenario with its `faults:` removed — the reference for exactly-once and at-least-once. The run under
    /// test itself when there are no faults.
    public func faultFree() throws -> SimulationResult {
        if let r = faultFreeRun { return r }
        let r: SimulationResult
        if scenario.document.faults.isEmpty {
            r = result
        } else {
            let clean = scenario.with { $0["faults"] = nil } ?? scenario
            r = try rerun(clean)
        }
        faultFreeRun = r
        return r
    }
}

extension Invariant {
    /// Every ready invariant, by name (what `sim explore --invariants` accepts).
    public static let all: [Invariant] = [
        .determinism, .exactlyOnce, .atLeastOnce, .recordAccounting, .watermarkMonotonic, .watermarkBound, .noEarlyFiring,
        .crossEngineAgreement, .eventTimeInvariance,
    ]

    public static func named(_ name: String) -> Invariant? { all.first { $0.name == name } }

    // MARK: determinism

    /// A rerun with the same seed gives the same trace digest; on a mismatch, the first canonical trace line where
    /// the two runs part.
    public static let determinism = Invariant(name: "determinism", summary: "a rerun with the same seed gives the same trace digest") { c in
        let again = try c.rerun()
        guard again.outcome.digest != c.result.outcome.digest else { return nil }
        let a = try c.rerun(keepTrace: true), b = try c.rerun(keepTrace: true)
        var message = "digest \(c.result.outcome.digest.prefix(16))… then \(again.outcome.digest.prefix(16))…"
        if let d = Trace.firstDivergence(a.traceLines, b.traceLines) {
            message += "; first diverging trace line #\(d.index + 1):\n    run 1: \(d.a ?? "(end)")\n    run 2: \(d.b ?? "(end)")"
        }
        return message
    }

    // MARK: delivery guarantees

    /// A sink that promises exactly-once (Spark file sink, memory sink, idempotent foreachBatch; Flink two-phase
    /// commit) holds exactly what the fault-free run's does. Vacuous for a sink whose engine saw late data (what is
    /// late after a recovery legitimately differs) or whose output depends on batch boundaries (update/complete).
    public static let exactlyOnce = Invariant(name: "exactly-once", summary: "exactly-once sinks hold what the fault-free run's hold",
                                              failureKind: deliveryFailureKind) { c in
        guard !c.scenario.document.faults.isEmpty || c.result.outcome.metric("spark.restarts") ?? 0 > 0 || c.result.outcome.metric("flink.restarts") ?? 0 > 0 else { return nil }
        let reference = try c.reference()
        var problems: [String] = []
        for content in c.result.sinks where content.exactlyOnce && content.boundaryIndependent {
            guard !sawLateData(c.result, content.engine), !reference.lateEngines.contains(content.engine), !failed(c.result, content.engine) else { continue }
            guard let ref = reference.sinks.first(where: { $0.engine == content.engine && $0.job == content.job }) else { continue }
            let (missing, extra) = multisetDifference(ref.rows, content.rows)
            if missing.isEmpty && extra.isEmpty { continue }
            var m = "\(content.engine.rawValue) job \(content.job) (\(content.kind) sink): \(describe(missing: missing, extra: extra, reference: ref.rows.count, actual: content.rows.count))"
            if !missing.isEmpty, content.engine == .spark, let note = sparkIdleAfterRestartNote(c.result, job: content.job) { m += "\n  " + note }
            if !missing.isEmpty, content.engine == .flink, let note = flinkSilentPartitionNote(c.result, job: content.job) { m += "\n  " + note }
            problems.append(m)
        }
        return problems.isEmpty ? nil : problems.joined(separator: "\n")
    }

    /// An at-least-once sink loses nothing the fault-free run wrote, and every extra row is a copy of a reference row
    /// written again by a replay (so there are none without a restart).
    public static let atLeastOnce = Invariant(name: "at-least-once", summary: "at-least-once sinks lose nothing; every duplicate comes from a replay",
                                              failureKind: deliveryFailureKind) { c in
        let reference = try c.reference()
        var problems: [String] = []
        for content in c.result.sinks where !content.exactlyOnce && content.boundaryIndependent {
            guard !sawLateData(c.result, content.engine), !reference.lateEngines.contains(content.engine), !failed(c.result, content.engine) else { continue }
            guard let ref = reference.sinks.first(where: { $0.engine == content.engine && $0.job == content.job }) else { continue }
            let (missing, extra) = multisetDifference(ref.rows, content.rows)
            let restarts = c.result.outcome.metric("\(content.engine.rawValue).restarts") ?? 0
            let refSet = Set(ref.rows)
            let strangers = extra.filter { !refSet.contains($0) }
            if !missing.isEmpty || !strangers.isEmpty || (!extra.isEmpty && restarts == 0) {
                var m = "\(content.engine.rawValue) job \(content.job) (\(content.kind) sink): "
                if !missing.isEmpty { m += "\(missing.count) row(s) lost, e.g. \(missing[0]); " }
                if !strangers.isEmpty { m += "\(strangers.count) row(s) that no fault-free run wrote, e.g. \(strangers[0]); " }
                if !extra.isEmpty && restarts == 0 { m += "\(extra.count) duplicate(s) without any restart to explain them, e.g. \(extra[0])" }
                problems.append(m)
            }
        }
        return problems.isEmpty ? nil : problems.joined(separator: "\n")
    }

    // MARK: accounting

    /// Every input record is counted in each window it belongs to, or has a recorded fate (dropped as late, side
    /// output, malformed or filtered). Checked on jobs with `count(*)` and tumbling or sliding windows, for windows the
    /// engine emitted; a window it never emitted must still be open (end beyond its final watermark). Vacuous across
    /// restarts (a replay may judge lateness differently) and when retention removed records.
    public static let recordAccounting = Invariant(name: "record-accounting", summary: "every record is counted in its windows or has a recorded fate") { c in
        var problems: [String] = []
        for engine in EngineName.allCases {
            for job in WindowResults.jobs(c.result, engine) {
                guard let r = WindowResults(c.result, engine: engine, job: job), let countColumn = r.countColumn, r.accountable else { continue }
                let (expected, uncertain) = r.expectedCounts()
                for (k, row) in r.final.sorted(by: { $0.key < $1.key }) {
                    let want = expected[k] ?? 0, slack = uncertain[k] ?? 0
                    let got = Int(row[countColumn].doubleValue ?? -1)
                    if got < want || got > want + slack {
                        let range = slack == 0 ? "\(want)" : "\(want)…\(want + slack) (\(slack) record(s) possibly skipped as late for this window)"
                        problems.append("\(engine.rawValue) job \(job) window \(k): counted \(got), expected \(range) (records in the window minus those dropped or side-output as late)")
                    }
                }
                for (k, n) in expected.sorted(by: { $0.key < $1.key }) where n > 0 && r.final[k] == nil && r.isClosed(k) {
                    problems.append("\(engine.rawValue) job \(job) window \(k): \(n) record(s) with no result and no fate, though the window closed (watermark \(r.finalWatermarkMs))")
                }
            }
        }
        return problems.isEmpty ? nil : problems.prefix(5).joined(separator: "\n")
    }

    // MARK: watermarks

    /// Watermarks never go back: Spark's batch watermark across batches (restarts included, it is checkpointed);
    /// Flink's per operator (`source-i`, `window-j`) within an attempt (a restore restarts them at MIN).
    public static let watermarkMonotonic = Invariant(name: "watermark-monotonic", summary: "watermarks never decrease (per operator, per Flink attempt)") { c in
        for j in c.result.world.sparkJobs {
            var last = Int64.min
            for p in j.progress {
                guard let w = p.watermarkMs else { continue }
                if w < last { return "spark job \(j.job.name): batch \(p.batchId) watermark \(w) < previous \(last)" }
                last = w
            }
        }
        for j in c.result.world.flinkJobs {
            var last: [String: Int64] = [:]
            for e in j.events {
                switch e {
                case .restart: last = [:]
                case .watermark(let task, let v, let at, _):
                    if let l = last[task], v.millisecondsSinceEpoch < l {
                        return "flink job \(j.job.name): \(task) watermark went back from \(l) to \(v.millisecondsSinceEpoch) at \(at)"
                    }
                    last[task] = v.millisecondsSinceEpoch
                default: break
                }
            }
        }
        return nil
    }

    /// A watermark never promises more than the data allows: Spark's ≤ (max event time appended so far) − delay;
    /// Flink's (DataStream) at a window operator ≤ min over the topic's partitions of (max event time appended to it
    /// so far) − B − 1 (without idleness; with it, the max over all partitions), and at a source ≤ max − B − 1.
    public static let watermarkBound = Invariant(name: "watermark-bound", summary: "a watermark never exceeds what the records appended so far allow") { c in
        let world = c.result.world
        for j in world.sparkJobs {
            guard let delay = j.job.query.watermark?.delayMs, let plan = try? CompiledQuery(j.job.query), let ti = plan.eventTimeIndex else { continue }
            let times = EventTimes(world: world, topic: j.job.query.source.topic) { tp, rec, at in
                var row = plan.makeRowBuffer()
                var stats = DecodeStats()
                guard plan.decode(SourceRecord(tp, rec), into: &row, context: EvaluationContext(currentTimestampMicros: at &* 1000), stats: &stats) else { return nil }
                if case .timestamp(let us) = row[ti] { return floorDiv(us, 1000) }
                return 0
            }
            for p in j.progress {
                guard let w = p.watermarkMs, w > 0 else { continue }
                let bound = times.globalMax(upTo: p.triggerTime).map { $0 - delay } ?? Int64.min
                if w > bound { return "spark job \(j.job.name): batch \(p.batchId) watermark \(w) > max event time so far − delay = \(bound)" }
            }
        }
        for j in world.flinkJobs {
            guard let plan = j.flinkJob.queryPlan, let b = plan.watermarkDelayMs, plan.rowtimeIndex != nil else { continue }
            let sql = j.options.api == .sql
            let slack: Int64 = sql ? 0 : 1
            let times = EventTimes(world: world, topic: j.job.query.source.topic) { tp, rec, at in
                switch plan.process(tp, rec, now: ProcessingTime(at)) {
                case .row(_, let ts?), .filtered(let ts?): return ts.millisecondsSinceEpoch
                default: return nil
                }
            }
            let topic = j.job.query.source.topic
            let partitions = c.scenario.document.topics.first { $0.name == topic }?.partitions ?? c.scenario.document.broker.numPartitions
            let perPartition = j.options.idleness == nil && !sql
            for e in j.events {
                guard case .watermark(let task, let v, let at, _) = e, v != .max, v != .min else { continue }
                let value = v.millisecondsSinceEpoch
                if sql && value <= 0 { continue }
                let reference: Int64?
                if perPartition && task.hasPrefix("window") {
                    reference = times.minOfPartitionMax(upTo: at, partitions: partitions)
                } else {
                    reference = times.globalMax(upTo: at)
                }
                let bound = reference.map { $0 - b - slack } ?? Int64.min
                if value > bound {
                    let what = perPartition && task.hasPrefix("window") ? "min over \(partitions) partition(s) of max event time so far" : "max event time so far"
                    return "flink job \(j.job.name): \(task) emitted watermark \(value) at \(at), above \(what) − \(b)\(slack == 1 ? " − 1" : "") = \(reference.map { String($0 - b - slack) } ?? "MIN (no record yet)")"
                }
            }
        }
        return nil
    }

    /// No window result appears before the watermark passed the window's end: Flink fires when the watermark reaches
    /// end − 1; Spark's append mode emits a window only once the batch watermark is at or past its end.
    public static let noEarlyFiring = Invariant(name: "no-early-firing", summary: "no window is emitted before the watermark passes its end") { c in
        for j in c.result.world.flinkJobs {
            for e in j.events {
                guard case .firing(let f) = e else { continue }
                if f.watermark.millisecondsSinceEpoch < f.windowEnd - 1 {
                    return "flink job \(j.job.name): window [\(f.windowStart), \(f.windowEnd)) key \(f.key) fired at \(f.at) with watermark \(f.watermark.millisecondsSinceEpoch) < end − 1"
                }
            }
        }
        for j in c.result.world.sparkJobs where j.job.query.outputMode == .append {
            guard let ei = j.outputSchema.index(of: "window_end") else { continue }
            for e in j.emitted {
                guard let w = j.progress.last(where: { $0.batchId == e.batchId })?.watermarkMs else { continue }
                for r in e.rows {
                    guard case .timestamp(let us) = r[ei] else { continue }
                    if floorDiv(us, 1000) > w { return "spark job \(j.job.name): batch \(e.batchId) emitted window ending \(floorDiv(us, 1000)) with watermark \(w)" }
                }
            }
        }
        return nil
    }

    // MARK: across engines and configurations

    /// For windows closed with no late data, Spark and Flink agree, up to the runner's labelled expected differences.
    ///
    /// The runner's labels judge Flink's progress by its highest watermark over every operator; this invariant also
    /// accepts a difference the runner left unexplained when the window is still open at the engine that lacks it
    /// (Flink: the window operators' watermark in the last attempt — a partition with no records holds it at MIN,
    /// whatever the sources say) or when a record of the window may have been late for it at either engine
    /// (`WindowResults.possiblyLate`: Flink skips such a window silently).
    public static let crossEngineAgreement = Invariant(name: "cross-engine", summary: "Spark and Flink agree on closed windows, up to labelled differences") { c in
        var results: [String: (spark: WindowResults?, flink: WindowResults?, sparkLate: [WindowKey: Int], flinkLate: [WindowKey: Int])] = [:]
        func judged(_ job: String) -> (spark: WindowResults?, flink: WindowResults?, sparkLate: [WindowKey: Int], flinkLate: [WindowKey: Int]) {
            if let r = results[job] { return r }
            let s = WindowResults(c.result, engine: .spark, job: job), f = WindowResults(c.result, engine: .flink, job: job)
            let r = (s, f, s?.possiblyLate() ?? [:], f?.possiblyLate() ?? [:])
            results[job] = r
            return r
        }
        let bad = c.result.outcome.diff.filter(\.label.isUnexplained).filter { d in
            let r = judged(d.job)
            if r.sparkLate[d.window] != nil || r.flinkLate[d.window] != nil { return false }
            if d.flink == nil, let f = r.flink, !f.isClosed(d.window) { return false }
            if d.spark == nil, let s = r.spark, !s.isClosed(d.window) { return false }
            return true
        }
        guard !bad.isEmpty else { return nil }
        return bad.prefix(3).map { d in
            "job \(d.job) window \(d.window): spark \(d.spark.map { $0.map { "\($0.0)=\($0.1)" }.joined(separator: " ") } ?? "—") vs flink \(d.flink.map { $0.map { "\($0.0)=\($0.1)" }.joined(separator: " ") } ?? "—")"
        }.joined(separator: "\n") + (bad.count > 3 ? "\n… \(bad.count - 3) more" : "")
    }

    /// Event-time results do not depend on how the work is cut: the same scenario with a different partition count,
    /// Spark trigger interval, Flink parallelism or replay speed gives the same order-insensitive aggregates (count,
    /// sum, min, max, avg) for every window closed in both runs with no late record in either.
    public static let eventTimeInvariance = Invariant(name: "event-time-invariance", summary: "event-time results do not change with partitions, trigger, parallelism or replay speed") { c in
        for (label, variant) in ScenarioVariants.all(c.scenario) {
            if let m = try compareWindowResults(c.result, try c.rerun(variant)) { return "\(label): \(m)" }
        }
        return nil
    }

    /// Compares two runs' final window results (order-insensitive aggregates) on windows closed in both, with no
    /// late record in either. nil = they agree.
    public static func compareWindowResults(_ a: SimulationResult, _ b: SimulationResult) throws -> String? {
        for engine in EngineName.allCases {
            for job in WindowResults.jobs(a, engine) {
                guard var ra = WindowResults(a, engine: engine, job: job), var rb = WindowResults(b, engine: engine, job: job) else { continue }
                ra.lateWindows.formUnion(ra.possiblyLate().keys)
                rb.lateWindows.formUnion(rb.possiblyLate().keys)
                let columns = ra.orderInsensitiveColumns
                for (k, rowA) in ra.final.sorted(by: { $0.key < $1.key }) {
                    guard let rowB = rb.final[k], ra.isClosed(k), rb.isClosed(k), !ra.lateWindows.contains(k), !rb.lateWindows.contains(k) else { continue }
                    for (i, name) in columns where !sameValue(rowA[i], rowB[i]) {
                        return "\(engine.rawValue) job \(job) window \(k): \(name) = \(rowA[i]) vs \(rowB[i])"
                    }
                }
                for k in Set(ra.final.keys).symmetricDifference(rb.final.keys).sorted() {
                    guard ra.isClosed(k), rb.isClosed(k), !ra.lateWindows.contains(k), !rb.lateWindows.contains(k) else { continue }
                    return "\(engine.rawValue) job \(job) window \(k) closed in both runs but has a result in only \(ra.final[k] == nil ? "the variant" : "the original")"
                }
            }
        }
        return nil
    }
}

// MARK: - helpers

/// When a Flink job's last restore left a partition with no record at or after its restored offset: that split's
/// watermark stays at MIN (watermarks are not checkpointed — docs/semantics/flink.md), so the window operators'
/// watermark (a min over splits, without idleness) never passes the windows the crash-free run fired.
func flinkSilentPartitionNote(_ r: SimulationResult, job: String) -> String? {
    guard let j = r.world.flinkJobs.first(where: { $0.job.name == job }), j.options.idleness == nil else { return nil }
    var completed: [Int64: [TopicPartition: Int64]] = [:]
    var restored: (id: Int64?, at: ProcessingTime)?
    for e in j.events {
        switch e {
        case .checkpoint(let id, .completed, _, let offsets, _): completed[id] = offsets
        case .restart(_, let at, let id): restored = (id, at)
        default: break
        }
    }
    guard let restored else { return nil }
    let topic = j.job.query.source.topic
    let partitions = r.scenario.document.topics.first { $0.name == topic }?.partitions ?? r.scenario.document.broker.numPartitions
    let offsets = restored.id.flatMap { completed[$0] } ?? [:]
    var next: [Int32: Int64] = [:]
    for a in r.world.appended where a.topicPartition.topic == topic { next[a.topicPartition.partition, default: 0] += 1 }
    let silent = (0..<Int32(partitions)).filter { p in
        let from = offsets[TopicPartition(topic, p)] ?? 0
        return (next[p] ?? 0) <= from
    }
    guard !silent.isEmpty else { return nil }
    return "note: after the restore at \(restored.at) (checkpoint \(restored.id.map(String.init) ?? "none")), partition(s) \(silent.map(String.init).joined(separator: ", ")) had no record to read, so their splits' watermarks stayed at MIN (watermarks are not checkpointed; docs/semantics/flink.md) and the windows the crash-free run fired stay open. Give every partition records after the restore (a data tail)."
}

/// `spark extra`, `flink missing`, … — which engines' sinks had extra or missing rows (see `Invariant.failureKind`).
@Sendable func deliveryFailureKind(_ message: String) -> String {
    var kinds: [String] = []
    for line in message.split(separator: "\n") where !line.hasPrefix(" ") {
        let engine = line.split(separator: " ").first.map(String.init) ?? ""
        if line.contains(" extra") || line.contains("duplicate") || line.contains("no fault-free run wrote") { kinds.append("\(engine) extra") }
        if line.contains(" missing") || line.contains(" lost") { kinds.append("\(engine) missing") }
    }
    return kinds.joined(separator: ", ")
}

/// When a Spark job's last incarnation has run no batch since its restart: a restarted query never builds a no-data
/// batch as its first batch (`MicroBatchExecution.shouldConstructNextBatch` looks at `execCtx.previousContext`, empty
/// after a restart — docs/semantics/spark.md F2), so windows only a no-data batch would emit wait for new data. The
/// explanation for rows missing at such a point; the cure is a data tail after the restart.
func sparkIdleAfterRestartNote(_ r: SimulationResult, job: String) -> String? {
    guard let j = r.world.sparkJobs.first(where: { $0.job.name == job }), j.incarnations.count > 1,
          j.incarnations.last?.progress.isEmpty ?? false, !j.execution.isTerminated else { return nil }
    return "note: the restarted Spark query has run no batch since its restart, and a restarted query builds no no-data batch before new data arrives (docs/semantics/spark.md F2): windows a no-data batch would have emitted stay pending. Give the scenario records after the restart (a data tail)."
}

/// The parts of a fault-free reference run the delivery invariants compare with.
public struct ReferenceSummary: Sendable {
    public var sinks: [SinkContent]
    public var lateEngines: [EngineName]
    public init(_ r: SimulationResult) {
        sinks = r.sinks
        lateEngines = EngineName.allCases.filter { sawLateData(r, $0) }
    }
}

/// Whether `engine` judged some record late in this run, or may have (a record whose window the data alone could have
/// closed before it arrived: `WindowResults.possiblyLate`; Flink skips such a window silently when the record has
/// other windows still open).
func sawLateData(_ r: SimulationResult, _ engine: EngineName) -> Bool {
    r.outcome.late.contains { $0.engine == engine } || WindowResults.mayHaveLateWindows(r, engine)
}

func failed(_ r: SimulationResult, _ engine: EngineName) -> Bool { (r.outcome.metric("\(engine.rawValue).failed") ?? 0) > 0 }

/// (in `reference` but not in `actual`, in `actual` but not in `reference`), as multisets of sorted lines.
func multisetDifference(_ reference: [String], _ actual: [String]) -> (missing: [String], extra: [String]) {
    var counts: [String: Int] = [:]
    for r in reference { counts[r, default: 0] += 1 }
    var extra: [String] = []
    for a in actual {
        if let n = counts[a], n > 0 { counts[a] = n - 1 } else { extra.append(a) }
    }
    let missing = reference.filter { r in
        guard let n = counts[r], n > 0 else { return false }
        counts[r] = n - 1
        return true
    }
    return (missing.sorted(), extra.sorted())
}

func describe(missing: [String], extra: [String], reference: Int, actual: Int) -> String {
    var parts = ["\(actual) row(s) vs \(reference) in the fault-free run"]
    if !extra.isEmpty { parts.append("\(extra.count) extra (duplicated by a replay?), e.g. \(extra[0])") }
    if !missing.isEmpty { parts.append("\(missing.count) missing, e.g. \(missing[0])") }
    return parts.joined(separator: "; ")
}

func sameValue(_ a: Value, _ b: Value) -> Bool {
    if a == b { return true }
    guard let x = a.doubleValue, let y = b.doubleValue, x.isFinite, y.isFinite else { return false }
    return abs(x - y) <= 1e-9 * max(abs(x), abs(y), 1)
}

/// Event times of the records appended to a topic, in append order, with running maxima (ms).
struct EventTimes {
    /// (append time, partition, event time ms) in append order.
    var entries: [(at: Int64, partition: Int32, ms: Int64)] = []

    init(world: ScenarioRun, topic: String, eventTime: (TopicPartition, Record, Int64) -> Int64?) {
        for a in world.appended where a.topicPartition.topic == topic {
            if let ms = eventTime(a.topicPartition, a.record, a.appendTime.millisecondsSinceEpoch) {
                entries.append((a.appendTime.millisecondsSinceEpoch, a.topicPartition.partition, ms))
            }
        }
    }

    func globalMax(upTo t: ProcessingTime) -> Int64? {
        var m: Int64?
        for e in entries where e.at <= t.millisecondsSinceEpoch { m = max(m ?? .min, e.ms) }
        return m
    }

    /// nil when some partition has no record yet (its split holds the watermark at MIN).
    func minOfPartitionMax(upTo t: ProcessingTime, partitions: Int) -> Int64? {
        var maxima = [Int64?](repeating: nil, count: max(partitions, 1))
        for e in entries where e.at <= t.millisecondsSinceEpoch && Int(e.partition) < maxima.count {
            maxima[Int(e.partition)] = max(maxima[Int(e.partition)] ?? .min, e.ms)
        }
        var m = Int64.max
        for x in maxima {
            guard let x else { return nil }
            m = min(m, x)
        }
        return m
    }
}
