public import SimCore

/// A small seeded workload for `sim topics describe --demo` and `sim log consume --demo`.
///
/// Topic `crypto_prices`, 3 partitions, `segment.bytes=4096`, `retention.ms=60000`. An idempotent producer (linger 5
/// ms, 2 ms one-way latency) sends keyed price ticks for BTCUSDT, ETHUSDT (→ partition 2), SOLUSDT (→ 0) and LTCUSDT (→ 1) (murmur2) for five virtual
/// minutes starting 2023-11-14T22:13:20Z (1700000000000), with a 3-second broker outage at +120 s that forces
/// retries. The retention check runs at +30 s and then every 60 s (shortened from Kafka's 300 s so the demo shows the
/// log start offsets advancing). Same seed ⇒ same trace digest.
public enum LogDemo {
    public static let topic = "crypto_prices"
    public static let start = ProcessingTime(1_700_000_000_000)
    public static let duration = SimDuration.minutes(5)
    static let symbols: [(name: String, cents: Int64)] = [("BTCUSDT", 3_700_000), ("ETHUSDT", 205_000), ("SOLUSDT", 5_600), ("LTCUSDT", 7_000)]

    public static func run(seed: UInt64) -> (Broker, SimEnvironment) {
        let env = SimEnvironment(seed: seed, start: start)
        return (run(environment: env), env)
    }

    /// Runs the demo in a caller's environment (for example one whose trace keeps its lines, so the CLI can show
    /// the retention events). The environment's scheduler must start at `start`.
    public static func run(environment env: SimEnvironment) -> Broker {
        var brokerConfig = BrokerConfig()
        brokerConfig.logRetentionCheckIntervalMs = 60_000
        let broker = Broker(environment: env, config: brokerConfig)
        // The topic, producer config and outage are fixed and valid, so these cannot throw.
        _ = try? broker.createTopic(topic, partitions: 3, config: TopicConfig(retentionMs: 60_000, segmentBytes: 4096))
        broker.faults.outages = [(start + .seconds(120))..<(start + .seconds(123))]
        var pc = ProducerConfig()
        pc.clientId = "demo-feed"
        pc.networkLatency = .milliseconds(2)
        guard let producer = try? LogProducer(broker: broker, config: pc) else { return broker }

        var rng = env.random.stream("demo.ticks")
        var prices = symbols.map(\.cents)
        var seq: Int64 = 0
        let end = start + duration
        func scheduleNext() {
            let gap = Int64(rng.nextExponential(mean: 40)) + 1
            env.scheduler.schedule(after: .milliseconds(gap), phase: .input, "demo-tick") {
                guard env.scheduler.now < end else { return }
                let i = rng.nextIndex(symbols.count)
                let step = rng.nextInt(in: -3...3)
                prices[i] = max(1, prices[i] + step * max(1, prices[i] / 10_000))
                seq += 1
                let ts = env.scheduler.now.millisecondsSinceEpoch
                let value = "{\"symbol\":\"\(symbols[i].name)\",\"price\":\(centsText(prices[i])),\"seq\":\(seq),\"ts\":\(ts)}"
                producer.send(ProducerRecord(topic: topic, key: Array(symbols[i].name.utf8), value: Array(value.utf8), timestamp: EventTime(ts),
                                             headers: [RecordHeader(key: "source", value: Array("demo".utf8))]))
                scheduleNext()
            }
        }
        scheduleNext()
        env.scheduler.run(until: end + .seconds(31))
        return broker
    }

    static func centsText(_ c: Int64) -> String {
        let frac = c % 100
        return "\(c / 100)." + (frac < 10 ? "0" : "") + String(frac)
    }
}
