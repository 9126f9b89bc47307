import Foundation
import SimCore
import SimLog
import QueryModel
import SparkEngine

/// A recorded real-Spark case: `fixtures/conformance/spark/<case>/{case.json,tape.jsonl,spark_output.jsonl}`
/// (format: tools/conformance/spark/spark_record.py).
struct ConformanceCase {
    struct TapeRecord {
        var seq: Int64
        var arrivalMs: Int64
        var partition: Int64
        var key: String?
        var value: String
    }

    let name: String
    let spec: JSONValue
    let tape: [TapeRecord]
    let expected: [JSONValue]

    static var fixturesDirectory: String {
        let here = URL(fileURLWithPath: #filePath)
        return here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("fixtures/conformance/spark").path
    }

    /// Every case directory that holds a case.json, sorted.
    static func all() -> [String] {
        let dir = fixturesDirectory
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { FileManager.default.fileExists(atPath: dir + "/" + $0 + "/case.json") }.sorted()
    }

    static func jsonLines(_ path: String) throws -> [JSONValue] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try text.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.map { try JSONValue.parse(String($0)) }
    }

    init(name: String) throws {
        self.name = name
        let dir = ConformanceCase.fixturesDirectory + "/" + name
        spec = try JSONValue.parse(try String(contentsOfFile: dir + "/case.json", encoding: .utf8))
        tape = try ConformanceCase.jsonLines(dir + "/tape.jsonl").map {
            TapeRecord(seq: $0["seq"]!.int64Value!, arrivalMs: $0["arrival_ms"]!.int64Value!, partition: $0["partition"]?.int64Value ?? 0,
                       key: $0["key"]?.stringValue, value: $0["value"]!.stringValue!)
        }
        let outPath = dir + "/spark_output.jsonl"
        expected = FileManager.default.fileExists(atPath: outPath) ? try ConformanceCase.jsonLines(outPath) : []
    }

    var triggerMs: Int64 { spec["trigger_ms"]?.int64Value ?? 10_000 }
    var regime: String { spec["regime"]?.stringValue ?? "tick" }

    /// The case's query in the shared query model.
    func query() throws -> StreamingQuery {
        let fields = spec["schema"]!.arrayValue!.map { pair -> Field in
            let a = pair.arrayValue!
            return Field(a[0].stringValue!, DataType(name: a[1].stringValue!)!)
        }
        var derived: [DerivedColumn] = [DerivedColumn("key", .cast(.column("kafka_key"), .string))]
        for m in spec["casts"]?.objectMembers ?? [] {
            derived.append(DerivedColumn(m.key, .cast(.column(m.key), DataType(name: m.value.stringValue!)!)))
        }
        let delay = spec["watermark_delay_ms"]?.int64Value
        let window = spec["window"].flatMap { $0.isNull ? nil : $0 }
        if let etc = spec["event_time_column"]?.stringValue, window != nil || delay != nil {
            let col = ColumnExpression.column(etc)
            let e: ColumnExpression
            switch spec["event_time_unit"]?.stringValue ?? "ms" {
            case "s": e = .timestampSeconds(col)
            case "ms_div1000_cast": e = .cast(.arithmetic(.divide, col, .literal(.int(1000))), .timestamp)
            default: e = .timestampMillis(col)
            }
            derived.append(DerivedColumn("ts", e))
        }
        var aggregation: AggregationSpec?
        let aggs = spec["aggregates"]?.arrayValue ?? []
        if !aggs.isEmpty {
            var w: WindowSpec?
            if let win = window {
                switch win["type"]!.stringValue! {
                case "tumbling": w = .tumbling(sizeMs: win["size_ms"]!.int64Value!)
                case "sliding": w = .sliding(sizeMs: win["size_ms"]!.int64Value!, slideMs: win["slide_ms"]!.int64Value!)
                default: w = .session(gapMs: win["gap_ms"]!.int64Value!)
                }
            }
            aggregation = AggregationSpec(window: w, timeColumn: w == nil ? nil : "ts",
                                          groupBy: (spec["group_by"]?.arrayValue ?? []).map { $0.stringValue! },
                                          aggregates: aggs.map { AggregateSpec(AggregateFunction(rawValue: $0["fn"]!.stringValue!)!, $0["column"]!.stringValue!, as: $0["as"]!.stringValue!) })
        }
        var unionInputs: [UnionInput]?
        var mainTopic = "tape"
        if let u = spec["union"], !u.isNull {
            let delays = u["watermark_delays_ms"]!.arrayValue!.map { $0.int64Value }
            mainTopic = "in0"
            unionInputs = (1..<(u["inputs"]?.int64Value.map(Int.init) ?? 2)).map { UnionInput(source: KafkaSourceSpec(topic: "in\($0)", startingOffsets: .earliest), watermarkDelayMs: delays[$0]) }
        }
        return StreamingQuery(
            name: name, source: KafkaSourceSpec(topic: mainTopic, startingOffsets: .earliest),
            valueFormat: .json(Schema(fields)), derivedColumns: derived,
            watermark: delay.map { WatermarkSpec(column: "ts", delayMs: $0) }, aggregation: aggregation,
            projection: aggregation == nil ? ["kafka_offset", "key"] + fields.map(\.name) : nil,
            outputMode: OutputMode(rawValue: spec["output_mode"]?.stringValue ?? "append")!, unionInputs: unionInputs)
    }

    var isUnion: Bool { spec["union"].map { !$0.isNull } ?? false }

    static func failedLine(_ e: SparkQueryError, batch: Int64?) -> JSONValue {
        .object([JSONMember("engine", .string("spark")), JSONMember("event", .string("failed")), JSONMember("batch", batch.map { .number(JSONNumber($0)) } ?? .null),
                 JSONMember("exception", .string(e.exceptionClass)), JSONMember("message", .string(String(e.description.split(separator: "\n").first ?? "")))])
    }

    /// Replays the tape through the model and renders the same lines the recorder writes.
    func run() throws -> [JSONValue] {
        let env = SimEnvironment(seed: 1)
        let log = InMemoryKafkaLog()
        let union = isUnion
        let topics = union ? ["in0", "in1"] : ["tape"]
        for t in topics { log.createTopic(t, partitions: 1) }
        let T = triggerMs
        let eager = regime == "eager"
        let availableNow = regime == "available_now"
        let once = regime == "once"
        // Records in (arrival, seq) order: one input partition, the recorder's file order.
        let ordered = tape.sorted { ($0.arrivalMs, $0.seq) < ($1.arrivalMs, $1.seq) }
        var byOffset: [TopicPartition: [TapeRecord]] = [:]
        func tick(_ a: Int64) -> Int64 { a <= 0 ? 0 : (a + T - 1) / T }
        for r in ordered {
            let tp = TopicPartition(union ? "in\(r.partition)" : "tape", 0)
            byOffset[tp, default: []].append(r)
            let at = availableNow ? 0 : eager ? tick(r.arrivalMs) * T : r.arrivalMs
            env.scheduler.schedule(at: ProcessingTime(max(0, at)), phase: .input, "tape \(r.seq)") {
                log.append(tp, key: r.key.map { Array($0.utf8) }, value: Array(r.value.utf8), timestamp: EventTime(r.arrivalMs))
            }
        }
        let ticksByOffset = byOffset.mapValues { $0.map { tick($0.arrivalMs) } }
        var options = SparkQueryOptions(trigger: availableNow ? .availableNow : once ? .once : .processingTime(intervalMs: eager ? 0 : T))
        if availableNow {
            // The recorder's file source with maxFilesPerTrigger=1: one tick's records per batch.
            options.admissionControl = { start, available in
                KafkaOffsets(available.partitions.map { tp in
                    let end = available[tp]!
                    let from = start[tp] ?? 0
                    guard from < end, let ticks = ticksByOffset[tp] else { return (tp, end) }
                    var cut = from
                    while cut < end && ticks[Int(cut)] == ticks[Int(from)] { cut += 1 }
                    return (tp, cut)
                })
            }
        }
        for m in spec["spark_conf"]?.objectMembers ?? [] {
            switch m.key {
            case "spark.sql.streaming.noDataMicroBatches.enabled": options.conf.noDataMicroBatchesEnabled = m.value.stringValue == "true"
            case "spark.sql.streaming.statefulOperator.allowMultiple": options.conf.statefulOperatorAllowMultiple = m.value.stringValue == "true"
            case "spark.sql.streaming.multipleWatermarkPolicy": options.conf.multipleWatermarkPolicy = m.value.stringValue ?? "min"
            default: break
            }
        }
        var lastLabel: Int64 = 0
        let q = try query()
        let store = CheckpointStore()
        var lines: [JSONValue] = []
        let sink = ForeachBatchSink { _ in }
        let passthrough = q.aggregation == nil
        var engine: SparkMicroBatchExecution! = nil
        var pendingRows: [Row] = []
        func makeEngine() throws -> SparkMicroBatchExecution {
            let e = try SparkMicroBatchExecution(environment: env, query: q, options: options, log: log, sink: sink, checkpoint: store)
            e.onBatchOutput = { _, rows in pendingRows = rows }
            e.onBatchCompleted = { p in
                var tickNo = tick(p.triggerTime.millisecondsSinceEpoch)
                if availableNow {
                    tickNo = lastLabel
                    for tp in p.endOffsets.partitions {
                        let end = p.endOffsets[tp]!
                        let from = p.startOffsets[tp] ?? 0
                        if end > from, let ticks = ticksByOffset[tp] { tickNo = ticks[Int(end - 1)] }
                    }
                }
                lastLabel = tickNo
                let schema = e.plan.outputSchema
                var rendered: [JSONValue] = []
                for row in pendingRows {
                    var m: [JSONMember] = [JSONMember("engine", .string("spark")), JSONMember("batch", .number(JSONNumber(p.batchId))),
                                           JSONMember("tick", .number(JSONNumber(tickNo))), JSONMember("kind", .string(p.kind.rawValue)),
                                           JSONMember("watermark_ms", p.watermarkMs.map { .number(JSONNumber($0)) } ?? .null)]
                    for (i, f) in schema.fields.enumerated() {
                        if passthrough && f.name == "kafka_offset" {
                            let r = byOffset[TopicPartition("tape", 0)]![Int(row[i].int64Value!)]
                            m.append(JSONMember("seq", .number(JSONNumber(r.seq))))
                            m.append(JSONMember("partition", .number(JSONNumber(r.partition))))
                            continue
                        }
                        let name = f.name == "window_start" ? "window_start" : f.name == "window_end" ? "window_end" : f.name
                        m.append(JSONMember(name, ConformanceCase.json(row[i], isWindow: f.name.hasPrefix("window_"))))
                    }
                    rendered.append(.object(m))
                }
                lines.append(contentsOf: rendered)
                let ops: [JSONValue] = p.stateOperators.map { s in
                    .object([JSONMember("numRowsTotal", .number(JSONNumber(s.numRowsTotal))), JSONMember("numRowsUpdated", .number(JSONNumber(s.numRowsUpdated))),
                             JSONMember("numRowsRemoved", .number(JSONNumber(s.numRowsRemoved))), JSONMember("numRowsDroppedByWatermark", .number(JSONNumber(s.numRowsDroppedByWatermark)))])
                }
                let prog: JSONValue = .object([
                    JSONMember("tick", .number(JSONNumber(tickNo))), JSONMember("kind", .string(p.kind.rawValue)),
                    JSONMember("numInputRows", .number(JSONNumber(Int64(p.numInputRows)))),
                    JSONMember("watermark_ms", p.watermarkMs.map { .number(JSONNumber($0)) } ?? .null),
                    JSONMember("eventTime_min_ms", p.eventTimeMinMs.map { .number(JSONNumber($0)) } ?? .null),
                    JSONMember("eventTime_max_ms", p.eventTimeMaxMs.map { .number(JSONNumber($0)) } ?? .null),
                    JSONMember("numOutputRows", .number(JSONNumber(Int64(p.numOutputRows)))),
                    JSONMember("stateOperators", .array(ops))])
                lines.append(.object([JSONMember("engine", .string("spark")), JSONMember("batch", .number(JSONNumber(p.batchId))), JSONMember("progress", prog)]))
            }
            return e
        }
        var rejected = false
        func startEngine(trigger label: String?, at t: Int64) {
            if let label {
                lines.append(.object([JSONMember("engine", .string("spark")), JSONMember("event", .string("run_start")), JSONMember("trigger", .string(label)), JSONMember("tick", .number(JSONNumber(t)))]))
            }
            do {
                engine = try makeEngine()
                engine.start()
            } catch let e as SparkQueryError {
                lines.append(ConformanceCase.failedLine(e, batch: nil))
                rejected = true
            } catch { rejected = true }
        }
        let dataTicks = ordered.map { tick($0.arrivalMs) }
        if once {
            let first = dataTicks.min() ?? 0, last = (dataTicks.max() ?? 0) + (spec["extra_empty_ticks"]?.int64Value ?? 0)
            for t in first...last {
                env.scheduler.schedule(at: ProcessingTime(t * T), phase: .engine, "run") { if !rejected { startEngine(trigger: "once", at: t) } }
            }
        } else {
            startEngine(trigger: availableNow ? "available_now" : nil, at: dataTicks.min() ?? 0)
        }
        if rejected { return lines }
        for action in spec["actions"]?.arrayValue ?? [] where action["type"]?.stringValue == "restart" {
            let at = action["at_tick"]!.int64Value!
            let deletes = (action["delete"]?.arrayValue ?? [.string("commits/last")]).map { $0.stringValue! }
            env.scheduler.schedule(at: ProcessingTime(at * T), phase: .fault, "restart") {
                engine.stop()
                let layout = engine.checkpoint
                let n = layout.latestOffsetsBatch ?? 0
                if let o = layout.offsets(n) {
                    lines.append(.object([JSONMember("engine", .string("spark")), JSONMember("event", .string("checkpoint_file")), JSONMember("path", .string("offsets/\(n)")),
                                          JSONMember("batchWatermarkMs", .number(JSONNumber(o.batchWatermarkMs)))]))
                }
                if let c = layout.commitWatermark(n) {
                    lines.append(.object([JSONMember("engine", .string("spark")), JSONMember("event", .string("checkpoint_file")), JSONMember("path", .string("commits/\(n)")),
                                          JSONMember("nextBatchWatermarkMs", .number(JSONNumber(c)))]))
                }
                var deleted: [String] = []
                for d in deletes {
                    if d == "commits/all" { store.deleteDirectory("commits"); deleted.append("commits") }
                    else if d == "commits/last" { store.delete("commits/\(n)"); deleted.append("commits/\(n)") }
                }
                lines.append(.object([JSONMember("engine", .string("spark")), JSONMember("event", .string("restart")), JSONMember("after_batch", .number(JSONNumber(n))),
                                      JSONMember("tick", .number(JSONNumber(at))), JSONMember("deleted", deleted.count == 1 ? .string(deleted[0]) : .array(deleted.map { .string($0) }))]))
                engine = try! makeEngine()
                engine.start()
            }
        }
        let lastTick = tick(tape.map(\.arrivalMs).max() ?? 0)
        let lastAction = (spec["actions"]?.arrayValue ?? []).compactMap { $0["at_tick"]?.int64Value }.max() ?? 0
        env.scheduler.run(until: ProcessingTime((max(lastTick, lastAction) + 4) * T))
        if let e = engine, let f = e.failure { lines.append(ConformanceCase.failedLine(f, batch: e.nextBatchId)) }
        return lines
    }

    /// A model value as the recorder's JSON shows it (floats as their double value; NaN/±Infinity as strings;
    /// timestamps of a window in ms).
    static func json(_ v: Value, isWindow: Bool) -> JSONValue {
        switch v {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .int(let x): return .number(JSONNumber(Int64(x)))
        case .long(let x): return .number(JSONNumber(x))
        case .float(let f): return doubleJSON(Double(f))
        case .double(let d): return doubleJSON(d)
        case .string(let s): return .string(s)
        case .timestamp(let us): return us % 1000 == 0 ? .number(JSONNumber(us / 1000)) : doubleJSON(Double(us) / 1000)
        default: return .string(v.description)
        }
    }

    static func doubleJSON(_ d: Double) -> JSONValue {
        if d.isNaN { return .string("NaN") }
        if d.isInfinite { return .string(d > 0 ? "Infinity" : "-Infinity") }
        return .number(JSONNumber(d))
    }
}

/// Compares a model line with a recorded line: same keys, numbers equal as doubles (exactly), everything else equal.
func conformanceDifference(expected: JSONValue, actual: JSONValue, path: String = "") -> String? {
    switch (expected, actual) {
    case (.number(let a), .number(let b)):
        return a.doubleValue == b.doubleValue ? nil : "\(path): expected \(a.literal), model \(b.literal)"
    case (.object(let a), .object(let b)):
        let ka = a.map(\.key), kb = b.map(\.key)
        if Set(ka) != Set(kb) { return "\(path): keys differ: expected \(ka), model \(kb)" }
        for m in a {
            if let d = conformanceDifference(expected: m.value, actual: b.first { $0.key == m.key }!.value, path: path + "." + m.key) { return d }
        }
        return nil
    case (.array(let a), .array(let b)):
        if a.count != b.count { return "\(path): expected \(a.count) elements, model \(b.count)" }
        for (i, (x, y)) in zip(a, b).enumerated() { if let d = conformanceDifference(expected: x, actual: y, path: path + "[\(i)]") { return d } }
        return nil
    default:
        return expected == actual ? nil : "\(path): expected \(expected.compactText), model \(actual.compactText)"
    }
}

/// The recorder's checkpoint_file lines keep whole file lines; the model reports the watermark fields only.
func normalizedExpected(_ line: JSONValue) -> JSONValue {
    guard line["event"]?.stringValue == "checkpoint_file", let path = line["path"]?.stringValue, let fileLines = line["lines"]?.arrayValue, fileLines.count > 1 else { return line }
    let key = path.hasPrefix("offsets") ? "batchWatermarkMs" : "nextBatchWatermarkMs"
    return .object([JSONMember("engine", .string("spark")), JSONMember("event", .string("checkpoint_file")), JSONMember("path", .string(path)),
                    JSONMember(key, fileLines[1][key] ?? .null)])
}
