// `why <window>` and `fate <record>`: the two questions learners ask most ("why hasn't my window fired?", "where did
// my record go?"), answered as a chain of causes from the engines' current state. Each "←" line is one link: the
// effect above it happens because of it.
import SimCore
import SimLog
import QueryModel
import SparkEngine
import FlinkEngine

extension ExplainQueries {
    // MARK: why

    func why(_ argument: String) -> String {
        let cleaned = argument.map { "[](),".contains($0) ? " " : $0 }
        let tokens = String(cleaned).split(separator: " ").map(String.init)
        var start: Int64?
        var keyParts: [String] = []
        for t in tokens {
            let looksLikeTime = t.contains(":") || t.hasPrefix("+")
            if looksLikeTime, let ms = InstantText.parse(t, start: run.document.start, end: run.end) {
                if start == nil { start = ms }
            } else {
                keyParts.append(t)
            }
        }
        guard let at = start else {
            return "why which window? Give its start time and key: `why 00:01:00 BTCUSDT` (see `show windows`)\n"
        }
        let key = keyParts.isEmpty ? nil : keyParts.joined(separator: ",")
        var out = ""
        for job in run.document.jobs {
            guard let spec = job.query.aggregation?.window else { continue }
            let (ws, we) = window(at: at, spec, job: job, key: key)
            out += "why \(Narrate.window(ws, we))\(key.map { " " + $0 } ?? "") — job \(job.name), window end \(Narrate.short(we)), now \(Narrate.time(world.now)):\n"
            let inLog = recordsInWindow(job, ws, we, key)
            out += "  the log holds \(inLog.count) record(s) for it so far" + (inLog.isEmpty ? "" : " (event times \(Narrate.event(inLog.min()!)) … \(Narrate.event(inLog.max()!)))") + "\n"
            if let i = run.sparkJobs.firstIndex(where: { $0.job.name == job.name }) { out += whySpark(i, ws, we, key) }
            if let i = run.flinkJobs.firstIndex(where: { $0.job.name == job.name }) { out += whyFlink(i, ws, we, key) }
        }
        return out.isEmpty ? "no job in this scenario has a window\n" : out
    }

    /// The window the learner means: one an engine holds or emitted that starts at `at`, else the window of `spec`
    /// starting at (or containing) `at`.
    func window(at: Int64, _ spec: WindowSpec, job: JobSpec, key: String?) -> (Int64, Int64) {
        let candidates = ExplainQueries.windows(of: at, spec)
        if let exact = candidates.first(where: { $0.0 == at }) { return exact }
        if case .session = spec {
            for j in run.flinkJobs where j.job.name == job.name {
                for w in j.flinkJob.windowSnapshots.flatMap(\.openWindows) where w.windowStartMs <= at && at < w.windowEndMs && (key == nil || Narrate.key(w.key) == key) {
                    return (w.windowStartMs, w.windowEndMs)
                }
            }
        }
        return candidates.last ?? (at, at)
    }

    func recordsInWindow(_ job: JobSpec, _ ws: Int64, _ we: Int64, _ key: String?) -> [Int64] {
        var out: [Int64] = []
        for (i, a) in run.appended.enumerated() where a.topicPartition.topic == job.query.source.topic {
            let r = world.readings[i]
            guard let et = r.eventTime?.millisecondsSinceEpoch, et >= ws, et < we, key == nil || r.key == key else { continue }
            out.append(et)
        }
        return out
    }

    func whySpark(_ i: Int, _ ws: Int64, _ we: Int64, _ key: String?) -> String {
        let j = run.sparkJobs[i]
        let snap = j.execution.snapshot
        let mode = j.job.query.outputMode
        let name = world.sparkName(i)
        var out = "  \(name) (\(mode.rawValue) mode\(triggerText(snap.trigger).replacingParens)):\n"
        let schema = j.outputSchema
        var emitted: [(Int64, ProcessingTime, Row)] = []
        if let si = schema.index(of: "window_start"), let ei = schema.index(of: "window_end") {
            let keyIdx = (j.job.query.aggregation?.groupBy ?? []).compactMap { schema.index(of: $0) }
            for e in j.emitted {
                for r in e.rows {
                    guard case .timestamp(let a) = r[si], case .timestamp(let b) = r[ei], floorDiv(a, 1000) == ws, floorDiv(b, 1000) == we else { continue }
                    if let key, keyIdx.map({ r[$0].description }).joined(separator: ",") != key { continue }
                    emitted.append((e.batchId, e.at, r))
                }
            }
        }
        let narrator = StepNarrator(world: world)
        for (b, at, r) in emitted {
            out += "    emitted by batch \(b) at \(Narrate.time(at)): \(narrator.resultRow(r, schema, j.job))\n"
        }
        let wm = snap.watermarkMs
        if mode == .append && !emitted.isEmpty {
            out += "    ← append mode emits a window once, in the batch whose watermark ≥ its end \(Narrate.short(we)) (S4)\n"
        } else if mode == .complete {
            out += "    complete mode re-emits the whole table every batch; nothing is ever evicted or dropped\n"
        } else {
            if emitted.isEmpty { out += "    not emitted yet: \(mode == .append ? "append mode emits a window in the first batch whose watermark ≥ its end" : "update mode emits it in every batch that changes it; it is evicted once the watermark ≥ its end") \(Narrate.short(we)) (S4)\n" }
            out += "    ← the watermark the next batch uses is \(Narrate.event(wm))\(sparkWatermarkOrigin(j, snap))\n"
            if wm >= we {
                let next = snap.nextStep.map { "\($0.label) at \(Narrate.time($0.at))" } ?? "none (the query has stopped)"
                out += "    ← it is already ≥ the end: the next batch emits it — append output comes one batch after the data that moved the watermark (S5); with no new data Spark runs a no-data batch for it (S6). Next step: \(next)\n"
            } else if let d = snap.inputs.first?.delayMs {
                let seen = snap.inputs.first?.maxEventTimeMs.map { "the latest Spark has read is \(Narrate.event($0))" } ?? "Spark has read no event time yet"
                out += "    ← it needs a record with event time ≥ end + delay = \(Narrate.event(we + d)); \(seen). Spark's watermark is global (max over every partition), so a quiet partition does not hold it back (S10)\n"
                if let s = snap.nextStep { out += "    next micro-batch step: \(s.label) at \(Narrate.time(s.at))\n" }
            } else {
                out += "    ← the query has no watermark, so append mode can never emit it\n"
            }
        }
        if mode != .complete {
            let threshold = snap.lastBatchWatermarkMs.map(Narrate.event) ?? "0 (the epoch)"
            out += "    lateness: a record for it is dropped in a batch whose late threshold — the previous batch's watermark — is ≥ \(Narrate.short(we)) (S3); the next batch's threshold is \(threshold)\n"
        }
        let dropped = j.droppedRecords.filter { floorDiv($0.window.start, 1000) == ws && floorDiv($0.window.end, 1000) == we && (key == nil || Narrate.key($0.keys) == key) }
        for d in dropped { out += "    dropped so far: \(Narrate.record(d.topicPartition, d.offset)) in batch \(d.batchId)\n" }
        return out
    }

    func whyFlink(_ i: Int, _ ws: Int64, _ we: Int64, _ key: String?) -> String {
        let j = run.flinkJobs[i]
        let snap = j.flinkJob.snapshot
        let name = world.flinkName(i)
        var out = "  \(name) (fires when the window operator's watermark ≥ end − 1 = \(Narrate.event(we - 1)), F3):\n"
        var fired = false
        for e in j.flinkJob.events {
            guard case .firing(let f) = e, f.windowStart == ws, f.windowEnd == we, key == nil || Narrate.key(f.key) == key else { continue }
            fired = true
            let cause: String
            switch f.cause {
            case .watermark: cause = "watermark \(Narrate.event(f.watermark)) ≥ end − 1"
            case .element: cause = "a late record within allowed lateness"
            case .endOfInput: cause = "end of input"
            }
            out += "    fired at \(Narrate.time(f.at)), pane \(f.pane) \(Narrate.key(f.key)) (\(cause))\n"
        }
        let wm = snap.effectiveWatermark
        if !fired {
            if snap.status != .running {
                out += "    not fired: the job is \(snap.status.rawValue)\n"
            }
            out += "    not fired yet: the window operator's watermark is \(Narrate.event(wm))" + (wm.millisecondsSinceEpoch >= we - 1 ? " (≥ end − 1: it fires when the window has contents)" : " < \(Narrate.event(we - 1))") + "\n"
            for w in snap.windows where w.channels.count > 1 {
                out += "    ← \(w.task) takes the minimum over its input channels (F9): " + w.channels.map { "\($0.from) \(Narrate.event($0.watermark))\($0.idle ? " idle" : "")" }.joined(separator: ", ") + "\n"
            }
            let b = snap.outOfOrdernessMs ?? 0
            for s in snap.sources {
                let holder = minimumSplit(s)
                if s.splits.count > 1 {
                    let others = s.splits.filter { $0.topicPartition != holder?.topicPartition }.map { "split \($0.topicPartition) \(Narrate.event($0.watermark))\($0.idle ? " (idle)" : "")" }
                    out += "    ← \(s.task) sends the minimum over its active splits" + (holder.map { ": split \($0.topicPartition) holds it at \(Narrate.event($0.watermark))" } ?? ": every split is idle") + (others.isEmpty ? "" : " (\(others.joined(separator: ", ")))") + "\n"
                } else if let h = holder {
                    out += "    ← \(s.task) has one split, \(h.topicPartition), at \(Narrate.event(h.watermark))\n"
                }
                guard let h = holder else { continue }
                if let last = lastRecord(h.topicPartition) {
                    let quiet = world.now.millisecondsSinceEpoch - last.at.millisecondsSinceEpoch
                    out += "    ← split \(h.topicPartition)'s last record (offset \(last.offset)) arrived at \(Narrate.time(last.at))" + (last.eventTime.map { " with event time \(Narrate.event($0))" } ?? "") + ", \(Narrate.duration(quiet)) ago\n"
                } else {
                    out += "    ← split \(h.topicPartition) has never had a record, so its watermark is still MIN\n"
                }
                if let t = snap.idleness {
                    out += "    ← withIdleness \(Narrate.duration(t.milliseconds)): a split with no record for longer than that is marked idle at a periodic check (every \(Narrate.duration(snap.autoWatermarkInterval.milliseconds))) and stops holding the minimum\n"
                } else {
                    out += "    ← no withIdleness: a quiet split holds the watermark back for ever — the classic \"window never fires\". `withIdleness: 10 seconds` on the flink job would let the others move on\n"
                }
            }
            out += "    ← to fire, every active split needs a max event time ≥ end + B = \(Narrate.event(we + b)) (watermark = max event time − \(Narrate.duration(b)) − 1 ms, F1)\n"
        }
        if snap.allowedLatenessMs > 0 || fired {
            out += "    lateness: its state is kept until the watermark ≥ end − 1 + allowed lateness \(Narrate.duration(snap.allowedLatenessMs)) = \(Narrate.event(we - 1 + snap.allowedLatenessMs))" +
                (snap.allowedLatenessMs > 0 ? "; a record arriving before that re-fires it (F5); " : "; ") +
                "after that a record for it goes to \(snap.sideOutputLateData ? "the side output" : "no window: it is dropped (numLateRecordsDropped)") (F4)\n"
        }
        return out
    }

    // MARK: fate

    func fate(_ argument: String) -> String {
        let text = trimmedText(argument)
        guard let at = text.lastIndex(of: "@"), let offset = Int64(text[text.index(after: at)...]) else {
            return "fate of which record? `fate binance.trade-0@17` or `fate 0@17` (partition@offset)\n"
        }
        let head = String(text[..<at])
        var tp: TopicPartition?
        if let p = Int32(head) {
            let topic = run.document.jobs.first?.query.source.topic ?? run.appended.first?.topicPartition.topic ?? ""
            tp = TopicPartition(topic, p)
        } else if let dash = head.lastIndex(of: "-"), let p = Int32(head[head.index(after: dash)...]) {
            tp = TopicPartition(String(head[..<dash]), p)
        }
        guard let tp, let found = world.record(tp, offset) else {
            return "no record \(text) has been appended yet (at \(Narrate.time(world.now)))\n"
        }
        let id = Narrate.record(tp, offset)
        var out = "fate of \(id)"
        let r = found.reading
        if !r.key.isEmpty { out += " (key \(r.key))" }
        if let et = r.eventTime, !r.malformed {
            out += ": event time \(Narrate.event(et)), appended at \(Narrate.time(found.appendTime)) (\(Narrate.duration(found.appendTime.millisecondsSinceEpoch - et.millisecondsSinceEpoch)) later)\n"
        } else {
            out += ": malformed (\(r.summary)), appended at \(Narrate.time(found.appendTime))\n"
        }
        for (i, j) in run.sparkJobs.enumerated() where j.job.query.source.topic == tp.topic { out += fateSpark(i, tp, offset, r) }
        for (i, j) in run.flinkJobs.enumerated() where j.job.query.source.topic == tp.topic { out += fateFlink(i, tp, offset, r) }
        return out
    }

    func fateSpark(_ i: Int, _ tp: TopicPartition, _ offset: Int64, _ r: RecordLens.Reading) -> String {
        let j = run.sparkJobs[i]
        let name = world.sparkName(i)
        guard let batch = j.progress.first(where: { ($0.startOffsets[tp] ?? 0) <= offset && offset < ($0.endOffsets[tp] ?? 0) }) else {
            let next = j.execution.snapshot.nextStep.map { "; next step: \($0.label) at \(Narrate.time($0.at))" } ?? ""
            return "  \(name): not read yet — the next batch that plans past offset \(offset) reads it\(next)\n"
        }
        var out = "  \(name): read in batch \(batch.batchId) (trigger \(Narrate.time(batch.triggerTime)))"
        let drops = j.droppedRecords.filter { $0.topicPartition == tp && $0.offset == offset }
        guard let et = r.eventTime?.millisecondsSinceEpoch, !r.malformed, let spec = j.job.query.aggregation?.window else {
            return out + (r.malformed ? ": from_json gave nulls, no event time → filtered out\n" : "\n")
        }
        let threshold = batch.batchId == 0 ? 0 : (j.progress.last { $0.batchId == batch.batchId - 1 }?.watermarkMs ?? 0)
        out += ", whose late threshold was \(Narrate.event(threshold)) (batch \(batch.batchId - 1)'s watermark, S3)\n"
        for (ws, we) in ExplainQueries.windows(of: et, spec) {
            if let d = drops.first(where: { floorDiv($0.window.start, 1000) == ws }) {
                out += "    window \(Narrate.window(ws, we)): end \(Narrate.short(we)) ≤ watermark \(Narrate.event(d.watermarkMs)) of batch \(d.batchId - 1) (the previous batch) → Spark drops it in batch \(d.batchId)\n"
            } else {
                out += "    window \(Narrate.window(ws, we)): end \(Narrate.short(we)) > \(Narrate.event(threshold)) → counted\n"
            }
        }
        return out
    }

    func fateFlink(_ i: Int, _ tp: TopicPartition, _ offset: Int64, _ r: RecordLens.Reading) -> String {
        let j = run.flinkJobs[i]
        let name = world.flinkName(i)
        var out = ""
        for e in j.flinkJob.events {
            if case .late(let l) = e, l.origin.topicPartition == tp, l.origin.offset == offset {
                out += "  \(name) at \(Narrate.time(l.at)): \(l.rule)\n"
            }
        }
        if !out.isEmpty { return out }
        let read = j.flinkJob.sourceSnapshots.flatMap(\.splits).first { $0.topicPartition == tp }.map { $0.nextOffset > offset } ?? false
        guard read else { return "  \(name): not read yet by the source reader\n" }
        if r.malformed { return "  \(name): read; \(j.options.ignoreParseErrors ? "skipped (json.ignore-parse-errors)" : "a deserialization error fails the job")\n" }
        guard let et = r.eventTime?.millisecondsSinceEpoch, let spec = j.job.query.aggregation?.window else { return "  \(name): read and processed\n" }
        let wins = ExplainQueries.windows(of: et, spec).map { Narrate.window($0.0, $0.1) }.joined(separator: ", ")
        return "  \(name): read and not late — added to \(wins) (its window's end − 1 + allowed lateness was above the watermark when it arrived, F4)\n"
    }
}

extension String {
    /// ` (trigger every 10s)` → `, trigger every 10s` (to nest inside another parenthesis).
    var replacingParens: String {
        guard hasPrefix(" ("), hasSuffix(")") else { return self }
        return ", " + dropFirst(2).dropLast()
    }
}
