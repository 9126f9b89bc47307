// The stepper's questions: `show windows|state|offsets`, `why <window>` and `fate <record>`. Each answer is built from
// the engines' read-only snapshots (SparkIntrospection, FlinkIntrospection) and what the run has observed so far, and
// says *why* as a chain of causes with the rule that links each step (S1–S10 Spark, F1–F10 Flink).
import SimCore
import SimLog
import QueryModel
import SparkEngine
import FlinkEngine

struct ExplainQueries {
    unowned let world: StepperWorld
    var run: ScenarioRun { world.run }

    // MARK: show

    func show(_ what: String) -> String {
        switch what.lowercased() {
        case "windows", "window", "w": return showWindows()
        case "state", "watermarks", "watermark", "s": return showState()
        case "offsets", "offset", "o": return showOffsets()
        default: return "show what? `show windows`, `show state` or `show offsets`\n"
        }
    }

    func showWindows() -> String {
        var out = "open windows at \(Narrate.time(world.now)) (step \(world.stepNumber)):\n"
        for (i, j) in run.sparkJobs.enumerated() {
            let snap = j.execution.snapshot
            out += "  \(world.sparkName(i)) state store (watermark for the next batch \(Narrate.event(snap.watermarkMs)); \(j.job.query.outputMode == .append ? "append emits a window once a batch's watermark ≥ its end" : "\(j.job.query.outputMode.rawValue) mode")):\n"
            if snap.openWindows.isEmpty { out += "    (none)\n" }
            for w in snap.openWindows {
                let head = w.windowStartMs.map { Narrate.window($0, w.windowEndMs ?? 0) + " " } ?? ""
                let due = w.windowEndMs.map { end in snap.watermarkMs >= end ? " — the next batch emits it (watermark ≥ end)" : " — waits for a watermark ≥ \(Narrate.short(end))" } ?? ""
                out += "    \(head)\(Narrate.key(w.keys)) \(Narrate.values(w.values.map { ($0.name, $0.value) }))\(due)\n"
            }
        }
        for (i, j) in run.flinkJobs.enumerated() {
            let names = StepNarrator(world: world).valueNames(j.outputSchema, j.job)
            for t in j.flinkJob.windowSnapshots {
                out += "  \(world.flinkName(i)) \(t.task) (operator watermark \(Narrate.event(t.watermark)); a window fires when it reaches end − 1):\n"
                if t.openWindows.isEmpty { out += "    (none)\n" }
                for w in t.openWindows {
                    let vals = zip(names, w.values).map { "\($0.0)=\($0.1)" }.joined(separator: " ")
                    let status = w.firings > 0
                        ? " — fired \(w.firings)×, kept for allowed lateness until watermark ≥ \(Narrate.event(w.cleanupTimeMs))"
                        : " — fires at watermark ≥ \(Narrate.event(w.windowEndMs - 1))"
                    out += "    \(Narrate.window(w.windowStartMs, w.windowEndMs)) \(Narrate.key(w.key)) \(vals)\(status)\n"
                }
            }
        }
        return out
    }

    func showState() -> String {
        var out = "state at \(Narrate.time(world.now)) (step \(world.stepNumber)):\n"
        for (i, j) in run.sparkJobs.enumerated() {
            let snap = j.execution.snapshot
            out += "  \(world.sparkName(i))\(snap.isTerminated ? " (stopped\(snap.failure.map { ": " + $0 } ?? ""))" : ""):\n"
            out += "    watermark \(Narrate.event(snap.watermarkMs))\(sparkWatermarkOrigin(j, snap)); the next batch (\(snap.nextBatchId)) evicts and emits by it\n"
            if snap.inputs.count > 1 {
                for input in snap.inputs {
                    out += "      input \(input.topic): \(input.watermarkMs.map(Narrate.event) ?? "no batch yet") (policy \(snap.policy))\n"
                }
            }
            if let l = snap.lastBatchWatermarkMs {
                out += "    late threshold of the next batch: \(Narrate.event(l)) (the watermark the last planned batch used — S3)\n"
            }
            if let s = snap.nextStep { out += "    next: \(s.label) at \(Narrate.time(s.at))\(triggerText(snap.trigger))\n" }
            let progress = j.progress
            if let last = progress.last {
                out += "    batches so far: \(progress.count) (last: batch \(last.batchId) at \(Narrate.time(last.triggerTime)), \(last.numInputRows) row(s) in, \(last.numOutputRows) out)\n"
            }
        }
        for (i, j) in run.flinkJobs.enumerated() {
            let snap = j.flinkJob.snapshot
            out += "  \(world.flinkName(i)) (\(snap.status.rawValue), \(snap.restarts) restart(s)):\n"
            for s in snap.sources {
                out += "    \(s.task) output watermark \(Narrate.event(s.outputWatermark))\(s.outputIdle ? " (idle)" : "") = min over its active splits:\n"
                let holder = minimumSplit(s)
                for sp in s.splits {
                    let mark = sp.topicPartition == holder?.topicPartition ? "  ← holds the minimum" : ""
                    out += "      split \(sp.topicPartition): watermark \(Narrate.event(sp.watermark))\(sp.idle ? ", IDLE (not counted)" : ""), next offset \(sp.nextOffset)\(mark)\n"
                }
            }
            for w in snap.windows {
                let chans = w.channels.map { "\($0.from) \(Narrate.event($0.watermark))\($0.idle ? " idle" : "")" }.joined(separator: ", ")
                out += "    \(w.task) operator watermark \(Narrate.event(w.watermark)) (min over input channels: \(chans)); \(w.openWindows.count) open window(s)\n"
            }
            let b = snap.outOfOrdernessMs.map { "max event time − \(Narrate.duration($0)) − 1 ms per split" } ?? "no watermark strategy"
            out += "    watermarks: \(b), emitted every \(Narrate.duration(snap.autoWatermarkInterval.milliseconds)); withIdleness: \(snap.idleness.map { Narrate.duration($0.milliseconds) } ?? "none (a quiet split holds the watermark back forever)")\n"
            out += "    allowed lateness \(Narrate.duration(snap.allowedLatenessMs)); late records → \(snap.sideOutputLateData ? "side output" : "dropped")\n"
        }
        return out
    }

    func showOffsets() -> String {
        var out = "offsets at \(Narrate.time(world.now)) (step \(world.stepNumber)):\n"
        var ends: [(TopicPartition, Int64)] = []
        for a in run.appended {
            if let i = ends.firstIndex(where: { $0.0 == a.topicPartition }) { ends[i].1 = max(ends[i].1, a.record.offset + 1) } else { ends.append((a.topicPartition, a.record.offset + 1)) }
        }
        ends.sort { $0.0 < $1.0 }
        out += "  log end offsets: " + (ends.isEmpty ? "(nothing appended yet)" : ends.map { "\($0.0) → \($0.1)" }.joined(separator: ", ")) + "\n"
        for (i, j) in run.sparkJobs.enumerated() {
            let snap = j.execution.snapshot
            let committed = snap.committedOffsets.map { offs in offs.partitions.map { tp in "\(tp) → \(offs[tp] ?? 0)" }.joined(separator: ", ") } ?? "nothing committed yet"
            out += "  \(world.sparkName(i)) committed (end of the last committed batch; a restart resumes here): \(committed)\n"
        }
        for (i, j) in run.flinkJobs.enumerated() {
            let snap = j.flinkJob.snapshot
            let read = snap.sources.flatMap(\.splits).map { "\($0.topicPartition) → \($0.nextOffset)" }.joined(separator: ", ")
            out += "  \(world.flinkName(i)) read (next offset per split): \(read.isEmpty ? "nothing yet" : read)\n"
            if let c = snap.lastCompletedCheckpoint {
                out += "    last completed checkpoint \(c) would restart from: " + snap.lastCompletedOffsets.map { "\($0.topicPartition) → \($0.offset)" }.joined(separator: ", ") + "\n"
            } else {
                out += "    no completed checkpoint: a restart reads from the start offsets again\n"
            }
        }
        return out
    }

    func triggerText(_ t: SparkTrigger) -> String {
        if case .processingTime(let i) = t { return i == 0 ? " (trigger as fast as possible)" : " (trigger every \(Narrate.duration(i)))" }
        return ""
    }

    func sparkWatermarkOrigin(_ j: SparkJobRuntime, _ snap: SparkQuerySnapshot) -> String {
        guard let input = snap.inputs.first, let max = input.maxEventTimeMs, let d = input.delayMs else {
            return snap.watermarkMs == 0 ? " (no batch has raised it yet: it starts at 0)" : ""
        }
        let batch = j.progress.last.map { " after batch \($0.batchId)" } ?? ""
        return " = max event time \(Narrate.event(max)) − delay \(Narrate.duration(d)) (computed\(batch), over all partitions — S1, S10)"
    }

    /// The active split with the lowest watermark (what the reader's multiplexer outputs).
    func minimumSplit(_ s: FlinkSourceSnapshot) -> FlinkSplitSnapshot? {
        s.splits.filter { !$0.idle }.min { ($0.watermark, $0.topicPartition) < ($1.watermark, $1.topicPartition) }
    }

    /// The last record appended to a partition so far.
    func lastRecord(_ tp: TopicPartition) -> (offset: Int64, at: ProcessingTime, eventTime: EventTime?)? {
        guard let i = run.appended.lastIndex(where: { $0.topicPartition == tp }) else { return nil }
        return (run.appended[i].record.offset, run.appended[i].appendTime, world.readings[i].eventTime)
    }

    // MARK: window arithmetic

    /// The windows a timestamp belongs to under a window spec, as (start, end) ms, earliest first.
    static func windows(of ts: Int64, _ spec: WindowSpec) -> [(Int64, Int64)] {
        switch spec {
        case .tumbling(let size, let offset):
            let start = ts - floorMod(ts - offset, size)
            return [(start, start + size)]
        case .sliding(let size, let slide, let offset):
            let last = ts - floorMod(ts - offset, slide)
            var out: [(Int64, Int64)] = []
            var s = last
            while s > ts - size { out.append((s, s + size)); s -= slide }
            return out.reversed()
        case .session(let gap):
            return [(ts, ts + gap)]
        }
    }
}
