import XCTest
import Foundation
import SimCore
import SimLog
import QueryModel
import SimTesting
@testable import FlinkEngine

/// `FlinkJob` built from a `StreamingQuery`: conformance replay through the whole job, flink-json failure modes, a
/// windowed OHLC over a SimLog broker, the event stream, and crash recovery with the two-phase-commit sink.
final class QueryJobTests: XCTestCase {
    // MARK: helpers

    /// The tape's value schema, with the event time as a derived timestamp column (`TO_TIMESTAMP_LTZ(event_time, 3)`).
    static let tapeSchema = Schema([Field("symbol", .string), Field("event_time", .long), Field("price", .double), Field("qty", .double)])

    static func tapeQuery(_ c: FlinkConformanceCase) -> StreamingQuery {
        let window: WindowSpec
        switch c.window {
        case .tumbling(let s, let o)?: window = .tumbling(sizeMs: s, startOffsetMs: o)
        case .sliding(let s, let sl, let o)?: window = .sliding(sizeMs: s, slideMs: sl, startOffsetMs: o)
        case .session(let g)?: window = .session(gapMs: g)
        case nil: window = .tumbling(sizeMs: 60_000)
        }
        let aggs = c.aggregates.map { a -> AggregateSpec in
            let fn: QueryModel.AggregateFunction
            switch a.function {
            case .count: fn = .count
            case .first: fn = .first
            case .last: fn = .last
            case .min: fn = .min
            case .max: fn = .max
            case .sum: fn = .sum
            case .avg: fn = .avg
            }
            return AggregateSpec(fn, a.column, as: a.name)
        }
        return StreamingQuery(name: c.name, source: KafkaSourceSpec(topic: "tape", startingOffsets: .earliest), valueFormat: .json(tapeSchema),
                              derivedColumns: [DerivedColumn("ts", .timestampMillis(.column("event_time")))],
                              watermark: WatermarkSpec(column: "ts", delayMs: c.strategy == .monotonous ? 0 : c.delayMs),
                              aggregation: AggregationSpec(window: window, timeColumn: "ts", groupBy: ["symbol"], aggregates: aggs))
    }

    /// One comparable line: a label and the numbers (aggregates) compared with a tolerance.
    struct Line: Equatable, CustomStringConvertible {
        var label: String
        var numbers: [Double?] = []
        var description: String { label + (numbers.isEmpty ? "" : " " + numbers.map { $0.map { "\($0)" } ?? "null" }.joined(separator: ",")) }
        static func == (a: Line, b: Line) -> Bool {
            guard a.label == b.label, a.numbers.count == b.numbers.count else { return false }
            for (x, y) in zip(a.numbers, b.numbers) {
                switch (x, y) {
                case (nil, nil): continue
                case let (x?, y?): if !(x == y || abs(x - y) <= 1e-9 * max(1, abs(x))) { return false }
                default: return false
                }
            }
            return true
        }
    }

    static func wmText(_ v: JSONValue?) -> String {
        if let s = v?.stringValue { return s }
        return v?.int64Value.map(String.init) ?? "null"
    }
    static func wmText(_ t: EventTime) -> String { t == .max ? "MAX" : String(t.millisecondsSinceEpoch) }

    /// The recorder's lines as comparable lines (watermarks, firings, side outputs, drops, the final metric).
    static func expectedLines(_ c: FlinkConformanceCase, _ out: [JSONValue]) -> [Line] {
        var lines: [Line] = []
        for l in out {
            if let m = l["metric"]?.stringValue { lines.append(Line(label: "metric \(m)=\(l["value"]?.int64Value ?? -1)")); continue }
            if let late = l["late"] { lines.append(Line(label: "side-output seq \(late["seq"]?.int64Value ?? -1) wm \(wmText(l["watermark_ms"]))")); continue }
            if let d = l["dropped"] { lines.append(Line(label: "dropped seq \(d["seq"]?.int64Value ?? -1) wm \(wmText(l["watermark_ms"]))")); continue }
            if let cause = l["cause"]?.stringValue {
                let pane = c.api == "sql" ? "" : " pane \(l["pane"]?.int64Value ?? -1)"
                let label = "fire \(cause)\(pane) wm \(wmText(l["watermark_ms"])) [\(l["window_start"]?.int64Value ?? -1),\(l["window_end"]?.int64Value ?? -1)) \(l["symbol"]?.stringValue ?? "?")"
                let nums = c.aggregates.map { a -> Double? in
                    guard let v = l[a.name] else { return nil }
                    if let s = v.stringValue { return s == "NaN" ? .nan : (s.hasPrefix("-") ? -.infinity : .infinity) }
                    return v.doubleValue
                }
                lines.append(Line(label: label, numbers: nums))
                continue
            }
            if l["watermark_status"] != nil || l["status"] != nil { continue }
            if l["watermark_ms"] != nil { lines.append(Line(label: "wm \(wmText(l["watermark_ms"]))")) }
        }
        return lines
    }

    /// Runs a tape through a query-built job in the recorder's mode; returns the job's lines in the same shape.
    static func runTape(_ c: FlinkConformanceCase, _ tape: [TapeRecord]) throws -> (lines: [Line], job: FlinkJob) {
        let env = SimEnvironment(seed: 7)
        let log = InMemorySourceLog(topic: "tape", partitions: max(1, c.splits))
        var seqAt: [RecordOrigin: Int64] = [:]
        var nextOffset = Array(repeating: Int64(0), count: max(1, c.splits))
        for r in tape {
            seqAt[RecordOrigin(TopicPartition("tape", Int32(r.partition)), nextOffset[r.partition])] = r.seq
            nextOffset[r.partition] += 1
            env.scheduler.schedule(at: ProcessingTime(r.arrivalMs), phase: .input, "tape \(r.seq)") {
                log.append(partition: r.partition, key: r.key.map { Array($0.utf8) }, value: Array(r.value.utf8), timestamp: EventTime(r.arrivalMs))
            }
        }
        var options = FlinkQueryOptions.recorderMode(api: c.api == "sql" ? .sql : .datastream)
        options.allowedLateness = .milliseconds(c.allowedLatenessMs)
        options.sideOutputLateData = c.sideOutput
        let printed = PrintSinkOutput()
        let job = try FlinkJob(environment: env, query: tapeQuery(c), options: options, log: log, sink: PrintSink.factory(output: printed))
        job.start()
        let last = tape.map(\.arrivalMs).max() ?? 0
        env.scheduler.run(until: ProcessingTime(last + 500))
        job.endInput()
        env.scheduler.run(until: ProcessingTime(last + 1_000))
        var lines: [Line] = []
        for e in job.events {
            switch e {
            case .watermark(let task, let v, _, _) where task.hasPrefix("window"):
                lines.append(Line(label: "wm \(wmText(v))"))
            case .firing(let f):
                let pane = c.api == "sql" ? "" : " pane \(f.pane)"
                let label = "fire \(f.cause.rawValue)\(pane) wm \(wmText(f.watermark)) [\(f.windowStart),\(f.windowEnd)) \(f.key.map(\.description).joined(separator: ","))"
                lines.append(Line(label: label, numbers: f.row.values.dropFirst(3).map { $0.doubleValue }))
            case .late(let l) where l.fate != .lateFiring && c.api != "sql":  // the recorder logs no SQL drop lines (metric only)
                let what = l.fate == .sideOutput ? "side-output" : "dropped"
                lines.append(Line(label: "\(what) seq \(seqAt[l.origin] ?? -1) wm \(wmText(l.watermark))"))
            default: break
            }
        }
        lines.append(Line(label: "metric numLateRecordsDropped=\(job.metrics.numLateRecordsDropped)"))
        return (lines, job)
    }

    static func loadCase(_ name: String) throws -> (FlinkConformanceCase, [TapeRecord], [JSONValue]) {
        let dir = ConformanceTests.fixturesDirectory + "/" + name
        let c = try FlinkConformanceCase(json: try JSONValue.parse(try String(contentsOfFile: dir + "/case.json", encoding: .utf8)))
        let tape = try TapeRecord.parseTape(try String(contentsOfFile: dir + "/tape.jsonl", encoding: .utf8))
        let out = try String(contentsOfFile: dir + "/flink_output.jsonl", encoding: .utf8).split(separator: "\n").filter { !$0.isEmpty }.map { try JSONValue.parse(String($0)) }
        return (c, tape, out)
    }

    // MARK: conformance through the query path

    /// The windowed conformance cases (tumbling, offset, sliding, session, late drop, side output, allowed lateness,
    /// two splits, SQL TUMBLE) replayed through a `StreamingQuery`-built job — source subtask, network channel, valve,
    /// window subtask, print sink — give the recorded watermarks, firings (cause, pane, watermark, aggregates),
    /// side-output and drop lines and the final `numLateRecordsDropped`.
    func testQueryJobReproducesRecordedWindowCases() throws {
        let cases = ["allowed_lateness", "bounded_ooo_firing", "end_of_input_flush", "late_dropped", "monotonous", "offset_window",
                     "session_merge", "side_output", "sliding", "sql_tumble_late_drop", "two_splits_min"]
        for name in cases {
            let (c, tape, out) = try Self.loadCase(name)
            let expected = Self.expectedLines(c, out)
            XCTAssertTrue(expected.contains { $0.label.hasPrefix("fire") }, name)
            let (actual, job) = try Self.runTape(c, tape)
            XCTAssertEqual(job.status, .finished, name)
            for i in 0..<max(expected.count, actual.count) {
                let e = i < expected.count ? expected[i] : nil
                let a = i < actual.count ? actual[i] : nil
                if e != a {
                    XCTFail("\(name) line \(i): expected \(e?.description ?? "<nothing>")\n   query job \(a?.description ?? "<nothing>")")
                    break
                }
            }
        }
    }

    // MARK: flink-json

    static let seedSchema = Schema([Field("timestamp", .long), Field("symbol", .string), Field("base", .string), Field("currency", .string),
                                    Field("price", .double), Field("volume_24h", .double), Field("source", .string), Field("iteration", .long)])

    static var seedQuery: StreamingQuery {
        StreamingQuery(name: "seed", source: KafkaSourceSpec(topic: "crypto_prices", startingOffsets: .earliest), valueFormat: .json(seedSchema),
                       filters: [.and(.isNotNull(.column("price")), .compare(.greater, .column("price"), .literal(.long(0))))],
                       projection: seedSchema.names)
    }

    static func runSeed(_ tape: [TapeRecord], options: FlinkQueryOptions) throws -> (FlinkJob, PrintSinkOutput) {
        let env = SimEnvironment(seed: 3)
        let log = InMemorySourceLog(topic: "crypto_prices", partitions: 1)
        for r in tape { log.append(partition: 0, key: nil, value: Array(r.value.utf8), timestamp: EventTime(r.arrivalMs)) }
        var o = options
        o.scanBoundedLatestOffset = true
        let printed = PrintSinkOutput()
        let job = try FlinkJob(environment: env, query: seedQuery, options: o, log: log, sink: PrintSink.factory(output: printed))
        job.start()
        env.scheduler.run(until: ProcessingTime(5_000))
        return (job, printed)
    }

    /// The seed raw job as a query: the recorded rows (numeric strings parsed after trim, `1e400` = Infinity, `"NaN"`
    /// filtered, missing/null price filtered), and a bounded run finishes by itself.
    func testSeedQueryReproducesRecordedRows() throws {
        let (_, tape, out) = try Self.loadCase("seed_raw_filter")
        let (job, printed) = try Self.runSeed(tape, options: FlinkQueryOptions(api: .sql))
        XCTAssertEqual(job.status, .finished)
        let rows = job.visibleRows.map(\.row)
        XCTAssertEqual(rows.count, out.count)
        for (r, e) in zip(rows, out) {
            for (i, name) in Self.seedSchema.names.enumerated() {
                let v = r[i], x = e[name]!
                switch v {
                case .null: XCTAssertTrue(x.isNull, "\(name)")
                case .long(let l): XCTAssertEqual(x.int64Value, l, "\(name)")
                case .string(let s): XCTAssertEqual(x.stringValue, s, "\(name)")
                case .double(let d):
                    if d.isFinite { XCTAssertEqual(x.doubleValue, d, "\(name)") } else { XCTAssertEqual(x.stringValue, d > 0 ? "Infinity" : "-Infinity") }
                default: XCTFail("unexpected \(v)")
                }
            }
        }
        XCTAssertEqual(printed.lines.count, out.count)
        XCTAssertTrue(printed.lines[0].line.hasPrefix("+I[1732867200, BTC-USD, BTC, USD, 96000.5, null, coinbase, 1]"), printed.lines[0].line)
    }

    /// `json.ignore-parse-errors = false` (the default): a non-numeric price fails the job (no checkpointing ⇒ restart
    /// strategy none ⇒ the job fails for good) with flink-json's message; `true`: the field is NULL (so the price filter
    /// drops the row) and a value that is not JSON gives no row.
    func testMalformedJSONFailsByDefaultAndIsSkippedWithIgnoreParseErrors() throws {
        let (_, tape, _) = try Self.loadCase("seed_raw_malformed_fails")
        let (failed, _) = try Self.runSeed(tape, options: FlinkQueryOptions(api: .sql))
        XCTAssertEqual(failed.status, .failed)
        let cause = failed.failureCause ?? ""
        XCTAssertTrue(cause.contains("Failed to deserialize JSON '{\"timestamp\":1732867220"), cause)
        XCTAssertTrue(cause.contains("Fail to deserialize at field: price."), cause)
        XCTAssertTrue(failed.events.contains { if case .failure = $0 { return true } else { return false } })

        var extra = tape
        extra.append(try TapeRecord(line: try JSONValue.parse(#"{"seq":99,"arrival_ms":5000,"partition":0,"value":"not json"}"#)))
        var o = FlinkQueryOptions(api: .sql)
        o.jsonIgnoreParseErrors = true
        let (ok, _) = try Self.runSeed(extra, options: o)
        XCTAssertEqual(ok.status, .finished)
        let good = tape.filter { !$0.value.contains("\"abc\"") }.compactMap { SeedPriceRow(json: $0.value) }.filter(\.passesSeedFilter)
        XCTAssertEqual(ok.visibleRows.map(\.row), good.map { Row($0.values) })
        XCTAssertEqual(ok.metrics.recordsUndeserializable, 1)
        XCTAssertGreaterThanOrEqual(ok.metrics.recordsFiltered, 1)

        let f = FlinkJSONFormat(schema: Self.seedSchema)
        XCTAssertEqual(try f.deserialize(Array(#"{"price":" 12.5 ","iteration":"7","timestamp":3.9}"#.utf8)),
                       .row([.long(3), .null, .null, .null, .double(12.5), .null, .null, .long(7)]))
        XCTAssertEqual(try f.deserialize(nil), .noRow)
        XCTAssertThrowsError(try f.deserialize(Array("[1]".utf8)))
    }

    // MARK: windowed OHLC over a broker

    static let tradeSchema = Schema([Field("symbol", .string), Field("price", .double), Field("qty", .double), Field("ts_ms", .long)])

    static func ohlcQuery(topic: String, delayMs: Int64 = 5_000) -> StreamingQuery {
        StreamingQuery(name: "ohlc", source: KafkaSourceSpec(topic: topic, startingOffsets: .earliest), valueFormat: .json(tradeSchema),
                       derivedColumns: [DerivedColumn("ts", .timestampMillis(.column("ts_ms")))],
                       filters: [.compare(.greater, .column("price"), .literal(.double(0)))],
                       watermark: WatermarkSpec(column: "ts", delayMs: delayMs),
                       aggregation: AggregationSpec(window: .tumbling(sizeMs: 60_000), timeColumn: "ts", groupBy: ["symbol"], aggregates: [
                           AggregateSpec(.first, "price", as: "open"), AggregateSpec(.max, "price", as: "high"), AggregateSpec(.min, "price", as: "low"),
                           AggregateSpec(.last, "price", as: "close"), AggregateSpec(.sum, "qty", as: "volume"), AggregateSpec(.count, nil, as: "trades"),
                       ]))
    }

    /// A windowed OHLC query over a SimLog `Broker` topic with 3 partitions (keyed by symbol, in order per symbol), two
    /// window subtasks, bounded at the log end: the rows are those the Spark model's windowed query gives for in-order
    /// data (computed by hand below: one row per (window, symbol), `window_start`/`window_end` in µs, the key, then
    /// open/high/low/close/volume/trades in spec order with Spark's result types).
    func testWindowedOHLCOverBrokerMatchesHandComputedRows() throws {
        let env = SimEnvironment(seed: 11)
        var bcfg = BrokerConfig()
        bcfg.retentionCleanerEnabled = false
        let broker = Broker(environment: env, config: bcfg)
        try broker.createTopic("trades", partitions: 3)
        let symbols = ["BTC-USD", "ETH-USD", "SOL-USD", "ADA-USD"]
        var rng = SimRandom(seed: 11)
        struct Trade { var symbol: String; var price: Double; var qty: Double; var ts: Int64 }
        var trades: [Trade] = []
        for k in 0..<400 {
            let s = symbols[k % symbols.count]
            let t = Trade(symbol: s, price: 100 + Double(rng.nextInt(below: 10_000)) / 100, qty: Double(1 + rng.nextInt(below: 9)) / 4, ts: Int64(k) * 750)
            trades.append(t)
            let p = Int32(symbols.firstIndex(of: s)! % 3)
            let value = #"{"symbol":"\#(s)","price":\#(t.price),"qty":\#(t.qty),"ts_ms":\#(t.ts)}"#
            _ = try broker.append(RecordBatch(records: [(timestamp: t.ts, key: Array(s.utf8), value: Array(value.utf8), headers: [])]), to: TopicPartition("trades", p))
        }
        var options = FlinkQueryOptions()
        options.parallelism = 2
        options.sourceParallelism = 3
        options.scanBoundedLatestOffset = true
        let store = InMemorySinkStore()
        let job = try FlinkJob(environment: env, query: Self.ohlcQuery(topic: "trades"), options: options, log: broker) { _, _ in
            AtLeastOnceJdbcSink(store: store, options: JdbcExecutionOptions(batchSize: 1))
        }
        job.start()
        env.scheduler.run(until: ProcessingTime(10_000))
        XCTAssertEqual(job.status, .finished)
        XCTAssertEqual(job.queryPlan?.outputSchema.names, ["window_start", "window_end", "symbol", "open", "high", "low", "close", "volume", "trades"])

        var expected: [GroupKey: [Value]] = [:]
        var order: [GroupKey] = []
        for t in trades {
            let start = t.ts - t.ts % 60_000
            let g = GroupKey(window: QueryModel.TimeWindow(start: start * 1000, end: (start + 60_000) * 1000), keys: [.string(t.symbol)])
            if var v = expected[g] {
                v[1] = .double(max(v[1].doubleValue!, t.price)); v[2] = .double(min(v[2].doubleValue!, t.price)); v[3] = .double(t.price)
                v[4] = .double(v[4].doubleValue! + t.qty); v[5] = .long(v[5].int64Value! + 1)
                expected[g] = v
            } else {
                expected[g] = [.double(t.price), .double(t.price), .double(t.price), .double(t.price), .double(t.qty), .long(1)]
                order.append(g)
            }
        }
        func byWindowThenKey(_ a: Row, _ b: Row) -> Bool {
            let (x, y) = (timestampValue(a[0]), timestampValue(b[0]))
            return x != y ? x < y : a[2].description < b[2].description
        }
        let expectedRows = order.map { g in Row([.timestamp(g.window!.start), .timestamp(g.window!.end)] + g.keys + expected[g]!) }.sorted(by: byWindowThenKey)
        let actual = store.rows.map(\.row).sorted(by: byWindowThenKey)
        XCTAssertEqual(actual, expectedRows)
        XCTAssertEqual(job.metrics.numLateRecordsDropped, 0)
    }

    func timestampValue(_ v: Value) -> Int64 { if case .timestamp(let us) = v { return us }; return 0 }

    // MARK: the event stream

    /// A small tape with allowed lateness and a side output: the job's events carry watermarks with their cause, the
    /// on-time firing, the late firing (fate lateFiring), a side-output record with its Kafka identity and rule, and
    /// per-row latency; with checkpoints, triggered/completed events carry the source offsets.
    func testEventStreamForSmallTape() throws {
        let env = SimEnvironment(seed: 5)
        let log = InMemorySourceLog(topic: "prices", partitions: 2)
        let tape: [(Int64, Int, String, Int64, Double)] = [  // arrival, partition, symbol, event time, price
            (1_000, 0, "BTC", 10_000, 100), (1_100, 1, "ETH", 12_000, 10), (2_000, 0, "BTC", 75_000, 101), (2_100, 1, "ETH", 76_000, 11),
            (3_000, 0, "BTC", 50_000, 99), (4_000, 0, "BTC", 100_000, 102), (4_100, 1, "ETH", 100_000, 12), (5_000, 0, "BTC", 5_000, 98),
        ]
        for (a, p, s, et, price) in tape {
            env.scheduler.schedule(at: ProcessingTime(a), phase: .input, "produce") {
                log.append(partition: p, key: Array(s.utf8), value: Array(#"{"symbol":"\#(s)","event_time":\#(et),"price":\#(price),"qty":1.0}"#.utf8), timestamp: EventTime(a))
            }
        }
        let q = StreamingQuery(name: "late", source: KafkaSourceSpec(topic: "prices", startingOffsets: .earliest), valueFormat: .json(Self.tapeSchema),
                               derivedColumns: [DerivedColumn("ts", .timestampMillis(.column("event_time")))],
                               watermark: WatermarkSpec(column: "ts", delayMs: 10_000),
                               aggregation: AggregationSpec(window: .tumbling(sizeMs: 60_000), timeColumn: "ts", groupBy: ["symbol"],
                                                            aggregates: [AggregateSpec(.count, nil, as: "n"), AggregateSpec(.last, "price", as: "close")]))
        var o = FlinkQueryOptions()
        o.allowedLateness = .seconds(20)
        o.sideOutputLateData = true
        o.checkpointInterval = .seconds(1)
        let store = InMemorySinkStore()
        let job = try FlinkJob(environment: env, query: q, options: o, log: log) { _, _ in TwoPhaseCommitSink(store: store) }
        job.start()
        env.scheduler.run(until: ProcessingTime(8_000))
        job.endInput()
        env.scheduler.run(until: ProcessingTime(10_000))
        XCTAssertEqual(job.status, .finished)

        let wms = job.events.compactMap { e -> (String, EventTime, String)? in if case .watermark(let t, let v, _, let c) = e { return (t, v, c) } else { return nil } }
        XCTAssertTrue(wms.contains { $0.0 == "source-0" && $0.2.hasPrefix("min over splits: split prices-") }, "\(wms.map(\.2))")
        XCTAssertTrue(wms.contains { $0.0 == "window-0" && $0.1 == EventTime(64_999) })
        let firings = job.events.compactMap { e -> FlinkFiring? in if case .firing(let f) = e { return f } else { return nil } }
        let btc0 = firings.filter { $0.key == [.string("BTC")] && $0.windowStart == 0 }
        XCTAssertEqual(btc0.map(\.cause), [.watermark, .element])
        XCTAssertEqual(btc0.map(\.pane), [0, 1])
        XCTAssertEqual(btc0.last?.row, Row([.timestamp(0), .timestamp(60_000_000), .string("BTC"), .long(2), .double(99)]))
        let late = job.events.compactMap { e -> FlinkLateRecord? in if case .late(let l) = e { return l } else { return nil } }
        XCTAssertEqual(late.map(\.fate), [.lateFiring, .sideOutput])
        XCTAssertEqual(late.last?.origin, RecordOrigin(TopicPartition("prices", 0), 4))
        XCTAssertEqual(late.last?.rule, "window [00:00:00.000, 00:01:00.000) max 00:00:59.999 + allowed lateness 20000 ms ≤ watermark 00:01:29.999 → side output")
        XCTAssertEqual(job.sideOutput.map(\.eventTime), [EventTime(5_000)])
        let cps = job.events.compactMap { e -> (Int64, CheckpointPhase, [TopicPartition: Int64])? in if case .checkpoint(let id, let p, _, let offs, _) = e { return (id, p, offs) } else { return nil } }
        XCTAssertTrue(cps.contains { $0.1 == .triggered })
        XCTAssertTrue(cps.contains { $0.1 == .completed && $0.2[TopicPartition("prices", 0)] != nil })
        // Two-phase commit: every result became visible at a checkpoint commit or the final commit; latency ≥ 0.
        XCTAssertEqual(job.visibleRows.count, store.rows.count)
        XCTAssertTrue(job.visibleRows.allSatisfy { $0.visibleAt >= $0.emittedAt })
        let btcOnTime = job.visibleRows.first { $0.row[2] == .string("BTC") }
        XCTAssertEqual(btcOnTime?.eventTime, EventTime(59_999))
        XCTAssertEqual(btcOnTime.map { $0.latencyMs }, btcOnTime.map { $0.visibleAt.millisecondsSinceEpoch - 59_999 })
        // Window bounds print as Flink's Row.toString prints a TIMESTAMP (LocalDateTime.toString).
        XCTAssertEqual(PrintSink.javaString(.timestamp(60_000_000)), "1970-01-01T00:01")
        XCTAssertEqual(PrintSink.javaString(.timestamp(1_500_000)), "1970-01-01T00:00:01.500")
    }

    /// Idleness: a silent split goes idle (split event), frees the watermark, and the window fires before end of input.
    func testIdleSplitEvents() throws {
        let env = SimEnvironment(seed: 6)
        let log = InMemorySourceLog(topic: "prices", partitions: 2)
        for (i, et) in [10_000, 70_000, 80_000].enumerated() {
            env.scheduler.schedule(at: ProcessingTime(Int64(1_000 * (i + 1))), phase: .input, "produce") {
                log.append(partition: 0, key: nil, value: Array(#"{"symbol":"BTC","event_time":\#(et),"price":1.0,"qty":1.0}"#.utf8), timestamp: EventTime(Int64(et)))
            }
        }
        var q = Self.ohlcQuery(topic: "prices", delayMs: 0)
        q.valueFormat = .json(Self.tapeSchema)
        q.derivedColumns = [DerivedColumn("ts", .timestampMillis(.column("event_time")))]
        q.filters = []
        q.aggregation?.aggregates = [AggregateSpec(.count, nil, as: "n")]
        var o = FlinkQueryOptions()
        o.withIdleness = .seconds(2)
        let job = try FlinkJob(environment: env, query: q, options: o, log: log) { i, n in PrintSink(subtaskIndex: i, parallelism: n) }
        job.start()
        env.scheduler.run(until: ProcessingTime(10_000))
        XCTAssertTrue(job.events.contains { if case .idle(_, TopicPartition("prices", 1)?, true, _) = $0 { return true } else { return false } })
        XCTAssertTrue(job.events.contains { if case .firing(let f) = $0 { return f.windowStart == 0 && f.cause == .watermark } else { return false } })
    }

    // MARK: recovery

    static func recoveryRun(seed: UInt64, crashAtStep: UInt64?) throws -> (rows: [String], restarts: Int, steps: UInt64) {
        let env = SimEnvironment(seed: seed)
        let log = InMemorySourceLog(topic: "crypto_prices", partitions: 3)
        _ = SeedGenerator.produce(env, log, iterations: 30, period: 1_000, seed: seed)
        var q = StreamingQuery(name: "avg", source: KafkaSourceSpec(topic: "crypto_prices", startingOffsets: .earliest), valueFormat: .json(seedSchema),
                               derivedColumns: [DerivedColumn("ts", .column("kafka_timestamp"))],
                               filters: [.compare(.greater, .column("price"), .literal(.long(0)))],
                               watermark: WatermarkSpec(column: "ts", delayMs: 5_000))
        q.aggregation = AggregationSpec(window: .sliding(sizeMs: 10_000, slideMs: 5_000), timeColumn: "ts", groupBy: ["symbol", "currency"], aggregates: [
            AggregateSpec(.avg, "price", as: "avg_price"), AggregateSpec(.first, "price", as: "open"), AggregateSpec(.count, nil, as: "n"),
        ])
        var o = FlinkQueryOptions()
        o.checkpointInterval = .seconds(2)
        o.heartbeatTimeout = .seconds(5)
        o.parallelism = 2
        let store = InMemorySinkStore()
        let job = try FlinkJob(environment: env, query: q, options: o, log: log) { _, _ in TwoPhaseCommitSink(store: store) }
        job.start()
        if let k = crashAtStep {
            while env.scheduler.executedCount < k, env.scheduler.nextEventTime.map({ $0 <= RecoveryPropertyTests.produceUntil }) ?? false { env.scheduler.step() }
            job.crashTaskManager()
        }
        env.scheduler.run(until: RecoveryPropertyTests.drainAt)
        job.endInput()
        env.scheduler.run(until: RecoveryPropertyTests.drainAt + .seconds(10))
        guard job.status == .finished else { throw FlinkError.unsupportedCase("job did not finish: \(job.status)") }
        if job.visibleRows.count != store.rows.count { throw FlinkError.unsupportedCase("visible rows \(job.visibleRows.count) vs store \(store.rows.count)") }
        return (store.rows.map { $0.row.description }.sorted(), job.metrics.restarts, env.scheduler.executedCount)
    }

    /// Crash anywhere + recovery with the 2PC sink equals the crash-free run for a query-built sliding-window job
    /// (composite key, two window subtasks; per-partition out-of-orderness below the bound, so nothing is late in
    /// either run).
    func testQueryJobCrashRecoveryWithTwoPhaseCommitEqualsCrashFreeRun() {
        let failure = checkProperty("query 2pc crash-anywhere = crash-free", seeds: 1...5, testFilter: "FlinkEngineTests.QueryJobTests/testQueryJobCrashRecoveryWithTwoPhaseCommitEqualsCrashFreeRun") { seed in
            let reference = try Self.recoveryRun(seed: seed, crashAtStep: nil)
            if reference.rows.isEmpty { return "no rows" }
            var rng = SimRandom(seed: seed ^ 0xFACE)
            let k = 1 + rng.nextInt(below: reference.steps / 2)
            let crashed = try Self.recoveryRun(seed: seed, crashAtStep: k)
            if crashed.restarts < 1 { return "no restart after a crash at step \(k)" }
            return crashed.rows == reference.rows ? nil : "crash at step \(k): \(crashed.rows.count) rows vs \(reference.rows.count) crash-free"
        }
        if let failure { XCTFail(failure.description) }
    }

    // MARK: SQL windows on the window operator

    /// The SQL path runs windows on `WindowOperator` with allowed lateness 0 and no side output; for TUMBLE/HOP that is
    /// the window-TVF rule (`SQLWindowAggregator`: drop iff the last window fired, else add to unfired windows): same
    /// rows, same drops, on random tapes.
    func testWindowOperatorWithoutLatenessEqualsSQLWindowAggregator() throws {
        var rng = SimRandom(seed: 77)
        for round in 0..<50 {
            let hop = round % 2 == 1
            let fn: SQLWindowFunction = hop ? .hop(slide: 20, size: 60, offset: 0) : .tumble(size: 60, offset: 0)
            var sql = SQLWindowAggregator<String, CollectingAggregate<Int>>(function: fn, aggregate: CollectingAggregate<Int>())
            var op = try WindowOperator<String, CollectingAggregate<Int>>(assigner: hop ? .slidingEventTime(size: 60, slide: 20, offset: 0) : .tumblingEventTime(size: 60, offset: 0),
                                                                         aggregate: CollectingAggregate<Int>())
            var a: [String] = [], b: [String] = []
            var outA: [SQLWindowEmission<String, [Int]>] = [], outB: [WindowOperator<String, CollectingAggregate<Int>>.Emission] = []
            var wm: Int64 = .min
            for i in 0..<40 {
                let ts = Int64(rng.nextInt(below: 400))
                let key = rng.nextInt(below: 2) == 0 ? "A" : "B"
                outA.removeAll(); outB.removeAll()
                sql.processElement(i, key: key, rowtime: ts, into: &outA)
                try op.processElement(i, key: key, timestamp: ts, processingTime: 0, into: &outB)
                if rng.nextInt(below: 3) == 0 {
                    wm = max(wm, Int64(rng.nextInt(below: 400)))
                    sql.processWatermark(wm, into: &outA)
                    op.processWatermark(wm, into: &outB)
                }
                for e in outA {
                    switch e {
                    case .row(let k, let w, let o, _): a.append("row \(k) \(w) \(o)")
                    case .dropped(let k, let t, _): a.append("drop \(k) \(t)")
                    }
                }
                for e in outB {
                    switch e {
                    case .fired(let f): b.append("row \(f.key) \(f.window) \(f.output)")
                    case .lateDropped(let k, _, let t, _): b.append("drop \(k) \(t)")
                    case .lateSideOutput: b.append("side")
                    }
                }
            }
            XCTAssertEqual(a, b, "round \(round)")
            XCTAssertEqual(sql.numLateRecordsDropped, op.numLateRecordsDropped)
        }
    }
}
