public import SimCore
import SimLog
import OrderedCollections

/// A checkpoint in flight: what the subtasks have acknowledged so far.
struct PendingCheckpoint {
    var id: Int64
    var triggeredAt: ProcessingTime
    var sourceOffsets: [[Int: Int64]?]
    var windowStates: [JobWindowState?]
    var sinkStates: [SinkCheckpointState?]
    var acks = 0
}

/// `CheckpointCoordinator`'s bookkeeping (1.20): ids, pending checkpoints, the last completion time (min pause).
struct CheckpointCoordinatorState {
    var nextId: Int64 = 1
    var pending: OrderedDictionary<Int64, PendingCheckpoint> = [:]
    var lastCompletion: ProcessingTime?
}

extension FlinkJob {
    var expectedAcks: Int { sources.count + windows.count }

    /// A periodic trigger: skipped while `max-concurrent` checkpoints are pending, deferred to `lastCompletion + minPause`,
    /// otherwise barrier `n` is injected at every source (one RPC each) and a timeout is armed.
    func triggerCheckpoint() {
        guard let interval = config.checkpointInterval else { return }
        let now = env.now
        if let last = coordinator.lastCompletion, now < last + config.checkpointMinPause {
            schedule(after: (last + config.checkpointMinPause) - now, "flink checkpoint trigger (min pause)") { [unowned self] in self.triggerCheckpoint() }
            return
        }
        schedule(after: interval, "flink checkpoint trigger") { [unowned self] in self.triggerCheckpoint() }
        guard coordinator.pending.count < config.maxConcurrentCheckpoints else { return }
        let id = coordinator.nextId
        coordinator.nextId += 1
        coordinator.pending[id] = PendingCheckpoint(id: id, triggeredAt: now, sourceOffsets: Array(repeating: nil, count: sources.count),
                                                     windowStates: Array(repeating: nil, count: windows.count), sinkStates: Array(repeating: nil, count: lastStage.count))
        env.record(.checkpoint, component, [("id", .int(id)), ("event", "trigger")])
        emit(.checkpoint(id: id, phase: .triggered, at: now, sourceOffsets: [:], reason: nil))
        for s in sources {
            schedule(after: config.rpcLatency, "flink inject barrier \(id) source \(s.index)") { s.enqueue(.injectBarrier(id)) }
        }
        schedule(after: config.checkpointTimeout, "flink checkpoint \(id) timeout") { [unowned self] in
            guard self.coordinator.pending.removeValue(forKey: id) != nil else { return }
            self.metrics.checkpointsAborted += 1
            self.env.record(.checkpoint, self.component, [("id", .int(id)), ("event", "expired")])
            self.emit(.checkpoint(id: id, phase: .aborted, at: self.env.now, sourceOffsets: [:], reason: "expired after \(self.config.checkpointTimeout)"))
            for w in self.windows { w.abortAlignment(id) }
            // tolerable-failed-checkpoints = 0: an expired checkpoint fails the job over.
            self.taskFailed("Checkpoint \(id) expired before completing")
        }
    }

    func acknowledge(_ id: Int64, source i: Int, offsets: [Int: Int64], sinkState: SinkCheckpointState?) {
        guard var p = coordinator.pending[id] else { return }
        p.sourceOffsets[i] = offsets
        if pipeline.window == nil, let s = sinkState { p.sinkStates[i] = s }
        p.acks += 1
        coordinator.pending[id] = p
        maybeComplete(id)
    }

    func acknowledge(_ id: Int64, window j: Int, state: JobWindowState, sinkState: SinkCheckpointState) {
        guard var p = coordinator.pending[id] else { return }
        p.windowStates[j] = state
        p.sinkStates[j] = sinkState
        p.acks += 1
        coordinator.pending[id] = p
        maybeComplete(id)
    }

    private func maybeComplete(_ id: Int64) {
        guard let p = coordinator.pending[id], p.acks == expectedAcks else { return }
        coordinator.pending.removeValue(forKey: id)
        let now = env.now
        lastCompleted = CompletedCheckpoint(id: id, triggeredAt: p.triggeredAt, completedAt: now, sourceOffsets: p.sourceOffsets.map { $0 ?? [:] }, windowStates: p.windowStates,
                                            sinkStates: p.sinkStates.map { $0 ?? SinkCheckpointState() })
        coordinator.lastCompletion = now
        metrics.checkpointsCompleted += 1
        env.record(.checkpoint, component, [("id", .int(id)), ("event", "complete"), ("duration_ms", .int((now - p.triggeredAt).milliseconds))])
        var offsets: [TopicPartition: Int64] = [:]
        for m in p.sourceOffsets { for (part, o) in m ?? [:] { offsets[TopicPartition(config.topic, Int32(part))] = o } }
        emit(.checkpoint(id: id, phase: .completed, at: now, sourceOffsets: offsets, reason: nil))
        for t in lastStage {
            let task = t as! TaskBase
            schedule(after: config.rpcLatency, "flink notify \(id) task \(task.index)") { task.enqueueAction(.notifyComplete(id)) }
        }
    }
}
