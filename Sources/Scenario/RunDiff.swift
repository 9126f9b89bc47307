import SimCore
import QueryModel
import SparkEngine
import FlinkEngine

extension ScenarioRun {
    /// The Spark-vs-Flink diff of final window results for every job that ran on both engines, each divergence
    /// labelled as an expected semantic difference (with the rule behind it) or unexplained.
    ///
    /// Final result of a (window, key): Spark's last emitted row for it (append emits once; update and complete
    /// re-emit); Flink's last firing (later panes are late firings). Values are compared exactly — both models
    /// aggregate in arrival order, so equal inputs give equal doubles.
    func windowDiff() -> [DiffEntry] {
        var out: [DiffEntry] = []
        for job in document.jobs where job.spark != nil && job.flink != nil && job.query.aggregation?.window != nil {
            guard let s = sparkJobs.first(where: { $0.job.name == job.name }), let f = flinkJobs.first(where: { $0.job.name == job.name }) else { continue }
            let schema = s.outputSchema
            guard let si = schema.index(of: "window_start"), let ei = schema.index(of: "window_end") else { continue }
            let keyIdx = (job.query.aggregation?.groupBy ?? []).compactMap { schema.index(of: $0) }
            let valueIdx = (0..<schema.count).filter { $0 != si && $0 != ei && !keyIdx.contains($0) }
            func key(_ r: Row) -> WindowKey? {
                guard case .timestamp(let a) = r[si], case .timestamp(let b) = r[ei] else { return nil }
                return WindowKey(start: a, end: b, keys: keyIdx.map { r[$0] })
            }
            func values(_ r: Row) -> [(String, String)] { valueIdx.map { (schema.fields[$0].name, r[$0].description) } }

            var sparkFinal: [WindowKey: Row] = [:]
            for e in s.emitted { for r in e.rows { if let k = key(r) { sparkFinal[k] = r } } }
            var flinkFinal: [WindowKey: Row] = [:]
            let fSchema = f.outputSchema
            let fsi = fSchema.index(of: "window_start"), fei = fSchema.index(of: "window_end")
            let fKeyIdx = (job.query.aggregation?.groupBy ?? []).compactMap { fSchema.index(of: $0) }
            for e in f.events {
                guard case .firing(let firing) = e, let a = fsi, let b = fei else { continue }
                let r = firing.row
                guard case .timestamp(let x) = r[a], case .timestamp(let y) = r[b] else { continue }
                flinkFinal[WindowKey(start: x, end: y, keys: fKeyIdx.map { r[$0] })] = r
            }
            // What each engine did with late records, per (window, key).
            var sparkDropped: [WindowKey: Int] = [:]
            for d in s.droppedRecords {
                sparkDropped[WindowKey(start: d.window.start, end: d.window.end, keys: d.keys), default: 0] += 1
            }
            var flinkLate: [WindowKey: (dropped: Int, side: Int, firing: Int)] = [:]
            var flinkWatermark = EventTime.min
            for e in f.events {
                switch e {
                case .late(let l):
                    let k = WindowKey(start: l.windowStart * 1000, end: l.windowEnd * 1000, keys: l.key)
                    var c = flinkLate[k] ?? (0, 0, 0)
                    switch l.fate {
                    case .dropped: c.dropped += 1
                    case .sideOutput: c.side += 1
                    case .lateFiring: c.firing += 1
                    }
                    flinkLate[k] = c
                case .watermark(_, let v, _, _): if v < .max { flinkWatermark = max(flinkWatermark, v) }
                default: break
                }
            }
            let sparkWatermark = s.progress.last?.watermarkMs ?? 0
            let crashed = f.flinkJob.metrics.restarts > 0 || s.restarts > 0
            let mode = job.query.outputMode

            for k in Set(sparkFinal.keys).union(flinkFinal.keys).sorted() {
                let sv = sparkFinal[k].map(values), fv = flinkFinal[k].map(values)
                let endMs = floorDiv(k.end, 1000)
                let dropped = sparkDropped[k] ?? 0
                let fl = flinkLate[k] ?? (0, 0, 0)
                let lateInvolved = dropped > 0 || fl.dropped + fl.side + fl.firing > 0
                var lateText: String {
                    var parts: [String] = []
                    if dropped > 0 { parts.append("Spark dropped \(dropped) record(s): window end ≤ the previous batch's watermark") }
                    if fl.dropped + fl.side > 0 { parts.append("Flink rejected \(fl.dropped + fl.side) (end − 1 + lateness ≤ current watermark)") }
                    if fl.firing > 0 { parts.append("Flink re-fired \(fl.firing) time(s) within allowed lateness") }
                    return "late data — " + parts.joined(separator: "; ")
                }
                let label: DiffLabel
                switch (sv, fv) {
                case let (a?, b?):
                    if a.map(\.1) == b.map(\.1) {
                        label = .same
                    } else if roundingOnly(sparkFinal[k]!, flinkFinal[k]!, valueIdx) {
                        // Every count, min, max, first and last agrees; only sums/averages differ in the last digits.
                        var reason = "floating-point rounding — Spark adds each batch's partial sum to the stored sum (StateStoreRestore → merge), Flink adds record by record; same records, different order of additions"
                        if lateInvolved { reason += " (late records touched this window but both engines ended up counting the same ones: \(lateText))" }
                        label = .expected(reason)
                    } else if lateInvolved {
                        label = .expected(lateText)
                    } else if crashed {
                        label = .expected("recovery — after a restore Flink's watermark restarts at Long.MIN_VALUE and Spark re-runs uncommitted batches, so the records counted can differ")
                    } else if mode != .append && endMs > sparkWatermark {
                        label = .expected("Spark \(mode.rawValue) mode emitted the window before it closed (its watermark \(UTCTimestamp.timeOfDay(sparkWatermark)) < window end); Flink fires once")
                    } else {
                        label = .unexplained
                    }
                case (nil, _?):
                    if endMs > sparkWatermark {
                        label = .expected("one-batch lag — Spark's watermark (\(UTCTimestamp.timeOfDay(sparkWatermark))) had not passed the window end when the run ended; its append output comes a batch after the watermark passes")
                    } else if dropped > 0 {
                        label = .expected(lateText)
                    } else {
                        label = .unexplained
                    }
                case (_?, nil):
                    if flinkWatermark.millisecondsSinceEpoch < endMs - 1 {
                        label = .expected("Flink's watermark (\(flinkWatermark)) had not reached window end − 1 — a split holding the minimum, or the end of the run")
                    } else if mode != .append {
                        label = .expected("Spark \(mode.rawValue) mode emits windows before they close")
                    } else if fl.dropped + fl.side > 0 {
                        label = .expected(lateText)
                    } else {
                        label = .unexplained
                    }
                default:
                    continue
                }
                out.append(DiffEntry(job: job.name, window: k, spark: sv, flink: fv, label: label))
            }
        }
        return out
    }

    /// Whether two result rows differ only in doubles that agree to 12 significant digits (a different order of
    /// floating-point additions), with every other value equal.
    func roundingOnly(_ a: Row, _ b: Row, _ indices: [Int]) -> Bool {
        var sawDifference = false
        for i in indices where a[i] != b[i] {
            guard let x = a[i].doubleValue, let y = b[i].doubleValue, x.isFinite, y.isFinite else { return false }
            if case .double = a[i] {} else { return false }
            let scale = max(abs(x), abs(y), 1e-300)
            guard abs(x - y) / scale < 1e-12 else { return false }
            sawDifference = true
        }
        return sawDifference
    }
}
