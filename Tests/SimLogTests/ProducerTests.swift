import XCTest
import SimCore
@testable import SimLog
import SimTesting

/// The producer model on the virtual clock: linger, batch.size, latency, retries, delivery timeout, idempotence
/// under outages and lost responses (research note §5.3).
final class ProducerTests: XCTestCase {
    let S: Int64 = 1_700_000_000_000
    let tp = TopicPartition("t", 0)

    func setup(_ configure: (inout ProducerConfig) -> Void = { _ in }) throws -> (Broker, LogProducer) {
        let b = makeBroker(start: S)
        try b.createTopic("t", partitions: 1)
        var c = ProducerConfig()
        configure(&c)
        return (b, try LogProducer(broker: b, config: c))
    }

    func testLingerBatchesAndLatencyTimesAppendAndAck() throws {
        let (b, p) = try setup { $0.lingerMs = 5; $0.networkLatency = .milliseconds(10) }
        var appendTimes: [Int64] = []
        b.onAppend { _, records, t in appendTimes.append(t.millisecondsSinceEpoch); XCTAssertEqual(records.count, 3) }
        var ackTimes: [Int64] = []
        var offsets: [Int64] = []
        for i in 0..<3 {
            p.send(ProducerRecord(topic: "t", key: utf8("k"), value: utf8("v\(i)"))) { r in
                ackTimes.append(b.environment.now.millisecondsSinceEpoch)
                offsets.append((try? r.get().offset) ?? -9)
            }
        }
        b.environment.scheduler.run(until: ProcessingTime(S + 100))
        XCTAssertEqual(appendTimes, [S + 15])   // linger 5 + one-way 10
        XCTAssertEqual(ackTimes, [S + 25, S + 25, S + 25])
        XCTAssertEqual(offsets, [0, 1, 2])
        XCTAssertEqual(p.counters, ProducerCounters(sent: 3, acked: 3, failed: 0, retried: 0, duplicates: 0, requests: 1))
        // CreateTime defaults to the producer's clock at send().
        XCTAssertEqual(try b.fetchRecords(tp, from: 0).map(\.timestamp), Array(repeating: EventTime(S), count: 3))
    }

    func testFullBatchIsSentWithoutWaitingForLinger() throws {
        let (b, p) = try setup { $0.lingerMs = 1000; $0.batchSize = 200 }
        for i in 0..<10 { p.send(ProducerRecord(topic: "t", key: nil, value: utf8(String(repeating: "x", count: 40) + "\(i)"))) }
        b.environment.scheduler.run(until: ProcessingTime(S))
        // 48-byte records: 61 + 2 × 48 = 157 fits in 200, a third would not; full batches go at once.
        XCTAssertEqual(b.partition(tp)!.segments[0].batches.map(\.records.count), [2, 2, 2, 2])
        b.environment.scheduler.run(until: ProcessingTime(S + 999))
        XCTAssertEqual(b.partition(tp)!.segments[0].batches.count, 4)
        b.environment.scheduler.run(until: ProcessingTime(S + 1000))  // the last, partial batch waits for linger.ms
        XCTAssertEqual(b.partition(tp)!.segments[0].batches.map(\.records.count), [2, 2, 2, 2, 2])
    }

    func testOutageIsRetriedWithBackoffUntilTheBrokerReturns() throws {
        let (b, p) = try setup { $0.lingerMs = 0 }
        b.faults.outages = [ProcessingTime(S)..<ProcessingTime(S + 1000)]
        var result: Result<RecordMetadata, LogError>?
        p.send(ProducerRecord(topic: "t", key: nil, value: utf8("x"))) { result = $0 }
        b.environment.scheduler.run(until: ProcessingTime(S + 5000))
        // Attempts at +0, +100, …, +900 fail with NETWORK_EXCEPTION; the one at +1000 succeeds.
        XCTAssertEqual(p.counters.retried, 10)
        XCTAssertEqual(p.counters.acked, 1)
        XCTAssertEqual(try result?.get().offset, 0)
    }

    func testDeliveryTimeoutFailsTheSend() throws {
        let (b, p) = try setup { $0.lingerMs = 0; $0.deliveryTimeoutMs = 1000 }
        b.faults.outages = [ProcessingTime(S)..<ProcessingTime(S + 60_000)]
        var error: LogError?
        p.send(ProducerRecord(topic: "t", key: nil, value: utf8("x"))) { if case .failure(let e) = $0 { error = e } }
        b.environment.scheduler.run(until: ProcessingTime(S + 5000))
        XCTAssertEqual(error?.name, "TimeoutException")
        XCTAssertEqual(p.counters.failed, 1)
        XCTAssertEqual(b.partition(tp)!.logEndOffset, 0)
    }

    func testLostResponseDuplicatesWithoutIdempotence() throws {
        let (b, p) = try setup { $0.lingerMs = 0; $0.enableIdempotence = false; $0.requestTimeoutMs = 500 }
        b.faults.lostResponseWindows = [ProcessingTime(S)..<ProcessingTime(S + 1)]
        var offset: Int64?
        p.send(ProducerRecord(topic: "t", key: nil, value: utf8("once"))) { offset = try? $0.get().offset }
        b.environment.scheduler.run(until: ProcessingTime(S + 2000))
        XCTAssertEqual(try b.fetchRecords(tp, from: 0).map(\.value), [utf8("once"), utf8("once")])
        XCTAssertEqual(offset, 1)  // the retry's offset
        XCTAssertEqual(p.counters.retried, 1)
    }

    func testLostResponseIsDeduplicatedWithIdempotence() throws {
        let (b, p) = try setup { $0.lingerMs = 0; $0.requestTimeoutMs = 500 }
        b.faults.lostResponseWindows = [ProcessingTime(S)..<ProcessingTime(S + 1)]
        var offset: Int64?
        p.send(ProducerRecord(topic: "t", key: nil, value: utf8("once"))) { offset = try? $0.get().offset }
        b.environment.scheduler.run(until: ProcessingTime(S + 2000))
        XCTAssertEqual(try b.fetchRecords(tp, from: 0).map(\.value), [utf8("once")])
        XCTAssertEqual(offset, 0)  // the original offset
        XCTAssertEqual(p.counters.duplicates, 1)
    }

    func testIdempotenceRequiresAcksAll() {
        let b = makeBroker()
        var c = ProducerConfig()
        c.acks = .one
        XCTAssertThrowsError(try LogProducer(broker: b, config: c)) { XCTAssertEqual(($0 as? LogError)?.code, 40) }
        c.enableIdempotence = false
        XCTAssertNoThrow(try LogProducer(broker: b, config: c))
    }

    func testAcksZeroCompletesAtOnceWithOffsetMinusOne() throws {
        let (b, p) = try setup { $0.lingerMs = 0; $0.acks = .zero; $0.enableIdempotence = false; $0.networkLatency = .milliseconds(3) }
        var md: RecordMetadata?
        p.send(ProducerRecord(topic: "t", key: nil, value: utf8("x"))) { md = try? $0.get() }
        b.environment.scheduler.run(until: ProcessingTime(S))
        XCTAssertEqual(md?.offset, -1)
        XCTAssertEqual(b.partition(tp)!.logEndOffset, 0)
        b.environment.scheduler.run(until: ProcessingTime(S + 3))
        XCTAssertEqual(b.partition(tp)!.logEndOffset, 1)
    }

    func testUnknownTopicFailsTheSendWhenAutoCreateIsOff() throws {
        var cfg = BrokerConfig()
        cfg.retentionCleanerEnabled = false
        cfg.autoCreateTopicsEnable = false
        let b = Broker(environment: SimEnvironment(seed: 1, start: ProcessingTime(S)), config: cfg)
        let p = try LogProducer(broker: b, config: ProducerConfig())
        var error: LogError?
        p.send(ProducerRecord(topic: "missing", key: nil, value: nil)) { if case .failure(let e) = $0 { error = e } }
        b.environment.scheduler.run(until: ProcessingTime(S + 10))
        XCTAssertEqual(error?.code, 3)
        XCTAssertNil(b.topic("missing"))
    }

    /// `auto.create.topics.enable=true` (Kafka's default) with `num.partitions=1`: the week-6 seed's `crypto-prices`
    /// topic is created by its producer's first send and has one partition.
    func testUnknownTopicIsAutoCreatedWithNumPartitions() throws {
        let (b, p) = try setup()
        var offset: Int64?
        p.send(ProducerRecord(topic: "crypto-prices", key: nil, value: utf8("{}"))) { if case .success(let m) = $0 { offset = m.offset } }
        b.environment.scheduler.run(until: ProcessingTime(S + 100))
        XCTAssertEqual(b.partitionCount("crypto-prices"), 1)
        XCTAssertEqual(offset, 0)
    }

    /// Runs a seeded workload of unique values under seeded outages and lost responses; returns the producer, how
    /// many values appear more than once in the log, and how many acknowledged values are missing.
    static func faultyRun(seed: UInt64, idempotent: Bool) throws -> (LogProducer, duplicates: Int, missingAcked: Int) {
        var rng = SimRandom(seed: seed ^ 0xfa)
        let start: Int64 = 1_700_000_000_000
        let b = makeBroker(seed: seed, start: start, detail: .control)
        try b.createTopic("t", partitions: 2)
        for _ in 0..<3 {
            let from = start + rng.nextInt(in: 0...4000)
            b.faults.outages.append(ProcessingTime(from)..<ProcessingTime(from + rng.nextInt(in: 50...800)))
        }
        b.faults.lostResponseProbability = rng.nextUniform(0.05, 0.3)
        var c = ProducerConfig()
        c.enableIdempotence = idempotent
        c.lingerMs = rng.nextInt(in: 0...10)
        c.networkLatency = .milliseconds(rng.nextInt(in: 0...5))
        c.requestTimeoutMs = 300
        c.maxInFlightRequestsPerConnection = 1 + rng.nextIndex(5)
        let p = try LogProducer(broker: b, config: c)
        var acked: [String] = []
        for i in 0..<120 {
            b.environment.scheduler.schedule(at: ProcessingTime(start + Int64(i) * 40 + rng.nextInt(in: 0...30)), phase: .input, "send") {
                let v = "v\(i)"
                p.send(ProducerRecord(topic: "t", key: utf8("k\(i % 7)"), value: utf8(v))) { if case .success = $0 { acked.append(v) } }
            }
        }
        b.environment.scheduler.run(until: ProcessingTime(start + 200_000))
        var counts: [String: Int] = [:]
        for p in 0..<2 { for r in try b.fetchRecords(TopicPartition("t", Int32(p)), from: 0, maxBytes: .max) { counts[String(decoding: r.value!, as: UTF8.self), default: 0] += 1 } }
        return (p, counts.values.filter { $0 > 1 }.count, acked.filter { counts[$0] == nil }.count)
    }

    /// Property: under any seeded pattern of outages and lost responses, the idempotent producer never appends a
    /// record twice and never loses an acknowledged one; the non-idempotent producer duplicates for some seeds.
    func testIdempotentProducerNeverDuplicatesProperty() throws {
        assertProperty(checkProperty("idempotent producer never duplicates", seeds: 1...25, testFilter: "SimLogTests.ProducerTests/testIdempotentProducerNeverDuplicatesProperty") { seed in
            let (p, dups, missing) = try Self.faultyRun(seed: seed, idempotent: true)
            if dups > 0 { return "\(dups) value(s) appended more than once; counters \(p.counters)" }
            if missing > 0 { return "\(missing) acknowledged value(s) missing from the log" }
            if p.counters.acked + p.counters.failed != p.counters.sent { return "unresolved sends: \(p.counters)" }
            return nil
        })
        var duplicatedSeeds = 0
        for seed: UInt64 in 1...25 where try Self.faultyRun(seed: seed, idempotent: false).duplicates > 0 { duplicatedSeeds += 1 }
        XCTAssertGreaterThan(duplicatedSeeds, 0, "the non-idempotent producer should duplicate for some seeds")
    }
}
