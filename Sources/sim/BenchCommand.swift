import ArgumentParser
import SimFeeds
import SimLog

/// `sim bench`: the benchmark suite, apart from the tests. Figures go into docs/performance.md with the command that
/// produced them; run a release build (`swift build -c release`, then `.build/release/sim bench …`), since debug
/// builds are 10–50× slower.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure throughput: the log, the feed generator (more suites come with the engines).",
        discussion: """
            Benchmarks read the machine's monotonic clock to time themselves; nothing they measure feeds back into a \
            simulation, so determinism is unaffected. Each figure is the best of --repeat runs, which is the usual \
            way to filter out noise from other processes on a shared machine.

            Example:
              swift build -c release && .build/release/sim bench log --records 1000000
            """,
        subcommands: [Log.self, Generator.self]
    )

    struct Log: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Append and fetch throughput of one partition, with and without zstd batches.")

        @Option(help: "Records to append (in batches of 100).") var records = 1_000_000
        @Option(help: "Value size in bytes (the seed payloads are ~80–250 bytes).") var valueBytes = 100
        @Option(help: "Runs per configuration; the best is reported.") var `repeat` = 3

        func run() {
            print("sim bench log: \(records) records, \(valueBytes)-byte values, best of \(self.repeat)")
            print(pad("compression", 12) + pad("append rec/s", 16) + pad("append MB/s", 14) + "fetch rec/s")
            for compression in [false, true] {
                var best = (0.0, 0.0, 0.0)
                for _ in 0..<max(1, self.repeat) {
                    let r = LogBenchmark.appendAndFetch(records: records, valueBytes: valueBytes, compression: compression)
                    if r.appendRecordsPerSec > best.0 { best.0 = r.appendRecordsPerSec; best.2 = r.mbPerSec }
                    best.1 = max(best.1, r.fetchRecordsPerSec)
                }
                print(pad(compression ? "zstd" : "none", 12) + pad(format(best.0), 16) + pad(String(format1(best.2)), 14) + format(best.1))
            }
        }
    }

    struct Generator: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Messages per wall-clock second from the tick generator (trade stream + week-6 poller).")

        @Option(help: "Virtual seconds to generate.") var seconds: Int64 = 600
        @Option(help: "Comma-separated symbols.") var symbols = "BTCUSDT,ETHUSDT"
        @Option(help: "Runs; the best is reported.") var `repeat` = 3

        func run() {
            let list = symbols.split(separator: ",").map(String.init)
            var best = (0, 0.0)
            for i in 0..<max(1, self.repeat) {
                let r = FeedBenchmark.generatorTicksPerSecond(simulatedSeconds: seconds, seed: UInt64(i + 1), symbols: list)
                if r.perSecond > best.1 { best = r }
            }
            print("sim bench generator: \(seconds) virtual s of \(list.joined(separator: "+")): \(best.0) messages, \(format(best.1)) messages/s (best of \(self.repeat))")
        }
    }
}

func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }

/// 1234567 → "1.23 M", 12345 → "12.3 k".
func format(_ v: Double) -> String {
    if v >= 1e6 { return format2(v / 1e6) + " M" }
    if v >= 1e3 { return format1(v / 1e3) + " k" }
    return format1(v)
}

func format1(_ v: Double) -> String { String(Double((v * 10).rounded()) / 10) }
func format2(_ v: Double) -> String { String(Double((v * 100).rounded()) / 100) }
