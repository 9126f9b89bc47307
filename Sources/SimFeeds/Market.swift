public import SimCore

// The simulated market every synthetic feed reads from: per symbol, a geometric-Brownian-motion price, Poisson
// trade arrivals with log-normal sizes, and per-second bars that feed an exact sliding 24 h window (what Binance's
// `/api/v3/ticker/24hr` reports). Amounts are fixed-point integers so that running sums over a day neither drift
// nor depend on the order of additions.

/// One simulated trade.
public struct SimTrade: Sendable, Hashable {
    public var id: Int64
    /// Price in units of 10^-priceDecimals.
    public var priceUnits: Int64
    /// Quantity in units of 10^-quantityDecimals.
    public var quantityUnits: Int64
    /// Exchange trade time (Binance `T`).
    public var time: EventTime
    public var buyerIsMaker: Bool
}

/// All trades of one symbol in one second of exchange time. Volumes are in 10^-8 units (Binance's 8 decimals).
public struct SecondBar: Sendable, Hashable {
    public var second: Int64
    public var count: Int64
    public var volume: Int64
    public var quoteVolume: Int64
    public var open: Int64, high: Int64, low: Int64, close: Int64
    public var firstId: Int64, lastId: Int64
}

/// The rolling 24 h statistics Binance computes for `/api/v3/ticker/24hr`, in fixed point.
public struct RollingTicker: Sendable, Hashable {
    public var lastPrice: Int64
    public var open: Int64, high: Int64, low: Int64
    public var volume: Int64
    public var quoteVolume: Int64
    public var count: Int64
    public var openTime: Int64, closeTime: Int64
}

/// A sliding window of second bars over the last 24 h with O(1) amortised updates: running sums for volume and
/// count, and monotonic queues for high and low (the classic sliding-window max).
///
/// Approximation (documented in docs/feeds.md): the window moves in whole seconds, so a ticker at `closeTime`
/// covers the trades of the 86,400 completed seconds before `closeTime`'s second — at most one second away from
/// Binance's millisecond window, which the seed's 1 s polling cannot resolve anyway.
struct RollingDayWindow {
    static let span: Int64 = 86_400
    private var bars: [SecondBar] = []
    private var head = 0
    private var highs: [(second: Int64, value: Int64)] = []
    private var highHead = 0
    private var lows: [(second: Int64, value: Int64)] = []
    private var lowHead = 0
    private(set) var volume: Int64 = 0
    private(set) var quoteVolume: Int64 = 0
    private(set) var count: Int64 = 0

    var isEmpty: Bool { head == bars.count }
    var oldestOpen: Int64? { isEmpty ? nil : bars[head].open }
    var high: Int64? { highHead < highs.count ? highs[highHead].value : nil }
    var low: Int64? { lowHead < lows.count ? lows[lowHead].value : nil }

    mutating func append(_ bar: SecondBar) {
        guard bar.count > 0 else { return }
        bars.append(bar)
        volume += bar.volume
        quoteVolume += bar.quoteVolume
        count += bar.count
        while highs.count > highHead, highs[highs.count - 1].value <= bar.high { highs.removeLast() }
        highs.append((bar.second, bar.high))
        while lows.count > lowHead, lows[lows.count - 1].value >= bar.low { lows.removeLast() }
        lows.append((bar.second, bar.low))
    }

    /// Drops bars older than `firstSecond`.
    mutating func evict(before firstSecond: Int64) {
        while head < bars.count, bars[head].second < firstSecond {
            volume -= bars[head].volume
            quoteVolume -= bars[head].quoteVolume
            count -= bars[head].count
            head += 1
        }
        while highHead < highs.count, highs[highHead].second < firstSecond { highHead += 1 }
        while lowHead < lows.count, lows[lowHead].second < firstSecond { lowHead += 1 }
        if head > 4096 && head * 2 > bars.count { bars.removeFirst(head); head = 0 }
        if highHead > 4096 && highHead * 2 > highs.count { highs.removeFirst(highHead); highHead = 0 }
        if lowHead > 4096 && lowHead * 2 > lows.count { lows.removeFirst(lowHead); lowHead = 0 }
    }
}

/// One symbol's price process and trades.
struct SymbolMarket {
    let model: SymbolModel
    let sigmaPerSecond: Double
    let priceScale: Double
    let quoteShift: Int
    var logPrice: Double
    var lastPriceUnits: Int64
    var nextTradeId: Int64
    /// Continuous arrival clock (ms since the epoch, fractional) of the next trade in trade mode.
    var nextArrival: Double?
    var lastTradeTime: Double
    var priceRandom: SimRandom
    var arrivalRandom: SimRandom
    var sizeRandom: SimRandom
    var window = RollingDayWindow()
    /// Bars generated but not yet visible to the ticker (their second has not completed on the clock).
    var pending: [SecondBar] = []
    var pendingHead = 0
    /// The first second not generated yet.
    var nextSecond: Int64
    /// The last trade price the ticker can see (of the newest admitted bar with trades).
    var visibleLastPrice: Int64

    /// Moves generated bars of completed seconds into the window and drops those older than 24 h. Mutates in
    /// place (never through a copy, which would duplicate a day of bars on every poll).
    mutating func admitBars(before current: Int64) {
        while pendingHead < pending.count, pending[pendingHead].second < current {
            let bar = pending[pendingHead]
            window.append(bar)
            if bar.count > 0 { visibleLastPrice = bar.close }
            pendingHead += 1
        }
        if pendingHead > 1024 { pending.removeFirst(pendingHead); pendingHead = 0 }
        window.evict(before: current - RollingDayWindow.span)
    }

    init(model: SymbolModel, random: RandomStreams, streamPrefix: String, startSecond: Int64, firstTradeId: Int64) {
        self.model = model
        sigmaPerSecond = model.annualVolatility / (365.25 * 86_400).squareRoot()
        priceScale = SymbolMarket.pow10(model.priceDecimals)
        quoteShift = 8 - model.priceDecimals - model.quantityDecimals
        logPrice = logValue(model.startPrice)
        lastPriceUnits = Int64((model.startPrice * priceScale).rounded())
        nextTradeId = firstTradeId
        lastTradeTime = Double(startSecond * 1000)
        let p = streamPrefix + "." + model.symbol
        priceRandom = random.stream(p + ".price")
        arrivalRandom = random.stream(p + ".arrivals")
        sizeRandom = random.stream(p + ".size")
        nextSecond = startSecond
        visibleLastPrice = lastPriceUnits
    }

    static func pow10(_ n: Int) -> Double {
        var v = 1.0
        for _ in 0..<abs(n) { v *= 10 }
        return n < 0 ? 1 / v : v
    }

    func units(_ logP: Double) -> Int64 { max(1, Int64((expValue(logP) * priceScale).rounded())) }

    /// price units × quantity units → quote volume in 10^-8 units.
    func quoteUnits(_ price: Int64, _ qty: Int64) -> Int64 {
        let raw = price.multipliedFullWidth(by: qty)
        let product = Int64(truncatingIfNeeded: raw.low)
        if quoteShift >= 0 { return product * Int64(SymbolMarket.pow10(quoteShift)) }
        let d = Int64(SymbolMarket.pow10(-quoteShift))
        return (product + d / 2) / d
    }

    var meanQuantity: Double { model.medianQuantity * expValue(model.quantitySigma * model.quantitySigma / 2) }

    mutating func drawQuantityUnits() -> Int64 {
        let q = sizeRandom.nextLogNormal(mu: logValue(model.medianQuantity), sigma: model.quantitySigma)
        return max(1, Int64((q * SymbolMarket.pow10(model.quantityDecimals)).rounded()))
    }

    /// Trade mode: the individual trades of second `s` (Poisson arrivals at `rate`/s, a GBM step per trade).
    mutating func generateTrades(second s: Int64, rate: Double) -> (SecondBar, [SimTrade]) {
        let end = Double((s + 1) * 1000)
        var t = nextArrival ?? (Double(s * 1000) + arrivalRandom.nextExponential(mean: 1000 / max(rate, 1e-9)))
        var trades: [SimTrade] = []
        var bar = SecondBar(second: s, count: 0, volume: 0, quoteVolume: 0, open: 0, high: 0, low: .max, close: 0, firstId: 0, lastId: 0)
        let volumeShift = SymbolMarket.pow10(8 - model.quantityDecimals)
        while t < end {
            let dt = max(0, (t - lastTradeTime) / 1000)
            logPrice += sigmaPerSecond * dt.squareRoot() * priceRandom.nextGaussian() - 0.5 * sigmaPerSecond * sigmaPerSecond * dt
            lastTradeTime = t
            let price = units(logPrice)
            let qty = drawQuantityUnits()
            let trade = SimTrade(id: nextTradeId, priceUnits: price, quantityUnits: qty, time: EventTime(Int64(t.rounded(.down))), buyerIsMaker: sizeRandom.nextBool(probability: 0.5))
            nextTradeId += 1
            if bar.count == 0 { bar.open = price; bar.firstId = trade.id }
            bar.count += 1
            bar.high = max(bar.high, price)
            bar.low = min(bar.low, price)
            bar.close = price
            bar.lastId = trade.id
            bar.volume += Int64(Double(qty) * volumeShift)
            bar.quoteVolume += quoteUnits(price, qty)
            trades.append(trade)
            lastPriceUnits = price
            t += arrivalRandom.nextExponential(mean: 1000 / max(rate, 1e-9))
        }
        nextArrival = t
        if bar.count == 0 { bar.low = 0 }
        nextSecond = s + 1
        return (bar, trades)
    }

    /// Bar mode: second `s` drawn in aggregate — count ~ Poisson (normal approximation above 10/s), close by one
    /// GBM step, high/low by the exact Brownian-bridge extremes given open and close, volume as count × mean size ×
    /// a log-normal factor with the variance of a sum of `count` sizes. Much cheaper than trade mode, with the same
    /// rolling-window statistics in distribution.
    mutating func generateBar(second s: Int64, rate: Double, random: inout SimRandom) -> SecondBar {
        let n = SymbolMarket.poisson(rate, &random)
        let openLog = logPrice
        let step = sigmaPerSecond * random.nextGaussian() - 0.5 * sigmaPerSecond * sigmaPerSecond
        logPrice += step
        nextSecond = s + 1
        lastTradeTime = Double((s + 1) * 1000)
        guard n > 0 else {
            return SecondBar(second: s, count: 0, volume: 0, quoteVolume: 0, open: 0, high: 0, low: 0, close: 0, firstId: 0, lastId: 0)
        }
        let v2 = sigmaPerSecond * sigmaPerSecond
        var u1 = random.nextDouble(); if u1 <= 0 { u1 = 1e-300 }
        var u2 = random.nextDouble(); if u2 <= 0 { u2 = 1e-300 }
        let up = (step + (step * step - 2 * v2 * logValue(u1)).squareRoot()) / 2
        let down = (step - (step * step - 2 * v2 * logValue(u2)).squareRoot()) / 2
        let open = units(openLog), close = units(logPrice)
        let high = max(units(openLog + up), open, close)
        let low = min(units(openLog + down), open, close)
        let sigma2 = model.quantitySigma * model.quantitySigma
        let cv2 = (expValue(sigma2) - 1) / Double(n)
        let factorSigma = logValue(1 + cv2).squareRoot()
        let factor = random.nextLogNormal(mu: -factorSigma * factorSigma / 2, sigma: factorSigma)
        let volume = max(1, Int64((Double(n) * meanQuantity * factor * 1e8).rounded()))
        let vwap = Double(open + close) / 2 / priceScale
        let quote = Int64((Double(volume) * vwap).rounded())
        let first = nextTradeId
        nextTradeId += n
        lastPriceUnits = close
        return SecondBar(second: s, count: n, volume: volume, quoteVolume: quote, open: open, high: high, low: low, close: close, firstId: first, lastId: first + n - 1)
    }

    static func poisson(_ lambda: Double, _ r: inout SimRandom) -> Int64 {
        if lambda <= 0 { return 0 }
        if lambda >= 10 { return max(0, Int64((lambda + lambda.squareRoot() * r.nextGaussian()).rounded())) }
        let limit = expValue(-lambda)
        var k: Int64 = 0
        var p = r.nextDouble()
        while p > limit { k += 1; p *= r.nextDouble() }
        return k
    }
}

/// The market behind all synthetic feeds of one run: one `SymbolMarket` per symbol, advanced second by second in
/// exchange time. Feeds that need individual trades switch their symbols to trade mode; the others use bar mode.
public final class MarketSimulation {
    public let models: [SymbolModel]
    let impairments: DeliveryImpairments
    let startSecond: Int64
    var markets: [SymbolMarket]
    var barRandoms: [SimRandom]
    var tradeMode: [Bool]
    var tradeListeners: [[([SimTrade]) -> Void]]

    /// - Parameters:
    ///   - start: when the live feed starts (exchange time = virtual time; the exchange clock is the true clock).
    ///   - warmSymbols: symbols whose 24 h window starts filled with synthetic history ending at `start`, so the first ticker already
    ///     shows a full day's rolling figures (the seed ran against a live exchange, which always has one).
    public init(models: [SymbolModel], random: RandomStreams, start: ProcessingTime, warmSymbols: [String], rateBursts: [FeedBurst] = [], streamPrefix: String = "feed.market") {
        self.models = models
        self.impairments = DeliveryImpairments(bursts: rateBursts)
        startSecond = floorDiv(start.millisecondsSinceEpoch, 1000)
        markets = []
        barRandoms = []
        for (i, m) in models.enumerated() {
            let firstId = m.symbol == "BTCUSDT" ? 3_735_683_259 : (m.symbol == "ETHUSDT" ? 1_520_538_925 : Int64(100_000_000 * (i + 1)))
            var market = SymbolMarket(model: m, random: random, streamPrefix: streamPrefix, startSecond: startSecond, firstTradeId: firstId)
            if warmSymbols.contains(m.symbol) {
                MarketSimulation.warm(&market, random: random.stream(streamPrefix + "." + m.symbol + ".warm"), startSecond: startSecond)
            }
            markets.append(market)
            barRandoms.append(random.stream(streamPrefix + "." + m.symbol + ".bars"))
        }
        tradeMode = Array(repeating: false, count: models.count)
        tradeListeners = Array(repeating: [], count: models.count)
    }

    /// A synthetic day before `startSecond`, rescaled so that it ends exactly at the model's start price (GBM is
    /// scale-invariant, so rescaling keeps the distribution).
    static func warm(_ market: inout SymbolMarket, random: SimRandom, startSecond: Int64) {
        var r = random
        var history = market
        let span = RollingDayWindow.span
        history.nextTradeId = market.nextTradeId - Int64((market.model.tradesPerSecond * Double(span)).rounded())
        var bars: [SecondBar] = []
        bars.reserveCapacity(Int(span))
        for s in (startSecond - span)..<startSecond {
            bars.append(history.generateBar(second: s, rate: market.model.tradesPerSecond, random: &r))
        }
        let factor = market.model.startPrice / expValue(history.logPrice)
        for b in bars where b.count > 0 {
            var x = b
            x.open = max(1, Int64((Double(b.open) * factor).rounded()))
            x.high = max(1, Int64((Double(b.high) * factor).rounded()))
            x.low = max(1, Int64((Double(b.low) * factor).rounded()))
            x.close = max(1, Int64((Double(b.close) * factor).rounded()))
            x.quoteVolume = Int64((Double(b.quoteVolume) * factor).rounded())
            market.window.append(x)
        }
        market.nextTradeId = history.nextTradeId
    }

    public func index(of symbol: String) -> Int? { models.firstIndex { $0.symbol == symbol } }

    /// Switches a symbol to trade mode and registers a listener for each second's trades.
    public func onTrades(symbol index: Int, _ listener: @escaping ([SimTrade]) -> Void) {
        tradeMode[index] = true
        tradeListeners[index].append(listener)
    }

    /// Generates every symbol's seconds up to (not including) `second`.
    public func advance(toSecond second: Int64) {
        for i in markets.indices {
            while markets[i].nextSecond < second {
                let s = markets[i].nextSecond
                let rate = markets[i].model.tradesPerSecond * impairments.rateMultiplier(atOffset: (s - startSecond) * 1000)
                if tradeMode[i] {
                    let (bar, trades) = markets[i].generateTrades(second: s, rate: rate)
                    markets[i].pending.append(bar)
                    for l in tradeListeners[i] { l(trades) }
                } else {
                    let bar = markets[i].generateBar(second: s, rate: rate, random: &barRandoms[i])
                    markets[i].pending.append(bar)
                }
            }
        }
    }

    /// The last traded price (price units) as of the end of the last generated second.
    public func lastPriceUnits(symbol index: Int, at time: ProcessingTime) -> Int64 {
        advance(toSecond: floorDiv(time.millisecondsSinceEpoch, 1000))
        return markets[index].lastPriceUnits
    }

    /// Binance's rolling 24 h ticker for a symbol at server time `closeTime` (ms).
    public func rollingTicker(symbol index: Int, closeTime: Int64) -> RollingTicker {
        let current = floorDiv(closeTime, 1000)
        advance(toSecond: current)
        markets[index].admitBars(before: current)
        let w = markets[index].window
        let last = markets[index].visibleLastPrice
        let open = w.oldestOpen ?? last
        return RollingTicker(lastPrice: last, open: open, high: w.high ?? last, low: w.low ?? last, volume: w.volume,
                             quoteVolume: w.quoteVolume, count: w.count, openTime: closeTime - 86_400_000, closeTime: closeTime)
    }
}
