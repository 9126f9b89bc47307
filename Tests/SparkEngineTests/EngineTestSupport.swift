import SimCore
import SimLog
import QueryModel
@testable import SparkEngine

/// A small driver in the style of Spark's `StreamTest`: a one-partition Kafka topic of `{"v": <seconds>}` records,
/// `eventTime = timestamp_seconds(v)`, `withWatermark(eventTime, delay)`, `groupBy(window(eventTime, w)).count()`,
/// output rows `(window start seconds, count)` — the shape of the `EventTimeWatermarkSuite` examples.
final class SuiteDriver {
    let env = SimEnvironment(seed: 7)
    let log = InMemoryKafkaLog()
    let store = CheckpointStore()
    let sink: any SparkSink
    let memory: MemorySink?
    var options: SparkQueryOptions
    let query: StreamingQuery
    var engine: SparkMicroBatchExecution!
    let tp = TopicPartition("in", 0)

    init(mode: OutputMode = .append, trigger: SparkTrigger = .processingTime(intervalMs: 0), delaySec: Int64? = 10, windowSec: Int64 = 5,
         session: Bool = false, filters: [ColumnExpression] = [], conf: SparkConf = SparkConf(), sink: (any SparkSink)? = nil) {
        log.createTopic("in", partitions: 1)
        let schema = Schema([Field("v", .long), Field("k", .string)])
        query = StreamingQuery(
            name: "suite", source: KafkaSourceSpec(topic: "in", startingOffsets: .earliest), valueFormat: .json(schema),
            derivedColumns: [DerivedColumn("eventTime", .timestampSeconds(.column("v")))], filters: filters,
            watermark: delaySec.map { WatermarkSpec(column: "eventTime", delayMs: $0 * 1000) },
            aggregation: AggregationSpec(window: session ? .session(gapMs: windowSec * 1000) : .tumbling(sizeMs: windowSec * 1000), timeColumn: "eventTime",
                                         groupBy: session ? ["k"] : [], aggregates: [AggregateSpec(.count, "*", as: "count")]),
            outputMode: mode)
        options = SparkQueryOptions(trigger: trigger)
        options.conf = conf
        let m = MemorySink(queryName: "suite")
        memory = sink == nil ? m : nil
        self.sink = sink ?? m
    }

    @discardableResult
    func start() throws -> SparkMicroBatchExecution {
        engine = try SparkMicroBatchExecution(environment: env, query: query, options: options, log: log, sink: sink, checkpoint: store)
        engine.start()
        return engine
    }

    func add(_ values: Int64..., key: String = "a") {
        for v in values { log.append(tp, key: nil, value: Array("{\"v\":\(v),\"k\":\"\(key)\"}".utf8), timestamp: EventTime(env.now.millisecondsSinceEpoch)) }
    }

    /// Like `processAllAvailable` for the default trigger: lets the polling loop pick up data and run no-data batches.
    func process() { env.scheduler.advance(by: .milliseconds(100)) }

    func advance(_ ms: Int64) { env.scheduler.advance(by: .milliseconds(ms)) }

    /// Rows of batches after `batch` as (window start seconds, count).
    func rows(after batch: Int64 = -1) -> [[Int64]] {
        (memory?.batches ?? []).filter { $0.batchId > batch }.flatMap(\.rows).map { r in
            [floorDiv(r.values[0].eventTimeMicros!, 1_000_000), r.values[r.values.count - 1].int64Value!]
        }
    }

    var lastBatchId: Int64 { engine.progress.last?.batchId ?? -1 }
    var progress: [SparkBatchProgress] { engine.progress }
}

extension Value {
    var eventTimeMicros: Int64? { if case .timestamp(let us) = self { return us }; return nil }
}
