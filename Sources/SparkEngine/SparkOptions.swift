public import SimCore
import QueryModel

/// `Trigger` (`sql/core/.../streaming/Trigger.java`, executors in `TriggerExecutor.scala`).
public enum SparkTrigger: Hashable, Sendable, Codable, CustomStringConvertible {
    /// `ProcessingTime(interval)`; the default trigger is `ProcessingTime(0)` (`DataStreamWriter`).
    case processingTime(intervalMs: Int64)
    /// `Trigger.Once`: one batch, all available data, no no-data batch.
    case once
    /// `Trigger.AvailableNow`: everything available at start, honouring read limits, then stop.
    case availableNow

    public var description: String {
        switch self {
        case .processingTime(let i): return "ProcessingTime(\(i) ms)"
        case .once: return "Once"
        case .availableNow: return "AvailableNow"
        }
    }

    /// `ProcessingTimeExecutor.nextBatchTime`: `now` for interval 0, else `⌊now/i⌋·i + i` (a time on a boundary
    /// moves to the next boundary).
    public static func nextBatchTime(_ now: Int64, intervalMs i: Int64) -> Int64 {
        i == 0 ? now : floorDiv(now, i) * i + i
    }
}

/// The SQL confs the model honours (names as in `SQLConf`).
public struct SparkConf: Hashable, Sendable, Codable {
    /// `spark.sql.streaming.noDataMicroBatches.enabled` (default true).
    public var noDataMicroBatchesEnabled = true
    /// `spark.sql.streaming.multipleWatermarkPolicy`: `min` (default) or `max`.
    public var multipleWatermarkPolicy = "min"
    /// `spark.sql.streaming.statefulOperator.allowMultiple` (default true since 3.4): late rows are filtered with the
    /// previous batch's watermark; false uses the current one. Not persisted in the checkpoint.
    public var statefulOperatorAllowMultiple = true
    /// `spark.sql.streaming.eventTimeWatermark.bumpZeroDelayToOneMs` (master only, PR #56043): off, as in 3.5.
    public var bumpZeroDelayToOneMs = false
    /// `spark.sql.streaming.pollingDelay` (10 ms): the sleep after a trigger that built no batch.
    public var pollingDelayMs: Int64 = 10
    /// `spark.sql.streaming.minBatchesToRetain` (100).
    public var minBatchesToRetain: Int64 = 100
    /// `spark.sql.shuffle.partitions` (200), recorded in `offsets/N`'s conf; state is modelled as one partition.
    public var shufflePartitions = 200

    public init() {}

    /// `OffsetSeqMetadata.relevantSQLConfs` as a 3.5 checkpoint lists them.
    var persisted: [(key: String, value: String)] {
        [("spark.sql.streaming.stateStore.providerClass", "org.apache.spark.sql.execution.streaming.state.HDFSBackedStateStoreProvider"),
         ("spark.sql.streaming.join.stateFormatVersion", "2"),
         ("spark.sql.streaming.stateStore.compression.codec", "lz4"),
         ("spark.sql.streaming.stateStore.rocksdb.formatVersion", "5"),
         ("spark.sql.streaming.statefulOperator.useStrictDistribution", "true"),
         ("spark.sql.streaming.flatMapGroupsWithState.stateFormatVersion", "2"),
         ("spark.sql.streaming.multipleWatermarkPolicy", multipleWatermarkPolicy),
         ("spark.sql.streaming.aggregation.stateFormatVersion", "2"),
         ("spark.sql.shuffle.partitions", String(shufflePartitions))]
    }
}

/// How long a batch takes on the virtual clock: `fixed + inputRows·perInputRow + stateRows·perStateRow +
/// outputRows·perOutputRow` (nanosecond rates, rounded down to ms). Zero by default, which is what conformance
/// needs (the real runs are compared by batch, not by time); set it to make latency and trigger overruns emerge.
public struct SparkCostModel: Hashable, Sendable, Codable {
    public var fixedMs: Int64 = 0
    public var perInputRowNanos: Int64 = 0
    public var perStateRowNanos: Int64 = 0
    public var perOutputRowNanos: Int64 = 0

    public init(fixedMs: Int64 = 0, perInputRowNanos: Int64 = 0, perStateRowNanos: Int64 = 0, perOutputRowNanos: Int64 = 0) {
        self.fixedMs = fixedMs
        self.perInputRowNanos = perInputRowNanos
        self.perStateRowNanos = perStateRowNanos
        self.perOutputRowNanos = perOutputRowNanos
    }

    public func duration(inputRows: Int, stateRows: Int, outputRows: Int) -> SimDuration {
        let ns = Int64(inputRows) * perInputRowNanos + Int64(stateRows) * perStateRowNanos + Int64(outputRows) * perOutputRowNanos
        return .milliseconds(fixedMs + ns / 1_000_000)
    }
}

/// Everything about a Spark query that is not the query itself.
public struct SparkQueryOptions: Sendable {
    public var trigger: SparkTrigger = .processingTime(intervalMs: 0)
    public var conf = SparkConf()
    public var cost = SparkCostModel()
    /// The id written to `metadata` on the first run.
    public var queryId = "00000000-0000-4000-8000-000000000000"
    /// Identify every record dropped as late (beyond Spark).
    public var trackDroppedRecords = true
    /// The trace component name.
    public var component = "spark"
    /// Admission control other than `maxOffsetsPerTrigger` (`SupportsAdmissionControl.latestOffset(start, limit)`):
    /// given the start and the available end offsets, the end of the next batch. Conformance uses it to model the
    /// recorder's file source with `maxFilesPerTrigger=1` (one tick per batch).
    public var admissionControl: (@Sendable (_ start: KafkaOffsets, _ available: KafkaOffsets) -> KafkaOffsets)?

    public init(trigger: SparkTrigger = .processingTime(intervalMs: 0)) { self.trigger = trigger }
}

/// The kind of a batch, as the conformance recordings label it.
public enum BatchKind: String, Sendable, Codable {
    case data
    case noData = "no-data"
}

/// A batch's `StreamingQueryProgress`, reduced to what the model computes.
public struct SparkBatchProgress: Sendable, Equatable {
    public var batchId: Int64
    public var kind: BatchKind
    /// When the trigger fired (the batch was constructed); `batchTimestampMs` unless re-executed.
    public var triggerTime: ProcessingTime
    public var batchTimestampMs: Int64
    public var numInputRows: Int
    /// `eventTime.watermark`: `offsets/N.batchWatermarkMs`; nil for queries without a watermark.
    public var watermarkMs: Int64?
    public var eventTimeMinMs: Int64?
    public var eventTimeMaxMs: Int64?
    public var numOutputRows: Int
    public var stateOperators: [StateOperatorMetrics]
    /// Whether this is a re-execution of an uncommitted batch after a restart.
    public var isReexecution: Bool
    /// Records skipped because retention removed them (failOnDataLoss=false).
    public var lostRecords: Int64
    public var malformedRecords: Int
    public var durationMs: Int64
    /// The batch's source offsets `[start, end)` (all inputs).
    public var startOffsets: KafkaOffsets
    public var endOffsets: KafkaOffsets
}
