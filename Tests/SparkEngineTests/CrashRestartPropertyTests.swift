import XCTest
import SimCore
import SimLog
import SimTesting
import QueryModel
@testable import SparkEngine

/// A generated OHLC tape: two symbols, one record per symbol about every second, event time = arrival − U[0, 3 s]
/// (always within the 10 s delay, so batching cannot change which rows are late).
struct GeneratedTape {
    struct Entry { var arrivalMs: Int64; var partition: Int32; var json: String }
    var entries: [Entry] = []

    init(seed: UInt64, seconds: Int64, startMs: Int64 = 0) {
        var rng = SimRandom(seed: seed)
        var price = [100.0, 20.0]
        let symbols = ["BTC", "ETH"]
        var t = startMs
        while t < startMs + seconds * 1000 {
            t += 500 + Int64(rng.nextInt(below: 1000))
            let s = Int(rng.nextInt(below: 2))
            price[s] += Double(Int(rng.nextInt(below: 21)) - 10) / 4
            let et = t - Int64(rng.nextInt(below: 3000))
            entries.append(Entry(arrivalMs: t, partition: Int32(s), json: "{\"symbol\":\"\(symbols[s])\",\"event_time\":\(et),\"price\":\(price[s]),\"qty\":1.5}"))
        }
    }

    func schedule(on env: SimEnvironment, into log: InMemoryKafkaLog, topic: String) {
        for e in entries {
            env.scheduler.schedule(at: ProcessingTime(e.arrivalMs), phase: .input, "append") {
                log.append(TopicPartition(topic, e.partition), key: nil, value: Array(e.json.utf8), timestamp: EventTime(e.arrivalMs))
            }
        }
    }
}

func ohlcQuery(topic: String, windowMs: Int64 = 30_000) -> StreamingQuery {
    StreamingQuery(
        name: "ohlc", source: KafkaSourceSpec(topic: topic, startingOffsets: .earliest),
        valueFormat: .json(Schema([Field("symbol", .string), Field("event_time", .long), Field("price", .double), Field("qty", .double)])),
        derivedColumns: [DerivedColumn("ts", .timestampMillis(.column("event_time")))],
        watermark: WatermarkSpec(column: "ts", delayMs: 10_000),
        aggregation: AggregationSpec(window: .tumbling(sizeMs: windowMs), timeColumn: "ts", groupBy: ["symbol"], aggregates: [
            AggregateSpec(.first, "price", as: "open"), AggregateSpec(.max, "price", as: "high"), AggregateSpec(.min, "price", as: "low"),
            AggregateSpec(.last, "price", as: "close"), AggregateSpec(.sum, "qty", as: "volume"), AggregateSpec(.count, "*", as: "n")]),
        outputMode: .append)
}

final class CrashRestartPropertyTests: XCTestCase {
    /// Runs the OHLC query into a partitioned file sink; with `crashAfterSteps`, crashes the engine after that many
    /// scheduler steps (any step of the batch lifecycle, including between offsets/N and commits/N) and restarts a
    /// fresh engine at the same instant on the surviving checkpoint and sink directory.
    static func run(seed: UInt64, crashAfterSteps: Int?) throws -> (content: [String: [String]], steps: Int) {
        let env = SimEnvironment(seed: seed, detail: .control)
        let log = InMemoryKafkaLog()
        log.createTopic("prices", partitions: 2)
        GeneratedTape(seed: seed, seconds: 300).schedule(on: env, into: log, topic: "prices")
        let store = CheckpointStore()
        let sink = FileSink(store: FileSinkStore(), format: .json, partitionBy: ["symbol"])
        let options = SparkQueryOptions(trigger: .processingTime(intervalMs: 10_000))
        var engine = try SparkMicroBatchExecution(environment: env, query: ohlcQuery(topic: "prices"), options: options, log: log, sink: sink, checkpoint: store)
        engine.start()
        var steps = 0
        if let k = crashAfterSteps {
            while steps < k, env.scheduler.step() != nil { steps += 1 }
            engine.crash()
            engine = try SparkMicroBatchExecution(environment: env, query: ohlcQuery(topic: "prices"), options: options, log: log, sink: sink, checkpoint: store)
            engine.start()
        }
        while let t = env.scheduler.nextEventTime, t <= ProcessingTime(400_000) { env.scheduler.step(); steps += 1 }
        if let f = engine.failure { throw f }
        // Per partition directory: every committed line, sorted (file names carry batch ids, which may differ).
        var content: [String: [String]] = [:]
        for (path, text) in sink.committedContent().map({ ($0.path, $0.text) }) {
            let dir = String(path.split(separator: "/").first ?? "")
            content[dir, default: []].append(contentsOf: text.split(separator: "\n").map(String.init))
        }
        for k in content.keys { content[k]!.sort() }
        return (content, steps)
    }

    /// Crash at a random step in the first half of the run + restart ⇒ the file sink's committed content equals the
    /// crash-free run's (exactly-once through `_spark_metadata` and the re-execution of an uncommitted batch).
    func testCrashAtRandomStepKeepsFileSinkExactlyOnce() {
        let failure = checkProperty("spark crash/restart keeps the file sink exactly-once", seeds: 1...12,
                                    testFilter: "SparkEngineTests.CrashRestartPropertyTests") { seed in
            let reference = try Self.run(seed: seed, crashAfterSteps: nil)
            if reference.content.values.reduce(0, { $0 + $1.count }) < 10 { return "reference run emitted too little" }
            var rng = SimRandom(seed: seed &* 7919)
            let k = 1 + Int(rng.nextInt(below: UInt64(reference.steps / 2)))
            let crashed = try Self.run(seed: seed, crashAfterSteps: k)
            return crashed.content == reference.content ? nil : "crash after step \(k): content differs"
        }
        if let failure { XCTFail(failure.description) }
    }
}
