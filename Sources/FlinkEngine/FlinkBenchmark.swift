#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
