import SimCore
public import Scenario

/// Swarm-style scenario generation (after TigerBeetle's VOPR `options_swarm`): each seed switches a random subset of
/// features on — late records, records on window edges, malformed records, several partitions and symbols, sliding
/// windows, Flink parallelism and lateness handling, checkpointing, crashes, different sinks — so rare combinations get
/// tested instead of every run averaging everything. The result is YAML (a `YAMLTree`), so a failure prints as a
/// ready scenario.
///
/// Every generated scenario with a crash keeps records arriving well after the last crash and restart (a *data
/// tail*): a restarted Spark query runs no no-data batch before new data arrives (MicroBatchExecution's
/// `previousContext` is empty after a restart — docs/semantics/spark.md F2), so without a tail its last windows would
/// legitimately stay unemitted and exactly-once would compare nothing useful.
public struct SwarmScenarios: Sendable {
    /// How the features are drawn.
    public enum Profile: String, Sendable, CaseIterable {
        /// Every feature is a coin flip (crashes in a minority of seeds).
        case mixed
        /// Every seed checkpoints and crashes each engine (Flink once or twice, Spark by a driver crash or between
        /// `offsets/N` and `commits/N`), sinks claim exactly-once, no late data: the profile that finds recovery and
        /// sink bugs (a Flink sink that writes before the checkpoint completes, a Spark sink that is not idempotent).
        case crashHeavy = "crash-heavy"
    }

    /// Which engines the generated jobs run on.
    public var engines: [EngineName] = [.spark, .flink]
    /// At most this many records (before the data tail).
    public var maxRecords = 30
    /// Allow crash faults.
    public var faults = true
    /// Allow records later than the watermark delay (and the late-data features).
    public var lateData = true
    public var profile = Profile.mixed

    public init(profile: Profile = .mixed) {
        self.profile = profile
        if profile == .crashHeavy { lateData = false }
    }

    /// The features a seed turned on (printed with a failure, as VOPR prints its option block).
    public struct Features: Sendable, CustomStringConvertible {
        public enum SparkSink: String, Sendable { case memory, file, sqliteIdempotent = "idempotent sqlite", sqlite }
        public var partitions = 1
        /// Records spread over every partition (false: Kafka's key hash, which can leave a partition empty and hold
        /// Flink's watermark at MIN).
        public var spread = true
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
        public var checkpointSeconds = 2
        public var flinkExactlyOnce = false
        public var lateness = false
        public var sideOutput = false
        public var sparkSink = SparkSink.memory
        public var sparkCrash = false
        public var sparkCrashBetweenOffsetsAndCommit = false
        public var flinkCrash = false
        public var flinkCrashes = 1

        public var description: String {
            var on: [String] = ["\(records) records", "\(partitions) partition(s)\(partitions > 1 && !spread ? " by key hash" : "")", "\(symbols) symbol(s)",
                                "\(sliding ? "sliding" : "tumbling") \(windowSeconds)s windows", "delay \(delaySeconds)s", "trigger \(triggerSeconds)s",
                                "spark \(sparkSink.rawValue) sink"]
            if late { on.append("late") }
            if edges { on.append("window edges") }
            if malformed { on.append("malformed") }
            if parallelism > 1 { on.append("flink parallelism \(parallelism)") }
            if checkpointing { on.append("checkpointing every \(checkpointSeconds)s\(flinkExactlyOnce ? ", flink exactly-once sink" : "")") }
            if lateness { on.append("allowed lateness") }
            if sideOutput { on.append("side output") }
            if sparkCrash { on.append("spark crash") }
            if sparkCrashBetweenOffsetsAndCommit { on.append("spark crash between offsets and commit") }
            if flinkCrash { on.append(flinkCrashes > 1 ? "\(flinkCrashes) flink crashes" : "flink crash") }
            return on.joined(separator: ", ")
        }
    }

    /// The features for `seed`.
    public func features(seed: UInt64) -> Features {
        var rng = RandomStreams(seed: seed).stream("swarm")
        func coin(_ p: Double = 0.5) -> Bool { rng.nextDouble() < p }
        func pick<T>(_ xs: [T]) -> T { xs[Int(rng.nextInt(below: UInt64(xs.count)))] }
        let heavy = profile == .crashHeavy
        var f = Features()
        f.partitions = pick([1, 1, 2, 3])
        f.spread = heavy || coin(0.85)
        f.symbols = pick([1, 2, 3])
        f.records = (heavy ? 5 : 3) + Int(rng.nextInt(below: UInt64(max(1, maxRecords - (heavy ? 4 : 2)))))
        f.late = lateData && coin(0.4)
        f.edges = coin(0.3)
        f.malformed = coin(0.2)
        f.sliding = coin(0.25)
        f.windowSeconds = pick([2, 5, 10])
        f.delaySeconds = pick([1, 2, 5])
        f.triggerSeconds = pick([1, 2, 5])
        // A window-operator subtask with no split holds Flink's watermark at MIN (nothing fires): only with the key
        // hash, which is the idle-partition case anyway.
        f.parallelism = f.spread ? min(pick([1, 1, 2]), f.partitions) : pick([1, 1, 2])
        f.checkpointing = heavy || coin(0.6)
        f.checkpointSeconds = pick([1, 2, 5])
        f.flinkExactlyOnce = f.checkpointing && (heavy || coin(0.7))
        f.lateness = lateData && coin(0.25)
        f.sideOutput = lateData && coin(0.25)
        f.sparkSink = heavy ? pick([.memory, .file, .sqliteIdempotent]) : pick([.memory, .memory, .file, .sqliteIdempotent, .sqlite])
        if faults {
            f.sparkCrash = engines.contains(.spark) && coin(heavy ? 0.8 : 0.25)
            f.sparkCrashBetweenOffsetsAndCommit = engines.contains(.spark) && coin(heavy ? 0.5 : 0.2)
            f.flinkCrash = engines.contains(.flink) && f.checkpointing && (heavy || coin(0.3))
            f.flinkCrashes = f.flinkCrash && coin(heavy ? 0.4 : 0.15) ? 2 : 1
        }
        return f
    }

    /// The scenario for `seed`.
    public func scenario(seed: UInt64) throws -> PropertyScenario {
        try PropertyScenario(tree: tree(seed: seed), origin: "swarm seed \(seed)")
    }

    /// Spark's driver comes back this long after a scripted crash (`restart_after`).
    static let sparkRestartAfterMs: Int64 = 3000
    /// Flink's `heartbeat.timeout` in generated scenarios: a lost TaskManager is noticed within a small scenario
    /// (Flink's default of 50 s would cost ~5 000 idle source polls per run for the same recovery path).
    static let heartbeatTimeout = "2 seconds"

    /// The scenario for `seed` as a YAML tree.
    public func tree(seed: UInt64) -> YAMLTree {
        let f = features(seed: seed)
        var rng = RandomStreams(seed: seed).stream("swarm.records")
        let symbols = Array(["BTC", "ETH", "SOL"].prefix(f.symbols))
        let windowMs = Int64(f.windowSeconds) * 1000, delayMs = Int64(f.delaySeconds) * 1000, triggerMs = Int64(f.triggerSeconds) * 1000
        var records: [YAMLTree] = []
        var t: Int64 = 0
        var maxEvent: Int64 = 0
        var prices = [100.0, 20.0, 5.0]
        var n = 0
        func record(late allowLate: Bool) {
            t += 100 + Int64(rng.nextInt(below: 1400))
            let s = allowLate ? Int(rng.nextInt(below: UInt64(symbols.count))) : n % symbols.count
            prices[s] += Double(Int(rng.nextInt(below: 9)) - 4)
            var event = max(0, t - Int64(rng.nextInt(below: UInt64(delayMs))))
            if f.edges && rng.nextDouble() < 0.5 {
                // On a boundary: exactly `delay` behind the newest event (the record a watermark formula off by one
                // judges late), or the last millisecond of the newest window that is not behind it (never ahead of
                // the record's arrival).
                let lo = max(0, maxEvent - delayMs)
                let lastMs = (t / windowMs) * windowMs - 1
                event = rng.nextDouble() < 0.5 || lastMs < lo ? lo : lastMs
            }
            if allowLate && f.late && rng.nextDouble() < 0.2 { event = max(0, maxEvent - delayMs - 1 - Int64(rng.nextInt(below: 15_000))) }
            maxEvent = max(maxEvent, event)
            var r: [YAMLEntry] = [YAMLEntry("at", .plain("+\(t)ms")), YAMLEntry("key", .plain(symbols[s]))]
            if f.partitions > 1 && f.spread {
                // Round robin with an occasional jump, so every partition gets records.
                let p = allowLate && rng.nextDouble() < 0.2 ? Int(rng.nextInt(below: UInt64(f.partitions))) : n % f.partitions
                r.append(YAMLEntry("partition", .plain(String(p))))
            }
            if allowLate && f.malformed && rng.nextDouble() < 0.1 {
                r.append(YAMLEntry("raw", .text("{\"symbol\": \"\(symbols[s])\", \"price\": ")))
            } else {
                r.append(YAMLEntry("value", .map([YAMLEntry("symbol", .plain(symbols[s])), YAMLEntry("event_time", .plain("+\(event)ms")),
                                                   YAMLEntry("price", .plain(String(prices[s]))), YAMLEntry("n", .plain(String(n)))])))
            }
            records.append(.map(r))
            n += 1
        }
        for _ in 0..<f.records { record(late: true) }
        // Faults land in the first half of the records; then records keep arriving (the data tail, round robin over
        // partitions and symbols) until every crashed engine has restarted and seen new data — for Flink, on every
        // partition: a restored split's watermark is MIN until it reads a record (docs/semantics/flink.md), so a
        // partition silent since the restored checkpoint would hold every window open.
        let span = max(t, 2000)
        var faults: [YAMLTree] = []
        var needDataUntil: Int64 = 0
        if f.sparkCrashBetweenOffsetsAndCommit {
            let at = max(500, span / 5 + Int64(rng.nextInt(below: UInt64(max(1, span / 5)))))
            faults.append(.map([YAMLEntry("at", .plain("+\(at)ms")), YAMLEntry("crash_between_offsets_and_commit", .plain("spark"))]))
            // Armed now, it fires at the next batch's offsets/N (within a trigger or two); the driver is back 5 s later.
            needDataUntil = max(needDataUntil, at + 2 * triggerMs + 5000 + 2 * triggerMs + 1000)
        }
        if f.sparkCrash {
            let at = max(1000, span / 4 + Int64(rng.nextInt(below: UInt64(max(1, span / 4)))))
            faults.append(.map([YAMLEntry("at", .plain("+\(at)ms")), YAMLEntry("crash", .plain("spark")), YAMLEntry("restart_after", .plain("\(Self.sparkRestartAfterMs / 1000) seconds"))]))
            needDataUntil = max(needDataUntil, at + Self.sparkRestartAfterMs + 2 * triggerMs + 1000)
        }
        if f.flinkCrash {
            var at: Int64 = 0
            for _ in 0..<f.flinkCrashes {
                at = max(at + 4000, max(1000, span / 4 + Int64(rng.nextInt(below: UInt64(max(1, span / 4))))))
                faults.append(.map([YAMLEntry("at", .plain("+\(at)ms")), YAMLEntry("crash", .plain("flink"))]))
            }
            // Detected after the 2 s heartbeat timeout, restarted after the backoff (≤ ~2 s), then every partition.
            needDataUntil = max(needDataUntil, at + 5000 + 1500 * Int64(f.partitions))
        }
        while t < needDataUntil { record(late: false) }
        let duration = t + 1000
        var doc: [YAMLEntry] = [
            YAMLEntry("name", .plain("swarm-\(seed)")),
            YAMLEntry("description", .text("\(profile == .crashHeavy ? "crash-heavy " : "")swarm seed \(seed): \(f)")),
            YAMLEntry("start", .plain("2024-08-08T23:59:00Z")),
            YAMLEntry("duration", .plain("\(duration)ms")),
            YAMLEntry("drain", .plain("\(max(8, 2 * f.triggerSeconds + 4, f.checkpointSeconds + 6)) seconds")),
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
            let slideMs = windowMs / 2
            query.append(YAMLEntry("window", .map([YAMLEntry("sliding", .map([YAMLEntry("size", .plain("\(f.windowSeconds) seconds")), YAMLEntry("slide", .plain("\(slideMs) ms"))]))])))
        } else {
            query.append(YAMLEntry("window", .map([YAMLEntry("tumbling", .plain("\(f.windowSeconds) seconds"))])))
        }
        query.append(YAMLEntry("group_by", .list([.plain("symbol")])))
        query.append(YAMLEntry("aggregates", .list(["count(*) AS trades", "sum(price) AS total", "max(price) AS high", "min(price) AS low"].map { .plain($0) })))
        var job: [YAMLEntry] = [YAMLEntry("name", .plain("candles")), YAMLEntry("query", .map(query))]
        if engines.contains(.spark) {
            let sink: YAMLTree
            switch f.sparkSink {
            case .memory: sink = .map([YAMLEntry("type", .plain("memory"))])
            case .file: sink = .map([YAMLEntry("type", .plain("file")), YAMLEntry("path", .plain("runs/swarm-\(seed)-out"))])
            case .sqliteIdempotent:
                sink = .map([YAMLEntry("type", .plain("sqlite")), YAMLEntry("table", .plain("candles_spark")), YAMLEntry("idempotent", .plain("true"))])
            case .sqlite: sink = .map([YAMLEntry("type", .plain("sqlite")), YAMLEntry("table", .plain("candles_spark"))])
            }
            job.append(YAMLEntry("spark", .map([YAMLEntry("trigger", .plain("\(f.triggerSeconds) seconds")), YAMLEntry("sink", sink)])))
        }
        if engines.contains(.flink) {
            var flink: [YAMLEntry] = []
            if f.parallelism > 1 { flink.append(YAMLEntry("parallelism", .plain(String(f.parallelism)))) }
            if f.lateness { flink.append(YAMLEntry("allowedLateness", .plain("5 seconds"))) }
            if f.sideOutput { flink.append(YAMLEntry("sideOutputLateData", .plain("true"))) }
            if f.malformed { flink.append(YAMLEntry("json.ignore-parse-errors", .plain("true"))) }
            if f.flinkCrash { flink.append(YAMLEntry("heartbeat.timeout", .plain(Self.heartbeatTimeout))) }
            if f.checkpointing {
                flink.append(YAMLEntry("execution.checkpointing.interval", .plain("\(f.checkpointSeconds) seconds")))
            }
            var sink: [YAMLEntry] = [YAMLEntry("type", .plain("jdbc")), YAMLEntry("table", .plain("candles_flink"))]
            if f.flinkExactlyOnce { sink.append(YAMLEntry("mode", .plain("exactly-once"))) }
            flink.append(YAMLEntry("sink", .map(sink)))
            job.append(YAMLEntry("flink", .map(flink)))
        }
        doc.append(YAMLEntry("jobs", .list([.map(job)])))
        if !faults.isEmpty { doc.append(YAMLEntry("faults", .list(faults))) }
        return .map(doc)
    }
}
