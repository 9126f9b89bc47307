import ArgumentParser
import FlinkEngine
import QueryModel
import Scenario
import SimCore
import SimFeeds
import SimLog
import SparkEngine

/// `sim bench`: the benchmark suite, apart from the tests. Figures go into docs/performance.md with the command that
/// produced them; run a release build (`swift build -c release`, then `.build/release/sim bench …`), since debug
/// builds are 10–50× slower.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure throughput: log, decoding, generator, both engines, scenarios, seed exploration, a full day, memory.",
        discussion: """
            Benchmarks read the machine's monotonic clock to time themselves; nothing they measure feeds back into a \
            simulation, so determinism is unaffected. Each figure is the best of --repeat runs, which is the usual \
            way to filter out noise from other processes on a shared machine. The day tape (4.32 M JSON lines of \
            ~80 bytes, 5 symbols) is written once to /tmp/streamsim-tape-*.jsonl and read back by every tape benchmark.

            Example:
              swift build -c release --product sim && .build/release/sim bench all
            """,
        subcommands: [All.self, Log.self, Decode.self, Floor.self, Generator.self, Spark.self, Flink.self, Scenario.self, Explore.self, Day.self, Scaling.self]
    )

    /// One line of the suite's table.
    struct Row {
        var name: String
        var value: String
        var note: String
        var command: String
    }

    static func printRows(_ rows: [Row], commands: Bool = false) {
        let w = max(28, rows.map(\.name.count).max() ?? 0) + 2
        for r in rows {
            print(pad(r.name, w) + pad(r.value, 18) + r.note + (commands ? "   [\(r.command)]" : ""))
        }
    }

    static func peakRow(_ command: String) -> Row {
        Row(name: "peak RSS (VmHWM)", value: format1(BenchClock.peakRSSMiB()) + " MiB", note: "whole process", command: command)
    }

    static func tapePath(_ tape: DayTape) throws -> String {
        guard let p = tape.file() else { throw ValidationError("cannot write the tape file under /tmp") }
        return p
    }

    struct All: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run the whole suite (a few minutes) and print one table.")
        @Option(help: "Runs per figure; the best is reported.") var `repeat` = 2
        @Flag(help: "Smaller inputs (1/10 of the day) for a quick look.") var quick = false

        func run() throws {
            let records = quick ? DayTape.dayRecords / 10 : DayTape.dayRecords
            let r = self.repeat
            var rows: [Row] = []
            let canReset = BenchClock.resetPeakRSS()
            func section(_ title: String, _ body: () throws -> [Row]) rethrows {
                BenchClock.resetPeakRSS()
                var s = try body()
                if canReset {
                    s.append(Row(name: "peak RSS (\(title))", value: format1(BenchClock.peakRSSMiB()) + " MiB", note: "VmHWM over this section (reset before it)", command: "sim bench all"))
                }
                print("== \(title)")
                BenchCommand.printRows(s)
                rows += s
            }
            try section("log") { Log.measure(records: 1_000_000, valueBytes: 100, repeat: r) }
            try section("decode") { try Decode.measure(count: 200_000, repeat: r) }
            try section("floor") { try Floor.measure(records: records, repeat: r) }
            try section("generator") { Generator.measure(seconds: 600, symbols: ["BTCUSDT", "ETHUSDT"], repeat: r) }
            try section("spark") { try Spark.measure(records: records, weekSixRecords: 1_000_000, repeat: r) }
            try section("flink") { try Flink.measure(records: records, repeat: r) }
            try section("scenario") { try Scenario.measure(path: SuiteBenchmark.smallScenarioPath, runs: 20, processes: 10) }
            try section("explore") { try Explore.measure(path: SuiteBenchmark.smallScenarioPath, seeds: 200, threads: 2) }
            try section("day") { try Day.measure(records: records, checkpointSeconds: 60) }
            rows.append(BenchCommand.peakRow("sim bench all"))
            print("")
            print("== sim bench all: \(records) tape records, best of \(r)")
            BenchCommand.printRows(rows, commands: true)
        }
    }

    struct Log: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Append and fetch throughput of one partition, with and without zstd batches.")

        @Option(help: "Records to append (in batches of 100).") var records = 1_000_000
        @Option(help: "Value size in bytes (the seed payloads are ~80–250 bytes).") var valueBytes = 100
        @Option(help: "Runs per configuration; the best is reported.") var `repeat` = 3

        static func measure(records: Int, valueBytes: Int, repeat n: Int) -> [Row] {
            var rows: [Row] = []
            for compression in [false, true] {
                var best = (0.0, 0.0, 0.0)
                for _ in 0..<max(1, n) {
                    let r = LogBenchmark.appendAndFetch(records: records, valueBytes: valueBytes, compression: compression)
                    if r.appendRecordsPerSec > best.0 { best.0 = r.appendRecordsPerSec; best.2 = r.mbPerSec }
                    best.1 = max(best.1, r.fetchRecordsPerSec)
                }
                let c = compression ? "zstd" : "none"
                let cmd = "sim bench log --records \(records) --value-bytes \(valueBytes)"
                rows.append(Row(name: "log append (\(c))", value: format(best.0) + " rec/s", note: format1(best.2) + " MB/s", command: cmd))
                rows.append(Row(name: "log fetch (\(c))", value: format(best.1) + " rec/s", note: format1(best.1 * Double(valueBytes + 20) / 1_048_576) + " MB/s (≈ value+key bytes)", command: cmd))
            }
            return rows
        }

        func run() {
            print("sim bench log: \(records) records, \(valueBytes)-byte values, best of \(self.repeat)")
            BenchCommand.printRows(Log.measure(records: records, valueBytes: valueBytes, repeat: self.repeat))
        }
    }

    struct Decode: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "QueryModel's from_json (Spark PERMISSIVE) over each seed payload shape, records/s.")
        @Option(help: "Payloads per shape (generated, not timed).") var count = 200_000
        @Option(help: "Runs; the best is reported.") var `repeat` = 3

        static func schema(_ kind: FeedBenchmark.PayloadKind) -> Schema {
            switch kind {
            case .week6:
                return Schema([Field("symbol", .string), Field("event_time", .long), Field("price", .double), Field("open", .double), Field("high", .double),
                               Field("low", .double), Field("volume", .double), Field("quote_volume", .double), Field("number_trades", .int),
                               Field("price_change", .double), Field("price_change_percent", .double), Field("timestamp", .string)])
            case .coinbase:
                return Schema([Field("timestamp", .long), Field("symbol", .string), Field("base", .string), Field("currency", .string), Field("price", .double),
                               Field("volume_24h", .double), Field("source", .string), Field("iteration", .long)])
            case .binance:
                return Schema([Field("e", .string), Field("E", .long), Field("s", .string), Field("t", .long), Field("p", .string), Field("q", .string),
                               Field("T", .long), Field("m", .boolean), Field("M", .boolean)])
            }
        }

        static func measure(count: Int, repeat n: Int) throws -> [Row] {
            var rows: [Row] = []
            for kind in FeedBenchmark.PayloadKind.allCases {
                let payloads = FeedBenchmark.samplePayloads(kind, count: count)
                guard !payloads.isEmpty else { continue }
                let decoder = FromJSONDecoder(schema: schema(kind))
                var row = [Value](repeating: .null, count: decoder.schema.count)
                var best = 0.0
                var bytes = 0
                for p in payloads { bytes += p.count }
                for _ in 0..<max(1, n) {
                    var ok = 0
                    let t0 = BenchClock.seconds()
                    for p in payloads { if decoder.decode(p, into: &row) == .parsed { ok += 1 } }
                    let dt = BenchClock.seconds() - t0
                    precondition(ok == payloads.count, "\(kind.rawValue): \(payloads.count - ok) payloads did not parse")
                    best = max(best, Double(payloads.count) / dt)
                }
                rows.append(Row(name: "from_json \(kind.rawValue)", value: format(best) + " rec/s",
                                note: "\(bytes / payloads.count) B/record, \(format1(best * Double(bytes) / Double(payloads.count) / 1_048_576)) MB/s",
                                command: "sim bench decode --count \(count)"))
            }
            return rows
        }

        func run() throws {
            print("sim bench decode: \(count) payloads per shape, best of \(self.repeat)")
            BenchCommand.printRows(try Decode.measure(count: count, repeat: self.repeat))
        }
    }

    struct Floor: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The decode-only floor: the day tape read and its fields decoded, nothing else.")
        @Option(help: "Tape records (4 320 000 = a day at 50/s).") var records = DayTape.dayRecords
        @Option(help: "Runs; the best is reported.") var `repeat` = 3

        /// Best hand-scanner and from_json figures over the tape (records/s).
        static func floors(records: Int, repeat n: Int) throws -> (read: DecodeFloor.Result, hand: DecodeFloor.Result, fromJSON: DecodeFloor.Result) {
            let tape = DayTape(records: records)
            let path = try BenchCommand.tapePath(tape)
            var read: DecodeFloor.Result?, hand: DecodeFloor.Result?, json: DecodeFloor.Result?
            for _ in 0..<max(1, n) {
                if let r = DecodeFloor.readOnly(path: path), r.seconds < (read?.seconds ?? .infinity) { read = r }
                if let r = DecodeFloor.handScanner(path: path), r.seconds < (hand?.seconds ?? .infinity) { hand = r }
                if let r = DecodeFloor.fromJSON(path: path), r.seconds < (json?.seconds ?? .infinity) { json = r }
            }
            guard let read, let hand, let json else { throw ValidationError("cannot read \(path)") }
            return (read, hand, json)
        }

        static func measure(records: Int, repeat n: Int) throws -> [Row] {
            let f = try floors(records: records, repeat: n)
            let cmd = "sim bench floor --records \(records)"
            return [
                Row(name: "tape read only", value: format(f.read.recordsPerSecond) + " rec/s", note: format1(f.read.megabytesPerSecond) + " MB/s, \(f.read.records) lines", command: cmd),
                Row(name: "floor: hand scanner", value: format(f.hand.recordsPerSecond) + " rec/s", note: format1(f.hand.megabytesPerSecond) + " MB/s (C strtod scan: 6.0 M rec/s)", command: cmd),
                Row(name: "floor: from_json", value: format(f.fromJSON.recordsPerSecond) + " rec/s",
                    note: format1(f.fromJSON.megabytesPerSecond) + " MB/s, \(ratio(f.hand.recordsPerSecond, f.fromJSON.recordsPerSecond)) the hand scanner", command: cmd),
            ]
        }

        func run() throws {
            print("sim bench floor: \(records) tape records, best of \(self.repeat)")
            BenchCommand.printRows(try Floor.measure(records: records, repeat: self.repeat))
        }
    }

    struct Generator: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Messages per wall-clock second from the tick generator (trade stream + week-6 poller).")

        @Option(help: "Virtual seconds to generate.") var seconds: Int64 = 600
        @Option(help: "Comma-separated symbols.") var symbols = "BTCUSDT,ETHUSDT"
        @Option(help: "Runs; the best is reported.") var `repeat` = 3

        static func measure(seconds: Int64, symbols: [String], repeat n: Int) -> [Row] {
            var best = (0, 0.0)
            for i in 0..<max(1, n) {
                let r = FeedBenchmark.generatorTicksPerSecond(simulatedSeconds: seconds, seed: UInt64(i + 1), symbols: symbols)
                if r.perSecond > best.1 { best = r }
            }
            return [Row(name: "generator", value: format(best.1) + " msg/s", note: "\(best.0) messages in \(seconds) virtual s of \(symbols.joined(separator: "+"))",
                        command: "sim bench generator --seconds \(seconds)")]
        }

        func run() {
            let list = symbols.split(separator: ",").map(String.init)
            print("sim bench generator: best of \(self.repeat)")
            BenchCommand.printRows(Generator.measure(seconds: seconds, symbols: list, repeat: self.repeat))
        }
    }

    struct Spark: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The Spark model: week-6 daily OHLC, and 1-minute windows over the day tape.")
        @Option(help: "Tape records.") var records = DayTape.dayRecords
        @Option(help: "Records for the week-6 daily query (in memory).") var weekSixRecords = 1_000_000
        @Option(help: "Runs; the best is reported.") var `repeat` = 3

        static func measure(records: Int, weekSixRecords: Int, repeat n: Int) throws -> [Row] {
            let tape = DayTape(records: records)
            let path = try BenchCommand.tapePath(tape)
            var week6 = 0.0
            for _ in 0..<max(1, n) { week6 = max(week6, SparkBenchmark.windowedAggregation(records: weekSixRecords)) }
            var best: EngineBenchResult?
            for _ in 0..<max(1, n) {
                if let r = SparkBenchmark.tape(path: path, tape: tape), r.seconds < (best?.seconds ?? .infinity) { best = r }
            }
            guard let best else { throw ValidationError("spark tape run failed") }
            let floor = try Floor.floors(records: records, repeat: 1)
            let cmd = "sim bench spark --records \(records)"
            return [
                Row(name: "spark week6 daily OHLC", value: format(week6) + " rec/s", note: "\(weekSixRecords) records, 9 aggregates, 1 day windows, AvailableNow", command: cmd),
                Row(name: "spark day tape 1-min OHLC", value: format(best.recordsPerSecond) + " rec/s",
                    note: "\(best.records) rec in \(format2(best.seconds)) s, \(best.batches) batches, \(best.outputRows) rows; floor ratio \(ratio(floor.hand.recordsPerSecond, best.recordsPerSecond))",
                    command: cmd),
            ]
        }

        func run() throws {
            print("sim bench spark: best of \(self.repeat)")
            BenchCommand.printRows(try Spark.measure(records: records, weekSixRecords: weekSixRecords, repeat: self.repeat) + [BenchCommand.peakRow("sim bench spark")])
        }
    }

    struct Flink: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The Flink model: the keyed window operator alone, and the 1-minute OHLC job over the day tape, at parallelism 1 and 4.")
        @Option(help: "Tape records.") var records = DayTape.dayRecords
        @Option(help: "Runs; the best is reported.") var `repeat` = 3

        static func measure(records: Int, repeat n: Int) throws -> [Row] {
            let tape = DayTape(records: records)
            let path = try BenchCommand.tapePath(tape)
            let floor = try Floor.floors(records: records, repeat: 1)
            var rows: [Row] = []
            let cmd = "sim bench flink --records \(records)"
            for p in [1, 4] {
                var op = 0.0
                for _ in 0..<max(1, n) { op = max(op, FlinkBenchmark.keyedTumblingWindow(records: 2_000_000, parallelism: p)) }
                rows.append(Row(name: "flink window operator p=\(p)", value: format(op) + " rec/s", note: "keyed 1 s tumbling sum, 100 keys, no decoding", command: cmd))
            }
            for p in [1, 4] {
                var best: FlinkBenchResult?
                for _ in 0..<max(1, n) {
                    if let r = FlinkBenchmark.tape(path: path, tape: tape, parallelism: p), r.seconds < (best?.seconds ?? .infinity) { best = r }
                }
                guard let best else { throw ValidationError("flink tape run failed") }
                rows.append(Row(name: "flink day tape 1-min OHLC p=\(p)", value: format(best.recordsPerSecond) + " rec/s",
                                note: "\(best.records) rec in \(format2(best.seconds)) s, \(best.outputRows) rows; floor ratio \(ratio(floor.hand.recordsPerSecond, best.recordsPerSecond))",
                                command: cmd))
            }
            return rows
        }

        func run() throws {
            print("sim bench flink: best of \(self.repeat)")
            BenchCommand.printRows(try Flink.measure(records: records, repeat: self.repeat) + [BenchCommand.peakRow("sim bench flink")])
        }
    }

    struct Scenario: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A small scenario end to end (10 000 records, both engines, one crash each): in-process runs and fresh processes.")
        @Option(help: "The scenario.") var path = SuiteBenchmark.smallScenarioPath
        @Option(help: "In-process runs.") var runs = 20
        @Option(help: "Fresh `sim run --quiet --no-db` processes.") var processes = 10

        static func measure(path: String, runs: Int, processes: Int) throws -> [Row] {
            let doc = try SuiteBenchmark.loadDocument(path)
            var best = Double.infinity, bestControl = Double.infinity
            var digest = ""
            var events = 0
            for _ in 0..<max(1, runs) {
                let r = try SuiteBenchmark.runScenario(doc, seed: nil)
                best = min(best, r.seconds)
                if digest.isEmpty { digest = r.digest; events = r.traceEvents } else if digest != r.digest { throw ValidationError("digest changed between runs") }
                bestControl = min(bestControl, try SuiteBenchmark.runScenario(doc, seed: nil, detail: .control).seconds)
            }
            var proc = Double.infinity
            for _ in 0..<processes { if let s = SuiteBenchmark.processRunSeconds(path) { proc = min(proc, s) } }
            let cmd = "sim bench scenario --runs \(runs) --processes \(processes)"
            var rows = [
                Row(name: "scenario in-process (full)", value: format1(best * 1000) + " ms", note: "\(doc.name), \(events) trace events, digest \(digest.prefix(12))…", command: cmd),
                Row(name: "scenario in-process (control)", value: format1(bestControl * 1000) + " ms", note: "per-record events left out of the digest", command: cmd),
            ]
            if proc.isFinite {
                rows.append(Row(name: "scenario fresh process", value: format1(proc * 1000) + " ms", note: "`sim run \(path) --quiet --no-db`, exec → exit (target < 50 ms)", command: cmd))
            }
            return rows
        }

        func run() throws {
            print("sim bench scenario: \(path)")
            BenchCommand.printRows(try Scenario.measure(path: path, runs: runs, processes: processes))
        }
    }

    struct Explore: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "`sim explore`-style seed exploration: N seeds of the small scenario on T threads (each simulation on one thread).")
        @Option(help: "The scenario.") var path = SuiteBenchmark.smallScenarioPath
        @Option(help: "Seeds (1…N).") var seeds = 200
        @Option(help: "Threads.") var threads = 2

        static func measure(path: String, seeds: Int, threads: Int) throws -> [Row] {
            let doc = try SuiteBenchmark.loadDocument(path)
            let list = (1...UInt64(max(1, seeds))).map { $0 }
            let one = SuiteBenchmark.explore(doc, seeds: Array(list.prefix(max(1, seeds / 4))), threads: 1)
            let many = SuiteBenchmark.explore(doc, seeds: list, threads: threads)
            // Determinism across threads: the multi-threaded run's digests equal the single-threaded ones.
            for (i, d) in one.digests.enumerated() where many.digests[i] != d { throw ValidationError("seed \(list[i]): digest differs across threads") }
            let distinct = Set(many.digests).count
            let cmd = "sim bench explore --seeds \(seeds) --threads \(threads)"
            return [
                Row(name: "explore 1 thread", value: format1(Double(one.digests.count) / one.seconds) + " seeds/s", note: "\(one.digests.count) seeds", command: cmd),
                Row(name: "explore \(threads) threads", value: format1(Double(list.count) / many.seconds) + " seeds/s",
                    note: "\(list.count) seeds, \(distinct) distinct digests, same digests as 1 thread (target ≥ 100 seeds/s)", command: cmd),
            ]
        }

        func run() throws {
            print("sim bench explore: \(path)")
            BenchCommand.printRows(try Explore.measure(path: path, seeds: seeds, threads: threads))
        }
    }

    struct Day: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A full day end to end: the tape streamed into a retention-bounded broker, Spark and Flink on the same query.")
        @Option(help: "Tape records.") var records = DayTape.dayRecords
        @Option(help: "Flink checkpoint interval in seconds (0 = off).") var checkpointSeconds: Int64 = 60

        static func measure(records: Int, checkpointSeconds: Int64) throws -> [Row] {
            let tape = DayTape(records: records)
            let path = try BenchCommand.tapePath(tape)
            guard let r = SuiteBenchmark.day(tape: tape, path: path, flinkCheckpointInterval: checkpointSeconds > 0 ? .seconds(checkpointSeconds) : nil) else {
                throw ValidationError("day run failed")
            }
            let cmd = "sim bench day --records \(records)"
            return [
                Row(name: "day end to end (both engines)", value: format2(r.seconds) + " s wall",
                    note: "\(r.records) rec, \(format(Double(r.records) / r.seconds)) rec/s; spark \(r.sparkBatches) batches \(r.sparkRows) rows, flink \(r.flinkCheckpoints) checkpoints \(r.flinkRows) rows", command: cmd),
                Row(name: "day simulated events", value: format(Double(r.events) / r.seconds) + " ev/s", note: "\(r.events) scheduler events", command: cmd),
                Row(name: "day virtual speed", value: format(r.virtualSeconds / r.seconds) + " × real time", note: "\(Int(r.virtualSeconds)) virtual s", command: cmd),
                Row(name: "day memory", value: format1(r.peakRSSMiB) + " MiB RSS", note: "max VmRSS sampled every 10 virtual min; log held ≤ \(r.peakLogRecords) records", command: cmd),
            ]
        }

        func run() throws {
            print("sim bench day: \(records) records")
            BenchCommand.printRows(try Day.measure(records: records, checkpointSeconds: checkpointSeconds) + [BenchCommand.peakRow("sim bench day")])
        }
    }

    struct Scaling: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Scaling curves: tape length, partitions, keys, window size, checkpoint interval (markdown tables).")
        @Option(help: "Which curve: length, partitions, keys, windows, checkpoints, all.") var curve = "all"
        @Option(help: "Records for the in-memory curves.") var records = 1_000_000

        func run() throws {
            let all = curve == "all"
            if all || curve == "length" {
                print("| tape records | spark rec/s | flink p=1 rec/s | floor rec/s | peak RSS MiB |")
                print("|---:|---:|---:|---:|---:|")
                for n in [10_000, 100_000, 1_000_000, 10_000_000] {
                    let tape = DayTape(records: n)
                    let path = try BenchCommand.tapePath(tape)
                    BenchClock.resetPeakRSS()
                    let s = SparkBenchmark.tape(path: path, tape: tape)
                    let f = FlinkBenchmark.tape(path: path, tape: tape)
                    let fl = DecodeFloor.handScanner(path: path)
                    print("| \(n) | \(format(s?.recordsPerSecond ?? 0)) | \(format(f?.recordsPerSecond ?? 0)) | \(format(fl?.recordsPerSecond ?? 0)) | \(format1(BenchClock.peakRSSMiB())) |")
                }
            }
            if all || curve == "partitions" {
                print("\n| partitions | spark rec/s | flink p=1 rec/s | flink p=4 rec/s |")
                print("|---:|---:|---:|---:|")
                for p in [1, 4, 16, 64] {
                    let tape = DayTape(records: records)
                    let q = DayTape.ohlcQuery()
                    let s = SparkBenchmark.inMemory(tape: tape, partitions: p, query: q)
                    let f1 = FlinkBenchmark.inMemory(tape: tape, partitions: p, query: q, parallelism: 1)
                    let f4 = FlinkBenchmark.inMemory(tape: tape, partitions: p, query: q, parallelism: 4)
                    print("| \(p) | \(format(s?.recordsPerSecond ?? 0)) | \(format(f1?.recordsPerSecond ?? 0)) | \(format(f4?.recordsPerSecond ?? 0)) |")
                }
            }
            if all || curve == "keys" {
                print("\n| symbols (keys) | spark rec/s | flink p=1 rec/s | spark out rows |")
                print("|---:|---:|---:|---:|")
                for k in [2, 5, 100, 1_000, 10_000] {
                    let tape = DayTape(records: records, symbols: k)
                    let q = DayTape.ohlcQuery()
                    let s = SparkBenchmark.inMemory(tape: tape, partitions: 1, query: q)
                    let f = FlinkBenchmark.inMemory(tape: tape, partitions: 1, query: q)
                    print("| \(k) | \(format(s?.recordsPerSecond ?? 0)) | \(format(f?.recordsPerSecond ?? 0)) | \(s?.outputRows ?? 0) |")
                }
            }
            if all || curve == "windows" {
                print("\n| window | (key, window) groups over the tape | spark rec/s | flink p=1 rec/s |")
                print("|---:|---:|---:|---:|")
                for (label, ms) in [("10 s", Int64(10_000)), ("1 min", 60_000), ("1 h", 3_600_000), ("1 day", 86_400_000)] {
                    let tape = DayTape(records: records, symbols: 100)
                    let q = DayTape.ohlcQuery(windowMs: ms)
                    let s = SparkBenchmark.inMemory(tape: tape, partitions: 1, query: q)
                    let f = FlinkBenchmark.inMemory(tape: tape, partitions: 1, query: q)
                    let span = Int64(records) * tape.intervalMs
                    print("| \(label) | \(100 * Int((span + ms - 1) / ms)) | \(format(s?.recordsPerSecond ?? 0)) | \(format(f?.recordsPerSecond ?? 0)) |")
                }
            }
            if all || curve == "checkpoints" {
                print("\n| flink checkpoint interval (virtual) | checkpoints | day-fraction wall s | rec/s |")
                print("|---:|---:|---:|---:|")
                let tape = DayTape(records: records)
                let path = try BenchCommand.tapePath(tape)
                for c in [Int64(0), 600, 60, 10, 1] {
                    guard let r = SuiteBenchmark.day(tape: tape, path: path, flinkCheckpointInterval: c > 0 ? .seconds(c) : nil, spark: false) else { continue }
                    print("| \(c == 0 ? "off" : "\(c) s") | \(r.flinkCheckpoints) | \(format2(r.seconds)) | \(format(Double(r.records) / r.seconds)) |")
                }
            }
        }
    }
}

/// "2.1× below" style ratio of a floor to a figure.
func ratio(_ floor: Double, _ figure: Double) -> String {
    guard figure > 0 else { return "n/a" }
    return format2(floor / figure) + "×"
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
