public import SimCore

// Every knob of the synthetic feeds, as Codable value types with defaults. Decoding accepts partial objects (a
// scenario YAML sets only what it changes); missing members keep the defaults documented here.

extension KeyedDecodingContainer {
    /// The member's value, or `fallback` when it is absent or null.
    func value<T: Decodable>(_ key: Key, or fallback: T) throws -> T {
        try decodeIfPresent(T.self, forKey: key) ?? fallback
    }
}

/// How one instrument's price and trades are simulated.
public struct SymbolModel: Codable, Sendable, Hashable {
    /// The exchange symbol (`BTCUSDT`, `BTC-USD`).
    public var symbol: String
    /// The price when the feed starts (a warm 24 h history is rescaled to end here).
    public var startPrice: Double
    /// Annualised volatility of the geometric Brownian motion (0.5 = 50 %/year, BTC's order of magnitude).
    public var annualVolatility: Double
    /// Mean trade arrival rate (Poisson). The real Binance spot capture (research note §B4): BTC ~31/s, ETH ~22/s.
    public var tradesPerSecond: Double
    /// Median trade size (log-normal) in base units.
    public var medianQuantity: Double
    /// σ of ln(size): trade sizes are heavy-tailed.
    public var quantitySigma: Double
    /// Decimal places of the price tick (2 → 0.01) and of the quantity step.
    public var priceDecimals: Int
    public var quantityDecimals: Int

    public init(symbol: String, startPrice: Double, annualVolatility: Double, tradesPerSecond: Double, medianQuantity: Double,
                quantitySigma: Double = 1.8, priceDecimals: Int = 2, quantityDecimals: Int = 5) {
        self.symbol = symbol
        self.startPrice = startPrice
        self.annualVolatility = annualVolatility
        self.tradesPerSecond = tradesPerSecond
        self.medianQuantity = medianQuantity
        self.quantitySigma = quantitySigma
        self.priceDecimals = priceDecimals
        self.quantityDecimals = quantityDecimals
    }

    /// Start prices from the hftbacktest capture at 2024-08-08T23:54Z.
    public static let btcusdt = SymbolModel(symbol: "BTCUSDT", startPrice: 61837.63, annualVolatility: 0.55, tradesPerSecond: 31, medianQuantity: 0.002, quantityDecimals: 5)
    public static let ethusdt = SymbolModel(symbol: "ETHUSDT", startPrice: 2681.35, annualVolatility: 0.70, tradesPerSecond: 22, medianQuantity: 0.03, quantityDecimals: 4)
    /// The Coinbase v2 spot-price pairs of the Spark-vs-Flink seed, with the decimals the endpoint returns.
    public static let coinbasePairs: [SymbolModel] = [
        SymbolModel(symbol: "BTC-USD", startPrice: 61837.63, annualVolatility: 0.55, tradesPerSecond: 8, medianQuantity: 0.002, priceDecimals: 2, quantityDecimals: 8),
        SymbolModel(symbol: "ETH-USD", startPrice: 2681.35, annualVolatility: 0.70, tradesPerSecond: 6, medianQuantity: 0.03, priceDecimals: 2, quantityDecimals: 8),
        SymbolModel(symbol: "SOL-USD", startPrice: 155.62, annualVolatility: 0.90, tradesPerSecond: 4, medianQuantity: 1, priceDecimals: 3, quantityDecimals: 8),
        SymbolModel(symbol: "ADA-USD", startPrice: 0.3412, annualVolatility: 0.85, tradesPerSecond: 2, medianQuantity: 200, priceDecimals: 4, quantityDecimals: 8),
        SymbolModel(symbol: "DOGE-USD", startPrice: 0.10515, annualVolatility: 1.0, tradesPerSecond: 3, medianQuantity: 1000, priceDecimals: 5, quantityDecimals: 8),
    ]

    enum CodingKeys: String, CodingKey { case symbol, startPrice, annualVolatility, tradesPerSecond, medianQuantity, quantitySigma, priceDecimals, quantityDecimals }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let symbol = try c.decode(String.self, forKey: .symbol)
        let d = SymbolModel.preset(symbol)
        self.init(symbol: symbol, startPrice: try c.value(.startPrice, or: d.startPrice), annualVolatility: try c.value(.annualVolatility, or: d.annualVolatility),
                  tradesPerSecond: try c.value(.tradesPerSecond, or: d.tradesPerSecond), medianQuantity: try c.value(.medianQuantity, or: d.medianQuantity),
                  quantitySigma: try c.value(.quantitySigma, or: d.quantitySigma), priceDecimals: try c.value(.priceDecimals, or: d.priceDecimals),
                  quantityDecimals: try c.value(.quantityDecimals, or: d.quantityDecimals))
    }

    /// The built-in model for a known symbol, or a generic one (price 100, 60 % vol, 5 trades/s) for others.
    public static func preset(_ symbol: String) -> SymbolModel {
        if symbol == "BTCUSDT" { return .btcusdt }
        if symbol == "ETHUSDT" { return .ethusdt }
        if let m = coinbasePairs.first(where: { $0.symbol == symbol }) { return m }
        return SymbolModel(symbol: symbol, startPrice: 100, annualVolatility: 0.6, tradesPerSecond: 5, medianQuantity: 1, priceDecimals: 2, quantityDecimals: 4)
    }
}

/// A delay distribution in milliseconds (network delay, HTTP latency, exchange publish lag).
public indirect enum DelayDistribution: Codable, Sendable, Hashable, CustomStringConvertible {
    case fixed(ms: Double)
    case uniform(minMs: Double, maxMs: Double)
    /// exp(N(ln median, σ)): the usual shape of network round trips.
    case logNormal(medianMs: Double, sigma: Double)
    /// `base`, plus with `probability` an extra `spikeMs` (a GC pause, a TCP retransmit, a slow HTTP response).
    case spikes(base: DelayDistribution, probability: Double, spikeMs: Double)

    /// One draw in milliseconds (never negative).
    public func sample(_ rng: inout SimRandom) -> Double {
        switch self {
        case .fixed(let ms): return max(0, ms)
        case .uniform(let a, let b): return max(0, rng.nextUniform(a, b))
        case .logNormal(let m, let s): return m <= 0 ? 0 : rng.nextLogNormal(mu: logValue(m), sigma: s)
        case .spikes(let base, let p, let spike):
            let v = base.sample(&rng)
            return rng.nextBool(probability: p) ? v + spike : v
        }
    }

    public var description: String {
        switch self {
        case .fixed(let ms): return "fixed(\(ms)ms)"
        case .uniform(let a, let b): return "uniform(\(a)..\(b)ms)"
        case .logNormal(let m, let s): return "lognormal(median \(m)ms, σ \(s))"
        case .spikes(let base, let p, let spike): return "\(base)+spikes(p=\(p), +\(spike)ms)"
        }
    }
}

/// A window of virtual time, as offsets from the feed's start.
public struct FeedWindow: Codable, Sendable, Hashable {
    public var start: SimDuration
    public var duration: SimDuration
    public init(start: SimDuration, duration: SimDuration) {
        self.start = start
        self.duration = duration
    }
    func contains(_ offsetMs: Int64) -> Bool { offsetMs >= start.milliseconds && offsetMs < start.milliseconds + duration.milliseconds }
}

/// A period of higher activity: trade arrivals ×`rateMultiplier`, poll loops sleep ÷`rateMultiplier`.
public struct FeedBurst: Codable, Sendable, Hashable {
    public var window: FeedWindow
    public var rateMultiplier: Double
    public init(window: FeedWindow, rateMultiplier: Double) {
        self.window = window
        self.rateMultiplier = rateMultiplier
    }
}

/// The kinds of broken message a feed can emit.
public enum MalformedKind: String, Codable, Sendable, CaseIterable {
    /// The payload is cut short (no closing brace): not JSON at all.
    case badJSON
    /// One field is removed.
    case missingField
    /// One field's JSON type is changed (number ↔ string).
    case wrongType
}

/// What can go wrong between the source and the producer client. All zero by default: a clean feed.
public struct DeliveryImpairments: Codable, Sendable, Hashable {
    /// The producer host's clock minus true time. Affects clock readings the producer writes into payloads (the
    /// naive `timestamp` strings, Coinbase's epoch seconds) and the record's CreateTime.
    public var producerClockSkew: SimDuration
    /// With this probability a message is held back by a uniform extra delay up to `reorderMaxDelay`, letting later
    /// messages overtake it (out-of-order delivery).
    public var reorderProbability: Double
    public var reorderMaxDelay: SimDuration
    /// With this probability a message is sent twice (a producer retry after a lost ack), the copy `duplicateDelay` later.
    public var duplicateProbability: Double
    public var duplicateDelay: SimDuration
    /// Share of messages sent malformed, and which kinds (chosen uniformly).
    public var malformedRate: Double
    public var malformedKinds: [MalformedKind]
    public var bursts: [FeedBurst]
    /// Windows in which nothing is sent (the producer or its source is down). Messages due then are lost.
    public var outages: [FeedWindow]

    public init(producerClockSkew: SimDuration = .zero, reorderProbability: Double = 0, reorderMaxDelay: SimDuration = .milliseconds(500),
                duplicateProbability: Double = 0, duplicateDelay: SimDuration = .milliseconds(200), malformedRate: Double = 0,
                malformedKinds: [MalformedKind] = MalformedKind.allCases, bursts: [FeedBurst] = [], outages: [FeedWindow] = []) {
        self.producerClockSkew = producerClockSkew
        self.reorderProbability = reorderProbability
        self.reorderMaxDelay = reorderMaxDelay
        self.duplicateProbability = duplicateProbability
        self.duplicateDelay = duplicateDelay
        self.malformedRate = malformedRate
        self.malformedKinds = malformedKinds
        self.bursts = bursts
        self.outages = outages
    }

    public static let none = DeliveryImpairments()

    enum CodingKeys: String, CodingKey {
        case producerClockSkew, reorderProbability, reorderMaxDelay, duplicateProbability, duplicateDelay, malformedRate, malformedKinds, bursts, outages
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = DeliveryImpairments()
        self.init(producerClockSkew: try c.value(.producerClockSkew, or: d.producerClockSkew), reorderProbability: try c.value(.reorderProbability, or: d.reorderProbability),
                  reorderMaxDelay: try c.value(.reorderMaxDelay, or: d.reorderMaxDelay), duplicateProbability: try c.value(.duplicateProbability, or: d.duplicateProbability),
                  duplicateDelay: try c.value(.duplicateDelay, or: d.duplicateDelay), malformedRate: try c.value(.malformedRate, or: d.malformedRate),
                  malformedKinds: try c.value(.malformedKinds, or: d.malformedKinds), bursts: try c.value(.bursts, or: d.bursts), outages: try c.value(.outages, or: d.outages))
    }

    func rateMultiplier(atOffset ms: Int64) -> Double {
        var m = 1.0
        for b in bursts where b.window.contains(ms) { m *= b.rateMultiplier }
        return m
    }

    func inOutage(atOffset ms: Int64) -> Bool { outages.contains { $0.contains(ms) } }
}
