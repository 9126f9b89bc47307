#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import SimCore
import SimLog
public import QueryModel

/// Throughput of the model's hot path: keyed tumbling event-time windows (1 s, 100 keys, sum) over `parallelism`
/// operator instances routed by key group, with a watermark every 1 000 records. Wall-clock time is read here only
/// (`clock_gettime(CLOCK_MONOTONIC)`); nothing else in the model touches a real clock.
public enum FlinkBenchmark {
    struct Sum: AggregateFunction {
        func createAccumulator() -> Int64 { 0 }
        func add(_ v: Int64, to acc: inout Int64) { acc &+= v }
        func merge(_ a: Int64, _ b: Int64) -> Int64 { a &+ b }
        func result(_ acc: Int64) -> Int64 { acc }
    }

    static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Records per second through `parallelism` keyed tumbling-window operators.
    public static func keyedTumblingWindow(records: Int, parallelism: Int) -> Double {
        let p = max(1, parallelism)
        let keys = (0..<100).map { "key-\($0)" }
        let routes = keys.map { KeyGroupAssignment.subtask(for: $0, parallelism: p) }
        guard let template = try? WindowOperator<String, Sum>(assigner: .tumblingEventTime(size: 1000, offset: 0), aggregate: Sum()) else { return 0 }
        var ops = Array(repeating: template, count: p)
        var out: [WindowEmission<String, Int64, Int64>] = []
        out.reserveCapacity(256)
        var fired = 0
        let start = monotonicSeconds()
        for i in 0..<records {
            let k = i % 100
            let ts = Int64(i)  // 1 record per ms of event time
            try? ops[routes[k]].processElement(1, key: keys[k], timestamp: ts, processingTime: 0, into: &out)
            if i % 1000 == 999 {
                for j in 0..<p { ops[j].processWatermark(ts - 1, into: &out) }
                fired += out.count
                out.removeAll(keepingCapacity: true)
            }
        }
        let elapsed = max(monotonicSeconds() - start, 1e-9)
        _ = fired
        return Double(records) / elapsed
    }
}

/// A read-once source log over a tape file (one partition, read in order and forgotten once read). Records become
/// readable at `recordsPerMs` per virtual millisecond (a producer far faster than the job), so the job reads the tape
/// as fast as it can while its in-flight data stays bounded: the model's credit check counts only delivered buffers,
/// and a tape that is all there at once would be read ahead into the network completely in zero virtual time.
final class TapeSourceLog: FlinkSourceLog {
    let tape: DayTape
    let reader: TapeReader
    let keys: [[UInt8]]
    let topic: String
    let scheduler: Scheduler
    let start: ProcessingTime
    let recordsPerMs: Int64
    var position: Int64 = 0

    init?(path: String, tape: DayTape, scheduler: Scheduler, recordsPerMs: Int64 = 1_000, topic: String = DayTape.topic) {
        guard let r = TapeReader(path: path) else { return nil }
        reader = r
        self.tape = tape
        self.topic = topic
        self.scheduler = scheduler
        self.start = scheduler.now
        self.recordsPerMs = recordsPerMs
        keys = tape.keyBytes()
    }

    var available: Int64 { min(Int64(tape.records), ((scheduler.now - start).milliseconds + 1) * recordsPerMs) }

    func sourcePartitions(of topic: String) -> [TopicPartition] { topic == self.topic ? [TopicPartition(topic, 0)] : [] }
    func sourceRecords(_ tp: TopicPartition, from offset: Int64, maxRecords: Int) throws -> [Record] {
        precondition(offset == position, "the tape log is read once, in order")
        var out: [Record] = []
        let n = Int(max(0, min(Int64(maxRecords), available - position)))
        out.reserveCapacity(n)
        while out.count < n, let r = reader.nextRecord(tape: tape, keys: keys) {
            out.append(r)
            position += 1
        }
        return out
    }
    func sourceOffset(_ tp: TopicPartition, latest: Bool) throws -> Int64 { latest ? Int64(tape.records) : position }
}

/// An in-memory log whose partitions become readable at `recordsPerMs` (spread over the partitions) per virtual ms,
/// for the same reason as `TapeSourceLog`.
final class PacedSourceLog: FlinkSourceLog {
    let inner: InMemorySourceLog
    let scheduler: Scheduler
    let start: ProcessingTime
    let recordsPerMs: Int64

    init(_ inner: InMemorySourceLog, scheduler: Scheduler, recordsPerMs: Int64 = 1_000) {
        self.inner = inner
        self.scheduler = scheduler
        self.start = scheduler.now
        self.recordsPerMs = recordsPerMs
    }

    func sourcePartitions(of topic: String) -> [TopicPartition] { inner.sourcePartitions(of: topic) }
    func sourceRecords(_ tp: TopicPartition, from offset: Int64, maxRecords: Int) throws -> [Record] {
        let perPartition = max(1, ((scheduler.now - start).milliseconds + 1) * recordsPerMs / Int64(inner.partitionCount))
        let n = Int(max(0, min(Int64(maxRecords), perPartition - offset)))
        return n == 0 ? [] : try inner.sourceRecords(tp, from: offset, maxRecords: n)
    }
    func sourceOffset(_ tp: TopicPartition, latest: Bool) throws -> Int64 { try inner.sourceOffset(tp, latest: latest) }
}

/// A sink that only counts the rows it is given (visible at once).
final class CountingStore: SinkBatchStore {
    var rows = 0
    func executeBatch(_ rows: [Row], now: ProcessingTime) throws(SinkStoreError) { self.rows += rows.count }
    func isAvailable(now: ProcessingTime) -> Bool { true }
}

/// What a Flink benchmark run measured.
public struct FlinkBenchResult: Sendable {
    public var records: Int
    public var seconds: Double
    public var outputRows: Int
    public var firings: Int64
    public var checkpoints: Int
    public var recordsPerSecond: Double { Double(records) / max(seconds, 1e-9) }
}

extension FlinkBenchmark {
    /// Options for the benchmark job: DataStream API, bounded (`scan.bounded.mode = latest-offset`), job events not
    /// kept (observers only), default periodic watermarks (200 ms) and network buffers.
    public static func options(parallelism: Int = 1, checkpointInterval: SimDuration? = nil) -> FlinkQueryOptions {
        var o = FlinkQueryOptions(api: .datastream)
        o.parallelism = parallelism
        o.scanBoundedLatestOffset = true
        o.checkpointInterval = checkpointInterval
        return o
    }

    static func run(env: SimEnvironment, query: StreamingQuery, options: FlinkQueryOptions, log: any FlinkSourceLog, records: () -> Int) -> FlinkBenchResult? {
        let store = CountingStore()
        guard let job = try? FlinkJob(environment: env, query: query, options: options, log: log, sink: { _, _ in AtLeastOnceJdbcSink(store: store) }) else { return nil }
        job.keepsEvents = false
        let start = monotonicSeconds()
        job.start()
        // Bounded: the job finishes after the MAX watermark; periodic timers stop with it.
        while job.status == .running || job.status == .created {
            guard env.scheduler.step() != nil else { break }
        }
        let elapsed = monotonicSeconds() - start
        return FlinkBenchResult(records: records(), seconds: elapsed, outputRows: store.rows, firings: job.metrics.windowFirings,
                                checkpoints: job.metrics.checkpointsCompleted)
    }

    /// The day tape (see `DayTape.file`) through the shared query (default: 1-minute tumbling OHLC, 10 s watermark) at
    /// `parallelism`: flink-json decoding, watermarks, keyBy exchange, window operator, firing and the sink are timed.
    public static func tape(path: String, tape: DayTape, query: StreamingQuery? = nil, parallelism: Int = 1, checkpointInterval: SimDuration? = nil) -> FlinkBenchResult? {
        let env = SimEnvironment(seed: 42, detail: .control)
        guard let log = TapeSourceLog(path: path, tape: tape, scheduler: env.scheduler) else { return nil }
        return run(env: env, query: query ?? DayTape.ohlcQuery(), options: options(parallelism: parallelism, checkpointInterval: checkpointInterval),
                   log: log, records: { Int(log.position) })
    }

    /// `tape.records` records round-robin over `partitions` partitions of an in-memory log (generated before timing).
    public static func inMemory(tape: DayTape, partitions: Int, query: StreamingQuery, parallelism: Int = 1, checkpointInterval: SimDuration? = nil) -> FlinkBenchResult? {
        let log = InMemorySourceLog(topic: DayTape.topic, partitions: partitions)
        let keys = tape.keyBytes()
        var buf: [UInt8] = []
        for i in 0..<tape.records {
            buf.removeAll(keepingCapacity: true)
            tape.writeValue(i, into: &buf)
            log.append(partition: i % partitions, key: keys[tape.symbolIndex(i)], value: buf, timestamp: EventTime(tape.eventTimeMs(i)))
        }
        let env = SimEnvironment(seed: 42, detail: .control)
        return run(env: env, query: query, options: options(parallelism: parallelism, checkpointInterval: checkpointInterval),
                   log: PacedSourceLog(log, scheduler: env.scheduler), records: { tape.records })
    }
}
