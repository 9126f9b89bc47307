import SimCore
import SimLog
public import QueryModel
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Throughput of the model (not timed in tests): the only place in SparkEngine that reads a real clock.
public enum SparkBenchmark {
    /// The query measured: the seed week6 shape (JSON decode, `(event_time/1000).cast(timestamp)`, 1 h watermark,
    /// daily windows per symbol, nine aggregates), append mode.
    public static func weekSixQuery(topic: String) -> StreamingQuery {
        let schema = Schema([Field("symbol", .string), Field("event_time", .long), Field("price", .double), Field("open", .double),
                             Field("high", .double), Field("low", .double), Field("volume", .double), Field("quote_volume", .double),
                             Field("number_trades", .int)])
        return StreamingQuery(
            name: "bench", source: KafkaSourceSpec(topic: topic, startingOffsets: .earliest, maxOffsetsPerTrigger: 200_000),
            valueFormat: .json(schema),
            derivedColumns: [DerivedColumn("event_timestamp", .cast(.arithmetic(.divide, .column("event_time"), .literal(.int(1000))), .timestamp))],
            watermark: WatermarkSpec(column: "event_timestamp", delayMs: 3_600_000),
            aggregation: AggregationSpec(window: .tumbling(sizeMs: 86_400_000), timeColumn: "event_timestamp", groupBy: ["symbol"], aggregates: [
                AggregateSpec(.first, "open", as: "daily_open"), AggregateSpec(.max, "high", as: "daily_high"),
                AggregateSpec(.min, "low", as: "daily_low"), AggregateSpec(.last, "price", as: "daily_close"),
                AggregateSpec(.sum, "volume", as: "daily_volume"), AggregateSpec(.sum, "quote_volume", as: "daily_quote_volume"),
                AggregateSpec(.sum, "number_trades", as: "total_trades"), AggregateSpec(.count, "*", as: "tick_count"),
                AggregateSpec(.avg, "price", as: "avg_price")]),
            outputMode: .append)
    }

    /// Runs `records` JSON records through the windowed aggregation (AvailableNow, 200 000 records per batch) and
    /// returns records per second of wall time. Generating the input is not timed.
    public static func windowedAggregation(records: Int) -> Double {
        let env = SimEnvironment(seed: 42, detail: .control)
        let log = InMemoryKafkaLog()
        log.createTopic("crypto-prices", partitions: 1)
        var rng = env.random.stream("bench")
        let symbols = ["BTCUSDT", "ETHUSDT"]
        var price = [96000.5, 3600.25]
        let t0: Int64 = 1_733_097_000_000
        for i in 0..<records {
            let s = i % 2
            price[s] = ((price[s] + rng.nextDouble() - 0.5) * 100).rounded() / 100  // exchange prices have a tick size
            let et = t0 + Int64(i / 2) * 500
            let v = "{\"symbol\":\"\(symbols[s])\",\"event_time\":\(et),\"price\":\(price[s]),\"open\":\(price[s] - 10),\"high\":\(price[s] + 20),\"low\":\(price[s] - 20),\"volume\":1000.5,\"quote_volume\":96000500.25,\"number_trades\":\(500_000 + i % 1000)}"
            log.append(TopicPartition("crypto-prices", 0), key: nil, value: Array(v.utf8), timestamp: EventTime(et))
        }
        var options = SparkQueryOptions(trigger: .availableNow)
        options.trackDroppedRecords = false
        guard let engine = try? SparkMicroBatchExecution(environment: env, query: weekSixQuery(topic: "crypto-prices"), options: options,
                                                          log: log, sink: ForeachBatchSink { _ in }, checkpoint: CheckpointStore()) else { return 0 }
        let start = monotonicSeconds()
        engine.start()
        env.scheduler.runUntilIdle()
        let elapsed = monotonicSeconds() - start
        return elapsed > 0 ? Double(records) / elapsed : 0
    }

    static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
