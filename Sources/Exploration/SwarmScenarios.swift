import SimCore
public import Scenario

/// Swarm-style scenario generation (after TigerBeetle's VOPR `options_swarm`): each seed switches a random subset of
/// features on — late records, records on window edges, malformed records, several partitions and symbols, sliding
/// windows, Flink parallelism and lateness handling, checkpointing, crashes — so rare combinations get tested instead
/// of every run averaging everything. The result is YAML (a `YAMLTree`), so a failure prints as a ready scenario.
public struct SwarmScenarios: Sendable {
    /// Which engines the generated jobs run on.
    public var engines: [EngineName] = [.spark, .flink]
    /// At most this many records.
    public var maxRecords = 30
    /// Allow crash faults.
    public var faults = true
    /// Allow records later than the watermark delay (and the late-data features).
    public var lateData = true

    public init() {}

    /// The features a seed turned on (printed with a failure, as VOPR prints its option block).
    public struct Features: Sendable, CustomStringConvertible {
        public var partitions = 1
        public var symbols = 1
        public var records = 10
        public var late = false
        public var edges = false
        public var malformed = false
        public var sliding = false
        public var windowSeconds = 10
        public var delaySeconds = 2
        public var triggerSeconds = 2
        public var parallelism = 1
        public var checkpointing = false
        public var lateness = false
        public var sideOutput = false
        public var sparkCrash = false
        public var sparkCrashBetweenOffsetsAndCommit = false
        public var flinkCrash = false
        public var idempotentSQLite = false

        public var description: String {
            var on: [String] = ["\(records) records", "\(partitions) partition(s)", "\(symbols) symbol(s)",
                                "\(sliding ? "sliding" : "tumbling") \(windowSeconds)s windows", "delay \(delaySeconds)s", "trigger \(triggerSeconds)s"]
            if late { on.append("late") }
            if edges { on.append("window edges") }
            if malformed { on.append("malformed") }
            if parallelism > 1 { on.append("flink parallelism \(parallelism)") }
            if checkpointing { on.append("checkpointing") }
            if lateness { on.append("allowed lateness") }
            if sideOutput { on.append("side output") }
            if sparkCrash { on.append("spark crash") }
            if sparkCrashBetweenOffsetsAndCommit { on.append("spark crash between offsets and commit") }
            if flinkCrash { on.append("flink crash") }
            if idempotentSQLite { on.append("idempotent sqlite sink") }
            return on.joined(separator: ", ")
        }
    }

    /// The features for `seed`.
    public func features(seed: UInt64) -> Features {
        var rng = RandomStreams(seed: seed).stream("swarm")
        func coin(_ p: Double = 0.5) -> Bool { rng.nextDouble() < p }
        func pick<T>(_ xs: [T]) -> T { xs[Int(rng.nextInt(below: UInt64(xs.count)))] }
        var f = Features()
        f.partitions = pick([1, 1, 2, 3])
        f.symbols = pick([1, 2, 3])
        f.records = 3 + Int(rng.nextInt(below: UInt64(max(1, maxRecords - 2))))
        f.late = lateData && coin(0.4)
        f.edges = coin(0.3)
        f.malformed = coin(0.2)
        f.sliding = coin(0.25)
        f.windowSeconds = pick([5, 10])
        f.delaySeconds = pick([1, 2, 5])
        f.triggerSeconds = pick([1, 2, 5])
        f.parallelism = pick([1, 1, 2])
        f.checkpointing = coin(0.6)
        f.lateness = lateData && coin(0.25)
        f.sideOutput = lateData && coin(0.25)
        f.idempotentSQLite = coin(0.3)
        if faults {
            f.sparkCrash = engines.contains(.spark) && coin(0.25)
            f.sparkCrashBetweenOffsetsAndCommit = engines.contains(.spark) && coin(0.2)
            f.flinkCrash = engines.contains(.flink) && f.checkpointing && coin(0.3)
        }
        return f
    }

    /// The scenario for `seed`.
    public func scenario(seed: UInt64) throws -> PropertyScenario {
        try PropertyScenario(tree: tree(seed: seed), origin: "swarm seed \(seed)")
    }

    /// The scenario for `seed` as a YAML tree.
    public func tree(seed: UInt64) -> YAMLTree {
        let f = features(seed: seed)
        var rng = RandomStreams(seed: seed).stream("swarm.records")
        let symbols = Array(["BTC", "ETH", "SOL"].prefix(f.symbols))
        let windowMs = Int64(f.windowSeconds) * 1000, delayMs = Int64(f.delaySeconds) * 1000
        var records: [YAMLTree] = []
        var t: Int64 = 0
        var maxEvent: Int64 = 0
        var prices = [100.0, 20.0, 5.0]
        for i in 0..<f.records {
            t += 100 + Int64(rng.nextInt(below: 1400))
            let s = Int(rng.nextInt(below: UInt64(symbols.count)))
            prices[s] += Double(Int(rng.nextInt(below: 9)) - 4)
            var event = max(0, t - Int64(rng.nextInt(below: UInt64(delayMs))))
            if f.edges && rng.nextDouble() < 0.5 {
                // The last millisecond of a window, exactly `delay` behind the newest event: the boundary a watermark
                // formula off by one gets wrong.
                let lo = max(0, maxEvent - delayMs)
                event = (lo / windowMs + 1) * windowMs - 1
            }
            if f.late && rng.nextDouble() < 0.2 { event = max(0, maxEvent - delayMs - 1 - Int64(rng.nextInt(below: 15_000))) }
            maxEvent = max(maxEvent, event)
            var r: [YAMLEntry] = [YAMLEntry("at", .plain("+\(t)ms")), YAMLEntry("key", .plain(symbols[s]))]
            if f.malformed && rng.nextDouble() < 0.1 {
                r.append(YAMLEntry("raw", .text("{\"symbol\": \"\(symbols[s])\", \"price\": ")))
            } else {
                r.append(YAMLEntry("value", .map([YAMLEntry("symbol", .plain(symbols[s])), YAMLEntry("event_time", .plain("+\(event)ms")),
                                                   YAMLEntry("price", .plain(String(prices[s]))), YAMLEntry("n", .plain(String(i)))])))
            }
            records.append(.map(r))
        }
        let duration = t + 2000
        var doc: [YAMLEntry] = [
            YAMLEntry("name", .plain("swarm-\(seed)")),
            YAMLEntry("description", .text("swarm seed \(seed): \(f)")),
            YAMLEntry("start", .plain("2024-08-08T23:59:00Z")),
            YAMLEntry("duration", .plain("\(duration)ms")),
            YAMLEntry("drain", .plain(f.flinkCrash ? "70 seconds" : "12 seconds")),
            YAMLEntry("topics", .list([.map([YAMLEntry("name", .plain("ticks")), YAMLEntry("partitions", .plain(String(f.partitions)))])])),
            YAMLEntry("feeds", .list([.map([YAMLEntry("name", .plain("story")), YAMLEntry("topic", .plain("ticks")), YAMLEntry("records", .list(records))])])),
        ]
        var query: [YAMLEntry] = [
            YAMLEntry("topic", .plain("ticks")),
            YAMLEntry("schema", .map([YAMLEntry("symbol", .plain("string")), YAMLEntry("event_time", .plain("long")), YAMLEntry("price", .plain("double")), YAMLEntry("n", .plain("long"))])),
            YAMLEntry("columns", .map([YAMLEntry("ts", .plain("timestamp_millis(event_time)"))])),
            YAMLEntry("filter", .plain("ts IS NOT NULL")),
            YAMLEntry("watermark", .map([YAMLEntry("column", .plain("ts")), YAMLEntry("delay", .plain("\(f.delaySeconds) seconds"))])),
        ]
        if f.sliding {
            query.append(YAMLEntry("window", .map([YAMLEntry("sliding", .map([YAMLEntry("size", .plain("\(f.windowSeconds) seconds")), YAMLEntry("slide", .plain("\(f.windowSeconds / 2) seconds"))]))])))
        } else {
            query.append(YAMLEntry("window", .map([YAMLEntry("tumbling", .plain("\(f.windowSeconds) seconds"))])))
        }
        query.append(YAMLEntry("group_by", .list([.plain("symbol")])))
        query.append(YAMLEntry("aggregates", .list(["count(*) AS trades", "sum(price) AS total", "max(price) AS high", "min(price) AS low"].map { .plain($0) })))
        var job: [YAMLEntry] = [YAMLEntry("name", .plain("candles")), YAMLEntry("query", .map(query))]
        if engines.contains(.spark) {
            let sink: YAMLTree = f.idempotentSQLite
                ? .map([YAMLEntry("type", .plain("sqlite")), YAMLEntry("table", .plain("candles_spark")), YAMLEntry("idempotent", .plain("true"))])
                : .map([YAMLEntry("type", .plain("memory"))])
            job.append(YAMLEntry("spark", .map([YAMLEntry("trigger", .plain("\(f.triggerSeconds) seconds")), YAMLEntry("sink", sink)])))
        }
        if engines.contains(.flink) {
            var flink: [YAMLEntry] = []
            if f.parallelism > 1 { flink.append(YAMLEntry("parallelism", .plain(String(f.parallelism)))) }
            if f.lateness { flink.append(YAMLEntry("allowedLateness", .plain("5 seconds"))) }
            if f.sideOutput { flink.append(YAMLEntry("sideOutputLateData", .plain("true"))) }
            if f.malformed { flink.append(YAMLEntry("json.ignore-parse-errors", .plain("true"))) }
            if f.checkpointing {
                flink.append(YAMLEntry("execution.checkpointing.interval", .plain("2 seconds")))
                flink.append(YAMLEntry("sink", .map([YAMLEntry("type", .plain("jdbc")), YAMLEntry("table", .plain("candles_flink")), YAMLEntry("mode", .plain("exactly-once"))])))
            } else {
                flink.append(YAMLEntry("sink", .map([YAMLEntry("type", .plain("jdbc")), YAMLEntry("table", .plain("candles_flink"))])))
            }
            job.append(YAMLEntry("flink", .map(flink)))
        }
        doc.append(YAMLEntry("jobs", .list([.map(job)])))
        var faults: [YAMLTree] = []
        let crashAt = max(1000, duration / 2 + Int64(rng.nextInt(below: UInt64(max(1, duration / 3)))))
        if f.sparkCrash { faults.append(.map([YAMLEntry("at", .plain("+\(crashAt)ms")), YAMLEntry("crash", .plain("spark")), YAMLEntry("restart_after", .plain("3 seconds"))])) }
        if f.sparkCrashBetweenOffsetsAndCommit {
            faults.append(.map([YAMLEntry("at", .plain("+\(duration / 3)ms")), YAMLEntry("crash_between_offsets_and_commit", .plain("spark"))]))
        }
        if f.flinkCrash { faults.append(.map([YAMLEntry("at", .plain("+\(crashAt)ms")), YAMLEntry("crash", .plain("flink"))])) }
        if !faults.isEmpty { doc.append(YAMLEntry("faults", .list(faults))) }
        return .map(doc)
    }
}
