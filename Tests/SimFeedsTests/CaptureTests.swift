import SimCore
import SimFeeds
import SimLog
import SimTesting
import XCTest

final class CaptureRoundTripTests: XCTestCase {
    /// Runs week6 + trades into a direct-append log while recording its appends, then replays the capture into a
    /// fresh log: same records, same partitions, same times, same digest.
    func testRecordThenReplayGivesIdenticalLog() throws {
        let dir = temporaryDirectory("roundtrip")
        let path = dir + "/run.jsonl.zst"
        var imp = DeliveryImpairments(reorderProbability: 0.02, duplicateProbability: 0.02, malformedRate: 0.02)
        imp.producerClockSkew = .milliseconds(250)
        let config = FeedGeneratorConfig(week6: Week6TickerConfig(impairments: imp), coinbase: CoinbaseSpotConfig(), trades: TradeStreamConfig(impairments: imp), duration: .seconds(12))
        let env = SimEnvironment(seed: 77, start: midnight)
        let original = try IngestLog(env: env, partitions: [("crypto_prices", 3)])
        let recorder = try CaptureRecorder(path: path, header: CaptureHeader(source: "test", clock: "virtual", seed: 77))
        original.onAppend { record, tp, time in recorder.record(record, in: tp, at: time) }
        FeedGenerator(env: env, producer: original, config: config).start()
        env.scheduler.runUntilIdle()
        try recorder.close()
        XCTAssertGreaterThan(original.appended.count, 500)
        XCTAssertTrue(original.appended.contains { $0.topicPartition.partition == 2 })

        let replayEnv = SimEnvironment(seed: 1, start: midnight)
        let replayed = try IngestLog(env: replayEnv, partitions: [("crypto_prices", 3)])
        let replayer = try CaptureReplayer(path: path, env: replayEnv, producer: replayed)
        XCTAssertEqual(replayer.header.seed, 77)
        replayer.start()
        replayEnv.scheduler.runUntilIdle()
        XCTAssertTrue(replayer.isFinished)
        XCTAssertNil(replayer.error)
        XCTAssertEqual(replayed.appended, original.appended)
        XCTAssertEqual(replayed.contentDigest, original.contentDigest)

        // A second replay has the same trace digest (replays are deterministic too).
        let again = SimEnvironment(seed: 1, start: midnight)
        let r2 = try CaptureReplayer(path: path, env: again, producer: try IngestLog(env: again, partitions: [("crypto_prices", 3)]))
        r2.start()
        again.scheduler.runUntilIdle()
        XCTAssertEqual(again.trace.digest, replayEnv.trace.digest)
    }

    func testReplayTransforms() throws {
        let dir = temporaryDirectory("transforms")
        let path = dir + "/t.jsonl"
        var records: [CaptureRecord] = []
        for i in 0..<100 {
            let t: Int64 = 1_000_000 + Int64(i) * 10
            let topic = i % 2 == 0 ? "a" : "b"
            let key: [UInt8] = Array((i % 3 == 0 ? "BTC" : "ETH").utf8)
            let value: [UInt8] = Array("{\"E\":\(t)}".utf8)
            records.append(CaptureRecord(receiveTime: ProcessingTime(t), topic: topic, key: key, value: value, eventTime: EventTime(t)))
        }
        try CaptureFile.write(path: path, header: CaptureHeader(source: "t", clock: "t"), records: records)
        func replay(_ o: ReplayOptions) throws -> [(time: ProcessingTime, record: ProducerRecord)] {
            let env = SimEnvironment(seed: 5, start: .epoch)
            let p = CollectingProducer(env.scheduler)
            let r = try CaptureReplayer(path: path, env: env, producer: p, options: o)
            r.start()
            env.scheduler.runUntilIdle()
            return p.sent
        }
        let plain = try replay(.init())
        XCTAssertEqual(plain.map { $0.time.millisecondsSinceEpoch }, records.map { $0.receiveTime.millisecondsSinceEpoch }, "time-faithful")
        let fast = try replay(.init(speed: 2, rebaseTo: ProcessingTime(5_000)))
        XCTAssertEqual(fast.first?.time, ProcessingTime(5_000))
        XCTAssertEqual(fast.last?.time, ProcessingTime(5_000 + 495))
        let looped = try replay(.init(loops: 3))
        XCTAssertEqual(looped.count, 300)
        XCTAssertTrue(zip(looped, looped.dropFirst()).allSatisfy { $0.time <= $1.time })
        XCTAssertEqual(try replay(.init(keys: ["BTC"])).count, 34)
        let cut = try replay(.init(disconnect: ReplayDisconnect(window: FeedWindow(start: .milliseconds(200), duration: .milliseconds(100)))))
        XCTAssertEqual(cut.count, 90)
        let skewed = try replay(.init(topicSkews: [TopicSkew(topic: "b", skew: .milliseconds(-15))]))
        XCTAssertEqual(skewed.first { $0.record.topic == "b" }?.time, ProcessingTime(1_000_010 - 15))
        let shuffled = try replay(.init(reorderProbability: 0.3, reorderMaxDelay: .milliseconds(25)))
        var stats = CaptureStatistics(header: CaptureHeader(source: "", clock: ""))
        for (t, r) in shuffled { stats.add(CaptureRecord(receiveTime: t, topic: r.topic, key: r.key, value: r.value), eventTime: PayloadEventTime.extract(r.value!)) }
        XCTAssertGreaterThan(stats.merged.outOfOrder, 5)
        XCTAssertLessThanOrEqual(stats.merged.maxLateness, 25)
        XCTAssertEqual(try replay(.init(reorderProbability: 0.3, reorderMaxDelay: .milliseconds(25))).map(\.time), shuffled.map(\.time), "seeded")
        let jittered = try replay(.init(gapJitter: 0.5))
        XCTAssertNotEqual(jittered.map(\.time), plain.map(\.time))
        XCTAssertTrue(zip(jittered, jittered.dropFirst()).allSatisfy { $0.time <= $1.time })
    }
}

final class CaptureErrorTests: XCTestCase {
    func makeCapture(_ dir: String, _ name: String, count: Int = 2000) throws -> String {
        let path = dir + "/" + name
        let records = (0..<count).map { i in
            CaptureRecord(receiveTime: ProcessingTime(Int64(i)), topic: "t", key: nil, value: Array("{\"n\":\(i),\"pad\":\"\(String(i * 7919, radix: 36))\"}".utf8))
        }
        try CaptureFile.write(path: path, header: CaptureHeader(source: "t", clock: "t"), records: records)
        return path
    }

    func assertFails(_ path: String, _ check: (CaptureError) -> Bool, file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try CaptureFile.load(path: path)
            XCTFail("loaded \(path)", file: file, line: line)
        } catch {
            XCTAssertTrue(check(error), "\(error)", file: file, line: line)
            XCTAssertTrue(error.description.contains(path), "names the file: \(error)", file: file, line: line)
        }
        // The replayer validates before scheduling anything: nothing is half-replayed.
        let env = SimEnvironment(seed: 1)
        XCTAssertThrowsError(try CaptureReplayer(path: path, env: env, producer: CollectingProducer(env.scheduler)), file: file, line: line)
        XCTAssertEqual(env.scheduler.pendingCount, 0, file: file, line: line)
    }

    func testTruncatedAndCorruptedZstd() throws {
        let dir = temporaryDirectory("errors")
        let good = try makeCapture(dir, "good.jsonl.zst")
        XCTAssertEqual(try CaptureFile.load(path: good).records.count, 2000)
        let bytes = readBytes(good)
        let truncated = dir + "/truncated.jsonl.zst"
        writeBytes(truncated, Array(bytes[0..<(bytes.count * 2 / 3)]))
        assertFails(truncated) { if case .compression = $0 { return $0.description.contains("truncated") }; return false }
        var flipped = bytes
        for i in stride(from: bytes.count / 2, to: bytes.count / 2 + 40, by: 1) { flipped[i] ^= 0x5A }
        let corrupt = dir + "/corrupt.jsonl.zst"
        writeBytes(corrupt, flipped)
        assertFails(corrupt) { if case .compression = $0 { return true }; if case .badLine = $0 { return true }; return false }
        assertFails(dir + "/missing.jsonl.zst") { if case .io = $0 { return true }; return false }
    }

    func testBadLineAndUnknownVersion() throws {
        let dir = temporaryDirectory("badline")
        let header = CaptureHeader(source: "t", clock: "t").jsonLine
        let bad = dir + "/bad.jsonl"
        writeBytes(bad, Array((header + "\n{\"recv\":1,\"topic\":\"t\",\"key\":null,\"value\":\"{}\"}\n{\"recv\":2,\"topic\":\"t\",\"value\":\"x\"\n").utf8))
        assertFails(bad) { if case .badLine(_, 3, _) = $0 { return $0.description.contains("bad.jsonl:3:") }; return false }
        let wrongType = dir + "/wrongtype.jsonl"
        writeBytes(wrongType, Array((header + "\n{\"recv\":\"1\",\"topic\":\"t\"}\n").utf8))
        assertFails(wrongType) { if case .badLine(_, 2, let reason) = $0 { return reason.contains("recv") }; return false }
        let future = dir + "/future.jsonl"
        writeBytes(future, Array("{\"format\":\"streamsim-capture\",\"version\":99}\n".utf8))
        assertFails(future) { if case .unsupportedVersion(_, 99, 1) = $0 { return true }; return false }
        let notCapture = dir + "/other.jsonl"
        writeBytes(notCapture, Array("{\"hello\":1}\n".utf8))
        assertFails(notCapture) { if case .missingHeader = $0 { return true }; return false }
        let empty = dir + "/empty.jsonl.zst"
        writeBytes(empty, [])
        assertFails(empty) { if case .missingHeader = $0 { return true }; return false }
    }
}
