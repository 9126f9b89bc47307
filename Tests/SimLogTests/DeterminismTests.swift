import XCTest
import SimCore
@testable import SimLog
import SimTesting

/// Same seed ⇒ same trace digest; different seeds ⇒ different digests; the CLI demo is reproducible.
final class DeterminismTests: XCTestCase {
    /// A small seeded produce/consume workload: random keys and send times, null-key sticky records, an outage,
    /// lost responses, a consumer polling and committing, and the retention cleaner.
    static func workloadDigest(seed: UInt64) throws -> String {
        let env = SimEnvironment(seed: seed, start: ProcessingTime(1_700_000_000_000))
        let b = Broker(environment: env)
        try b.createTopic("t", partitions: 3, config: TopicConfig(retentionMs: 20_000, segmentBytes: 600))
        var rng = env.random.stream("workload")
        b.faults.lostResponseProbability = 0.05
        let outageStart = env.now + .milliseconds(rng.nextInt(in: 1000...5000))
        b.faults.outages = [outageStart..<(outageStart + .milliseconds(300))]
        var pc = ProducerConfig()
        pc.requestTimeoutMs = 200
        pc.networkLatency = .milliseconds(1)
        let p = try LogProducer(broker: b, config: pc)
        let c = LogConsumer(broker: b, config: ConsumerConfig(groupId: "g", autoOffsetReset: .earliest))
        c.assign(b.topicPartitions("t"))
        for i in 0..<150 {
            let at = env.now + .milliseconds(Int64(i) * 60 + rng.nextInt(in: 0...50))
            let key: [UInt8]? = rng.nextBool(probability: 0.2) ? nil : utf8("k\(rng.nextIndex(10))")
            env.scheduler.schedule(at: at, phase: .input, "send") { p.send(ProducerRecord(topic: "t", key: key, value: utf8("v\(i)"))) }
        }
        for k in 1...20 {
            env.scheduler.schedule(at: env.now + .milliseconds(Int64(k) * 500), phase: .engine, "poll") {
                _ = try? c.poll(maxRecords: 20)
                try? c.commitSync()
            }
        }
        env.scheduler.run(until: env.now + .seconds(40))
        return env.trace.digest
    }

    func testSameSeedSameDigestDifferentSeedsDiffer() throws {
        var digests: [String] = []
        for seed: UInt64 in [1, 2, 3] {
            let a = try Self.workloadDigest(seed: seed)
            XCTAssertEqual(a, try Self.workloadDigest(seed: seed), "seed \(seed) is not reproducible")
            digests.append(a)
        }
        XCTAssertEqual(Set(digests).count, 3)
    }

    func testLogDemoIsReproducibleAndRetentionAdvances() throws {
        let (b1, e1) = LogDemo.run(seed: 42)
        let (_, e2) = LogDemo.run(seed: 42)
        XCTAssertEqual(e1.trace.digest, e2.trace.digest)
        XCTAssertEqual(e1.trace.eventCount, e2.trace.eventCount)
        let parts = b1.topicPartitions(LogDemo.topic)
        XCTAssertEqual(parts.count, 3)
        for tp in parts {
            let log = b1.partition(tp)!
            XCTAssertGreaterThan(log.logStartOffset, 0, "\(tp) log start did not advance")
            XCTAssertGreaterThan(log.segments.count, 1)
        }
        let text = try LogText.describeTopic(b1, LogDemo.topic)
        XCTAssertTrue(text.contains("Configs: retention.ms=60000,segment.bytes=4096"))
        let (_, e3) = LogDemo.run(seed: 43)
        XCTAssertNotEqual(e1.trace.digest, e3.trace.digest)
    }
}
