import SimCore
import SimLog
import QueryModel
import SparkEngine
import FlinkEngine
import Scenario

/// One engine's final window results for one job of a finished run — the last row emitted per (window, key) — with
/// what is needed to judge them: which windows saw late records, the final watermark, and a reference count of
/// records per window computed from the log with the engine's own decoding.
struct WindowResults {
    let result: SimulationResult
    let engine: EngineName
    let job: JobSpec
    let schema: Schema
    var final: [WindowKey: Row] = [:]
    var lateWindows: Set<WindowKey> = []
    /// Spark: the last batch's watermark (windows ending at or before it were emitted); Flink: the highest window
    /// watermark of the last attempt (windows with end − 1 at or before it fired).
    var finalWatermarkMs: Int64 = .min
    let keyIndices: [Int]

    static func jobs(_ r: SimulationResult, _ engine: EngineName) -> [String] {
        switch engine {
        case .spark: return r.world.sparkJobs.filter { $0.job.query.aggregation?.window != nil }.map(\.job.name)
        case .flink: return r.world.flinkJobs.filter { $0.job.query.aggregation?.window != nil }.map(\.job.name)
        }
    }

    init?(_ r: SimulationResult, engine: EngineName, job name: String) {
        result = r
        self.engine = engine
        switch engine {
        case .spark:
            guard let j = r.world.sparkJobs.first(where: { $0.job.name == name }) else { return nil }
            job = j.job
            schema = j.outputSchema
        case .flink:
            guard let j = r.world.flinkJobs.first(where: { $0.job.name == name }) else { return nil }
            job = j.job
            schema = j.outputSchema
        }
        guard let si = schema.index(of: "window_start"), let ei = schema.index(of: "window_end") else { return nil }
        let outSchema = schema
        let keyIdx = (job.query.aggregation?.groupBy ?? []).compactMap { outSchema.index(of: $0) }
        keyIndices = keyIdx
        func key(_ row: Row) -> WindowKey? {
            guard case .timestamp(let a) = row[si], case .timestamp(let b) = row[ei] else { return nil }
            return WindowKey.make(start: a, end: b, key: keyIdx.map { row[$0].description }.joined(separator: ","))
        }
        switch engine {
        case .spark:
            let j = r.world.sparkJobs.first { $0.job.name == name }!
            for e in j.emitted { for row in e.rows { if let k = key(row) { final[k] = row } } }
            finalWatermarkMs = j.progress.last?.watermarkMs ?? .min
        case .flink:
            let j = r.world.flinkJobs.first { $0.job.name == name }!
            for e in j.events {
                switch e {
                case .firing(let f): if let k = key(f.row) { final[k] = f.row }
                case .restart: finalWatermarkMs = .min
                case .watermark(let task, let v, _, _) where task.hasPrefix("window") && v != .max:
                    finalWatermarkMs = max(finalWatermarkMs, v.millisecondsSinceEpoch)
                default: break
                }
            }
        }
        for l in r.outcome.late where l.engine == engine && l.job == name {
            if let w = l.window { lateWindows.insert(w) }
        }
    }

    /// Whether the engine has closed (evicted or fired) window `k` by the end of the run.
    func isClosed(_ k: WindowKey) -> Bool {
        let endMs = floorDiv(k.end, 1000)
        return engine == .spark ? endMs <= finalWatermarkMs : endMs - 1 <= finalWatermarkMs
    }

    /// The output column of `count(*)`, if the query has one.
    var countColumn: Int? {
        guard let a = job.query.aggregation?.aggregates.first(where: { $0.function == .count && $0.column == nil }) else { return nil }
        return schema.index(of: a.name)
    }

    /// Aggregates whose value does not depend on the order records are processed in.
    var orderInsensitiveColumns: [(Int, String)] {
        (job.query.aggregation?.aggregates ?? []).filter { $0.function != .first && $0.function != .last }.compactMap { a in
            schema.index(of: a.name).map { ($0, a.name) }
        }
    }

    /// Whether record accounting can be checked: no restart (a replay may judge lateness differently), nothing lost to
    /// retention, the job did not fail, and windows that do not merge.
    var accountable: Bool {
        let o = result.outcome
        guard (o.metric("\(engine.rawValue).restarts") ?? 0) == 0, (o.metric("\(engine.rawValue).failed") ?? 0) == 0,
              (o.metric("log.lost_to_retention") ?? 0) == 0, (o.metric("spark.lost_records") ?? 0) == 0 else { return false }
        if case .session? = job.query.aggregation?.window { return false }
        return job.query.source.startingOffsets == .earliest
    }

    /// Records per (window, key) according to the log and the engine's decoding, minus those the engine recorded as
    /// dropped or sent to the side output for that window.
    func expectedCounts() -> [WindowKey: Int] {
        guard let spec = job.query.aggregation?.window, let assigner = WindowAssigner(spec) else { return [:] }
        var counts: [WindowKey: Int] = [:]
        let topic = job.query.source.topic
        switch engine {
        case .spark:
            guard let plan = try? CompiledQuery(job.query), let ti = plan.timeIndex else { return [:] }
            for a in result.world.appended where a.topicPartition.topic == topic {
                var row = plan.makeRowBuffer()
                var stats = DecodeStats()
                guard plan.decode(SourceRecord(a.topicPartition, a.record), into: &row, context: EvaluationContext(currentTimestampMicros: a.appendTime.millisecondsSinceEpoch &* 1000), stats: &stats),
                      case .timestamp(let us) = row[ti] else { continue }
                let key = plan.keyValues(row).map(\.description).joined(separator: ",")
                for w in assigner.windows(us) { counts[WindowKey.make(start: w.start, end: w.end, key: key), default: 0] += 1 }
            }
            if let j = result.world.sparkJobs.first(where: { $0.job.name == job.name }) {
                for d in j.droppedRecords {
                    counts[WindowKey.make(start: d.window.start, end: d.window.end, key: d.keys.map(\.description).joined(separator: ",")), default: 0] -= 1
                }
            }
        case .flink:
            guard let j = result.world.flinkJobs.first(where: { $0.job.name == job.name }), let plan = j.flinkJob.queryPlan else { return [:] }
            let keys = plan.compiled.keyIndices
            for a in result.world.appended where a.topicPartition.topic == topic {
                guard case .row(let row, let ts?) = plan.process(a.topicPartition, a.record, now: a.appendTime) else { continue }
                let key = keys.map { row[$0].description }.joined(separator: ",")
                for w in assigner.windows(ts.millisecondsSinceEpoch &* 1000) { counts[WindowKey.make(start: w.start, end: w.end, key: key), default: 0] += 1 }
            }
            for e in j.events {
                guard case .late(let l) = e, l.fate != .lateFiring else { continue }
                counts[WindowKey.make(start: l.windowStart * 1000, end: l.windowEnd * 1000, key: l.key.map(\.description).joined(separator: ",")), default: 0] -= 1
            }
        }
        return counts
    }
}

/// The configurations an event-time result must not depend on, as edits of a scenario's YAML.
public enum ScenarioVariants {
    /// (label, variant) pairs for `scenario`: a different partition count, Spark trigger, Flink parallelism, and the
    /// scripted records replayed twice as fast (same order).
    public static func all(_ scenario: PropertyScenario) -> [(String, PropertyScenario)] {
        var out: [(String, PropertyScenario)] = []
        if let v = scenario.with({ t in
            guard var topics = t["topics"]?.items else { return }
            for i in topics.indices {
                let n = Int(topics[i]["partitions"]?.scalarText ?? "1") ?? 1
                topics[i]["partitions"] = .plain(n == 1 ? "3" : "1")
            }
            t["topics"] = .list(topics)
            t.editRecords { r in r["partition"] = nil }
        }) { out.append(("partitions changed", v)) }
        if let v = scenario.with({ t in
            t.editJobs { j in
                guard j["spark"] != nil else { return }
                var s = j["spark"]!
                if s.entries == nil { s = .map([]) }
                s["trigger"] = .plain(s["trigger"]?.scalarText == "3 seconds" ? "7 seconds" : "3 seconds")
                j["spark"] = s
            }
        }) { out.append(("Spark trigger changed", v)) }
        if let v = scenario.with({ t in
            t.editJobs { j in
                guard j["flink"] != nil else { return }
                var f = j["flink"]!
                if f.entries == nil { f = .map([]) }
                f["parallelism"] = .plain(f["parallelism"]?.scalarText == "2" ? "1" : "2")
                j["flink"] = f
            }
        }) { out.append(("Flink parallelism changed", v)) }
        if let v = scenario.with({ t in
            t.editRecords { r in
                if let at = r["at"]?.scalarText, let ms = offsetMilliseconds(at) { r["at"] = .plain("+\(ms / 2)ms") }
            }
        }) { out.append(("replayed at double speed", v)) }
        return out
    }
}

/// `+12345ms`, `+5s`, `+2 minutes` → milliseconds after the start.
func offsetMilliseconds(_ text: String) -> Int64? {
    guard text.hasPrefix("+"), let d = try? SimDuration.parse(String(text.dropFirst())) else { return nil }
    return d.milliseconds
}

extension YAMLTree {
    /// Applies `edit` to every job mapping under `jobs:`.
    mutating func editJobs(_ edit: (inout YAMLTree) -> Void) {
        guard var jobs = self["jobs"]?.items else { return }
        for i in jobs.indices { edit(&jobs[i]) }
        self["jobs"] = .list(jobs)
    }

    /// Applies `edit` to every scripted record of every feed.
    mutating func editRecords(_ edit: (inout YAMLTree) -> Void) {
        guard var feeds = self["feeds"]?.items else { return }
        for i in feeds.indices {
            guard var records = feeds[i]["records"]?.items else { continue }
            for k in records.indices { edit(&records[k]) }
            feeds[i]["records"] = .list(records)
        }
        self["feeds"] = .list(feeds)
    }
}
