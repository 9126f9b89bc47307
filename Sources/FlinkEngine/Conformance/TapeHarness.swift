public import SimCore
import OrderedCollections

/// Replays a conformance tape through the model in the recorder's mode (`tools/conformance/flink/FlinkConformanceJob.java`):
/// parallelism 1, one chained task (FLIP-27 source with one output per split → window operator, no valve in between),
/// per-record punctuated watermark `maxTs − B − 1` (record processed before its own watermark), auto-watermark-interval 0,
/// idleness probes (when configured) at `k · probe_interval` of virtual time, each run before the first record arriving at
/// or after it, and a bounded source ending with `MAX`. The output lines have the recorder's shape, in emission order.
public enum FlinkTapeHarness {
    public static func run(_ c: FlinkConformanceCase, tape: [TapeRecord]) throws(FlinkError) -> [JSONValue] {
        if c.api == "sql" {
            if c.job == "raw_filter" { return RawFilterHarness.run(tape: tape) }
            return try SQLTapeHarness.run(c, tape: tape)
        }
        var h = try DataStreamTapeHarness(c, tape: tape)
        return try h.run()
    }
}

/// JSON building helpers for harness output.
enum J {
    static func obj(_ members: [(String, JSONValue)]) -> JSONValue { .object(members.map { JSONMember($0.0, $0.1) }) }
    static func int(_ v: Int64) -> JSONValue { .number(JSONNumber(v)) }
    static func int(_ v: Int) -> JSONValue { .number(JSONNumber(Int64(v))) }
    static func dbl(_ v: Double) -> JSONValue { .number(JSONNumber(v)) }
    static func str(_ s: String?) -> JSONValue { s.map { .string($0) } ?? .null }
    static func seq(_ s: Int64?) -> JSONValue { s.map { int($0) } ?? .null }
    /// A watermark as the recorder writes it: `"MAX"` for `Long.MAX_VALUE`, null for "none yet".
    static func wm(_ w: Int64?) -> JSONValue {
        guard let w, w != .min else { return .null }
        return w == .max ? .string("MAX") : int(w)
    }
    /// A double as the recorder prints it: a number, or `"Infinity"`/`"NaN"` as Java's `Double.toString` in a string.
    static func javaDouble(_ d: Double) -> JSONValue { d.isFinite ? dbl(d) : .string(d.isNaN ? "NaN" : (d > 0 ? "Infinity" : "-Infinity")) }
    static func agg(_ v: PaneAggregateValue) -> JSONValue {
        switch v {
        case .integer(let i): return int(i)
        case .double(let d): return javaDouble(d)
        case .null: return .null
        }
    }
    static func aggregates(_ c: FlinkConformanceCase, _ records: [TapeRecord]) -> [(String, JSONValue)] {
        c.aggregates.map { a in
            (a.name, agg(a.function.evaluate(records.map { $0.column(a.column) }, countsRows: a.column == "*")))
        }
    }
}

/// The DataStream job of the recorder.
struct DataStreamTapeHarness {
    let c: FlinkConformanceCase
    let tape: [TapeRecord]
    var source: SourceReaderWatermarks
    var op: WindowOperator<String, CollectingAggregate<Int>>
    var lines: [JSONValue] = []
    var currentSeq: Int64?
    var probeMs: Int64?
    var lastWatermarkAtOperator: Int64?
    var events: [SourceWatermarkEvent] = []
    var emissions: [WindowOperator<String, CollectingAggregate<Int>>.Emission] = []

    init(_ c: FlinkConformanceCase, tape: [TapeRecord]) throws(FlinkError) {
        self.c = c
        self.tape = tape
        let delay: Int64
        switch c.strategy {
        case .boundedOutOfOrderness: delay = c.delayMs
        case .monotonous: delay = 0
        case .sqlInterval: throw .unsupportedCase("sql_interval watermark in a DataStream case")
        }
        var strategy = WatermarkStrategy(.punctuatedBoundedOutOfOrderness(.milliseconds(delay)))
        if let t = c.idlenessMs { strategy = strategy.withIdleness(.milliseconds(t)) }
        try strategy.validate()
        source = SourceReaderWatermarks(strategy: strategy)
        for s in 0..<max(1, c.splits) { source.addSplit(s) }
        let assigner: WindowAssigner
        switch c.window {
        case .tumbling(let size, let offset)?: assigner = .tumblingEventTime(size: size, offset: offset)
        case .sliding(let size, let slide, let offset)?: assigner = .slidingEventTime(size: size, slide: slide, offset: offset)
        case .session(let gap)?: assigner = .eventTimeSession(gap: gap)
        case nil: throw .unsupportedCase("a DataStream case needs a window")
        }
        op = try WindowOperator(assigner: assigner, allowedLateness: c.allowedLatenessMs, sideOutputLateData: c.sideOutput, aggregate: CollectingAggregate<Int>())
    }

    mutating func run() throws(FlinkError) -> [JSONValue] {
        var nextProbe: Int64 = c.idlenessMs == nil ? .max : c.idlenessProbeIntervalMs
        for (index, r) in tape.enumerated() {
            guard r.partition >= 0 && r.partition < max(1, c.splits) else { throw .malformedInput("bad partition \(r.partition)") }
            while nextProbe <= r.arrivalMs {
                probeMs = nextProbe
                events.removeAll(keepingCapacity: true)
                source.periodicEmit(now: ProcessingTime(nextProbe), into: &events)
                handle(events)
                probeMs = nil
                nextProbe += c.idlenessProbeIntervalMs
            }
            currentSeq = r.seq
            guard let ts = r.eventTime else { throw .malformedInput("seq \(r.seq): no event_time") }
            // The record goes through the chain first …
            emissions.removeAll(keepingCapacity: true)
            try op.processElement(index, key: r.symbol ?? "", timestamp: ts, processingTime: r.arrivalMs, into: &emissions)
            var dropped: [JSONValue] = []
            for e in emissions {
                switch e {
                case .fired(let f): lines.append(firing(f, cause: "element", after: currentSeq))
                case .lateSideOutput(_, let i, _, _):
                    lines.append(J.obj([("after_seq", J.seq(currentSeq)), ("watermark_ms", J.wm(lastWatermarkAtOperator)), ("late", tape[i].line)]))
                case .lateDropped(_, let i, _, _):
                    dropped.append(J.obj([("after_seq", J.seq(currentSeq)), ("watermark_ms", J.wm(lastWatermarkAtOperator)), ("dropped", tape[i].line)]))
                }
            }
            lines += dropped
            // … then the split's generator sees it.
            events.removeAll(keepingCapacity: true)
            source.onRecord(split: r.partition, timestamp: EventTime(ts), now: ProcessingTime(r.arrivalMs), into: &events)
            handle(events)
        }
        events.removeAll(keepingCapacity: true)
        source.endOfInput(into: &events)
        handle(events)
        var out: [JSONValue] = []
        for (i, l) in lines.enumerated() {
            guard case .object(let m) = l else { continue }
            out.append(.object([JSONMember("emit_seq", J.int(i))] + m))
        }
        out.append(J.obj([("metric", .string("numLateRecordsDropped")), ("value", J.int(op.numLateRecordsDropped))]))
        return out
    }

    func inputWatermarkFields() -> [(String, JSONValue)] {
        guard c.splits > 1 else { return [] }
        var f: [(String, JSONValue)] = []
        let parts = source.multiplexer.outputs
        f.append(("input_watermarks", .array((0..<c.splits).map { s in J.wm(parts[s]?.watermark) })))
        if c.idlenessMs != nil {
            f.append(("input_idle", .array((0..<c.splits).map { .bool(source.isSplitReportedIdle($0)) })))
        }
        return f
    }

    mutating func handle(_ evs: [SourceWatermarkEvent]) {
        for e in evs {
            switch e {
            case .watermark(let w):
                let ts = w.millisecondsSinceEpoch
                var f: [(String, JSONValue)]
                if ts == .max {
                    f = [("watermark_ms", .string("MAX")), ("end_of_input", .bool(true)), ("after_seq", .null)]
                } else {
                    f = [("watermark_ms", J.int(ts)), ("after_seq", J.seq(currentSeq))]
                    if let p = probeMs { f.append(("probe_ms", J.int(p))) }
                }
                lines.append(J.obj(f + inputWatermarkFields()))
                lastWatermarkAtOperator = ts
                emissions.removeAll(keepingCapacity: true)
                op.processWatermark(ts, into: &emissions)
                var firings: [WindowFiring<String, [Int]>] = []
                for case .fired(let fi) in emissions { firings.append(fi) }
                // The recorder's normalisation of one watermark step: (window end, symbol, window start).
                firings.sort { ($0.window.end, $0.key, $0.window.start) < ($1.window.end, $1.key, $1.window.start) }
                for fi in firings {
                    lines.append(firing(fi, cause: ts == .max ? "end_of_input" : "watermark", after: ts == .max ? nil : currentSeq))
                }
            case .status(let idle):
                lines.append(J.obj([("after_seq", J.seq(currentSeq)), ("watermark_status", .string(idle ? "IDLE" : "ACTIVE"))]))
            case .splitIdle(let s):
                lines.append(J.obj([("after_seq", J.seq(currentSeq)), ("split", J.int(s)), ("status", .string("IDLE")), ("probe_ms", probeMs.map { J.int($0) } ?? .null)]))
            case .splitActive(let s):
                lines.append(J.obj([("after_seq", J.seq(currentSeq)), ("split", J.int(s)), ("status", .string("ACTIVE"))]))
            }
        }
    }

    func firing(_ f: WindowFiring<String, [Int]>, cause: String, after: Int64?) -> JSONValue {
        let recs = f.output.map { tape[$0] }
        var m: [(String, JSONValue)] = [
            ("after_seq", J.seq(after)), ("cause", .string(cause)), ("watermark_ms", J.wm(f.watermark)), ("pane", J.int(f.pane)),
            ("window_start", J.int(f.window.start)), ("window_end", J.int(f.window.end)), ("symbol", .string(f.key)),
        ]
        m += J.aggregates(c, recs)
        m.append(("seqs", .array(recs.map { J.int($0.seq) })))
        return J.obj(m)
    }
}

/// The recorder's SQL window job: `WATERMARK FOR rowtime AS rowtime − INTERVAL 'B' SECOND` on a per-record assigner
/// (interval 0), a `TUMBLE`/`HOP` window TVF aggregation, result rows logged before each watermark that released them.
enum SQLTapeHarness {
    static func run(_ c: FlinkConformanceCase, tape: [TapeRecord]) throws(FlinkError) -> [JSONValue] {
        guard c.strategy == .sqlInterval else { throw .unsupportedCase("SQL case needs the sql_interval watermark") }
        let fn: SQLWindowFunction
        switch c.window {
        case .tumbling(let size, let offset)?: fn = .tumble(size: size, offset: offset)
        case .sliding(let size, let slide, let offset)?: fn = .hop(slide: slide, size: size, offset: offset)
        default: throw .unsupportedCase("SQL window \(String(describing: c.window))")
        }
        var assigner = SQLWatermarkAssigner(delay: .milliseconds(c.delayMs), autoWatermarkInterval: .zero)
        var agg = SQLWindowAggregator<String, CollectingAggregate<Int>>(function: fn, aggregate: CollectingAggregate<Int>())
        var lines: [JSONValue] = []
        var out: [SQLWindowEmission<String, [Int]>] = []
        func step(_ wm: Int64, after: Int64?) {
            out.removeAll(keepingCapacity: true)
            agg.processWatermark(wm, into: &out)
            var rows: [(key: String, window: TimeWindow, seqs: [Int])] = []
            for case .row(let k, let w, let o, _) in out { rows.append((k, w, o)) }
            rows.sort { ($0.window.end, $0.key, $0.window.start) < ($1.window.end, $1.key, $1.window.start) }
            let end = wm == .max
            if end { lines.append(J.obj([("watermark_ms", .string("MAX")), ("end_of_input", .bool(true)), ("after_seq", .null)])) } else { lines.append(J.obj([("watermark_ms", J.int(wm)), ("after_seq", J.seq(after))])) }
            for r in rows {
                var m: [(String, JSONValue)] = [("after_seq", J.seq(end ? nil : after)), ("cause", .string(end ? "end_of_input" : "watermark")), ("watermark_ms", J.wm(wm)),
                                                ("window_start", J.int(r.window.start)), ("window_end", J.int(r.window.end)), ("symbol", .string(r.key))]
                m += J.aggregates(c, r.seqs.map { tape[$0] })
                lines.append(J.obj(m))
            }
        }
        for (i, r) in tape.enumerated() {
            guard let ts = r.eventTime else { throw .malformedInput("seq \(r.seq): no event_time") }
            out.removeAll(keepingCapacity: true)
            agg.processElement(i, key: r.symbol ?? "", rowtime: ts, into: &out)
            if let wm = assigner.processElement(rowtime: ts) { step(wm, after: r.seq) }
        }
        if let wm = assigner.finish() { step(wm, after: nil) }
        var result: [JSONValue] = []
        for (i, l) in lines.enumerated() {
            guard case .object(let m) = l else { continue }
            result.append(.object([JSONMember("emit_seq", J.int(i))] + m))
        }
        result.append(J.obj([("metric", .string("numLateRecordsDropped")), ("value", J.int(agg.numLateRecordsDropped))]))
        return result
    }
}

/// The seed job (`flink_stream_processor.py`): JSON rows, `WHERE price IS NOT NULL AND price > 0`, in arrival order.
enum RawFilterHarness {
    /// The filesystem connector deserializes a fetched batch (here: the whole file) before emitting any of it, so one
    /// malformed value fails the job with no row emitted; checkpointing is off, so the restart strategy is `none`.
    static func run(tape: [TapeRecord]) -> [JSONValue] {
        var rows: [SeedPriceRow] = []
        for r in tape {
            do {
                rows.append(try SeedPriceRow.parse(json: r.value))
            } catch {
                var chain = ["org.apache.flink.runtime.JobException: Recovery is suppressed by NoRestartBackoffTimeStrategy",
                             "java.lang.RuntimeException: One or more fetchers have encountered exception",
                             "java.lang.RuntimeException: SplitFetcher thread 0 received unexpected exception while polling the records",
                             "java.io.IOException: Failed to deserialize JSON '\(error.value)'."]
                if let f = error.field { chain.append("org.apache.flink.formats.json.JsonParseException: Fail to deserialize at field: \(f).") }
                return [J.obj([("job_failed", .bool(true)), ("errors", .array(chain.map { .string($0) }))])]
            }
        }
        var lines: [JSONValue] = []
        for row in rows where row.passesSeedFilter {
            lines.append(.object([JSONMember("emit_seq", J.int(lines.count))] + row.jsonFields.map { JSONMember($0.0, $0.1) }))
        }
        return lines
    }
}
