// A small, hand-built run used by the tests' golden files, the documentation and `sim report --demo`: 17 ticks for
// BTC (partition 0) and ETH (partition 1) in 10 s tumbling windows with a 5 s watermark delay. Spark runs a 5 s
// trigger in append mode; Flink runs per-split watermarks with no allowed lateness and a late-data side output.
// The numbers follow the rules recorded from the real engines (research notes, S1–S7 and F1–F9):
//
// - ETH @4 (event time 12:00:06) arrives at 12:00:24. Spark's batch 4 judges it by batch 3's watermark (12:00:08 <
//   window end 12:00:10) and keeps it; Flink's watermark is already 12:00:11.999, so it goes to the side output.
// - ETH @6 (event time 12:00:18) arrives at 12:00:36: late in both (Spark drops it, Flink side-outputs it).
// - Flink's watermark is the minimum of its two splits, so the slower ETH split holds it back (F9).
// - Flink crashes at 12:00:41 and restarts from checkpoint 4: its watermark starts again from MIN (watermarks are
//   not checkpointed); end of input then fires every open window. Spark never flushes [30, 40) (S7).
// - One difference is deliberately planted and labelled `unexplained`, to show what a model bug looks like.
import SimCore

extension RunObservations {
    /// The fixed example run described above.
    public static var teachingExample: RunObservations {
        let t0 = UTCTimestamp.days(year: 2024, month: 8, day: 9) * 86_400_000 + 12 * 3_600_000
        func at(_ seconds: Double) -> ProcessingTime { ProcessingTime(t0 + Int64((seconds * 1000).rounded())) }
        func et(_ seconds: Double) -> EventTime { EventTime(t0 + Int64((seconds * 1000).rounded())) }
        func window(_ start: Double) -> EventWindow { EventWindow(start: et(start), end: et(start + 10)) }
        func values(_ count: Int, _ close: String) -> [NamedText] { [NamedText("count", "\(count)"), NamedText("close", close)] }

        // (partition, offset, key, event time s (nil: malformed), arrival s, price)
        let tape: [(Int, Int64, String, Double?, Double, String)] = [
            (0, 0, "BTC", 1.0, 1.5, "61000.0"), (1, 0, "ETH", 2.0, 2.4, "2420.5"), (0, 1, "BTC", 4.0, 4.8, "61010.0"),
            (1, 1, "ETH", 7.0, 7.9, "2421.0"), (0, 2, "BTC", 9.5, 11.0, "61025.0"), (0, 3, "BTC", 13.0, 13.6, "61040.0"),
            (1, 2, "ETH", 12.0, 14.2, "2423.5"), (0, 4, "BTC", 16.5, 17.0, "61032.0"), (1, 3, "ETH", 17.0, 18.1, "2424.0"),
            (0, 5, "BTC", 21.0, 21.5, "61050.0"), (1, 4, "ETH", 6.0, 24.0, "2419.0"), (0, 6, "BTC", 24.0, 26.0, "61061.0"),
            (1, 5, "ETH", 26.0, 27.5, "2431.5"), (0, 7, "BTC", nil, 28.0, "{\"price\": 61070"), (0, 8, "BTC", 33.0, 33.5, "61080.0"),
            (1, 6, "ETH", 18.0, 36.0, "2426.0"), (1, 7, "ETH", 36.0, 37.0, "2433.0"),
        ]
        let records = tape.map { p, off, key, e, arr, price in
            InputRecord(topic: "crypto_prices", partition: p, offset: off, key: key, eventTime: e.map(et), appendTime: at(arr),
                        malformed: e == nil, summary: e == nil ? "payload \(price)" : "price=\(price)")
        }
        func id(_ p: Int, _ off: Int64) -> String { InputRecord.id(topic: "crypto_prices", partition: p, offset: off) }
        func latencies(_ ids: [String], visible: ProcessingTime) -> [LatencySample] {
            ids.compactMap { rid in
                records.first { $0.id == rid }?.eventTime.map { LatencySample(recordID: rid, eventTime: $0, visibleAt: visible) }
            }
        }

        // Spark: batch b starts at 5·(b+1) s and lasts 300 ms; wm(b) = max event time of earlier batches − 5 s.
        let sparkWatermarks: [(Double?, String)] = [
            (nil, "initial watermark: the epoch"), (-1, "max event time 12:00:04 (batch 0) − 5s"),
            (2, "max event time 12:00:07 (batch 1) − 5s"), (8, "max event time 12:00:13 (batch 2) − 5s"),
            (12, "max event time 12:00:17 (batch 3) − 5s"), (16, "max event time 12:00:21 (batch 4) − 5s"),
            (21, "max event time 12:00:26 (batch 5) − 5s"), (28, "max event time 12:00:33 (batch 6) − 5s"),
            (31, "max event time 12:00:36 (batch 7) − 5s"),
        ]
        let batchRows: [(MicroBatch.Kind, Int, Int, Int)] = [
            (.data, 3, 0, 0), (.data, 1, 0, 0), (.data, 3, 0, 0), (.data, 2, 0, 0), (.data, 2, 2, 0),
            (.data, 3, 0, 0), (.data, 1, 2, 0), (.data, 2, 0, 1), (.noData, 0, 2, 0),
        ]
        var sparkPoints: [WatermarkPoint] = []
        var batches: [MicroBatch] = []
        for (b, (wm, reason)) in sparkWatermarks.enumerated() {
            let start = at(Double(5 * (b + 1)))
            let value = wm.map(et) ?? .epoch
            sparkPoints.append(WatermarkPoint(at: start, watermark: value, source: "global", reason: reason))
            let threshold = b == 0 ? EventTime.epoch : (sparkWatermarks[b - 1].0.map(et) ?? .epoch)
            sparkPoints.append(WatermarkPoint(at: start, watermark: threshold, role: .lateThreshold, source: "global",
                                              reason: "batch \(b) drops rows whose window ended at or before the watermark of batch \(b - 1)"))
            let (kind, rowsIn, rowsOut, dropped) = batchRows[b]
            batches.append(MicroBatch(id: Int64(b), kind: kind, start: start, end: at(Double(5 * (b + 1)) + 0.3), watermark: value,
                                      rowsIn: rowsIn, rowsOut: rowsOut, droppedByWatermark: dropped))
        }
        let spark = EngineObservations(
            engine: .spark, displayName: "Spark 3.5 (micro-batch)",
            settings: [NamedText("trigger", "5s"), NamedText("watermark delay", "5s"), NamedText("output mode", "append"), NamedText("window", "tumbling 10s")],
            watermarks: sparkPoints, batches: batches,
            firings: [
                WindowFiring(window: window(0), key: "BTC", firedAt: at(25.3), cause: .batch, batchID: 4, values: values(3, "61025.0")),
                WindowFiring(window: window(0), key: "ETH", firedAt: at(25.3), cause: .batch, batchID: 4, values: values(3, "2419.0")),
                WindowFiring(window: window(10), key: "BTC", firedAt: at(35.3), cause: .batch, batchID: 6, values: values(2, "61032.0")),
                WindowFiring(window: window(10), key: "ETH", firedAt: at(35.3), cause: .batch, batchID: 6, values: values(2, "2424.0")),
                WindowFiring(window: window(20), key: "BTC", firedAt: at(45.3), cause: .batch, batchID: 8, values: values(2, "61061.0")),
                WindowFiring(window: window(20), key: "ETH", firedAt: at(45.3), cause: .batch, batchID: 8, values: values(1, "2431.5")),
            ],
            lateRecords: [
                LateRecord(recordID: id(0, 7), fate: .malformed, rule: "from_json returned null: the payload is not valid JSON, so the row has no event time and is filtered out in batch 5", at: at(30)),
                LateRecord(recordID: id(1, 6), fate: .dropped, rule: "window end 12:00:20 ≤ watermark 12:00:21 of batch 6 (the previous batch) → Spark drops it in batch 7", at: at(40), window: window(10)),
            ],
            latencies: latencies([id(0, 0), id(1, 0), id(0, 1), id(1, 1), id(0, 2), id(1, 4)], visible: at(25.3))
                + latencies([id(0, 3), id(1, 2), id(0, 4), id(1, 3)], visible: at(35.3))
                + latencies([id(0, 5), id(0, 6), id(1, 5)], visible: at(45.3)))

        // Flink: per-split watermark = max event time − 5s − 1ms after each record; the window operator sees the
        // minimum of the two splits once both have one.
        let splits: [(Int, [(Double, Double)])] = [
            (0, [(1.5, -4.001), (4.8, -1.001), (11.0, 4.499), (13.6, 7.999), (17.0, 11.499), (21.5, 15.999), (26.0, 18.999), (33.5, 27.999)]),
            (1, [(2.4, -3.001), (7.9, 1.999), (14.2, 6.999), (18.1, 11.999), (27.5, 20.999), (37.0, 30.999)]),
        ]
        var flinkPoints: [WatermarkPoint] = []
        for (split, steps) in splits {
            for (arrival, wm) in steps {
                flinkPoints.append(WatermarkPoint(at: at(arrival), watermark: et(wm), role: .input, source: "split \(split) (crypto_prices-\(split))",
                                                  reason: "max event time of the split − 5s − 1ms"))
            }
            flinkPoints.append(WatermarkPoint(at: at(42), watermark: .min, role: .input, source: "split \(split) (crypto_prices-\(split))", reason: "restarted; watermarks are not checkpointed"))
            flinkPoints.append(WatermarkPoint(at: at(45), watermark: .max, role: .input, source: "split \(split) (crypto_prices-\(split))", reason: "end of input"))
        }
        let combined: [(Double, Double, String)] = [
            (2.4, -4.001, "both splits have a watermark: min(split 0, split 1)"), (4.8, -3.001, "split 0 rose; split 1 is now the minimum"),
            (7.9, -1.001, "split 1 rose"), (11.0, 1.999, "split 0 rose; split 1 is the minimum"), (14.2, 6.999, "split 1 rose"),
            (18.1, 11.499, "split 1 rose; split 0 is the minimum"), (21.5, 11.999, "split 0 rose; split 1 is the minimum"),
            (27.5, 18.999, "split 1 rose; split 0 is the minimum"), (33.5, 20.999, "split 0 rose; split 1 is the minimum"),
            (37.0, 27.999, "split 1 rose; split 0 is the minimum"),
        ]
        flinkPoints += combined.map { WatermarkPoint(at: at($0.0), watermark: et($0.1), source: "window operator", reason: $0.2) }
        flinkPoints.append(WatermarkPoint(at: at(42), watermark: .min, source: "window operator", reason: "restarted from checkpoint 4; watermarks start again from MIN"))
        flinkPoints.append(WatermarkPoint(at: at(45), watermark: .max, source: "window operator", reason: "end of input: MAX watermark"))

        let flink = EngineObservations(
            engine: .flink, displayName: "Flink 1.20 (DataStream)",
            settings: [NamedText("watermark", "bounded out-of-orderness 5s, per split"), NamedText("allowed lateness", "0ms"),
                       NamedText("late data", "side output"), NamedText("checkpoints", "every 10s")],
            watermarks: flinkPoints,
            checkpoints: [
                Checkpoint(id: 1, triggered: at(10), finished: at(10.15), status: .completed),
                Checkpoint(id: 2, triggered: at(20), finished: at(20.5), status: .failed, note: "declined: the sink's pre-commit timed out while broker 1 was unavailable"),
                Checkpoint(id: 3, triggered: at(30), finished: at(30.2), status: .completed),
                Checkpoint(id: 4, triggered: at(40), finished: at(40.2), status: .completed),
            ],
            firings: [
                WindowFiring(window: window(0), key: "BTC", firedAt: at(18.1), cause: .watermark, values: values(3, "61025.0")),
                WindowFiring(window: window(0), key: "ETH", firedAt: at(18.1), cause: .watermark, values: values(2, "2421.0")),
                WindowFiring(window: window(10), key: "BTC", firedAt: at(33.5), cause: .watermark, values: values(2, "61032.0")),
                WindowFiring(window: window(10), key: "ETH", firedAt: at(33.5), cause: .watermark, values: values(2, "2424.0")),
                WindowFiring(window: window(20), key: "BTC", firedAt: at(45), cause: .endOfInput, values: values(2, "61061.0")),
                WindowFiring(window: window(20), key: "ETH", firedAt: at(45), cause: .endOfInput, values: values(1, "2431.0")),
                WindowFiring(window: window(30), key: "BTC", firedAt: at(45), cause: .endOfInput, values: values(1, "61080.0")),
                WindowFiring(window: window(30), key: "ETH", firedAt: at(45), cause: .endOfInput, values: values(1, "2433.0")),
            ],
            lateRecords: [
                LateRecord(recordID: id(1, 4), fate: .sideOutput, rule: "window max timestamp 12:00:09.999 ≤ watermark 12:00:11.999 (allowed lateness 0) → side output", at: at(24), window: window(0)),
                LateRecord(recordID: id(0, 7), fate: .malformed, rule: "JSON deserialization failed → record skipped (ignore-parse-errors)", at: at(28)),
                LateRecord(recordID: id(1, 6), fate: .sideOutput, rule: "window max timestamp 12:00:19.999 ≤ watermark 12:00:20.999 (allowed lateness 0) → side output", at: at(36), window: window(10)),
            ],
            latencies: latencies([id(0, 0), id(1, 0), id(0, 1), id(1, 1), id(0, 2)], visible: at(18.1))
                + latencies([id(0, 3), id(1, 2), id(0, 4), id(1, 3)], visible: at(33.5))
                + latencies([id(0, 5), id(0, 6), id(1, 5), id(0, 8), id(1, 7)], visible: at(45)),
            incidents: [
                Incident(at: at(41), kind: .crash, text: "TaskManager killed by the fault injector"),
                Incident(at: at(42), kind: .restart, text: "restored from checkpoint 4; reading again from crypto_prices-0@9, crypto_prices-1@8"),
            ])

        return RunObservations(
            scenarioName: "late-data-teaching-example",
            scenarioDescription: "Two symbols, 10-second tumbling windows, a 5-second watermark delay and two records that arrive very late: which engine counts them?",
            seed: 42, traceDigest: "3f9a6c0e5b7d41a2c8e90f1d2b3a4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d",
            start: at(0), end: at(46), records: records, engines: [spark, flink],
            faults: [
                Incident(at: at(19.5), kind: .fault, text: "broker 1 unavailable"),
                Incident(at: at(21), kind: .recovery, text: "broker 1 back"),
            ],
            differences: [
                ResultDifference(window: window(0), key: "BTC", spark: values(3, "61025.0"), flink: values(3, "61025.0"), label: .same),
                ResultDifference(window: window(0), key: "ETH", spark: values(3, "2419.0"), flink: values(2, "2421.0"),
                                 label: .expected("crypto_prices-1@4 arrived at 12:00:24: Spark judged it by the previous batch's watermark 12:00:08 and kept it (S3); Flink's watermark 12:00:11.999 had passed the window, so it went to the side output (F4)")),
                ResultDifference(window: window(10), key: "BTC", spark: values(2, "61032.0"), flink: values(2, "61032.0"), label: .same),
                ResultDifference(window: window(10), key: "ETH", spark: values(2, "2424.0"), flink: values(2, "2424.0"), label: .same),
                ResultDifference(window: window(20), key: "BTC", spark: values(2, "61061.0"), flink: values(2, "61061.0"), label: .same),
                ResultDifference(window: window(20), key: "ETH", spark: values(1, "2431.5"), flink: values(1, "2431.0"), label: .unexplained),
                ResultDifference(window: window(30), key: "BTC", spark: nil, flink: values(1, "61080.0"),
                                 label: .expected("Spark's append mode never emits a window whose end is past the final watermark (S7); Flink's end of input fires every open window (F6)")),
                ResultDifference(window: window(30), key: "ETH", spark: nil, flink: values(1, "2433.0"),
                                 label: .expected("Spark's append mode never emits a window whose end is past the final watermark (S7); Flink's end of input fires every open window (F6)")),
            ])
    }
}
