import XCTest
import Foundation
import SimCore
import SimLog
import QueryModel
@testable import SparkEngine

final class CheckpointTests: XCTestCase {
    /// Spark's checkpoint layout and text formats: metadata, offsets/N, commits/N, sources/0/0, state deltas.
    func testLayoutAndFormats() throws {
        let d = SuiteDriver()
        try d.start()
        d.add(10, 11, 12, 13, 14, 15); d.process()
        let files = d.store
        XCTAssertEqual(files.read("metadata")?.text, "{\"id\":\"00000000-0000-4000-8000-000000000000\"}\n")
        XCTAssertEqual(files.read("sources/0/0")?.text, "\u{0}v1\n{\"in\":{\"0\":0}}")
        let offsets0 = files.read("offsets/0")!.text.split(separator: "\n").map(String.init)
        XCTAssertEqual(offsets0[0], "v1")
        XCTAssertTrue(offsets0[1].hasPrefix("{\"batchWatermarkMs\":0,\"batchTimestampMs\":0,\"conf\":{\"spark.sql.streaming.stateStore.providerClass\""), offsets0[1])
        XCTAssertEqual(offsets0[2], "{\"in\":{\"0\":6}}")
        XCTAssertEqual(files.read("commits/0")?.text, "v1\n{\"nextBatchWatermarkMs\":5000}")
        XCTAssertEqual(files.read("offsets/1").map { OffsetSeq.parse($0.text)!.batchWatermarkMs }, 5000, "the no-data batch runs with W=5")
        XCTAssertNotNil(files.read("state/0/0/1.delta"), "batch N commits state version N+1")
        XCTAssertNotNil(files.read("state/0/0/2.delta"))
    }

    /// `MicroBatchExecutionSuite` SPARK-24156: a restart re-runs the uncommitted (no-data) batch with the same id and
    /// watermark; the memory sink skips it; then processing continues.
    func testRestartRerunsUncommittedNoDataBatch() throws {
        let d = SuiteDriver()
        try d.start()
        d.add(10, 11, 12, 13, 14, 15); d.process()
        d.add(25); d.process()
        XCTAssertEqual(d.rows(), [[10, 5]])
        let last = d.lastBatchId
        XCTAssertEqual(d.progress.last?.kind, .noData)
        d.engine.stop()
        d.store.delete("commits/\(last)")
        d.add(30)
        let first = try d.start()
        d.advance(0)
        XCTAssertEqual(first.progress.first?.batchId, last)
        XCTAssertEqual(first.progress.first?.isReexecution, true)
        XCTAssertEqual(first.progress.first?.watermarkMs, 15000)
        XCTAssertEqual(first.progress.first?.kind, .noData)
        d.process()
        XCTAssertEqual(d.rows(), [[10, 5], [15, 1]], "the re-run is skipped by the memory sink; W=20 then evicts [15,20)")
        // Delete the whole commit log: the latest batch is re-executed again.
        d.engine.stop()
        let latest = d.engine.checkpoint.latestOffsetsBatch!
        d.store.deleteDirectory("commits")
        d.add(50)
        let second = try d.start()
        d.process()
        XCTAssertEqual(second.progress.first?.batchId, latest)
        XCTAssertEqual(d.rows(), [[10, 5], [15, 1], [25, 1], [30, 1]])
    }

    /// `StreamingAggregationSuite` "prune results by current_time": a re-executed batch keeps its batchTimestampMs.
    /// Here the crash falls between the run step and commits/N, and the restart happens 60 s later.
    func testBatchTimestampReplayAfterCrash() throws {
        let env = SimEnvironment(seed: 3)
        let log = InMemoryKafkaLog()
        log.createTopic("in", partitions: 1)
        let q = StreamingQuery(name: "now", source: KafkaSourceSpec(topic: "in", startingOffsets: .earliest), valueFormat: .json(Schema([Field("v", .long)])),
                               derivedColumns: [DerivedColumn("now", .currentTimestamp)], projection: ["v", "now"])
        let sink = MemorySink(queryName: "m")
        let store = CheckpointStore()
        let options = SparkQueryOptions(trigger: .processingTime(intervalMs: 10_000))
        var e = try SparkMicroBatchExecution(environment: env, query: q, options: options, log: log, sink: sink, checkpoint: store)
        e.start()
        env.scheduler.advance(by: .seconds(25))
        log.append(TopicPartition("in", 0), key: nil, value: Array("{\"v\":1}".utf8), timestamp: .epoch)
        // Run up to and including the sink step of the batch at 30 s, then crash before commits/N.
        while let next = env.scheduler.peek(), !next.label.hasPrefix("spark commit") { env.scheduler.step() }
        e.crash()
        XCTAssertNil(store.read("commits/0"))
        XCTAssertEqual(sink.allData.map { $0.values[1] }, [.timestamp(30_000_000)])
        env.scheduler.advance(by: .seconds(60))
        e = try SparkMicroBatchExecution(environment: env, query: q, options: options, log: log, sink: sink, checkpoint: store)
        var rerunRows: [Row] = []
        e.onBatchOutput = { _, rows in if rerunRows.isEmpty { rerunRows = rows } }
        e.start()
        env.scheduler.advance(by: .milliseconds(1))
        XCTAssertEqual(e.progress.first?.isReexecution, true)
        XCTAssertEqual(e.progress.first?.batchTimestampMs, 30_000)
        XCTAssertEqual(rerunRows.map { $0.values[1] }, [.timestamp(30_000_000)], "current_timestamp() is the original batch's")
    }
}

final class KafkaSourceTests: XCTestCase {
    /// `KafkaMicroBatchSourceSuite` "maxOffsetsPerTrigger": partitions of 101, 11 and 1 messages, limit 10.
    func testRateLimit() {
        let log = InMemoryKafkaLog()
        log.createTopic("t", partitions: 3)
        for i in 100...200 { log.append(TopicPartition("t", 0), key: nil, value: Array("\(i)".utf8), timestamp: .epoch) }
        for i in 10...20 { log.append(TopicPartition("t", 1), key: nil, value: Array("\(i)".utf8), timestamp: .epoch) }
        log.append(TopicPartition("t", 2), key: nil, value: Array("1".utf8), timestamp: .epoch)
        let s = KafkaMicroBatchStream(spec: KafkaSourceSpec(topic: "t", startingOffsets: .earliest, maxOffsetsPerTrigger: 10), groupId: "g")
        let start = s.resolveInitialOffsets(log)
        let b1 = s.latestOffset(start: start, log: log, limit: 10)
        XCTAssertEqual(b1.json, "{\"t\":{\"0\":8,\"1\":1,\"2\":1}}", "1, 10, 100..107")
        let b2 = s.latestOffset(start: b1, log: log, limit: 10)
        XCTAssertEqual(b2.json, "{\"t\":{\"0\":17,\"1\":2,\"2\":1}}", "11, 108..116")
    }

    func testStartingOffsets() {
        let log = InMemoryKafkaLog()
        log.createTopic("t", partitions: 2)
        for _ in 0..<5 { log.append(TopicPartition("t", 0), key: nil, value: [], timestamp: .epoch) }
        log.deleteRecords(TopicPartition("t", 0), before: 2)
        XCTAssertEqual(KafkaMicroBatchStream(spec: KafkaSourceSpec(topic: "t", startingOffsets: .earliest), groupId: "g").resolveInitialOffsets(log).json, "{\"t\":{\"0\":2,\"1\":0}}")
        XCTAssertEqual(KafkaMicroBatchStream(spec: KafkaSourceSpec(topic: "t", startingOffsets: .latest), groupId: "g").resolveInitialOffsets(log).json, "{\"t\":{\"0\":5,\"1\":0}}")
        XCTAssertEqual(KafkaMicroBatchStream(spec: KafkaSourceSpec(topic: "t", startingOffsets: .specific([TopicPartition("t", 0): 3, TopicPartition("t", 1): -1])), groupId: "g").resolveInitialOffsets(log).json, "{\"t\":{\"0\":3,\"1\":0}}")
    }

    func makeLossQuery(failOnDataLoss: Bool) throws -> (SimEnvironment, InMemoryKafkaLog, SparkMicroBatchExecution, MemorySink) {
        let env = SimEnvironment(seed: 1)
        let log = InMemoryKafkaLog()
        log.createTopic("t", partitions: 1)
        let q = StreamingQuery(name: "raw", source: KafkaSourceSpec(topic: "t", startingOffsets: .earliest, failOnDataLoss: failOnDataLoss), valueFormat: .raw, projection: ["offset"])
        let sink = MemorySink(queryName: "m")
        let e = try SparkMicroBatchExecution(environment: env, query: q, options: SparkQueryOptions(trigger: .processingTime(intervalMs: 1000)), log: log, sink: sink, checkpoint: CheckpointStore())
        e.start()
        env.scheduler.advance(by: .milliseconds(1))
        for _ in 0..<10 { log.append(TopicPartition("t", 0), key: nil, value: [1], timestamp: .epoch) }
        // The batch at 1000 plans [0,10); retention removes offsets < 4 between planning and reading.
        while let next = env.scheduler.peek(), !next.label.hasPrefix("spark run") { env.scheduler.step() }
        log.deleteRecords(TopicPartition("t", 0), before: 4)
        env.scheduler.advance(by: .seconds(1))
        return (env, log, e, sink)
    }

    /// failOnDataLoss=true: the query fails with Spark's KAFKA_DATA_LOSS text.
    func testFailOnDataLossTrue() throws {
        let (_, _, e, sink) = try makeLossQuery(failOnDataLoss: true)
        XCTAssertTrue(e.isTerminated)
        // The template's lines joined with "\n", the sub-class message after "Reason:" and a space.
        let lines = e.failure?.description.components(separatedBy: "\n") ?? []
        XCTAssertEqual(lines.first, "[KAFKA_DATA_LOSS.COULD_NOT_READ_OFFSET_RANGE] Some data may have been lost because they are not available in Kafka any more;")
        XCTAssertEqual(lines.suffix(2), ["Reason: Could not read records in offset [0, 4) for topic partition t-0",
                                         "with consumer group spark-kafka-source-00000000-0000-4000-8000-000000000000-executor."])
        XCTAssertTrue(sink.allData.isEmpty)
    }

    /// failOnDataLoss=false: a warning, the missing records skipped and counted, the rest read.
    func testFailOnDataLossFalse() throws {
        let (_, _, e, sink) = try makeLossQuery(failOnDataLoss: false)
        XCTAssertNil(e.failure)
        XCTAssertEqual(sink.allData.map { $0.values[0] }, (4..<10).map { .long(Int64($0)) })
        XCTAssertEqual(e.progress.first?.lostRecords, 4)
        XCTAssertEqual(e.dataLossWarnings.count, 1)
    }
}

final class AnalysisTests: XCTestCase {
    func check(_ q: StreamingQuery, sink: any SparkSink) -> String? {
        do { _ = try SparkMicroBatchExecution(environment: SimEnvironment(seed: 1), query: q, log: InMemoryKafkaLog(), sink: sink, checkpoint: CheckpointStore()); return nil }
        catch { return "\(error)" }
    }

    /// `UnsupportedOperationChecker` and `DataSource.createSink` texts.
    func testRejections() {
        let schema = Schema([Field("v", .long), Field("k", .string)])
        let agg = AggregationSpec(window: .tumbling(sizeMs: 1000), timeColumn: "t", groupBy: ["k"], aggregates: [AggregateSpec(.count, "*", as: "n")])
        let base = StreamingQuery(name: "q", source: KafkaSourceSpec(topic: "t"), valueFormat: .json(schema), derivedColumns: [DerivedColumn("t", .timestampSeconds(.column("v")))], aggregation: agg)
        XCTAssertEqual(check(base, sink: MemorySink(queryName: "m")), "Append output mode not supported when there are streaming aggregations on streaming DataFrames/DataSets without watermark;")
        var complete = base; complete.aggregation = nil; complete.outputMode = .complete
        XCTAssertEqual(check(complete, sink: MemorySink(queryName: "m")), "Complete output mode not supported when there are no streaming aggregations on streaming DataFrames/Datasets;")
        var session = base; session.watermark = WatermarkSpec(column: "t", delayMs: 0); session.outputMode = .update
        session.aggregation!.window = .session(gapMs: 1000)
        XCTAssertEqual(check(session, sink: MemorySink(queryName: "m")), "Update output mode not supported for session window on streaming DataFrames/DataSets;")
        var file = base; file.outputMode = .complete
        XCTAssertEqual(check(file, sink: FileSink(store: FileSinkStore())), "Data source json does not support Complete output mode.")
    }
}
