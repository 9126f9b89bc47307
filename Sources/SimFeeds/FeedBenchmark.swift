#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import SimCore
public import SimLog

/// Throughput entry points for the benchmark suite. Not used by simulations or timed in tests.
public enum FeedBenchmark {
    /// A producer that only counts.
    final class CountingProducer: RecordProducing {
        var count = 0
        func send(_ record: ProducerRecord) { count += 1 }
    }

    /// Generates `simulatedSeconds` of the trade stream (plus the week6 poller) and returns messages generated per
    /// wall-clock second. This file is the only place in SimFeeds that reads a real clock:
    /// `clock_gettime(CLOCK_MONOTONIC)` measures elapsed time and never influences what is simulated.
    public static func generatorTicksPerSecond(simulatedSeconds: Int64 = 60, seed: UInt64 = 1, symbols: [String] = ["BTCUSDT", "ETHUSDT"]) -> (messages: Int, perSecond: Double) {
        let env = SimEnvironment(seed: seed, start: ProcessingTime(1_723_161_300_000), detail: .control)
        let producer = CountingProducer()
        let config = FeedGeneratorConfig(week6: Week6TickerConfig(symbols: symbols), trades: TradeStreamConfig(symbols: symbols), duration: .seconds(simulatedSeconds), warmHistory: false)
        let begin = monotonicSeconds()
        FeedGenerator(env: env, producer: producer, config: config).start()
        env.scheduler.runUntilIdle()
        let elapsed = max(monotonicSeconds() - begin, 1e-9)
        return (producer.count, Double(producer.count) / elapsed)
    }

    /// Monotonic wall-clock seconds (benchmark timing only).
    static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

extension FeedBenchmark {
    /// The three seed payload shapes.
    public enum PayloadKind: String, CaseIterable, Sendable {
        case week6 = "week6 ticker", coinbase = "coinbase spot", binance = "binance trade"
    }

    /// A producer that keeps the values it is sent (up to `limit`).
    final class CollectingProducer: RecordProducing {
        var values: [[UInt8]] = []
        let limit: Int
        init(limit: Int) { self.limit = limit }
        func send(_ record: ProducerRecord) { if values.count < limit, let v = record.value { values.append(v) } }
    }

    /// `count` distinct payloads of one seed shape, exactly as the generator writes them (seeded, not timed).
    public static func samplePayloads(_ kind: PayloadKind, count: Int, seed: UInt64 = 1) -> [[UInt8]] {
        let env = SimEnvironment(seed: seed, start: ProcessingTime(1_723_161_300_000), detail: .control)
        let producer = CollectingProducer(limit: count)
        let config: FeedGeneratorConfig
        switch kind {
        case .week6:
            // One message per symbol per ~1.1 s poll loop: many symbols to keep the virtual span short.
            config = FeedGeneratorConfig(week6: Week6TickerConfig(symbols: ["BTCUSDT", "ETHUSDT"]), duration: .seconds(Int64(count) * 2), warmHistory: false)
        case .coinbase:
            config = FeedGeneratorConfig(coinbase: CoinbaseSpotConfig(sleep: .seconds(1)), duration: .seconds(Int64(count) / 4 + 10), warmHistory: false)
        case .binance:
            config = FeedGeneratorConfig(trades: TradeStreamConfig(symbols: ["BTCUSDT", "ETHUSDT"]), duration: .seconds(Int64(count) / 40 + 10), warmHistory: false)
        }
        FeedGenerator(env: env, producer: producer, config: config).start()
        while producer.values.count < count, env.scheduler.step() != nil {}
        return producer.values
    }
}
