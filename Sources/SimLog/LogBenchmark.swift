#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SimCore

/// A micro-benchmark of the in-memory log: append throughput, fetch throughput, and encoded MB/s appended.
///
/// THE ONE PLACE IN SimLog THAT READS A REAL CLOCK: `clock_gettime(CLOCK_MONOTONIC)` times the two loops below.
/// Nothing it measures feeds back into a simulation, and it is never called from tests or from a simulated run.
public enum LogBenchmark {
    public static func appendAndFetch(records: Int, valueBytes: Int, compression: Bool)
        -> (appendRecordsPerSec: Double, fetchRecordsPerSec: Double, mbPerSec: Double) {
        var config = BrokerConfig()
        config.retentionCleanerEnabled = false
        let env = SimEnvironment(seed: 1, detail: .control)
        let broker = Broker(environment: env, config: config)
        let tp = TopicPartition("bench", 0)
        _ = try? broker.createTopic("bench", partitions: 1, config: TopicConfig(segmentBytes: 64 << 20))
        var rng = env.random.stream("bench")
        let value = (0..<max(0, valueBytes)).map { _ in UInt8(truncatingIfNeeded: rng.next() % 26 + 97) }
        let perBatch = 100
        var batches: [RecordBatch] = []
        var i = 0
        while i < records {
            let n = min(perBatch, records - i)
            batches.append(RecordBatch(compression: compression ? .zstd : .none,
                                       records: (0..<n).map { k in (Int64(i + k), Array("key-\((i + k) % 1000)".utf8), value, []) }))
            i += n
        }
        var bytes = 0
        let t0 = monotonicSeconds()
        for b in batches { if let o = try? broker.append(b, to: tp) { bytes += o.sizeInBytes } }
        let t1 = monotonicSeconds()
        var offset: Int64 = 0
        var fetched = 0
        while let r = try? broker.fetch(tp, offset: offset, maxBytes: 1 << 20), let last = r.batches.last {
            fetched += r.records.count
            offset = last.lastOffset + 1
        }
        let t2 = monotonicSeconds()
        let appendSecs = max(t1 - t0, 1e-9), fetchSecs = max(t2 - t1, 1e-9)
        return (Double(records) / appendSecs, Double(fetched) / fetchSecs, Double(bytes) / 1_048_576 / appendSecs)
    }

    /// Monotonic wall-clock seconds — benchmark only (see the type's comment).
    static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
