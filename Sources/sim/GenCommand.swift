import ArgumentParser
import SimCore
import SimFeeds

/// `sim gen`: a synthetic feed written straight to a capture.
struct GenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gen",
        abstract: "Generate a synthetic, seeded exchange feed and write it to a capture file.",
        discussion: """
        The generator simulates a market (geometric Brownian motion prices, Poisson trade arrivals) and runs one of \
        the seed producers against it on the virtual clock, writing every message at the instant it reaches the \
        producer client. Look at the result with `sim capture inspect`, or replay it with `sim capture replay`.

        Kinds:
          week6     Binance REST 24 h ticker polled for BTCUSDT then ETHUSDT, sleep 1 s (topic crypto-prices, no key).
                    Amounts are rolling 24 h figures, exactly as the seed sends them.
          coinbase  Coinbase v2 spot price for 5 pairs every 10 s (topic crypto_prices, key = symbol).
          trades    Binance @trade-like messages, one per trade (topic binance.trade, key = symbol).

        Example: ten minutes of the week6 feed across UTC midnight, with 1 % malformed messages:
          sim gen week6 --start 2024-08-08T23:55:00Z --duration 10min --seed 7 --malformed-rate 0.01 -o week6.jsonl.zst
        Reproduce any file by re-running the same command: the seed and flags determine every byte.
        """)

    enum Kind: String, ExpressibleByArgument, CaseIterable { case week6, coinbase, trades }

    @Argument(help: "Payload kind: week6, coinbase or trades.") var kind: Kind
    @Option(name: [.short, .customLong("output")], help: "The capture to write (*.jsonl.zst, or *.jsonl uncompressed).") var output: String
    @Option(help: "Master seed.") var seed: UInt64 = 1
    @Option(help: "Start instant (ISO-8601 UTC).") var start: String = "2024-08-08T23:55:00Z"
    @Option(help: "How long to generate, e.g. 60s, 10min, 1h.") var duration: String = "60s"
    @Option(help: "Comma-separated symbols (default: the seed producer's).") var symbols: String?
    @Option(help: "Topic (default: the seed producer's).") var topic: String?
    @Option(help: "Share of malformed messages (bad JSON, missing field, wrong type).") var malformedRate: Double = 0
    @Option(help: "Probability that a message is sent twice (a retry after a lost ack).") var duplicateRate: Double = 0
    @Option(help: "Probability that a message is held back and overtaken.") var reorderRate: Double = 0
    @Option(help: "Maximum hold-back for reordered messages, e.g. 500ms.") var reorderMax: String = "500ms"
    @Option(help: "Producer clock skew, e.g. 2s or -300ms.") var skew: String = "0ms"
    @Option(help: "An outage as <offset>+<length>, e.g. 30s+10s (repeatable).") var outage: [String] = []
    @Flag(help: "Start the 24 h window empty instead of with a synthetic day of history.") var cold = false

    func run() throws {
        guard let startMs = UTCTimestamp.parse(start) else { throw ValidationError("--start: not an ISO-8601 instant: \(start)") }
        var imp = DeliveryImpairments(producerClockSkew: try SimDuration.parse(skew), reorderProbability: reorderRate, reorderMaxDelay: try SimDuration.parse(reorderMax),
                                      duplicateProbability: duplicateRate, malformedRate: malformedRate)
        for o in outage {
            let parts = o.split(separator: "+").map(String.init)
            guard parts.count == 2 else { throw ValidationError("--outage: expected <offset>+<length>, got \(o)") }
            imp.outages.append(FeedWindow(start: try SimDuration.parse(parts[0]), duration: try SimDuration.parse(parts[1])))
        }
        let list = symbols.map { $0.split(separator: ",").map(String.init) }
        var config = FeedGeneratorConfig(duration: try SimDuration.parse(duration), warmHistory: !cold)
        switch kind {
        case .week6:
            var c = Week6TickerConfig(impairments: imp)
            if let l = list { c.symbols = l }
            if let t = topic { c.topic = t }
            config.week6 = c
        case .coinbase:
            var c = CoinbaseSpotConfig(impairments: imp)
            if let l = list { c.symbols = l }
            if let t = topic { c.topic = t }
            config.coinbase = c
        case .trades:
            var c = TradeStreamConfig(impairments: imp)
            if let l = list { c.symbols = l }
            if let t = topic { c.topic = t }
            config.trades = c
        }
        let env = SimEnvironment(seed: seed, start: ProcessingTime(startMs), detail: .control)
        let header = CaptureHeader(source: "sim gen \(kind.rawValue)", clock: "virtual clock = exchange clock; producer skew \(skew)", createdBy: "streamsim sim gen", seed: seed)
        let recorder = try CaptureRecorder(path: output, header: header)
        let producer = CaptureRecordingProducer(recorder: recorder, scheduler: env.scheduler)
        let generator = FeedGenerator(env: env, producer: producer, config: config)
        generator.start()
        env.scheduler.runUntilIdle()
        try recorder.close()
        print("wrote \(recorder.count) records to \(output)")
        for s in generator.statistics { print("  \(s)") }
    }
}
