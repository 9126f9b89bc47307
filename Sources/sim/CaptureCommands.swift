import ArgumentParser
import SimCore
import SimFeeds
import SimLog

/// `sim capture …`: import, inspect and replay captures.
struct CaptureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capture",
        abstract: "Import, inspect and replay recorded feeds (StreamSim captures, *.jsonl.zst).",
        discussion: """
        A capture is zstd-compressed JSON Lines: a header line, then one record per line with its receive time, \
        topic, key, raw payload and exchange event time (docs/capture-format.md). Read one with `zstdcat FILE | head`.

        Typical flow:
          sim capture import ../shared/captures/binance-spot-hftbacktest/*.gz -o binance.jsonl.zst
          sim capture inspect binance.jsonl.zst
          sim capture replay binance.jsonl.zst --speed 10
        """,
        subcommands: [CaptureImportCommand.self, CaptureInspectCommand.self, CaptureReplayCommand.self])
}

struct CaptureImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Convert real recordings (hftbacktest .gz, cryptofeed .ws.*) into a capture.",
        discussion: """
        Each exchange stream becomes a topic keyed by symbol: Binance <sym>@trade → binance.trade, @bookTicker → \
        binance.bookTicker, @depth@100ms → binance.depth; Coinbase messages → coinbase.<type> (ticker, match, \
        l2update, …). The payload is the exchange's own JSON (Binance's combined-stream "data" object), and the \
        exchange event time (E, else T, else time) is stored next to it. Connect/subscribe lines and REST \
        snapshots are skipped. Several files are merged by receive time.

        Example: one minute of BTC and ETH trades and depth around UTC midnight:
          sim capture import ../shared/captures/binance-spot-hftbacktest/*.gz \\
              --topics binance.trade,binance.depth --event-from 2024-08-08T23:59:30Z --event-to 2024-08-09T00:00:30Z \\
              -o fixtures/captures/binance-spot-midnight.jsonl.zst
        """)

    @Argument(help: "Input files, merged by receive time.") var inputs: [String]
    @Option(name: [.short, .customLong("output")], help: "The capture to write.") var output: String
    @Option(help: "hftbacktest or cryptofeed (default: from the file names).") var format: String?
    @Option(help: "Comma-separated topics to keep.") var topics: String?
    @Option(help: "Comma-separated symbols to keep.") var symbols: String?
    @Option(help: "Keep records with exchange event time at or after this instant.") var eventFrom: String?
    @Option(help: "Keep records with exchange event time before this instant.") var eventTo: String?
    @Option(help: "Text for the header's source field.") var source: String?
    @Option(help: "Text for the header's clock field.") var clock: String = "receive time = recorder's local clock (not synchronised with the exchange)"

    func run() throws {
        var fmt: RawCaptureFormat? = nil
        if let f = format {
            guard let x = RawCaptureFormat(rawValue: f) else { throw ValidationError("--format must be hftbacktest or cryptofeed") }
            fmt = x
        }
        func instant(_ s: String?, _ name: String) throws -> EventTime? {
            guard let s else { return nil }
            guard let ms = UTCTimestamp.parse(s) else { throw ValidationError("\(name): not an ISO-8601 instant: \(s)") }
            return EventTime(ms)
        }
        let filter = CaptureImportFilter(topics: topics.map { $0.split(separator: ",").map(String.init) }, keys: symbols.map { $0.split(separator: ",").map(String.init) },
                                         eventFrom: try instant(eventFrom, "--event-from"), eventTo: try instant(eventTo, "--event-to"))
        let names = inputs.map { $0.split(separator: "/").last.map(String.init) ?? $0 }
        let summary = try CaptureImporter.importFiles(inputs, format: fmt, filter: filter, to: output, source: source ?? "import " + names.joined(separator: " "), clock: clock)
        print("\(output): \(summary)")
    }
}

struct CaptureInspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Print counts, rates, time span and event-time disorder of a capture.",
        discussion: """
        Disorder is measured as in the research note (seed-and-captures.md §B3): walk records in arrival order; a \
        record is out of order (OOO) when its event time is below the running maximum of earlier records in the \
        same scope, and its lateness is that maximum minus its event time. Scopes: each topic/key stream, each topic \
        with keys merged, each key with topics merged, and everything merged. "p99" is the 99th percentile of the \
        lateness of the out-of-order records.

        Example: trade-time (T) disorder instead of the recorded event time (E):
          sim capture inspect fixtures/captures/binance-spot-midnight.jsonl.zst --event-field T
        """)

    @Argument(help: "The capture file.") var file: String
    @Option(help: "Re-extract event time from the payload: E, T, time or event_time (default: the recorded event time).") var eventField: String?

    func run() throws {
        var field: PayloadEventTime.Field? = nil
        if let f = eventField {
            guard let x = PayloadEventTime.Field(rawValue: f) else { throw ValidationError("--event-field must be one of E, T, time, event_time, automatic") }
            field = x
        }
        print(try CaptureStatistics.compute(path: file, field: field).report(), terminator: "")
    }
}

struct CaptureReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay a capture into an in-process log and summarise what was appended.",
        discussion: """
        Records are produced at their recorded receive times on the virtual clock (time-faithful), optionally \
        faster, rebased, looped, filtered or perturbed (jitter, bounded reordering, a disconnect gap, per-topic \
        skew). Every perturbation is drawn from the seed, so the same flags always give the same log and digest.
        The target is a direct-append log (no producer batching yet): topics have 1 partition unless --partitions \
        says otherwise.

        Example: replay at 10× speed, only BTC, with 1 % of records held back up to 20 ms:
          sim capture replay binance.jsonl.zst --speed 10 --symbols BTCUSDT --reorder-rate 0.01 --reorder-max 20ms
        """)

    @Argument(help: "The capture file.") var file: String
    @Option(help: "Master seed for the perturbations.") var seed: UInt64 = 1
    @Option(help: "Speed factor (2 = twice as fast).") var speed: Double = 1
    @Option(help: "Rebase the first record to this ISO-8601 instant.") var rebase: String?
    @Option(help: "Play the file this many times.") var loops: Int = 1
    @Option(help: "Comma-separated symbols (keys) to keep.") var symbols: String?
    @Option(help: "Gap jitter j: each gap × uniform[1-j, 1+j].") var gapJitter: Double = 0
    @Option(help: "Probability that a record is held back.") var reorderRate: Double = 0
    @Option(help: "Maximum hold-back, e.g. 20ms.") var reorderMax: String = "50ms"
    @Option(help: "A disconnect as <offset>+<length> (records in it are dropped), e.g. 30s+5s.") var disconnect: String?
    @Option(help: "Per-topic receive skew as topic=duration (repeatable), e.g. binance.depth=-5ms.") var skew: [String] = []
    @Option(help: "Partitions per topic as topic=n (repeatable).") var partitions: [String] = []

    func run() throws {
        var options = ReplayOptions(speed: speed, loops: loops, keys: symbols.map { $0.split(separator: ",").map(String.init) }, gapJitter: gapJitter,
                                    reorderProbability: reorderRate, reorderMaxDelay: try SimDuration.parse(reorderMax))
        if let r = rebase {
            guard let ms = UTCTimestamp.parse(r) else { throw ValidationError("--rebase: not an ISO-8601 instant: \(r)") }
            options.rebaseTo = ProcessingTime(ms)
        }
        if let d = disconnect {
            let parts = d.split(separator: "+").map(String.init)
            guard parts.count == 2 else { throw ValidationError("--disconnect: expected <offset>+<length>") }
            options.disconnect = ReplayDisconnect(window: FeedWindow(start: try SimDuration.parse(parts[0]), duration: try SimDuration.parse(parts[1])))
        }
        for s in skew {
            let kv = s.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { throw ValidationError("--skew: expected topic=duration") }
            options.topicSkews.append(TopicSkew(topic: kv[0], skew: try SimDuration.parse(kv[1])))
        }
        var counts: [(topic: String, count: Int32)] = []
        for p in partitions {
            let kv = p.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2, let n = Int32(kv[1]), n > 0 else { throw ValidationError("--partitions: expected topic=n") }
            counts.append((kv[0], n))
        }
        let first = try CaptureReader(path: file).next()
        let start = options.rebaseTo ?? first?.receiveTime ?? .epoch
        let env = SimEnvironment(seed: seed, start: start)
        let log = try IngestLog(env: env, partitions: counts)
        let replayer = try CaptureReplayer(path: file, env: env, producer: log, options: options)
        replayer.start()
        env.scheduler.runUntilIdle()
        if let e = replayer.error { throw e }
        print("replayed \(replayer.sent) of \(replayer.fileRecordCount) records (\(replayer.dropped) dropped in the disconnect) from \(file)")
        print("virtual time: \(start) .. \(env.now)")
        print("records per topic-partition (= log end offset, since the log starts empty):")
        for (tp, end) in log.partitionEndOffsets { print("  \(tp): \(end)") }
        print("log content digest: \(log.contentDigest)")
        print("trace digest:       \(env.trace.digest) (\(env.trace.eventCount) events)")
    }
}
