public import SimCore
import SimLog
public import QueryModel
import OrderedCollections

/// Event-time statistics of one batch (`EventTimeStatsAccum`): max/min in ms and a count.
struct EventTimeStats {
    var max = Int64.min
    var min = Int64.max
    var count = 0

    /// `EventTimeWatermarkExec`: `microsToMillis(eventTime)` (floor); a null event time reads as 0 (`getLong` of an
    /// `UnsafeRow` null slot).
    mutating func add(_ v: Value) {
        let ms: Int64
        if case .timestamp(let us) = v { ms = floorDiv(us, 1000) } else { ms = 0 }
        if ms > max { max = ms }
        if ms < min { min = ms }
        count += 1
    }
}

/// `WatermarkTracker` (`sql/core/.../streaming/WatermarkTracker.scala`, `updateWatermark`): one watermark operator
/// per input. An operator that has seen no data yet is populated with 0, and a per-operator value only moves up;
/// the global value is the policy's choice (`MultipleWatermarkPolicy`: min by default, or max), starts at 0, never
/// decreases. Only the global value is persisted (in `offsets/N` and `commits/N`).
struct WatermarkTracker {
    var globalMs: Int64 = 0
    /// Per input: its delay (nil = no watermark operator on that input) and current value.
    let delays: [Int64?]
    var operatorMs: [Int64?]
    let policyMax: Bool

    init(delays: [Int64?], policyMax: Bool) {
        self.delays = delays
        self.operatorMs = Array(repeating: nil, count: delays.count)
        self.policyMax = policyMax
    }

    mutating func update(_ stats: [EventTimeStats]) {
        var values: [Int64] = []
        for (i, d) in delays.enumerated() {
            guard let delay = d else { continue }
            if stats[i].count > 0 {
                let candidate = stats[i].max - delay
                if operatorMs[i] == nil || candidate > operatorMs[i]! { operatorMs[i] = candidate }
            } else if operatorMs[i] == nil {
                operatorMs[i] = 0  // "Populate 0 if we haven't seen any data yet for this watermark node."
            }
            values.append(operatorMs[i]!)
        }
        guard !values.isEmpty else { return }
        let chosen = policyMax ? values.max()! : values.min()!
        if chosen > globalMs { globalMs = chosen }
    }
}

/// A batch that has been constructed (its `offsets/N` written) and not yet committed.
struct PlannedBatch {
    var id: Int64
    var start: KafkaOffsets
    var end: KafkaOffsets
    var watermarkMs: Int64
    var lateWatermarkMs: Int64
    var timestampMs: Int64
    var isReexecution: Bool
    var triggerTime: ProcessingTime
    // Filled by the run step.
    var output: [Row] = []
    var numInputRows = 0
    var stats: [EventTimeStats] = []
    var metrics: [StateOperatorMetrics] = []
    var lost: Int64 = 0
    var malformed = 0
    var duration = SimDuration.zero
}

/// Spark Structured Streaming's micro-batch engine (`MicroBatchExecution`) on the virtual clock.
///
/// Each batch runs as four scheduler steps in the `.engine` phase, so a crash can fall between any two:
/// 1. trigger: `constructNextBatch` — ask the source for its end offsets, decide, write `offsets/N`;
/// 2. run: read, decode, aggregate, commit state version N+1 (`state/0/0/<N+1>.delta`);
/// 3. sink: `addBatch(N)` (after the batch's cost-model duration);
/// 4. commit: update the watermark, write `commits/N`, schedule the next trigger.
///
/// A crash (`crash()`) loses everything in memory; the `CheckpointStore` and the sink survive. A new instance on the
/// same store resumes as `populateStartOffsets` does.
public final class SparkMicroBatchExecution {
    public let environment: SimEnvironment
    public let query: StreamingQuery
    public let plan: CompiledQuery
    public let options: SparkQueryOptions
    public let sink: any SparkSink
    public let checkpoint: CheckpointLayout
    let log: any KafkaLogReader
    /// One Kafka stream per input (the main source, then the union inputs).
    let streams: [KafkaMicroBatchStream]

    var aggregation: AggregationOperator?
    var tracker: WatermarkTracker
    var batchId: Int64 = 0
    var committedOffsets: KafkaOffsets?
    var initialOffsets: KafkaOffsets?
    /// `execCtx.previousContext`: the eviction watermark of the previous batch of this run.
    var previousBatchWatermark: Int64?
    var started = false
    var availableNowTarget: KafkaOffsets?
    var pending: ScheduledEventID?
    var stopRequested = false

    /// Every batch's progress, in execution order (re-executions included).
    public private(set) var progress: [SparkBatchProgress] = []
    /// Every record dropped as late, with the window and rule (beyond Spark's counters).
    public private(set) var droppedRecords: [DroppedRecord] = []
    /// Data-loss warnings logged with failOnDataLoss=false.
    public private(set) var dataLossWarnings: [KafkaDataLoss] = []
    /// The failure that terminated the query, if any.
    public private(set) var failure: SparkQueryError?
    public private(set) var isTerminated = false
    /// Called after each committed batch.
    public var onBatchCompleted: ((SparkBatchProgress) -> Void)?
    /// Called with each batch's output rows, right before the sink (for observers and tests).
    public var onBatchOutput: ((Int64, [Row]) -> Void)?

    public init(environment: SimEnvironment, query: StreamingQuery, options: SparkQueryOptions = SparkQueryOptions(),
                log: any KafkaLogReader, sink: any SparkSink, checkpoint: CheckpointStore) throws(SparkQueryError) {
        self.environment = environment
        self.query = query
        self.options = options
        self.log = log
        self.sink = sink
        self.checkpoint = CheckpointLayout(checkpoint)
        try UnsupportedOperationChecker.check(query, sinkName: sink.name, sinkModes: sink.supportedModes)
        let compiled: CompiledQuery
        do { compiled = try CompiledQuery(query) } catch { throw .resolution(error) }
        plan = compiled
        let inputs = [UnionInput(source: query.source, watermarkDelayMs: compiled.watermarkDelayMs)] + (query.unionInputs ?? [])
        streams = inputs.map { KafkaMicroBatchStream(spec: $0.source, groupId: "spark-kafka-source-\(options.queryId)-executor") }
        let bump = options.conf.bumpZeroDelayToOneMs
        let delays: [Int64?] = inputs.map { i in compiled.eventTimeIndex == nil ? nil : i.watermarkDelayMs.map { bump && $0 == 0 ? 1 : $0 } }
        tracker = WatermarkTracker(delays: delays, policyMax: options.conf.multipleWatermarkPolicy == "max")
        if compiled.isAggregation {
            var op = AggregationOperator(plan: compiled, mode: query.outputMode)
            op.trackDroppedRecords = options.trackDroppedRecords
            aggregation = op
        }
    }

    var now: ProcessingTime { environment.scheduler.now }
    var component: String { options.component }

    /// The aggregation state (for tests and reports).
    public var stateRowCount: Int { aggregation?.state.count ?? 0 }
    /// The current global watermark (ms).
    public var currentWatermarkMs: Int64 { tracker.globalMs }
    /// The id of the next batch to construct.
    public var nextBatchId: Int64 { batchId }

    /// Starts the query: the first trigger runs now (`ProcessingTimeExecutor` runs its first batch immediately).
    public func start() {
        guard !started else { return }
        started = true
        schedule(at: now, "spark trigger") { [self] in trigger() }
    }

    /// Graceful stop: no further trigger; a batch in flight completes first.
    public func stop() {
        stopRequested = true
        if pendingIsTrigger, let p = pending {
            environment.scheduler.cancel(p)
            terminate()
        }
    }

    /// A crash: every scheduled step is dropped and memory is lost. The checkpoint store and sink survive.
    public func crash() {
        if let p = pending { environment.scheduler.cancel(p) }
        pending = nil
        isTerminated = true
        environment.record(.crash, component, [("batch", .int(batchId))])
    }

    var pendingIsTrigger = false
    /// The label and due time of the step in `pending` (what the engine does next, and when).
    var pendingStep: (label: String, at: ProcessingTime)?

    func schedule(at t: ProcessingTime, _ label: String, _ action: @escaping () -> Void) {
        pendingIsTrigger = label == "spark trigger"
        pendingStep = (label, max(t, now))  // read by SparkIntrospection (`sim step`'s "next micro-batch boundary")
        pending = environment.scheduler.schedule(at: t, phase: .engine, label, action)
    }

    func terminate() {
        isTerminated = true
        pending = nil
    }

    func fail(_ e: SparkQueryError) {
        failure = e
        terminate()
        environment.record(.fault, component, [("batch", .int(batchId)), ("error", .string(String(e.description.prefix(200))))])
    }

    // MARK: - Step 1: trigger / construct

    func trigger() {
        pending = nil
        guard !isTerminated else { return }
        let t0 = now
        if !didPopulate {
            didPopulate = true
            if let rerun = populateStartOffsets(at: t0) {
                if isTerminated { return }
                scheduleRun(rerun)
                return
            }
            if isTerminated { return }
            if case .availableNow = options.trigger {
                availableNowTarget = latestOffsets(start: committedOffsets ?? initialOffsets ?? KafkaOffsets(), limited: false, bound: nil)
            }
        }
        let start = committedOffsets ?? initialOffsets ?? KafkaOffsets()
        var limited = true
        if case .once = options.trigger { limited = false }  // ReadLimit.allAvailable
        let end = latestOffsets(start: start, limited: limited, bound: availableNowTarget)
        let newData = end != start
        let newWatermark = tracker.globalMs
        var runNoData = false
        if options.conf.noDataMicroBatchesEnabled, let prev = previousBatchWatermark, aggregation?.usesWatermark == true {
            runNoData = newWatermark > prev  // `StateStoreSaveExec.shouldRunAnotherBatch`
        }
        guard newData || runNoData else {
            switch options.trigger {
            case .once, .availableNow: terminate()
            case .processingTime(let i):
                let next = max(SparkTrigger.nextBatchTime(t0.millisecondsSinceEpoch, intervalMs: i), t0.millisecondsSinceEpoch + options.conf.pollingDelayMs)
                schedule(at: ProcessingTime(next), "spark trigger") { [self] in trigger() }
            }
            return
        }
        let late = options.conf.statefulOperatorAllowMultiple ? (batchId == 0 ? 0 : checkpoint.offsets(batchId - 1)?.batchWatermarkMs ?? 0) : newWatermark
        let planned = PlannedBatch(id: batchId, start: start, end: end, watermarkMs: newWatermark, lateWatermarkMs: late,
                                   timestampMs: t0.millisecondsSinceEpoch, isReexecution: false, triggerTime: t0)
        let seq = OffsetSeq(batchWatermarkMs: newWatermark, batchTimestampMs: planned.timestampMs, conf: options.conf.persisted,
                            sourceOffsets: streams.map { end.filtered(topic: $0.spec.topic) })
        guard checkpoint.addOffsets(batchId, seq) else { fail(.concurrentStreamLogUpdate(batchId: batchId)); return }
        environment.record(.checkpoint, component, [("file", .string("offsets/\(batchId)")), ("watermark", .int(newWatermark))])
        if options.conf.minBatchesToRetain < batchId { checkpoint.purge(below: batchId - options.conf.minBatchesToRetain) }
        scheduleRun(planned)
    }

    var didPopulate = false

    /// Each input's `latestOffset(start, limit)`, combined.
    func latestOffsets(start: KafkaOffsets, limited: Bool, bound: KafkaOffsets?) -> KafkaOffsets {
        var end = KafkaOffsets()
        for s in streams {
            end = end.merging(s.latestOffset(start: start.filtered(topic: s.spec.topic), log: log, limit: limited ? s.spec.maxOffsetsPerTrigger : nil,
                                             bound: bound?.filtered(topic: s.spec.topic)))
        }
        if limited, let admit = options.admissionControl { end = admit(start, end) }
        return end
    }

    /// All source lines of an `offsets/N` file combined.
    func combined(_ seq: OffsetSeq) -> KafkaOffsets {
        seq.sourceOffsets.reduce(KafkaOffsets()) { $0.merging($1 ?? KafkaOffsets()) }
    }

    /// `MicroBatchExecution.populateStartOffsets`: resume from the checkpoint. Returns the batch to re-execute when
    /// the latest `offsets/L` has no `commits/L`.
    func populateStartOffsets(at t0: ProcessingTime) -> PlannedBatch? {
        _ = checkpoint.writeMetadataIfAbsent(queryId: options.queryId)
        var initial = KafkaOffsets()
        for (i, s) in streams.enumerated() {
            if let o = checkpoint.initialOffsets(source: i) {
                initial = initial.merging(o)
            } else {
                let o = s.resolveInitialOffsets(log)
                checkpoint.writeInitialOffsets(o, source: i)
                initial = initial.merging(o)
            }
        }
        initialOffsets = initial
        guard let latest = checkpoint.latestOffsetsBatch, let endSeq = checkpoint.offsets(latest) else {
            batchId = 0
            return nil
        }
        let end = combined(endSeq)
        let start: KafkaOffsets
        if latest == 0 {
            start = initialOffsets ?? KafkaOffsets()
        } else {
            guard let prev = checkpoint.offsets(latest - 1) else { fail(.missingPreviousOffsets(batchId: latest)); return nil }
            start = initial.merging(combined(prev))
        }
        tracker.globalMs = endSeq.batchWatermarkMs
        environment.record(.recover, component, [("latestOffsets", .int(latest)), ("latestCommit", checkpoint.latestCommitBatch.map { .int($0) } ?? .null)])
        if checkpoint.latestCommitBatch == latest {
            batchId = latest + 1
            committedOffsets = end
            tracker.globalMs = max(endSeq.batchWatermarkMs, checkpoint.commitWatermark(latest) ?? endSeq.batchWatermarkMs)
            loadState(version: latest + 1)
            return nil
        }
        batchId = latest
        loadState(version: latest)
        let late = options.conf.statefulOperatorAllowMultiple ? (latest == 0 ? 0 : checkpoint.offsets(latest - 1)?.batchWatermarkMs ?? 0) : endSeq.batchWatermarkMs
        return PlannedBatch(id: latest, start: start, end: end, watermarkMs: endSeq.batchWatermarkMs, lateWatermarkMs: late,
                            timestampMs: endSeq.batchTimestampMs, isReexecution: true, triggerTime: t0)
    }

    /// Rebuilds the state store at `version` from its delta files.
    func loadState(version: Int64) {
        guard aggregation != nil else { return }
        aggregation!.resetState()
        if version < 1 { return }
        for v in 1...version { if let d = checkpoint.stateDelta(version: v) { aggregation!.apply(d) } }
    }

    // MARK: - Step 2: run

    func scheduleRun(_ b: PlannedBatch) {
        environment.record(.batch, component, [("phase", "start"), ("batch", .int(b.id)), ("watermark", .int(b.watermarkMs)), ("rerun", .bool(b.isReexecution))])
        schedule(at: now, "spark run batch \(b.id)") { [self] in run(b) }
    }

    func run(_ planned: PlannedBatch) {
        pending = nil
        var b = planned
        let ctx = EvaluationContext(currentTimestampMicros: b.timestampMs &* 1000)
        var stats = DecodeStats()
        var output: [Row] = []
        b.stats = Array(repeating: EventTimeStats(), count: streams.count)
        aggregation?.beginBatch(batchId: b.id, lateWatermarkMs: b.lateWatermarkMs)
        var row = plan.makeRowBuffer()
        for (si, stream) in streams.enumerated() {
            let topic = stream.spec.topic
            let (ranges, losses) = stream.offsetRanges(from: b.start.filtered(topic: topic), until: b.end.filtered(topic: topic), log: log)
            for l in losses {
                if stream.spec.failOnDataLoss { fail(.dataLoss(l)); return }
                dataLossWarnings.append(l)
            }
            let tracked = plan.eventTimeIndex != nil && tracker.delays[si] != nil
            for r in ranges {
                let (records, lost, lostCount) = stream.read(r, log: log)
                if let lost {
                    if stream.spec.failOnDataLoss { fail(.dataLoss(lost)); return }
                    dataLossWarnings.append(lost)
                    b.lost += lostCount
                }
                for rec in records {
                    b.numInputRows += 1
                    guard plan.decode(SourceRecord(r.topicPartition, rec), into: &row, context: ctx, stats: &stats) else { continue }
                    if tracked { b.stats[si].add(row[plan.eventTimeIndex!]) }
                    if aggregation != nil {
                        aggregation!.accumulate(row, topicPartition: r.topicPartition, offset: rec.offset)
                    } else {
                        output.append(Row(plan.project(row)))
                    }
                }
                aggregation?.endPartition()
            }
        }
        b.malformed = stats.malformed
        if aggregation != nil {
            let result = aggregation!.finishBatch(evictionWatermarkMs: b.watermarkMs)
            output = result.rows
            b.metrics = [result.metrics]
            droppedRecords.append(contentsOf: result.dropped)
            for d in result.dropped {
                environment.record(.late, component, [("batch", .int(b.id)), ("partition", .int(Int(d.topicPartition.partition))), ("offset", .int(d.offset)),
                                                       ("window_end", .int(floorDiv(d.window.end, 1000))), ("rule", .string(d.rule.rawValue)), ("watermark", .int(d.watermarkMs))])
            }
            checkpoint.writeStateDelta(version: b.id + 1, result.delta)
        }
        b.output = output
        b.duration = options.cost.duration(inputRows: b.numInputRows, stateRows: stateRowCount, outputRows: output.count)
        schedule(at: now + b.duration, "spark sink batch \(b.id)") { [self] in addToSink(b) }
    }

    // MARK: - Step 3: sink

    func addToSink(_ b: PlannedBatch) {
        pending = nil
        onBatchOutput?(b.id, b.output)
        do {
            try sink.addBatch(SinkBatch(batchId: b.id, rows: b.output, schema: plan.outputSchema, outputMode: query.outputMode, batchTimestampMs: b.timestampMs, time: now))
        } catch let e as SparkQueryError {
            fail(e); return
        } catch {
            fail(.sink("\(error)")); return
        }
        environment.record(.sink, component, [("batch", .int(b.id)), ("rows", .int(b.output.count))])
        schedule(at: now, "spark commit batch \(b.id)") { [self] in commit(b) }
    }

    // MARK: - Step 4: commit

    func commit(_ b: PlannedBatch) {
        pending = nil
        let before = tracker.globalMs
        tracker.update(b.stats)
        guard checkpoint.addCommit(b.id, nextBatchWatermarkMs: tracker.globalMs) else { fail(.concurrentStreamLogUpdate(batchId: b.id)); return }
        if tracker.globalMs != before { environment.record(.watermark, component, [("batch", .int(b.id)), ("watermark", .int(tracker.globalMs))]) }
        committedOffsets = b.end
        previousBatchWatermark = b.watermarkMs
        let seen = b.stats.filter { $0.count > 0 }
        let p = SparkBatchProgress(batchId: b.id, kind: b.end == b.start ? .noData : .data, triggerTime: b.triggerTime, batchTimestampMs: b.timestampMs,
                                   numInputRows: b.numInputRows, watermarkMs: plan.eventTimeIndex == nil ? nil : b.watermarkMs,
                                   eventTimeMinMs: seen.isEmpty ? nil : seen.map(\.min).min(), eventTimeMaxMs: seen.isEmpty ? nil : seen.map(\.max).max(),
                                   numOutputRows: b.output.count, stateOperators: b.metrics, isReexecution: b.isReexecution,
                                   lostRecords: b.lost, malformedRecords: b.malformed, durationMs: (now - b.triggerTime).milliseconds,
                                   startOffsets: b.start, endOffsets: b.end)
        progress.append(p)
        environment.record(.batch, component, [("phase", "end"), ("batch", .int(b.id)), ("kind", .string(p.kind.rawValue)), ("rows", .int(b.numInputRows)), ("out", .int(b.output.count))])
        batchId = b.id + 1
        onBatchCompleted?(p)
        if stopRequested { terminate(); return }
        switch options.trigger {
        case .once: terminate()
        case .availableNow: schedule(at: now, "spark trigger") { [self] in trigger() }
        case .processingTime(let i):
            let next = max(now.millisecondsSinceEpoch, SparkTrigger.nextBatchTime(b.triggerTime.millisecondsSinceEpoch, intervalMs: i))
            schedule(at: ProcessingTime(next), "spark trigger") { [self] in trigger() }
        }
    }
}
