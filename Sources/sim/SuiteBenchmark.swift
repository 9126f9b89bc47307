#if canImport(Glibc)
import Glibc
#endif
import QueryModel
import Scenario
import SimCore
import SimFeeds
import SimLog
import SparkEngine
import FlinkEngine

/// The benchmark suite's end-to-end parts (scenario runs, seed exploration on threads, the full day), built from the
/// same public pieces the runner uses. Benchmarks read CLOCK_MONOTONIC to time themselves (`BenchClock`); nothing
/// measured feeds back into a simulation, and every simulation here runs on one thread.
enum SuiteBenchmark {
    // MARK: small scenario

    static let smallScenarioPath = "Benchmarks/small-crash.yaml"

    static func loadDocument(_ path: String) throws -> ScenarioDocument {
        let text = try readTextFile(path)
        let base = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        return try ScenarioDocument.parse(text: text, file: path, baseDirectory: base)
    }

    struct ScenarioRunResult {
        var seconds: Double
        var digest: String
        var passed: Bool
        var traceEvents: Int
    }

    /// One in-process run of `document` with `seed`: build the world, run it, compute the outcome (no database).
    static func runScenario(_ document: ScenarioDocument, seed: UInt64?, detail: Trace.Detail = .full) throws -> ScenarioRunResult {
        let t0 = BenchClock.seconds()
        var options = RunOptions(seed: seed, traceDetail: detail)
        options.databasePath = ""
        let world = try ScenarioRun(document: document, options: options, databasePath: nil)
        world.run()
        let outcome = world.outcome()
        return ScenarioRunResult(seconds: BenchClock.seconds() - t0, digest: outcome.digest, passed: outcome.passed, traceEvents: outcome.traceEvents)
    }

    /// Wall time of `sim run <path> --quiet --no-db` as a fresh process (fork/exec of this executable → exit).
    static func processRunSeconds(_ path: String, extra: [String] = []) -> Double? {
        var exe = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &exe, exe.count - 1)
        guard n > 0 else { return nil }
        let argv = [String(cString: exe), "run", path, "--quiet", "--no-db"] + extra
        var cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for p in cargs { free(p) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var pid: pid_t = 0
        let t0 = BenchClock.seconds()
        guard let exePath = cargs[0], posix_spawn(&pid, exePath, &actions, nil, &cargs, environ) == 0 else { return nil }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        return BenchClock.seconds() - t0
    }

    // MARK: explore

    final class ExploreShared: @unchecked Sendable {
        let document: ScenarioDocument
        let seeds: [UInt64]
        let threads: Int
        var digests: [String]
        var failures = 0
        init(document: ScenarioDocument, seeds: [UInt64], threads: Int) {
            self.document = document
            self.seeds = seeds
            self.threads = threads
            digests = Array(repeating: "", count: seeds.count)
        }
    }

    /// Runs every seed of `seeds` on `threads` threads (seed k on thread k mod threads; each simulation stays on one
    /// thread). Returns the wall time and the digests in seed order.
    static func explore(_ document: ScenarioDocument, seeds: [UInt64], threads: Int) -> (seconds: Double, digests: [String]) {
        let shared = ExploreShared(document: document, seeds: seeds, threads: max(1, threads))
        let t0 = BenchClock.seconds()
        var ids: [pthread_t] = []
        for t in 0..<shared.threads {
            let box = Unmanaged.passRetained(ThreadBox(shared: shared, index: t)).toOpaque()
            var id = pthread_t()
            pthread_create(&id, nil, { raw in
                let box = Unmanaged<ThreadBox>.fromOpaque(raw!).takeRetainedValue()
                let s = box.shared
                var k = box.index
                while k < s.seeds.count {
                    // Each slot is written by exactly one thread; read only after every thread is joined.
                    s.digests[k] = (try? SuiteBenchmark.runScenario(s.document, seed: s.seeds[k]).digest) ?? "error"
                    k += s.threads
                }
                return nil
            }, box)
            ids.append(id)
        }
        for id in ids { pthread_join(id, nil) }
        return (BenchClock.seconds() - t0, shared.digests)
    }

    final class ThreadBox {
        let shared: ExploreShared
        let index: Int
        init(shared: ExploreShared, index: Int) { self.shared = shared; self.index = index }
    }

    // MARK: a full day end to end

    struct DayResult {
        var records: Int
        var virtualSeconds: Double
        var seconds: Double
        var events: Int
        var sparkRows: Int
        var flinkRows: Int
        var sparkBatches: Int
        var flinkCheckpoints: Int
        var peakLogRecords: Int
        var peakRSSMiB: Double
    }

    /// The day tape streamed from its file into a broker (one batch per 100 virtual ms; `segment.bytes` 1 MiB,
    /// `retention.ms` 2 min, a retention check every 10 s, so the log holds minutes, not the day), read by Spark
    /// (10 s trigger) and Flink (200 ms periodic watermarks, optional checkpoints) running the same 1-minute OHLC
    /// query, sinks counting rows. Control-detail trace. Everything on one scheduler, one thread.
    static func day(tape: DayTape, path: String, flinkCheckpointInterval: SimDuration? = .seconds(60), spark: Bool = true, flink: Bool = true,
                    sampleMemory: Bool = true) -> DayResult? {
        guard let reader = TapeReader(path: path) else { return nil }
        let start = ProcessingTime(tape.startMs)
        let env = SimEnvironment(seed: 42, start: start, detail: .control)
        var bc = BrokerConfig()
        bc.logRetentionCheckIntervalMs = 10_000
        bc.logInitialTaskDelayMs = 10_000
        let broker = Broker(environment: env, config: bc)
        let tp = TopicPartition(DayTape.topic, 0)
        _ = try? broker.createTopic(DayTape.topic, partitions: 1, config: TopicConfig(retentionMs: 120_000, segmentBytes: 1 << 20))
        let keys = tape.keyBytes()
        var fed = 0
        var peakLog = 0
        var peakRSS = 0.0
        let query = DayTape.ohlcQuery(maxOffsetsPerTrigger: nil)

        // The feeder: every 100 virtual ms, the tape's records whose slot has come (record i at start + i·20 ms).
        func feed() {
            let due = min(tape.records, Int((env.now - start).milliseconds / tape.intervalMs) + 1)
            var batch: [(timestamp: Int64, key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader])] = []
            while fed < due, let r = reader.nextRecord(tape: tape, keys: keys) {
                batch.append((r.timestamp.millisecondsSinceEpoch, r.key, r.value, []))
                fed += 1
            }
            if !batch.isEmpty { _ = try? broker.append(RecordBatch(records: batch), to: tp) }
            if fed % 200_000 < batch.count, sampleMemory {
                if let p = broker.partition(tp) { peakLog = max(peakLog, Int(p.logEndOffset - p.logStartOffset)) }
            }
            if fed < tape.records { env.scheduler.schedule(after: .milliseconds(100), phase: .input, "tape feeder") { feed() } }
        }
        env.scheduler.schedule(at: start, phase: .input, "tape feeder") { feed() }

        var sparkRows = 0
        var sparkEngine: SparkMicroBatchExecution?
        if spark {
            var o = SparkQueryOptions(trigger: .processingTime(intervalMs: 10_000))
            o.trackDroppedRecords = false
            sparkEngine = try? SparkMicroBatchExecution(environment: env, query: query, options: o, log: BrokerKafkaReader(broker: broker),
                                                        sink: ForeachBatchSink { sparkRows += $0.rows.count }, checkpoint: CheckpointStore())
            sparkEngine?.start()
        }
        var flinkJob: FlinkJob?
        let flinkStore = DayCountingStore()
        if flink {
            var o = FlinkQueryOptions(api: .datastream)
            o.checkpointInterval = flinkCheckpointInterval
            flinkJob = try? FlinkJob(environment: env, query: query, options: o, log: broker, sink: { _, _ in AtLeastOnceJdbcSink(store: flinkStore) })
            flinkJob?.keepsEvents = false
            flinkJob?.start()
        }
        let end = start + .milliseconds(Int64(tape.records) * tape.intervalMs) + .seconds(30)
        let t0 = BenchClock.seconds()
        var events = 0
        var t = start
        while t < end {
            t = min(end, t + .seconds(600))
            events += env.scheduler.run(until: t)
            if sampleMemory { peakRSS = max(peakRSS, BenchClock.currentRSSMiB()) }
        }
        let seconds = BenchClock.seconds() - t0
        return DayResult(records: fed, virtualSeconds: Double((end - start).milliseconds) / 1000, seconds: seconds, events: events,
                         sparkRows: sparkRows, flinkRows: flinkStore.rows, sparkBatches: sparkEngine?.progress.count ?? 0,
                         flinkCheckpoints: flinkJob?.metrics.checkpointsCompleted ?? 0, peakLogRecords: peakLog, peakRSSMiB: peakRSS)
    }

    final class DayCountingStore: SinkBatchStore {
        var rows = 0
        func executeBatch(_ rows: [Row], now: ProcessingTime) throws(SinkStoreError) { self.rows += rows.count }
        func isAvailable(now: ProcessingTime) -> Bool { true }
    }
}
