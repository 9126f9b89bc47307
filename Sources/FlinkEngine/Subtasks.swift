public import SimCore
public import SimLog
public import QueryModel
import DequeModule
import OrderedCollections

enum TaskInput {
    case fetched(partition: Int, Record)
    case element(channel: Int, ChannelElement)
    case injectBarrier(Int64)
    case periodicWatermark
    case endOfInput
}

enum TaskAction {
    /// A row for the sink and its event time (for latency).
    case sinkWrite(Row, EventTime)
    case sinkRetry
    case preBarrier(Int64)
    case snapshot(Int64)
    case notifyComplete(Int64)
    case sinkEndInput
    case sinkFlushTimer
}

/// What every subtask of a job shares: a mailbox of actions (run first) and an input queue, processed one at a time on
/// the task's "thread"; a sink call that sleeps blocks both, so input queues up behind it.
protocol JobSubtask: AnyObject {
    var observed: ObservedSink! { get set }
    var sink: (any FlinkSink)! { get }
    var ended: Bool { get }
}

class TaskBase {
    /// `unowned(unsafe)`: a task's code runs only inside the job's own calls or its `schedule` wrappers, which hold the
    /// job strongly for the duration; a checked `unowned` reference here cost a slow-path (side-table) retain/release
    /// of the job on every access, several per record.
    unowned(unsafe) let job: FlinkJob
    let index: Int
    let attempt: Int
    var observed: ObservedSink!
    var sink: (any FlinkSink)! { observed?.inner }
    var inputs = Deque<TaskInput>()
    var actions = Deque<TaskAction>()
    var sleeping = false
    var ended = false
    private var running = false

    init(job: FlinkJob, index: Int) {
        self.job = job
        self.index = index
        self.attempt = job.attempt
    }

    var alive: Bool { job.attempt == attempt && job.status == .running }
    var now: ProcessingTime { job.env.now }

    func enqueue(_ i: TaskInput) { inputs.append(i); run() }
    func enqueueAction(_ a: TaskAction) { actions.append(a); run() }

    func run() {
        guard !running else { return }
        running = true
        defer { running = false }
        while !sleeping && alive {
            if let a = actions.popFirst() { perform(a); continue }
            if let i = inputs.popFirst() { process(i); continue }
            break
        }
    }

    func process(_ i: TaskInput) {}
    func snapshotAndAcknowledge(_ id: Int64) {}

    func perform(_ a: TaskAction) {
        defer { if job.attempt == attempt { observed?.check(now: now) } }
        switch a {
        case .sinkWrite(let row, let ts):
            observed.written(row, eventTime: ts, at: now)
            handle(sink.write(row, now: now))
        case .sinkRetry: handle(sink.retry(now: now))
        case .preBarrier(let id): handle(sink.prepareSnapshotPreBarrier(checkpointId: id, now: now))
        case .snapshot(let id):
            observed?.snapshotTaken(id)
            snapshotAndAcknowledge(id)
        case .notifyComplete(let id): handle(sink.notifyCheckpointComplete(checkpointId: id, now: now))
        case .sinkFlushTimer: handle(sink.onFlushTimer(now: now))
        case .sinkEndInput:
            let o = sink.endOfInput(now: now)
            handle(o)
            if o == .done { ended = true; job.sinkEnded() }
        }
    }

    /// A sink outcome: sleep (and retry), fail the task, or carry on.
    func handle(_ o: SinkOutcome) {
        switch o {
        case .done: break
        case .retryAfter(let d):
            sleeping = true
            actions.prepend(.sinkRetry)
            job.env.record(.sink, job.component, [("task", .int(index)), ("event", "retry"), ("sleep_ms", .int(d.milliseconds))])
            job.schedule(after: d, "flink sink retry") { [self] in
                sleeping = false
                run()
            }
        case .failed(let e):
            job.taskFailed(e)
        }
    }
}

/// A Kafka source reader subtask: one split per assigned partition, per-split watermark generators (or the SQL
/// planner's chained `WatermarkAssignerOperator`), the chained deserializer/filter, and either the chained sink (no
/// window) or one output channel per window subtask.
final class SourceSubtask: TaskBase, JobSubtask {
    let partitions: [Int]
    /// Next offset to emit, per partition (what a checkpoint stores: `KafkaPartitionSplit` current offset).
    var offsets: [Int: Int64]
    var fetchPositions: [Int: Int64]
    /// Bounded mode: per partition, the offset to stop at (`KafkaPartitionSplit.stoppingOffset`); nil = unbounded.
    let stops: [Int: Int64]?
    var finishedSplits: Set<Int> = []
    var watermarks: SourceReaderWatermarks
    var sqlAssigner: SQLWatermarkAssigner?
    var channels: [[ChannelElement]] = []
    var roundRobin = 0
    var fetchFailing = false
    var finished = false
    private var events: [SourceWatermarkEvent] = []
    private var lastWatermarkSent: Int64 = .min

    init(job: FlinkJob, index: Int, partitions: [Int], offsets: [Int: Int64], stops: [Int: Int64]? = nil) {
        self.partitions = partitions
        self.offsets = offsets
        self.fetchPositions = offsets
        self.stops = stops
        self.watermarks = SourceReaderWatermarks(strategy: job.config.watermarkStrategy)
        for p in partitions { watermarks.addSplit(p) }
        if let d = job.config.sqlWatermarkAssignerDelay {
            sqlAssigner = SQLWatermarkAssigner(delay: d, autoWatermarkInterval: job.config.autoWatermarkInterval)
        }
        super.init(job: job, index: index)
    }

    var taskName: String { "source-\(index)" }
    func tp(_ p: Int) -> TopicPartition { TopicPartition(job.config.topic, Int32(p)) }

    func startTimers() {
        job.schedule(after: .zero, "flink source \(index) poll") { [self] in poll() }
        let wmInterval = job.config.autoWatermarkInterval
        if wmInterval.milliseconds > 0 { job.schedule(after: wmInterval, "flink source \(index) periodic watermark") { [self] in periodicTick() } }
        if !channels.isEmpty && job.config.bufferTimeout.milliseconds > 0 {
            job.schedule(after: job.config.bufferTimeout, "flink source \(index) output flusher") { [self] in flusherTick() }
        }
    }

    private func periodicTick() {
        guard !finished else { return }
        enqueue(.periodicWatermark)
        job.schedule(after: job.config.autoWatermarkInterval, "flink source \(index) periodic watermark") { [self] in periodicTick() }
    }
    private func flusherTick() {
        for j in channels.indices { flush(j) }
        job.schedule(after: job.config.bufferTimeout, "flink source \(index) output flusher") { [self] in flusherTick() }
    }

    /// Bounded mode: whether partition `p` has reached its stopping offset.
    func isSplitDone(_ p: Int) -> Bool {
        guard let stops else { return false }
        return (fetchPositions[p] ?? 0) >= (stops[p] ?? 0)
    }

    /// `SourceReader.pollNext` through the split fetcher: up to `max.poll.records`, round-robin over the splits.
    func poll() {
        guard !finished else { return }
        let cfg = job.config
        if stops != nil && partitions.allSatisfy({ isSplitDone($0) }) {
            // Every split reached its stopping offset: once the fetched records are processed, the input ends.
            if !inputs.contains(where: { if case .endOfInput = $0 { return true } else { return false } }) { enqueue(.endOfInput) }
            return
        }
        let downstreamFull = job.windows.contains { $0.queuedCount > cfg.backpressureThresholdRecords } || inputs.count > cfg.backpressureThresholdRecords || sleeping
        if downstreamFull || partitions.isEmpty {
            job.schedule(after: cfg.pollInterval, "flink source \(index) poll") { [self] in poll() }
            return
        }
        var budget = cfg.maxPollRecords
        var fetched = 0
        for k in 0..<partitions.count where budget > 0 {
            let p = partitions[(roundRobin + k) % partitions.count]
            if isSplitDone(p) { continue }
            let pos = fetchPositions[p] ?? 0
            let limit = stops.map { Int(min(Int64(budget), max(0, ($0[p] ?? 0) - pos))) } ?? budget
            do {
                let recs = try job.log.sourceRecords(tp(p), from: pos, maxRecords: limit)
                if fetchFailing {
                    fetchFailing = false
                    job.env.record(.fetch, job.component, [("task", .int(index)), ("event", "recovered")])
                }
                for r in recs { inputs.append(.fetched(partition: p, r)) }
                if let last = recs.last { fetchPositions[p] = last.offset + 1 }
                budget -= recs.count
                fetched += recs.count
            } catch {
                if !fetchFailing {
                    fetchFailing = true
                    job.env.record(.fetch, job.component, [("task", .int(index)), ("event", "error"), ("error", .string("\(error)"))])
                }
                job.schedule(after: cfg.fetchRetryBackoff, "flink source \(index) fetch retry") { [self] in poll() }
                run()
                return
            }
        }
        roundRobin = (roundRobin + 1) % max(1, partitions.count)
        job.schedule(after: fetched >= cfg.maxPollRecords ? .zero : cfg.pollInterval, "flink source \(index) poll") { [self] in poll() }
        run()
    }

    override func process(_ i: TaskInput) {
        switch i {
        case .fetched(let p, let record):
            guard !finished else { return }
            offsets[p] = record.offset + 1
            job.metrics.recordsRead += 1
            let outcome = job.pipeline.apply(tp(p), record, now: now)
            var ts: EventTime?
            // The record goes down the chain first (SourceOutputWithWatermarks.collect) …
            switch outcome {
            case .failed(let cause):
                job.taskFailed(cause)
                return
            case .skipped:
                job.metrics.recordsUndeserializable += 1
            case .filtered(let t):
                job.metrics.recordsFiltered += 1
                ts = t
            case .row(let row, let t):
                ts = t
                if let w = job.pipeline.window {
                    guard let t else { job.taskFailed(FlinkError.missingTimestamp.description); return }
                    let key = w.key(of: row)
                    let target = KeyGroupAssignment.subtask(for: key, maxParallelism: job.config.maxParallelism, parallelism: channels.count)
                    emit(.record(JobRecord(row: row, timestamp: t, origin: RecordOrigin(tp(p), record.offset))), to: target)
                } else {
                    actions.append(.sinkWrite(job.pipeline.project.map { $0(row) } ?? row, t ?? record.timestamp))
                }
            }
            // … then the split's generator sees it (the timestamp assigner runs before any downstream filter).
            if let ts {
                events.removeAll(keepingCapacity: true)
                watermarks.onRecord(split: p, timestamp: ts, now: now, into: &events)
                forward(events, cause: .record(p))
                if var a = sqlAssigner {
                    let wm = a.processElement(rowtime: ts.millisecondsSinceEpoch)
                    sqlAssigner = a
                    if let wm { sendWatermark(EventTime(wm), cause: "WatermarkAssignerOperator: max rowtime − \(a.delay) ms (after \(tp(p))@\(record.offset))") }
                }
            }
            if stops != nil && isSplitDone(p) && !finishedSplits.contains(p) && offsets[p] ?? 0 >= (stops?[p] ?? 0) {
                // SourceReaderBase: a finished split releases its watermark output (it stops holding the minimum).
                finishedSplits.insert(p)
                watermarks.removeSplit(p)
            }
        case .periodicWatermark:
            events.removeAll(keepingCapacity: true)
            watermarks.periodicEmit(now: now, into: &events)
            forward(events, cause: .periodic)
            if var a = sqlAssigner {
                let wm = a.onPeriodicTimer()
                sqlAssigner = a
                if let wm { sendWatermark(EventTime(wm), cause: "WatermarkAssignerOperator periodic emit: max rowtime − \(a.delay) ms") }
            }
        case .injectBarrier(let id):
            if sink != nil { actions.append(.preBarrier(id)) }
            actions.append(.snapshot(id))
        case .endOfInput:
            guard !finished else { return }
            finished = true
            events.removeAll(keepingCapacity: true)
            watermarks.endOfInput(into: &events)
            forward(events, cause: .endOfInput)
            if channels.isEmpty { actions.append(.sinkEndInput) } else { broadcast(.endOfPartition); flushAll() }
        case .element: break
        }
    }

    enum WatermarkCause { case record(Int), periodic, endOfInput }

    /// Why the reader's output watermark has this value: the split holding the minimum, or end of input.
    private func explain(_ w: EventTime, _ cause: WatermarkCause) -> String {
        if w == .max { return "end of input: MAX watermark" }
        if sqlAssigner != nil { return "source" }
        let parts = watermarks.multiplexer.outputs
        let active = parts.filter { !$0.value.idle }
        let via: String
        switch cause {
        case .record(let p): via = "after \(tp(p)) record"
        case .periodic: via = "periodic emit"
        case .endOfInput: via = "end of input"
        }
        if parts.count <= 1, let only = parts.keys.first {
            return "split \(tp(only)) at \(EventText.time(w)) (\(via))"
        }
        if let holder = active.min(by: { $0.value.watermark < $1.value.watermark }) {
            let idle = parts.filter { $0.value.idle }.map { "\(tp($0.key))" }
            return "min over splits: split \(tp(holder.key)) holds \(EventText.time(holder.value.watermark))" + (idle.isEmpty ? "" : "; idle: \(idle.joined(separator: ", "))") + " (\(via))"
        }
        return "all splits idle (\(via))"
    }

    private func forward(_ evs: [SourceWatermarkEvent], cause: WatermarkCause) {
        for e in evs {
            switch e {
            case .watermark(let w):
                sendWatermark(w, cause: explain(w, cause))
            case .status(let idle):
                job.env.record(.idle, job.component, [("task", .string(taskName)), ("idle", .bool(idle))])
                job.emit(.idle(task: taskName, split: nil, idle: idle, at: now))
                broadcast(.status(idle: idle))
            case .splitIdle(let s):
                job.env.record(.idle, job.component, [("task", .string(taskName)), ("split", .int(s)), ("idle", true)])
                job.emit(.idle(task: taskName, split: tp(s), idle: true, at: now))
            case .splitActive(let s):
                job.emit(.idle(task: taskName, split: tp(s), idle: false, at: now))
            }
        }
    }

    /// One watermark on the output (deduplicated: the reader and a chained SQL assigner both send `MAX` at the end).
    private func sendWatermark(_ w: EventTime, cause: String) {
        guard w.millisecondsSinceEpoch > lastWatermarkSent else { return }
        lastWatermarkSent = w.millisecondsSinceEpoch
        if job.env.trace.wants(.watermark) && pipelineHasWindow == false {
            job.env.record(.watermark, job.component, [("task", .string(taskName)), ("wm", .time(w))])
        }
        job.emit(.watermark(task: taskName, value: w, at: now, cause: cause))
        broadcast(.watermark(w))
    }

    private var pipelineHasWindow: Bool { !channels.isEmpty }

    override func snapshotAndAcknowledge(_ id: Int64) {
        let state = sink?.snapshotState(checkpointId: id)
        broadcast(.barrier(id))
        flushAll()
        let offs = offsets
        job.schedule(after: job.config.rpcLatency, "flink ack \(id) source \(index)") { [job, index] in
            job.acknowledge(id, source: index, offsets: offs, sinkState: state)
        }
    }

    func emit(_ e: ChannelElement, to j: Int) {
        channels[j].append(e)
        if job.config.bufferTimeout.milliseconds == 0 || channels[j].count >= job.config.bufferCapacityRecords { flush(j) }
    }
    func broadcast(_ e: ChannelElement) {
        for j in channels.indices { emit(e, to: j) }
    }
    func flushAll() { for j in channels.indices { flush(j) } }

    func flush(_ j: Int) {
        guard !channels[j].isEmpty else { return }
        let batch = channels[j]
        channels[j].removeAll(keepingCapacity: true)
        let target = job.windows[j]
        let from = index
        job.schedule(after: job.config.networkLatency, "flink deliver \(from)->\(j)") { target.deliver(channel: from, batch) }
    }
}

/// A window-operator subtask: input channels through a `StatusWatermarkValve`, aligned barriers (a channel that
/// delivered barrier n is blocked until all have), the `WindowOperator`, and the chained sink.
final class WindowSubtask: TaskBase, JobSubtask {
    var op: JobWindowOperator
    var valve: StatusWatermarkValve
    var blocked: [Bool]
    var held: [Deque<ChannelElement>]
    var aligning: Int64?
    var channelEnded: [Bool]
    private var signals: [WatermarkSignalOrStatus] = []
    private var emissions: [JobWindowOperator.Emission] = []
    private var scratch: [TimeWindow] = []

    init(job: FlinkJob, index: Int, channels: Int, op: JobWindowOperator) {
        self.op = op
        self.valve = StatusWatermarkValve(channels: channels)
        self.blocked = Array(repeating: false, count: channels)
        self.held = Array(repeating: Deque(), count: channels)
        self.channelEnded = Array(repeating: false, count: channels)
        super.init(job: job, index: index)
    }

    var taskName: String { "window-\(index)" }
    var queuedCount: Int { inputs.count + held.reduce(0) { $0 + $1.count } }

    func deliver(channel: Int, _ batch: [ChannelElement]) {
        for e in batch { inputs.append(.element(channel: channel, e)) }
        run()
    }

    override func process(_ i: TaskInput) {
        guard case .element(let ch, let e) = i else { return }
        if blocked[ch] { held[ch].append(e); return }
        switch e {
        case .record(let rec):
            guard let w = job.pipeline.window else { return }
            emissions.removeAll(keepingCapacity: true)
            do {
                try op.processElement(rec, key: w.key(of: rec.row), timestamp: rec.timestamp.millisecondsSinceEpoch, processingTime: now.millisecondsSinceEpoch, into: &emissions)
            } catch {
                job.taskFailed("\(error)")
                return
            }
            route(emissions, element: rec)
        case .watermark(let wm):
            signals.removeAll(keepingCapacity: true)
            valve.inputWatermark(wm, channel: ch, into: &signals)
            applyValve(channel: ch)
        case .status(let idle):
            signals.removeAll(keepingCapacity: true)
            valve.inputStatus(idle: idle, channel: ch, into: &signals)
            applyValve(channel: ch)
        case .barrier(let id):
            if let a = aligning, a != id {
                if id < a { return }
                abortAlignment(a)
            }
            aligning = id
            blocked[ch] = true
            if blocked.indices.allSatisfy({ blocked[$0] || channelEnded[$0] }) {
                actions.append(.preBarrier(id))
                actions.append(.snapshot(id))
                finishAlignment()
            }
        case .endOfPartition:
            channelEnded[ch] = true
            if channelEnded.allSatisfy({ $0 }) { actions.append(.sinkEndInput) }
        }
    }

    /// Why the valve output this watermark: the aligned active channel holding the minimum.
    private func explain(_ w: EventTime, channel: Int) -> String {
        if w == .max { return "end of input: MAX from every input channel" }
        let chans = valve.channels
        if chans.count == 1 { return "single input channel from source-0" }
        if let holder = chans.indices.filter({ !chans[$0].idle && chans[$0].aligned }).min(by: { chans[$0].watermark < chans[$1].watermark }) {
            return "min over input channels: source-\(holder) holds \(EventText.time(chans[holder].watermark))"
        }
        return "all input channels idle: max flushed (source-\(channel) went idle last)"
    }

    private func applyValve(channel: Int) {
        for s in signals {
            switch s {
            case .watermark(let w):
                emissions.removeAll(keepingCapacity: true)
                op.processWatermark(w.millisecondsSinceEpoch, into: &emissions)
                if job.env.trace.wants(.watermark) {
                    job.env.record(.watermark, job.component, [("task", .string(taskName)), ("wm", .time(w))])
                }
                job.emit(.watermark(task: taskName, value: w, at: now, cause: explain(w, channel: channel)))
                route(emissions, element: nil)
            case .status(let idle):
                job.env.record(.idle, job.component, [("task", .string(taskName)), ("idle", .bool(idle))])
                job.emit(.idle(task: taskName, split: nil, idle: idle, at: now))
            }
        }
    }

    /// The window the lateness rule is decided on for a timestamp: the one with the latest end.
    private func decidingWindow(_ ts: Int64) -> TimeWindow {
        try? op.assigner.assignWindows(timestamp: ts, currentProcessingTime: now.millisecondsSinceEpoch, into: &scratch)
        return scratch.max(by: { $0.end < $1.end }) ?? TimeWindow(start: ts, end: ts &+ 1)
    }

    private func route(_ es: [JobWindowOperator.Emission], element: JobRecord?) {
        guard let spec = job.pipeline.window else { return }
        let lateness = op.allowedLateness
        for e in es {
            switch e {
            case .fired(let f):
                job.metrics.windowFirings += 1
                job.env.record(.fire, job.component, [("task", .int(index)), ("key", .string(f.key.description)), ("start", .int(f.window.start)), ("end", .int(f.window.end)), ("pane", .int(f.pane))])
                let row = Row([.timestamp(f.window.start &* 1000), .timestamp(f.window.end &* 1000)] + f.key.values + f.output)
                let cause: FiringCause = !f.firedByTimer ? .element : (f.watermark == .max ? .endOfInput : .watermark)
                job.emit(.firing(FlinkFiring(windowStart: f.window.start, windowEnd: f.window.end, key: f.key.values, pane: f.pane, cause: cause,
                                             watermark: EventTime(f.watermark), row: row, subtask: index, at: now)))
                if cause == .element, let rec = element {
                    let w = f.window
                    let rule = "window \(EventText.window(w.start, w.end)) max \(EventText.time(w.maxTimestamp)) ≤ watermark \(EventText.time(f.watermark)) < max + allowed lateness \(lateness) ms → added, window fired again (pane \(f.pane))"
                    job.late(FlinkLateRecord(origin: rec.origin, eventTime: rec.timestamp, watermark: EventTime(f.watermark), windowStart: w.start, windowEnd: w.end,
                                             key: f.key.values, fate: .lateFiring, rule: rule, row: rec.row, at: now))
                }
                actions.append(.sinkWrite(row, EventTime(f.window.maxTimestamp)))
            case .lateDropped(let k, let rec, let ts, let wm), .lateSideOutput(let k, let rec, let ts, let wm):
                let side: Bool
                if case .lateSideOutput = e { side = true } else { side = false }
                if !side { job.metrics.numLateRecordsDropped += 1 }
                job.env.record(.late, job.component, [("task", .int(index)), ("key", .string(k.description)), ("ts", .int(ts)), ("wm", .int(wm)),
                                                      ("record", .string(rec.origin.description)), ("fate", .string(side ? "side-output" : "dropped"))])
                let w = decidingWindow(ts)
                let rule: String
                if spec.sqlSemantics {
                    rule = "last window \(EventText.window(w.start, w.end)) end − 1 = \(EventText.time(w.maxTimestamp)) ≤ watermark \(EventText.time(wm)) → dropped (window aggregation: no lateness, no side output)"
                } else {
                    rule = "window \(EventText.window(w.start, w.end)) max \(EventText.time(w.maxTimestamp)) + allowed lateness \(lateness) ms ≤ watermark \(EventText.time(wm)) → " + (side ? "side output" : "dropped (numLateRecordsDropped)")
                }
                job.late(FlinkLateRecord(origin: rec.origin, eventTime: rec.timestamp, watermark: EventTime(wm), windowStart: w.start, windowEnd: w.end,
                                         key: k.values, fate: side ? .sideOutput : .dropped, rule: rule, row: rec.row, at: now))
            }
        }
    }

    private func finishAlignment() {
        aligning = nil
        var requeue: [TaskInput] = []
        for ch in blocked.indices {
            blocked[ch] = false
            while let e = held[ch].popFirst() { requeue.append(.element(channel: ch, e)) }
        }
        for r in requeue.reversed() { inputs.prepend(r) }
    }

    /// `CancelCheckpointMarker`: the checkpoint was aborted; release the blocked channels.
    func abortAlignment(_ id: Int64) {
        guard aligning == id else { return }
        finishAlignment()
        run()
    }

    override func snapshotAndAcknowledge(_ id: Int64) {
        let state = op.snapshotState()
        let sinkState = sink.snapshotState(checkpointId: id)
        job.schedule(after: job.config.rpcLatency, "flink ack \(id) window \(index)") { [job, index] in
            job.acknowledge(id, window: index, state: state, sinkState: sinkState)
        }
    }
}
