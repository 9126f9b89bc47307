// Read-only views of a running Spark query for the stepper, `sim explain` and reports: the watermark and where it
// came from, the state store's open windows with their partial aggregates, and when the next step of the
// micro-batch loop is due. Nothing here changes the engine; every array is in a defined order (state in key order,
// inputs in query order), so a narration built from it is byte-identical across runs.
public import SimCore
public import SimLog
public import QueryModel
import OrderedCollections

/// One input's own watermark operator (`WatermarkTracker`'s per-input value), before the global min/max.
public struct SparkInputWatermark: Sendable, Equatable {
    /// The input's topic (the main source first, then union inputs).
    public var topic: String
    /// `withWatermark` delay in ms; nil when the input has no watermark.
    public var delayMs: Int64?
    /// The operator's value (`max event time − delay`, or 0 before any data); nil before the first committed batch.
    public var watermarkMs: Int64?
    /// The largest event time that input has contributed (`watermarkMs + delay`), when it has one.
    public var maxEventTimeMs: Int64? {
        guard maxSeen, let w = watermarkMs, let d = delayMs else { return nil }
        return w + d
    }
    /// Whether the operator value came from data rather than the "populate 0" rule.
    public var maxSeen: Bool
}

/// One (window, key) group held in the state store between batches, with its aggregate so far.
public struct SparkOpenWindow: Sendable, Equatable {
    /// Window bounds in event-time milliseconds; nil for an aggregation without a window.
    public var windowStartMs: Int64?
    public var windowEndMs: Int64?
    /// Group-by values in query order.
    public var keys: [Value]
    /// The partial results (`count`, `sum`, …) as the output row would show them now, in output-schema order.
    public var values: [(name: String, value: Value)]

    public static func == (a: SparkOpenWindow, b: SparkOpenWindow) -> Bool {
        a.windowStartMs == b.windowStartMs && a.windowEndMs == b.windowEndMs && a.keys == b.keys
            && a.values.map(\.name) == b.values.map(\.name) && a.values.map(\.value) == b.values.map(\.value)
    }
}

/// Everything a learner may ask about a Spark query between two scheduler steps.
public struct SparkQuerySnapshot: Sendable {
    /// The global watermark computed after the last committed batch: what the *next* batch evicts and emits by.
    public var watermarkMs: Int64
    /// The watermark the last constructed batch used (`offsets/N.batchWatermarkMs`): the next batch's late threshold
    /// under `allowMultiple=true` (S3); nil before the first batch.
    public var lastBatchWatermarkMs: Int64?
    /// Per-input watermark operators, in query order.
    public var inputs: [SparkInputWatermark]
    /// `min` or `max` (`spark.sql.streaming.multipleWatermarkPolicy`).
    public var policy: String
    /// The id the next constructed batch gets.
    public var nextBatchId: Int64
    /// The engine's next scheduled step (`spark trigger`, `spark run batch 3`, …) and when it is due; nil when stopped.
    public var nextStep: (label: String, at: ProcessingTime)?
    /// The trigger (`ProcessingTime(10000)`, `Once`, …).
    public var trigger: SparkTrigger
    /// State-store groups (windows not yet evicted), in key order.
    public var openWindows: [SparkOpenWindow]
    /// The end offsets of the last committed batch (what a restart resumes from).
    public var committedOffsets: KafkaOffsets?
    public var isTerminated: Bool
    public var failure: String?
}

extension SparkMicroBatchExecution {
    /// A read-only snapshot of the query now.
    public var snapshot: SparkQuerySnapshot {
        var inputs: [SparkInputWatermark] = []
        let topics = [query.source.topic] + (query.unionInputs ?? []).map(\.source.topic)
        for (i, topic) in topics.enumerated() where i < tracker.delays.count {
            // With one input, any batch's event-time max is this input's; with unions it is the best the progress shows.
            let hasData = progress.contains { $0.eventTimeMaxMs != nil }
            inputs.append(SparkInputWatermark(topic: topic, delayMs: tracker.delays[i], watermarkMs: tracker.operatorMs[i], maxSeen: hasData))
        }
        var open: [SparkOpenWindow] = []
        if let agg = aggregation {
            let names = plan.outputSchema.fields.map(\.name)
            for key in agg.state.keys.sorted() {
                guard let buffers = agg.state[key] else { continue }
                let row = agg.outputRow(key, buffers).values
                let skip = (key.window == nil ? 0 : 2) + key.keys.count
                let values = zip(names, row).dropFirst(skip).map { (name: $0.0, value: $0.1) }
                open.append(SparkOpenWindow(windowStartMs: key.window.map { floorDiv($0.start, 1000) }, windowEndMs: key.window.map { floorDiv($0.end, 1000) },
                                            keys: key.keys, values: Array(values)))
            }
        }
        let lastUsed = checkpoint.latestOffsetsBatch.flatMap { checkpoint.offsets($0) }?.batchWatermarkMs
        return SparkQuerySnapshot(
            watermarkMs: tracker.globalMs, lastBatchWatermarkMs: lastUsed, inputs: inputs,
            policy: tracker.policyMax ? "max" : "min", nextBatchId: batchId,
            nextStep: isTerminated || pending == nil ? nil : pendingStep, trigger: options.trigger, openWindows: open,
            committedOffsets: committedOffsets, isTerminated: isTerminated, failure: failure.map { "\($0)" })
    }
}
