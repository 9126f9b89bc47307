public import SimCore
public import SimLog
public import QueryModel
import DequeModule

enum TaskInput {
    case fetched(partition: Int, Record)
    case element(channel: Int, ChannelElement)
    case injectBarrier(Int64)
    case periodicWatermark
    case endOfInput
}

enum TaskAction {
    case sinkWrite(Row)
    case sinkRetry
    case preBarrier(Int64)
    case snapshot(Int64)
    case notifyComplete(Int64)
    case sinkEndInput
}

/// What every subtask of a job shares: a mailbox of actions (run first) and an input queue, processed one at a time on
/// the task's "thread"; a sink call that sleeps blocks both, so input queues up behind it.
protocol JobSubtask: AnyObject {
    var sink: (any FlinkSink)! { get set }
    var ended: Bool { get }
}

class TaskBase {
    unowned let job: FlinkJob
    let index: Int
    let attempt: Int
    var sink: (any FlinkSink)!
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
        switch a {
        case .sinkWrite(let row): handle(sink.write(row, now: now))
        case .sinkRetry: handle(sink.retry(now: now))
        case .preBarrier(let id): handle(sink.prepareSnapshotPreBarrier(checkpointId: id, now: now))
        case .snapshot(let id): snapshotAndAcknowledge(id)
        case .notifyComplete(let id): handle(sink.notifyCheckpointComplete(checkpointId: id, now: now))
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

/// A Kafka source reader subtask: one split per assigned partition, per-split watermark generators, the chained
/// deserializer/filter, and either the chained sink (no window) or one output channel per window subtask.
final class SourceSubtask: TaskBase, JobSubtask {
    let partitions: [Int]
    /// Next offset to emit, per partition (what a checkpoint stores: `KafkaPartitionSplit` current offset).
    var offsets: [Int: Int64]
    var fetchPositions: [Int: Int64]
    var watermarks: SourceReaderWatermarks
    var channels: [[ChannelElement]] = []
    var roundRobin = 0
    var fetchFailing = false
    var finished = false
    private var events: [SourceWatermarkEvent] = []

    init(job: FlinkJob, index: Int, partitions: [Int], offsets: [Int: Int64]) {
        self.partitions = partitions
        self.offsets = offsets
        self.fetchPositions = offsets
        self.watermarks = SourceReaderWatermarks(strategy: job.config.watermarkStrategy)
        for p in partitions { watermarks.addSplit(p) }
        super.init(job: job, index: index)
    }

    func startTimers() {
        job.schedule(after: .zero, "flink source \(index) poll") { [self] in poll() }
        let wmInterval = job.config.autoWatermarkInterval
        if wmInterval.milliseconds > 0 { job.schedule(after: wmInterval, "flink source \(index) periodic watermark") { [self] in periodicTick() } }
        if !channels.isEmpty && job.config.bufferTimeout.milliseconds > 0 {
            job.schedule(after: job.config.bufferTimeout, "flink source \(index) output flusher") { [self] in flusherTick() }
        }
    }

    private func periodicTick() {
        enqueue(.periodicWatermark)
        job.schedule(after: job.config.autoWatermarkInterval, "flink source \(index) periodic watermark") { [self] in periodicTick() }
    }
    private func flusherTick() {
        for j in channels.indices { flush(j) }
        job.schedule(after: job.config.bufferTimeout, "flink source \(index) output flusher") { [self] in flusherTick() }
    }

    /// `SourceReader.pollNext` through the split fetcher: up to `max.poll.records`, round-robin over the splits.
    func poll() {
        guard !finished else { return }
        let cfg = job.config
        let downstreamFull = job.windows.contains { $0.queuedCount > cfg.backpressureThresholdRecords } || inputs.count > cfg.backpressureThresholdRecords || sleeping
        if downstreamFull || partitions.isEmpty {
            job.schedule(after: cfg.pollInterval, "flink source \(index) poll") { [self] in poll() }
            return
        }
        var budget = cfg.maxPollRecords
        var fetched = 0
        for k in 0..<partitions.count where budget > 0 {
            let p = partitions[(roundRobin + k) % partitions.count]
            let tp = TopicPartition(cfg.topic, Int32(p))
            do {
                let recs = try job.log.sourceRecords(tp, from: fetchPositions[p] ?? 0, maxRecords: budget)
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
            offsets[p] = record.offset + 1
            job.metrics.recordsRead += 1
            guard let row = job.pipeline.deserialize(record) else { job.metrics.recordsUndeserializable += 1; return }
            let ts = job.pipeline.eventTime(record, row)
            // The record goes down the chain first (SourceOutputWithWatermarks.collect) …
            if let f = job.pipeline.filter, !f(row) {
                job.metrics.recordsFiltered += 1
            } else if let w = job.pipeline.window {
                let key = row[w.keyColumn].description
                let target = KeyGroupAssignment.subtask(for: key, maxParallelism: job.config.maxParallelism, parallelism: channels.count)
                emit(.record(row, ts), to: target)
            } else {
                actions.append(.sinkWrite(row))
            }
            // … then the split's generator sees it.
            events.removeAll(keepingCapacity: true)
            watermarks.onRecord(split: p, timestamp: ts, now: now, into: &events)
            forward(events)
        case .periodicWatermark:
            events.removeAll(keepingCapacity: true)
            watermarks.periodicEmit(now: now, into: &events)
            forward(events)
        case .injectBarrier(let id):
            if sink != nil { actions.append(.preBarrier(id)) }
            actions.append(.snapshot(id))
        case .endOfInput:
            finished = true
            events.removeAll(keepingCapacity: true)
            watermarks.endOfInput(into: &events)
            forward(events)
            if channels.isEmpty { actions.append(.sinkEndInput) } else { broadcast(.endOfPartition); flushAll() }
        case .element: break
        }
    }

    private func forward(_ evs: [SourceWatermarkEvent]) {
        for e in evs {
            switch e {
            case .watermark(let w):
                if job.env.trace.wants(.watermark) && pipelineHasWindow == false {
                    job.env.record(.watermark, job.component, [("task", .string("source-\(index)")), ("wm", .time(w))])
                }
                broadcast(.watermark(w))
            case .status(let idle):
                job.env.record(.idle, job.component, [("task", .string("source-\(index)")), ("idle", .bool(idle))])
                broadcast(.status(idle: idle))
            case .splitIdle(let s):
                job.env.record(.idle, job.component, [("task", .string("source-\(index)")), ("split", .int(s)), ("idle", true)])
            case .splitActive: break
            }
        }
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
    var op: WindowOperator<String, RowWindowAggregate>
    var valve: StatusWatermarkValve
    var blocked: [Bool]
    var held: [Deque<ChannelElement>]
    var aligning: Int64?
    var channelEnded: [Bool]
    private var signals: [WatermarkSignalOrStatus] = []
    private var emissions: [WindowOperator<String, RowWindowAggregate>.Emission] = []

    init(job: FlinkJob, index: Int, channels: Int, op: WindowOperator<String, RowWindowAggregate>) {
        self.op = op
        self.valve = StatusWatermarkValve(channels: channels)
        self.blocked = Array(repeating: false, count: channels)
        self.held = Array(repeating: Deque(), count: channels)
        self.channelEnded = Array(repeating: false, count: channels)
        super.init(job: job, index: index)
    }

    var queuedCount: Int { inputs.count + held.reduce(0) { $0 + $1.count } }

    func deliver(channel: Int, _ batch: [ChannelElement]) {
        for e in batch { inputs.append(.element(channel: channel, e)) }
        run()
    }

    override func process(_ i: TaskInput) {
        guard case .element(let ch, let e) = i else { return }
        if blocked[ch] { held[ch].append(e); return }
        switch e {
        case .record(let row, let ts):
            guard let w = job.pipeline.window else { return }
            emissions.removeAll(keepingCapacity: true)
            do {
                try op.processElement(row, key: row[w.keyColumn].description, timestamp: ts.millisecondsSinceEpoch, processingTime: now.millisecondsSinceEpoch, into: &emissions)
            } catch {
                job.taskFailed("\(error)")
                return
            }
            route(emissions)
        case .watermark(let wm):
            signals.removeAll(keepingCapacity: true)
            valve.inputWatermark(wm, channel: ch, into: &signals)
            applyValve()
        case .status(let idle):
            signals.removeAll(keepingCapacity: true)
            valve.inputStatus(idle: idle, channel: ch, into: &signals)
            applyValve()
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

    private func applyValve() {
        for s in signals {
            switch s {
            case .watermark(let w):
                emissions.removeAll(keepingCapacity: true)
                op.processWatermark(w.millisecondsSinceEpoch, into: &emissions)
                if job.env.trace.wants(.watermark) {
                    job.env.record(.watermark, job.component, [("task", .string("window-\(index)")), ("wm", .time(w))])
                }
                route(emissions)
            case .status(let idle):
                job.env.record(.idle, job.component, [("task", .string("window-\(index)")), ("idle", .bool(idle))])
            }
        }
    }

    private func route(_ es: [WindowOperator<String, RowWindowAggregate>.Emission]) {
        for e in es {
            switch e {
            case .fired(let f):
                job.metrics.windowFirings += 1
                job.env.record(.fire, job.component, [("task", .int(index)), ("key", .string(f.key)), ("start", .int(f.window.start)), ("end", .int(f.window.end)), ("pane", .int(f.pane))])
                actions.append(.sinkWrite(Row([.timestamp(f.window.start &* 1000), .timestamp(f.window.end &* 1000), .string(f.key)] + f.output)))
            case .lateDropped(let k, _, let ts, let wm), .lateSideOutput(let k, _, let ts, let wm):
                job.metrics.numLateRecordsDropped += 1
                job.env.record(.late, job.component, [("task", .int(index)), ("key", .string(k)), ("ts", .int(ts)), ("wm", .int(wm))])
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
