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
            return WindowKey(start: a, end: b, keys: keyIdx.map { row[$0] })
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

    /// The job's input records as the engine decodes them, in append order: partition, event time (µs) and key.
    func decodedRecords() -> [(partition: Int32, eventUs: Int64, key: String)] {
        let topic = job.query.source.topic
        var out: [(partition: Int32, eventUs: Int64, key: String)] = []
        switch engine {
        case .spark:
            guard let plan = try? CompiledQuery(job.query), let ti = plan.timeIndex else { return [] }
            for a in result.world.appended where a.topicPartition.topic == topic {
                var row = plan.makeRowBuffer()
                var stats = DecodeStats()
                guard plan.decode(SourceRecord(a.topicPartition, a.record), into: &row, context: EvaluationContext(currentTimestampMicros: a.appendTime.millisecondsSinceEpoch &* 1000), stats: &stats),
                      case .timestamp(let us) = row[ti] else { continue }
                out.append((a.topicPartition.partition, us, plan.keyValues(row).map(\.description).joined(separator: ",")))
            }
        case .flink:
            guard let j = result.world.flinkJobs.first(where: { $0.job.name == job.name }), let plan = j.flinkJob.queryPlan else { return [] }
            let keys = plan.compiled.keyIndices
            for a in result.world.appended where a.topicPartition.topic == topic {
                guard case .row(let row, let ts?) = plan.process(a.topicPartition, a.record, now: a.appendTime) else { continue }
                out.append((a.topicPartition.partition, ts.millisecondsSinceEpoch &* 1000, keys.map { row[$0].description }.joined(separator: ",")))
            }
        }
        return out
    }

    /// How many of each window's records the engine may have judged late for that window — an upper bound from the
    /// data alone, the same in every run of the same records whatever the timing:
    /// - Spark: window end ≤ (max event time appended before the record) − delay. A batch's watermark comes from
    ///   earlier batches, which hold only records appended earlier.
    /// - Flink (DataStream, no idleness): window end + allowed lateness ≤ (max event time of the earlier records of
    ///   the record's own partition) − B. The window operator's watermark is a min over channels and splits, so at
    ///   most the record's own split's, which only its earlier records formed — whatever order the partitions are
    ///   read in, and after a restore too. With idleness or the SQL API: the max over all earlier records.
    /// Flink skips a late window of a record silently unless *every* window of the record is late
    /// (`WindowOperator.processElement`), so with sliding windows such a record has no recorded fate for that window.
    func possiblyLate() -> [WindowKey: Int] {
        guard let spec = job.query.aggregation?.window, let assigner = WindowAssigner(spec), let delay = delayMs else { return [:] }
        var late: [WindowKey: Int] = [:]
        var globalMax: Int64?
        var partitionMax: [Int32: Int64] = [:]
        let perPartition = engine == .flink && flinkPerPartition
        let lateness = engine == .flink ? allowedLatenessMs : 0
        for r in decodedRecords() {
            let bound = (perPartition ? partitionMax[r.partition] : globalMax).map { $0 &- delay }
            if let bound {
                for w in assigner.windows(r.eventUs) where floorDiv(w.end, 1000) &+ lateness <= bound {
                    late[WindowKey(start: w.start, end: w.end, key: r.key), default: 0] += 1
                }
            }
            let ms = floorDiv(r.eventUs, 1000)
            globalMax = max(globalMax ?? ms, ms)
            partitionMax[r.partition] = max(partitionMax[r.partition] ?? ms, ms)
        }
        return late
    }

    /// The watermark delay the engine uses (Spark: the query's; Flink: B).
    var delayMs: Int64? {
        switch engine {
        case .spark: return job.query.watermark?.delayMs
        case .flink: return result.world.flinkJobs.first { $0.job.name == job.name }?.flinkJob.queryPlan?.watermarkDelayMs
        }
    }
    var allowedLatenessMs: Int64 { result.world.flinkJobs.first { $0.job.name == job.name }?.options.allowedLateness.milliseconds ?? 0 }
    var flinkPerPartition: Bool {
        guard let j = result.world.flinkJobs.first(where: { $0.job.name == job.name }) else { return false }
        return j.options.idleness == nil && j.options.api != .sql
    }

    /// Whether some record of some windowed job of `engine` may have been judged late for one of its windows (see
    /// `possiblyLate`): what is late can then change with timing — a restore restarts Flink's watermark at MIN, a
    /// restarted Spark query cuts batches differently — so delivery invariants do not apply.
    static func mayHaveLateWindows(_ r: SimulationResult, _ engine: EngineName) -> Bool {
        jobs(r, engine).contains { name in WindowResults(r, engine: engine, job: name).map { !$0.possiblyLate().isEmpty } ?? false }
    }

    /// Records per (window, key) according to the log and the engine's decoding, minus those the engine recorded as
    /// dropped or sent to the side output for that window (`certain`), and how many more the engine may have skipped
    /// as late for that window without recording it (`uncertain`, Flink's silently skipped late windows): a window's
    /// count must lie in `certain … certain + uncertain`.
    func expectedCounts() -> (certain: [WindowKey: Int], uncertain: [WindowKey: Int]) {
        guard let spec = job.query.aggregation?.window, let assigner = WindowAssigner(spec) else { return ([:], [:]) }
        var counts: [WindowKey: Int] = [:]
        var uncertain = engine == .flink ? possiblyLate() : [:]
        for r in decodedRecords() {
            for w in assigner.windows(r.eventUs) {
                let k = WindowKey(start: w.start, end: w.end, key: r.key)
                counts[k, default: 0] += 1
            }
        }
        switch engine {
        case .spark:
            if let j = result.world.sparkJobs.first(where: { $0.job.name == job.name }) {
                for d in j.droppedRecords {
                    counts[WindowKey(start: d.window.start, end: d.window.end, keys: d.keys), default: 0] -= 1
                }
            }
        case .flink:
            for (k, n) in uncertain { counts[k, default: 0] -= n }
            if let j = result.world.flinkJobs.first(where: { $0.job.name == job.name }) {
                for e in j.events {
                    guard case .late(let l) = e, l.fate != .lateFiring else { continue }
                    let k = WindowKey(start: l.windowStart * 1000, end: l.windowEnd * 1000, keys: l.key)
                    if let u = uncertain[k], u > 0 { uncertain[k] = u - 1 } else { counts[k, default: 0] -= 1 }
                }
            }
        }
        return (counts, uncertain)
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
