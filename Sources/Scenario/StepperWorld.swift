// The world `sim step` and `sim explain` walk through: one `ScenarioRun` advanced one scheduler event at a time,
// with what each event changed collected into `StepFacts` (records appended, batches, watermark moves, window
// contents, firings, late records, checkpoints, crashes). Narration is built from the facts elsewhere
// (`StepperNarration.swift`); this file only observes.
import SimCore
import SimLog
import QueryModel
import SparkEngine
import FlinkEngine

/// What one Spark job did during one scheduler event.
struct SparkStepFacts {
    var job: Int
    /// `offsets/N` was written: batch N was planned with this watermark (a re-execution after a restart if `rerun`).
    var planned: (batch: Int64, watermarkMs: Int64, lateThresholdMs: Int64, rerun: Bool)?
    var newProgress: [SparkBatchProgress] = []
    var newDrops: [DroppedRecord] = []
    var newEmitted: [(batchId: Int64, at: ProcessingTime, rows: [Row])] = []
    var watermarkBefore: Int64
    var watermarkAfter: Int64
    /// State-store groups before and after, for the run step of a batch only.
    var windowsBefore: [SparkOpenWindow]?
    var windowsAfter: [SparkOpenWindow]?
}

/// What one Flink job did during one scheduler event.
struct FlinkStepFacts {
    var job: Int
    var events: [FlinkJobEvent] = []
    /// Open windows before and after, for steps that deliver elements to a window subtask.
    var windowsBefore: [FlinkOpenWindow]?
    var windowsAfter: [FlinkOpenWindow]?
    /// Per split, the offsets the source reader emitted during the step: [from, to).
    var read: [(topicPartition: TopicPartition, from: Int64, to: Int64)] = []
}

/// Everything one scheduler event changed.
struct StepFacts {
    var event: ExecutedEvent
    var appended: [(topicPartition: TopicPartition, record: Record, appendTime: ProcessingTime)] = []
    /// How each appended record reads, and the highest event time its topic had seen before it (out-of-order check).
    var readings: [(reading: RecordLens.Reading, previousMax: Int64?)] = []
    var spark: [SparkStepFacts] = []
    var flink: [FlinkStepFacts] = []
    /// Control-level trace events of the step (faults, crashes, restarts, recoveries, checkpoint files).
    var trace: [TraceEvent] = []
}

/// A scenario run driven one event at a time.
final class StepperWorld {
    let run: ScenarioRun
    let lens: RecordLens
    private var traceBuffer: [TraceEvent] = []
    private var flinkCursor: [Int]
    private(set) var finished = false
    /// Highest event time appended so far per topic (to call an arrival "out of order").
    private(set) var maxEventTime: [String: Int64] = [:]
    /// Every record's reading, by append order (same indices as `run.appended`).
    private(set) var readings: [RecordLens.Reading] = []

    init(document: ScenarioDocument, seed: UInt64?) throws {
        var options = RunOptions(seed: seed)
        options.databasePath = ""
        run = try ScenarioRun(document: document, options: options, databasePath: nil)
        lens = RecordLens(jobs: document.jobs)
        flinkCursor = Array(repeating: 0, count: run.flinkJobs.count)
        run.environment.trace.observe { [unowned self] e in
            if !e.kind.isPerRecord { self.traceBuffer.append(e) }
        }
        for j in run.sparkJobs { j.start() }
        for j in run.flinkJobs { j.start() }
    }

    var scheduler: Scheduler { run.environment.scheduler }
    var now: ProcessingTime { run.environment.now }
    var stepNumber: UInt64 { scheduler.executedCount }

    /// The name narration uses for a job on an engine: `spark` / `flink`, or `spark.<job>` when several jobs share it.
    func sparkName(_ i: Int) -> String { run.sparkJobs.count > 1 ? "spark.\(run.sparkJobs[i].job.name)" : "spark" }
    func flinkName(_ i: Int) -> String { run.flinkJobs.count > 1 ? "flink.\(run.flinkJobs[i].job.name)" : "flink" }

    /// The reading of the record at `tp@offset`, and its append time, if it has been appended.
    func record(_ tp: TopicPartition, _ offset: Int64) -> (reading: RecordLens.Reading, appendTime: ProcessingTime)? {
        guard let i = run.appended.firstIndex(where: { $0.topicPartition == tp && $0.record.offset == offset }) else { return nil }
        return (readings[i], run.appended[i].appendTime)
    }

    /// Runs the next scheduler event (if it is due before the scenario's end) and returns what it changed.
    func step() -> StepFacts? {
        guard !finished else { return nil }
        guard let next = scheduler.peek(), next.time <= run.end else {
            finish()
            return nil
        }
        let label = next.label
        let appendedBefore = run.appended.count
        traceBuffer.removeAll(keepingCapacity: true)
        var spark: [SparkStepFacts] = []
        for (i, j) in run.sparkJobs.enumerated() {
            let isRun = label.hasPrefix("spark run batch")
            spark.append(SparkStepFacts(job: i, watermarkBefore: j.execution.currentWatermarkMs, watermarkAfter: 0,
                                        windowsBefore: isRun ? j.execution.snapshot.openWindows : nil))
        }
        let sparkCounts = run.sparkJobs.map { ($0.progress.count, $0.droppedRecords.count, $0.emitted.count, $0.execution.snapshot.lastBatchWatermarkMs ?? 0) }
        let delivers = label.hasPrefix("flink deliver")
        let polls = label.contains(" poll") || label.contains("fetch retry")
        var flinkFacts: [FlinkStepFacts] = []
        var sourcesBefore: [[FlinkSourceSnapshot]] = []
        for (i, j) in run.flinkJobs.enumerated() {
            flinkFacts.append(FlinkStepFacts(job: i, windowsBefore: delivers ? j.flinkJob.windowSnapshots.flatMap(\.openWindows) : nil))
            sourcesBefore.append(polls ? j.flinkJob.sourceSnapshots : [])
        }

        guard let event = scheduler.step() else { finish(); return nil }

        var facts = StepFacts(event: event)
        for k in appendedBefore..<run.appended.count {
            let a = run.appended[k]
            let r = lens.read(a.topicPartition, a.record)
            readings.append(r)
            facts.appended.append(a)
            facts.readings.append((r, maxEventTime[a.topicPartition.topic]))
            if let et = r.eventTime { maxEventTime[a.topicPartition.topic] = max(maxEventTime[a.topicPartition.topic] ?? .min, et.millisecondsSinceEpoch) }
        }
        for (i, j) in run.sparkJobs.enumerated() {
            var f = spark[i]
            let (p, d, e, lastUsed) = sparkCounts[i]
            let progress = j.progress, drops = j.droppedRecords
            if progress.count > p { f.newProgress = Array(progress[p...]) }
            if drops.count > d { f.newDrops = Array(drops[d...]) }
            if j.emitted.count > e { f.newEmitted = j.emitted[e...].map { ($0.batchId, $0.at, $0.rows) } }
            f.watermarkAfter = j.execution.currentWatermarkMs
            if f.windowsBefore != nil { f.windowsAfter = j.execution.snapshot.openWindows }
            for t in traceBuffer where t.kind == .batch && t.component == j.component && t["phase"] == "start" {
                if case .int(let b)? = t["batch"], case .int(let w)? = t["watermark"] {
                    let rerun = t["rerun"] == .bool(true)
                    // The late threshold of batch N is offsets/N−1's watermark (S3); for a re-run it is read back too.
                    let threshold = b == 0 ? 0 : (rerun ? (j.execution.checkpoint.offsets(b - 1)?.batchWatermarkMs ?? 0) : lastUsed)
                    f.planned = (b, w, threshold, rerun)
                }
            }
            spark[i] = f
        }
        facts.spark = spark
        for (i, j) in run.flinkJobs.enumerated() {
            var f = flinkFacts[i]
            let events = j.flinkJob.events
            if events.count > flinkCursor[i] { f.events = Array(events[flinkCursor[i]...]) }
            flinkCursor[i] = events.count
            if f.windowsBefore != nil { f.windowsAfter = j.flinkJob.windowSnapshots.flatMap(\.openWindows) }
            if polls {
                let after = j.flinkJob.sourceSnapshots
                for (s, src) in after.enumerated() where s < sourcesBefore[i].count {
                    for split in src.splits {
                        let before = sourcesBefore[i][s].splits.first { $0.topicPartition == split.topicPartition }?.nextOffset ?? split.nextOffset
                        if split.nextOffset > before { f.read.append((split.topicPartition, before, split.nextOffset)) }
                    }
                }
            }
            flinkFacts[i] = f
        }
        facts.flink = flinkFacts
        facts.trace = traceBuffer.filter { [.fault, .crash, .restart, .recover].contains($0.kind) }
        return facts
    }

    /// The scenario's end: the same closing note `ScenarioRun.run()` records.
    private func finish() {
        guard !finished else { return }
        finished = true
        scheduler.run(until: run.end)
        run.environment.record(.note, "scenario", [("event", "end"), ("digest-of-log", .string(run.broker.contentDigest()))])
    }
}
