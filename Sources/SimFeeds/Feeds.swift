public import SimCore
public import SimLog

// The three synthetic feeds. Each is a chain of scheduler events that mirrors the seed producer's loop step by
// step on the virtual clock (request → server computes → response → send → next request → sleep), so the gaps
// between messages come from the same place as in the real scripts: sequential HTTP round trips plus a sleep.

/// The week6 producer (`doanthetin193/BigDataProject` `week6_streaming/websocket_producer.py`): REST
/// `/api/v3/ticker/24hr` for each symbol in turn, a synchronous `send(...).get()`, then `time.sleep(1)`.
public struct Week6TickerConfig: Codable, Sendable, Hashable {
    public var symbols: [String]
    /// `crypto-prices` (hyphen), auto-created with the broker default of 1 partition; messages have no key.
    public var topic: String
    public var sleep: SimDuration
    /// The HTTP round trip of one REST call (the server computes the ticker half-way through).
    public var httpLatency: DelayDistribution
    /// `future.get(timeout=10)`: the wait for the broker's ack before the next request (acks='all').
    public var sendAckWait: DelayDistribution
    /// The producer host's offset from UTC, used for the naive `timestamp` string (the author is in UTC+7).
    public var localUTCOffset: SimDuration
    public var impairments: DeliveryImpairments

    public static let partitions: Int32 = 1

    public init(symbols: [String] = ["BTCUSDT", "ETHUSDT"], topic: String = "crypto-prices", sleep: SimDuration = .seconds(1),
                httpLatency: DelayDistribution = .spikes(base: .logNormal(medianMs: 90, sigma: 0.3), probability: 0.01, spikeMs: 400),
                sendAckWait: DelayDistribution = .logNormal(medianMs: 4, sigma: 0.5), localUTCOffset: SimDuration = .hours(7),
                impairments: DeliveryImpairments = .none) {
        self.symbols = symbols
        self.topic = topic
        self.sleep = sleep
        self.httpLatency = httpLatency
        self.sendAckWait = sendAckWait
        self.localUTCOffset = localUTCOffset
        self.impairments = impairments
    }

    enum CodingKeys: String, CodingKey { case symbols, topic, sleep, httpLatency, sendAckWait, localUTCOffset, impairments }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = Week6TickerConfig()
        self.init(symbols: try c.value(.symbols, or: d.symbols), topic: try c.value(.topic, or: d.topic), sleep: try c.value(.sleep, or: d.sleep),
                  httpLatency: try c.value(.httpLatency, or: d.httpLatency), sendAckWait: try c.value(.sendAckWait, or: d.sendAckWait),
                  localUTCOffset: try c.value(.localUTCOffset, or: d.localUTCOffset), impairments: try c.value(.impairments, or: d.impairments))
    }
}

/// The Spark-vs-Flink producer (`vngbthang/…-flink-is405` `coinbase_producer.py`): v2 spot price for 5 pairs in
/// turn, `send(key=symbol)` without waiting, `flush()`, then `sleep(POLL_INTERVAL_SECONDS=10)`.
public struct CoinbaseSpotConfig: Codable, Sendable, Hashable {
    public var symbols: [String]
    /// `crypto_prices` (underscore), created with 3 partitions; key = symbol.
    public var topic: String
    public var sleep: SimDuration
    public var httpLatency: DelayDistribution
    /// `producer.flush()` after each iteration.
    public var flushWait: DelayDistribution
    public var impairments: DeliveryImpairments

    public static let partitions: Int32 = 3

    public init(symbols: [String] = ["BTC-USD", "ETH-USD", "SOL-USD", "ADA-USD", "DOGE-USD"], topic: String = "crypto_prices", sleep: SimDuration = .seconds(10),
                httpLatency: DelayDistribution = .spikes(base: .logNormal(medianMs: 120, sigma: 0.35), probability: 0.01, spikeMs: 600),
                flushWait: DelayDistribution = .logNormal(medianMs: 6, sigma: 0.5), impairments: DeliveryImpairments = .none) {
        self.symbols = symbols
        self.topic = topic
        self.sleep = sleep
        self.httpLatency = httpLatency
        self.flushWait = flushWait
        self.impairments = impairments
    }

    enum CodingKeys: String, CodingKey { case symbols, topic, sleep, httpLatency, flushWait, impairments }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = CoinbaseSpotConfig()
        self.init(symbols: try c.value(.symbols, or: d.symbols), topic: try c.value(.topic, or: d.topic), sleep: try c.value(.sleep, or: d.sleep),
                  httpLatency: try c.value(.httpLatency, or: d.httpLatency), flushWait: try c.value(.flushWait, or: d.flushWait), impairments: try c.value(.impairments, or: d.impairments))
    }
}

/// A Binance `<symbol>@trade`-like stream forwarded one message per trade, keyed by symbol.
public struct TradeStreamConfig: Codable, Sendable, Hashable {
    public var symbols: [String]
    public var topic: String
    /// Event time minus trade time (`E − T`): a few ms normally (research note §B3).
    public var publishLag: DelayDistribution
    /// Exchange → producer client. The real capture's skew-corrected delay: p50 ≈ 2.5 ms, p99 ≈ 4–18 ms.
    public var networkDelay: DelayDistribution
    /// Each symbol's stream is one ordered (TCP) stream: a message never overtakes an earlier one of the same symbol.
    public var fifoPerSymbol: Bool
    public var impairments: DeliveryImpairments

    public init(symbols: [String] = ["BTCUSDT", "ETHUSDT"], topic: String = "binance.trade",
                publishLag: DelayDistribution = .logNormal(medianMs: 1, sigma: 0.8),
                networkDelay: DelayDistribution = .spikes(base: .logNormal(medianMs: 2.5, sigma: 0.45), probability: 0.005, spikeMs: 15),
                fifoPerSymbol: Bool = true, impairments: DeliveryImpairments = .none) {
        self.symbols = symbols
        self.topic = topic
        self.publishLag = publishLag
        self.networkDelay = networkDelay
        self.fifoPerSymbol = fifoPerSymbol
        self.impairments = impairments
    }

    enum CodingKeys: String, CodingKey { case symbols, topic, publishLag, networkDelay, fifoPerSymbol, impairments }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = TradeStreamConfig()
        self.init(symbols: try c.value(.symbols, or: d.symbols), topic: try c.value(.topic, or: d.topic), publishLag: try c.value(.publishLag, or: d.publishLag),
                  networkDelay: try c.value(.networkDelay, or: d.networkDelay), fifoPerSymbol: try c.value(.fifoPerSymbol, or: d.fifoPerSymbol), impairments: try c.value(.impairments, or: d.impairments))
    }
}

/// Everything `FeedGenerator` runs.
public struct FeedGeneratorConfig: Codable, Sendable, Hashable {
    public var week6: Week6TickerConfig?
    public var coinbase: CoinbaseSpotConfig?
    public var trades: TradeStreamConfig?
    /// Per-symbol market models overriding the presets in `SymbolModel.preset`.
    public var symbolModels: [SymbolModel]
    /// How long the feeds run; nil = until the scenario stops the scheduler.
    public var duration: SimDuration?
    /// Start the week6 symbols with a synthetic 24 h history, so the first ticker shows a full rolling day.
    public var warmHistory: Bool

    public init(week6: Week6TickerConfig? = nil, coinbase: CoinbaseSpotConfig? = nil, trades: TradeStreamConfig? = nil,
                symbolModels: [SymbolModel] = [], duration: SimDuration? = nil, warmHistory: Bool = true) {
        self.week6 = week6
        self.coinbase = coinbase
        self.trades = trades
        self.symbolModels = symbolModels
        self.duration = duration
        self.warmHistory = warmHistory
    }

    enum CodingKeys: String, CodingKey { case week6, coinbase, trades, symbolModels, duration, warmHistory }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(week6: try c.decodeIfPresent(Week6TickerConfig.self, forKey: .week6), coinbase: try c.decodeIfPresent(CoinbaseSpotConfig.self, forKey: .coinbase),
                  trades: try c.decodeIfPresent(TradeStreamConfig.self, forKey: .trades), symbolModels: try c.value(.symbolModels, or: []),
                  duration: try c.decodeIfPresent(SimDuration.self, forKey: .duration), warmHistory: try c.value(.warmHistory, or: true))
    }

    func model(_ symbol: String) -> SymbolModel { symbolModels.first { $0.symbol == symbol } ?? SymbolModel.preset(symbol) }
}

/// Runs the configured feeds on `env`'s scheduler from `env.now`, sending into `producer`.
///
///     let env = SimEnvironment(seed: 42, start: ProcessingTime(UTCTimestamp.parse("2024-08-08T23:54:15Z")!))
///     let gen = FeedGenerator(env: env, producer: log.producer, config: .init(week6: .init(), duration: .minutes(10)))
///     gen.start()  // schedules the first polls
///     env.scheduler.runUntilIdle()
public final class FeedGenerator {
    public let config: FeedGeneratorConfig
    public let market: MarketSimulation
    let env: SimEnvironment
    /// When the feeds start (the scheduler's time at creation) and stop.
    public let startTime: ProcessingTime
    public let stopTime: ProcessingTime
    var deliveries: [FeedDelivery] = []
    private let producer: any RecordProducing

    public init(env: SimEnvironment, producer: any RecordProducing, config: FeedGeneratorConfig) {
        self.env = env
        self.producer = producer
        self.config = config
        startTime = env.now
        stopTime = config.duration.map { env.now + $0 } ?? .distantFuture
        var symbols: [String] = []
        for s in (config.week6?.symbols ?? []) + (config.trades?.symbols ?? []) + (config.coinbase?.symbols ?? []) where !symbols.contains(s) { symbols.append(s) }
        let warm = config.warmHistory ? (config.week6?.symbols ?? []) : []
        market = MarketSimulation(models: symbols.map { config.model($0) }, random: env.random, start: env.now, warmSymbols: warm,
                                   rateBursts: config.trades?.impairments.bursts ?? [])
    }

    /// Schedules the first step of every feed.
    public func start() {
        if let c = config.trades { startTrades(c) }
        if let c = config.week6 { startWeek6(c) }
        if let c = config.coinbase { startCoinbase(c) }
    }

    /// Per-feed counts so far.
    public var statistics: [FeedStatistics] { deliveries.map(\.statistics) }

    // MARK: week6

    private func startWeek6(_ c: Week6TickerConfig) {
        let delivery = FeedDelivery(env: env, producer: producer, impairments: c.impairments, name: "week6", start: startTime)
        deliveries.append(delivery)
        var latency = env.random.stream("feed.week6.http")
        var ackWait = env.random.stream("feed.week6.ack")
        let indices = c.symbols.map { market.index(of: $0)! }
        let models = c.symbols.map { config.model($0) }
        // One request: the server computes the ticker half-way through the round trip; the response is sent at once.
        func request(_ k: Int, at t: ProcessingTime) {
            guard t < stopTime else { return }
            let rtt = c.httpLatency.sample(&latency)
            let server = t + .milliseconds(Int64(rtt / 2))
            let response = t + .milliseconds(Int64(rtt))
            env.scheduler.schedule(at: server, phase: .input, "feed.week6 server \(c.symbols[k])") { [self] in
                let ticker = market.rollingTicker(symbol: indices[k], closeTime: server.millisecondsSinceEpoch)
                let local = NaiveLocalTimestamp.isoformat(utcMilliseconds: delivery.producerClock(response), utcOffset: c.localUTCOffset)
                let payload = SeedPayloads.week6Ticker(symbol: c.symbols[k], model: models[k], ticker: ticker, localTimestamp: local)
                delivery.deliver(topic: c.topic, key: nil, payload: payload, style: .pythonJSONDumps, eventTime: EventTime(ticker.closeTime), at: response)
                var next = response + .milliseconds(Int64(c.sendAckWait.sample(&ackWait)))
                if k + 1 < c.symbols.count {
                    request(k + 1, at: next)
                } else {
                    let m = c.impairments.rateMultiplier(atOffset: delivery.offset(next))
                    next = next + .milliseconds(Int64((Double(c.sleep.milliseconds) / max(m, 1e-9)).rounded()))
                    env.scheduler.schedule(at: next, phase: .input, "feed.week6 poll") { request(0, at: next) }
                }
            }
        }
        env.scheduler.schedule(at: startTime, phase: .input, "feed.week6 poll") { request(0, at: self.startTime) }
    }

    // MARK: coinbase

    private func startCoinbase(_ c: CoinbaseSpotConfig) {
        let delivery = FeedDelivery(env: env, producer: producer, impairments: c.impairments, name: "coinbase", start: startTime)
        deliveries.append(delivery)
        var latency = env.random.stream("feed.coinbase.http")
        var flushWait = env.random.stream("feed.coinbase.flush")
        let indices = c.symbols.map { market.index(of: $0)! }
        let models = c.symbols.map { config.model($0) }
        var iteration: Int64 = 0
        var stamp: Int64 = 0
        func request(_ k: Int, at t: ProcessingTime) {
            guard t < stopTime else { return }
            if k == 0 {
                iteration += 1
                stamp = floorDiv(delivery.producerClock(t), 1000)  // int(time.time()), once per iteration
            }
            let rtt = c.httpLatency.sample(&latency)
            let server = t + .milliseconds(Int64(rtt / 2))
            let response = t + .milliseconds(Int64(rtt))
            let it = iteration, ts = stamp
            env.scheduler.schedule(at: server, phase: .input, "feed.coinbase server \(c.symbols[k])") { [self] in
                let price = market.lastPriceUnits(symbol: indices[k], at: server)
                let payload = SeedPayloads.coinbaseSpot(symbol: c.symbols[k], model: models[k], priceUnits: price, epochSeconds: ts, iteration: it)
                delivery.deliver(topic: c.topic, key: c.symbols[k], payload: payload, style: .pythonJSONDumps, eventTime: EventTime(ts * 1000), at: response)
                if k + 1 < c.symbols.count {
                    request(k + 1, at: response)
                } else {
                    var next = response + .milliseconds(Int64(c.flushWait.sample(&flushWait)))
                    let m = c.impairments.rateMultiplier(atOffset: delivery.offset(next))
                    next = next + .milliseconds(Int64((Double(c.sleep.milliseconds) / max(m, 1e-9)).rounded()))
                    env.scheduler.schedule(at: next, phase: .input, "feed.coinbase poll") { request(0, at: next) }
                }
            }
        }
        env.scheduler.schedule(at: startTime, phase: .input, "feed.coinbase poll") { request(0, at: self.startTime) }
    }

    // MARK: trades

    private func startTrades(_ c: TradeStreamConfig) {
        let delivery = FeedDelivery(env: env, producer: producer, impairments: c.impairments, name: "trades", start: startTime)
        deliveries.append(delivery)
        for symbol in c.symbols {
            let index = market.index(of: symbol)!
            let model = config.model(symbol)
            var lag = env.random.stream("feed.trades.\(symbol).lag")
            var network = env.random.stream("feed.trades.\(symbol).network")
            var lastEvent: Int64 = .min
            var lastArrival: Int64 = .min
            market.onTrades(symbol: index) { [self] trades in
                for trade in trades {
                    // E is monotone per stream (0 % out of order in the real capture); arrival keeps TCP order.
                    let e = max(lastEvent, trade.time.millisecondsSinceEpoch + Int64(c.publishLag.sample(&lag)))
                    lastEvent = e
                    var arrival = e + Int64(c.networkDelay.sample(&network))
                    if c.fifoPerSymbol { arrival = max(arrival, lastArrival) }
                    lastArrival = arrival
                    guard arrival < stopTime.millisecondsSinceEpoch else { continue }
                    let payload = SeedPayloads.binanceTrade(symbol: symbol, model: model, trade: trade, eventTime: EventTime(e))
                    delivery.deliver(topic: c.topic, key: symbol, payload: payload, style: .compact, eventTime: EventTime(e), at: ProcessingTime(arrival))
                }
            }
        }
        let first = floorDiv(startTime.millisecondsSinceEpoch, 1000)
        func second(_ s: Int64) {
            let at = ProcessingTime(max(s * 1000, startTime.millisecondsSinceEpoch))
            guard at < stopTime else { return }
            env.scheduler.schedule(at: at, phase: .input, "feed.trades second") { [self] in
                market.advance(toSecond: s + 1)
                second(s + 1)
            }
        }
        second(first)
    }
}
