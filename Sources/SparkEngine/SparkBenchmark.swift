import SimCore
import SimLog
public import QueryModel
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Throughput of the model (not timed in tests): the only place in SparkEngine that reads a real clock.
public enum SparkBenchmark {
    /// The query measured: the seed week6 shape (JSON decode, `(event_time/1000).cast(timestamp)`, 1 h watermark,
    /// daily windows per symbol, nine aggregates), append mode.
    public static func weekSixQuery(topic: String) -> StreamingQuery {
        let schema = Schema([Field("symbol", .string), Field("event_time", .long), Field("price", .double), Field("open", .double),
                             Field("high", .double), Field("low", .double), Field("volume", .double), Field("quote_volume", .double),
                             Field("number_trades", .int)])
        return StreamingQuery(
            name: "bench", source: KafkaSourceSpec(topic: topic, startingOffsets: .earliest, maxOffsetsPerTrigger: 200_000),
            valueFormat: .json(schema),
            derivedColumns: [DerivedColumn("event_timestamp", .cast(.arithmetic(.divide, .column("event_time"), .literal(.int(1000))), .timestamp))],
            watermark: WatermarkSpec(column: "event_timestamp", delayMs: 3_600_000),
            aggregation: AggregationSpec(window: .tumbling(sizeMs: 86_400_000), timeColumn: "event_timestamp", groupBy: ["symbol"], aggregates: [
                AggregateSpec(.first, "open", as: "daily_open"), AggregateSpec(.max, "high", as: "daily_high"),
                AggregateSpec(.min, "low", as: "daily_low"), AggregateSpec(.last, "price", as: "daily_close"),
                AggregateSpec(.sum, "volume", as: "daily_volume"), AggregateSpec(.sum, "quote_volume", as: "daily_quote_volume"),
                AggregateSpec(.sum, "number_trades", as: "total_trades"), AggregateSpec(.count, "*", as: "tick_count"),
                AggregateSpec(.avg, "price", as: "avg_price")]),
            outputMode: .append)
    }

    /// Runs `records` JSON records through the windowed aggregation (AvailableNow, 200 000 records per batch) and
    /// returns records per second of wall time. Generating the input is not timed.
    public static func windowedAggregation(records: Int) -> Double {
        let env = SimEnvironment(seed: 42, detail: .control)
        let log = InMemoryKafkaLog()
        log.createTopic("crypto-prices", partitions: 1)
        var rng = env.random.stream("bench")
        let symbols = ["BTCUSDT", "ETHUSDT"]
        var price = [96000.5, 3600.25]
        let t0: Int64 = 1_733_097_000_000
        for i in 0..<records {
            let s = i % 2
            price[s] = ((price[s] + rng.nextDouble() - 0.5) * 100).rounded() / 100  // exchange prices have a tick size
            let et = t0 + Int64(i / 2) * 500
            let v = "{\"symbol\":\"\(symbols[s])\",\"event_time\":\(et),\"price\":\(price[s]),\"open\":\(price[s] - 10),\"high\":\(price[s] + 20),\"low\":\(price[s] - 20),\"volume\":1000.5,\"quote_volume\":96000500.25,\"number_trades\":\(500_000 + i % 1000)}"
            log.append(TopicPartition("crypto-prices", 0), key: nil, value: Array(v.utf8), timestamp: EventTime(et))
        }
        var options = SparkQueryOptions(trigger: .availableNow)
        options.trackDroppedRecords = false
        guard let engine = try? SparkMicroBatchExecution(environment: env, query: weekSixQuery(topic: "crypto-prices"), options: options,
                                                          log: log, sink: ForeachBatchSink { _ in }, checkpoint: CheckpointStore()) else { return 0 }
        let start = monotonicSeconds()
        engine.start()
        env.scheduler.runUntilIdle()
        let elapsed = monotonicSeconds() - start
        return elapsed > 0 ? Double(records) / elapsed : 0
    }

    static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

/// A read-once Kafka log over a tape file: one partition whose records are read from the file as the engine asks
/// for them, in order, and forgotten once read (retention right behind the consumer). Memory: one read chunk plus
/// the batch in flight, whatever the tape's length.
final class TapeKafkaLog: KafkaLogReader {
    let tape: DayTape
    let reader: TapeReader
    let keys: [[UInt8]]
    let topic: String
    var position: Int64 = 0

    init?(path: String, tape: DayTape, topic: String = DayTape.topic) {
        guard let r = TapeReader(path: path) else { return nil }
        reader = r
        self.tape = tape
        self.topic = topic
        keys = tape.keyBytes()
    }

    func partitions(of topic: String) -> [Int32]? { topic == self.topic ? [0] : nil }
    func earliestOffset(_ tp: TopicPartition) -> Int64 { position }
    func latestOffset(_ tp: TopicPartition) -> Int64 { Int64(tape.records) }
    func records(_ tp: TopicPartition, from: Int64, until: Int64) -> [Record] {
        precondition(from == position, "the tape log is read once, in order")
        var out: [Record] = []
        out.reserveCapacity(Int(until - from))
        while position < until, let r = reader.nextRecord(tape: tape, keys: keys) {
            out.append(r)
            position += 1
        }
        return out
    }
}

/// What one engine benchmark run measured.
public struct EngineBenchResult: Sendable {
    public var records: Int
    public var seconds: Double
    public var outputRows: Int
    public var batches: Int
    public var recordsPerSecond: Double { Double(records) / max(seconds, 1e-9) }
}

extension SparkBenchmark {
    /// The day tape (a file of JSON lines, see `DayTape.file`) through `query` with AvailableNow and
    /// `maxOffsetsPerTrigger` records per batch: decoding, watermark, window state, eviction and the sink hand-off are
    /// all timed. The trace keeps control events only (`.control`), dropped-record tracking is off.
    public static func tape(path: String, tape: DayTape, query: StreamingQuery? = nil) -> EngineBenchResult? {
        guard let log = TapeKafkaLog(path: path, tape: tape) else { return nil }
        let env = SimEnvironment(seed: 42, detail: .control)
        var options = SparkQueryOptions(trigger: .availableNow)
        options.trackDroppedRecords = false
        var rows = 0
        guard let engine = try? SparkMicroBatchExecution(environment: env, query: query ?? DayTape.ohlcQuery(), options: options, log: log,
                                                          sink: ForeachBatchSink { rows += $0.rows.count }, checkpoint: CheckpointStore()) else { return nil }
        let start = monotonicSeconds()
        engine.start()
        env.scheduler.runUntilIdle()
        let elapsed = monotonicSeconds() - start
        return EngineBenchResult(records: Int(log.position), seconds: elapsed, outputRows: rows, batches: engine.progress.count)
    }

    /// `records` tape records spread round-robin over `partitions` partitions of an in-memory log (generated before
    /// timing), through `query`: for the scaling curves (partitions, keys, window size).
    public static func inMemory(tape: DayTape, partitions: Int, query: StreamingQuery) -> EngineBenchResult? {
        let log = InMemoryKafkaLog()
        log.createTopic(DayTape.topic, partitions: partitions)
        let keys = tape.keyBytes()
        var buf: [UInt8] = []
        for i in 0..<tape.records {
            buf.removeAll(keepingCapacity: true)
            tape.writeValue(i, into: &buf)
            log.append(TopicPartition(DayTape.topic, Int32(i % partitions)), key: keys[tape.symbolIndex(i)], value: buf, timestamp: EventTime(tape.eventTimeMs(i)))
        }
        let env = SimEnvironment(seed: 42, detail: .control)
        var options = SparkQueryOptions(trigger: .availableNow)
        options.trackDroppedRecords = false
        var rows = 0
        guard let engine = try? SparkMicroBatchExecution(environment: env, query: query, options: options, log: log,
                                                          sink: ForeachBatchSink { rows += $0.rows.count }, checkpoint: CheckpointStore()) else { return nil }
        let start = monotonicSeconds()
        engine.start()
        env.scheduler.runUntilIdle()
        let elapsed = monotonicSeconds() - start
        return EngineBenchResult(records: tape.records, seconds: elapsed, outputRows: rows, batches: engine.progress.count)
    }
}
