public import SimCore
import OrderedCollections
import DequeModule

/// `acks`: how many replicas must have the batch before the broker answers (one replica here, so 1 ≡ all).
public enum Acks: String, Sendable, Codable, CaseIterable {
    /// No response: the producer completes the send as soon as the request leaves (offset −1, no retries).
    case zero = "0"
    case one = "1"
    case all = "all"
}

/// Producer configuration, named as Java's `ProducerConfig` with its defaults.
public struct ProducerConfig: Sendable {
    public var clientId = "producer-1"
    /// `acks` = all (Java ≥ 3.0).
    public var acks: Acks = .all
    /// `retries` = Integer.MAX_VALUE; in practice bounded by `delivery.timeout.ms`.
    public var retries = Int(Int32.max)
    /// `retry.backoff.ms` = 100.
    public var retryBackoffMs: Int64 = 100
    /// `linger.ms` = 5 (Kafka 4.0, KIP-1030; 0 before 4.0).
    public var lingerMs: Int64 = 5
    /// `batch.size` = 16384.
    public var batchSize = 16_384
    /// `enable.idempotence` = true (Java ≥ 3.0). Requires acks=all, retries > 0, max.in.flight ≤ 5
    /// (`ProducerConfig.postProcessAndValidateIdempotenceConfigs`).
    public var enableIdempotence = true
    /// `max.in.flight.requests.per.connection` = 5 (one broker, so one connection).
    public var maxInFlightRequestsPerConnection = 5
    /// `delivery.timeout.ms` = 120000: the upper bound from send() to success or failure.
    public var deliveryTimeoutMs: Int64 = 120_000
    /// `request.timeout.ms` = 30000: how long the producer waits for a response before retrying.
    public var requestTimeoutMs: Int64 = 30_000
    /// Which client's partitioner to mimic.
    public var partitioner: PartitionerKind = .javaDefault
    /// `compression.type` = none; zstd is the other implemented codec.
    public var compressionType: CompressionType = .none
    /// One-way network latency between producer and broker (not a Kafka setting): the request reaches the broker
    /// after it, and the response returns after it again.
    public var networkLatency: SimDuration = .zero

    public init() {}

    public func validate() throws {
        if batchSize < 1 { throw LogError.invalidConfig("batch.size must be at least 1") }
        if maxInFlightRequestsPerConnection < 1 { throw LogError.invalidConfig("max.in.flight.requests.per.connection must be at least 1") }
        if lingerMs < 0 || retryBackoffMs < 0 || requestTimeoutMs < 1 { throw LogError.invalidConfig("linger.ms, retry.backoff.ms and request.timeout.ms must be positive") }
        if compressionType != .none && compressionType != .zstd { throw LogError.invalidConfig("compression.type=\(compressionType) is not implemented (none, zstd)") }
        if enableIdempotence {
            if acks != .all { throw LogError.invalidConfig("Must set acks to all in order to use the idempotent producer.") }
            if retries < 1 { throw LogError.invalidConfig("Must set retries to non-zero when using the idempotent producer.") }
            if maxInFlightRequestsPerConnection > 5 {
                throw LogError.invalidConfig("Must set max.in.flight.requests.per.connection to at most 5 to use the idempotent producer.")
            }
        }
    }
}

/// What a successful send reports (`RecordMetadata`).
public struct RecordMetadata: Sendable, Equatable {
    public var topicPartition: TopicPartition
    /// The record's offset; −1 with acks=0.
    public var offset: Int64
    /// LogAppendTime when the topic uses it, else the record's CreateTime.
    public var timestamp: Int64
}

/// Producer counters. Records unless stated otherwise.
public struct ProducerCounters: Sendable, Equatable {
    public var sent = 0
    public var acked = 0
    public var failed = 0
    /// Batch retries (each re-send of a batch).
    public var retried = 0
    /// Batches the broker recognised as duplicates of an already appended batch (idempotence at work).
    public var duplicates = 0
    /// Produce requests sent, including retries.
    public var requests = 0
}

/// A producer on the virtual clock (the Java `KafkaProducer` + `RecordAccumulator` + `Sender`, reduced to what
/// changes what the log holds).
///
/// - Records accumulate per partition; a batch is sent when full (`batch.size`) or `linger.ms` after its first record.
/// - A request reaches the broker after `networkLatency`, and its response comes back after it again.
/// - Retriable errors (outage → NETWORK_EXCEPTION, lost response → REQUEST_TIMED_OUT after `request.timeout.ms`) are
///   retried after `retry.backoff.ms` until `delivery.timeout.ms` since batch creation, then the send fails.
/// - Idempotence: one producer id/epoch from InitProducerId; per-partition sequence numbers assigned at a batch's
///   first send and kept on retries, so the broker's 5-batch window drops duplicates (`ProducerStateEntry`).
///   To keep a retried batch inside that window, at most `max.in.flight` sequenced batches per partition are
///   unacknowledged, and while a partition has a retry pending, only its lowest-sequence batch is sent, alone
///   (`RecordAccumulator.shouldStopDrainBatchesForPartition`). An OUT_OF_ORDER_SEQUENCE with an earlier batch of the
///   partition still unacknowledged is retried; otherwise it fails the batch. After any sequenced batch fails, the
///   producer bumps its epoch and restarts sequences at 0 once nothing sequenced is outstanding
///   (`TransactionManager.bumpIdempotentEpochAndResetIdIfNeeded`, KIP-360).
/// - Without idempotence, a lost response followed by a retry appends the batch twice, and with
///   max.in.flight > 1 a retried batch can land after a later one.
///
/// InitProducerId and metadata lookups are instantaneous (not modelled as requests).
public final class LogProducer: RecordProducing {
    public typealias Callback = (Result<RecordMetadata, LogError>) -> Void

    public let broker: Broker
    public let config: ProducerConfig
    public private(set) var counters = ProducerCounters()
    public private(set) var producerId: Int64 = RecordBatch.noProducerId
    public private(set) var producerEpoch: Int16 = RecordBatch.noProducerEpoch
    public let component: String

    struct PendingRecord {
        var timestamp: Int64
        var key: [UInt8]?
        var value: [UInt8]?
        var headers: [RecordHeader]
        var callback: Callback?
    }

    struct ProducerBatch {
        var id: UInt64
        var tp: TopicPartition
        var records: [PendingRecord] = []
        var estimatedSize = RecordBatch.headerSize
        var createdAt: ProcessingTime
        var attempts = 0
        var baseSequence: Int32?
        var epoch: Int16 = RecordBatch.noProducerEpoch
    }

    private var partitioner: RecordPartitioner
    private var batches: OrderedDictionary<UInt64, ProducerBatch> = [:]
    private var open: OrderedDictionary<TopicPartition, UInt64> = [:]
    private var readyQueue: Deque<UInt64> = []
    private var retryQueue: [UInt64] = []
    private var inFlight: OrderedDictionary<UInt64, (batchId: UInt64, timeout: ScheduledEventID)> = [:]
    private var nextSequence: OrderedDictionary<TopicPartition, Int32> = [:]
    private var sequencedUnacked: OrderedDictionary<TopicPartition, Int> = [:]
    private var epochBumpPending = false
    private var nextBatchId: UInt64 = 0
    private var nextRequestId: UInt64 = 0

    private var env: SimEnvironment { broker.environment }
    private var now: ProcessingTime { broker.environment.scheduler.now }

    public init(broker: Broker, config: ProducerConfig = ProducerConfig()) throws {
        try config.validate()
        self.broker = broker
        self.config = config
        self.component = "producer.\(config.clientId)"
        self.partitioner = RecordPartitioner(kind: config.partitioner, random: broker.environment.random.stream("log.partitioner.\(config.clientId)"),
                                             stickyBatchSize: config.batchSize)
        if config.enableIdempotence {
            (producerId, producerEpoch) = broker.initProducerId()
        }
    }

    /// Records accepted by `send` and not yet acknowledged or failed.
    public var pendingRecordCount: Int { batches.values.reduce(0) { $0 + $1.records.count } }

    public func send(_ record: ProducerRecord) { send(record, callback: nil) }

    /// Sends a record; `callback` runs on the scheduler when it is acknowledged or fails.
    public func send(_ record: ProducerRecord, callback: Callback?) {
        counters.sent += 1
        guard let n = broker.metadataPartitionCount(record.topic) else {
            fail(records: [PendingRecord(timestamp: -1, key: nil, value: nil, headers: [], callback: callback)],
                 LogError.unknownTopicOrPartition(TopicPartition(record.topic, record.partition ?? -1)))
            return
        }
        if let p = record.partition, p < 0 || p >= n {
            fail(records: [PendingRecord(timestamp: -1, key: nil, value: nil, headers: [], callback: callback)],
                 LogError.unknownTopicOrPartition(TopicPartition(record.topic, p)))
            return
        }
        let ts = record.timestamp?.millisecondsSinceEpoch ?? now.millisecondsSinceEpoch
        let pending = PendingRecord(timestamp: ts, key: record.key, value: record.value, headers: record.headers, callback: callback)
        let size = BatchRecord(timestampDelta: 0, offsetDelta: 0, key: record.key, value: record.value, headers: record.headers).sizeInBytes
        let tp = TopicPartition(record.topic, partitioner.partition(for: record, numPartitions: n, recordSize: size))

        if let id = open[tp], let b = batches[id], !b.records.isEmpty, b.estimatedSize + size > config.batchSize {
            close(tp)  // full: ready now (`RecordAccumulator.append` → `batchIsFull`)
            trySend()
        }
        let id: UInt64
        if let existing = open[tp] {
            id = existing
        } else {
            id = nextBatchId
            nextBatchId += 1
            batches[id] = ProducerBatch(id: id, tp: tp, createdAt: now)
            open[tp] = id
            env.scheduler.schedule(after: .milliseconds(config.lingerMs), phase: .input, "producer-linger") { [weak self] in
                guard let self, self.open[tp] == id else { return }
                self.close(tp)
                self.trySend()
            }
        }
        batches[id]!.records.append(pending)
        batches[id]!.estimatedSize += size
        if batches[id]!.estimatedSize >= config.batchSize {
            close(tp)
            trySend()
        }
    }

    /// Sends every accumulated batch now, without waiting for linger.ms (`KafkaProducer.flush`, minus the blocking).
    public func flush() {
        for tp in Array(open.keys) { close(tp) }
        trySend()
    }

    private func close(_ tp: TopicPartition) {
        guard let id = open.removeValue(forKey: tp) else { return }
        readyQueue.append(id)
    }

    // MARK: Sending

    private func trySend() {
        if epochBumpPending && sequencedUnacked.values.allSatisfy({ $0 == 0 }) { bumpEpoch() }
        while inFlight.count < config.maxInFlightRequestsPerConnection {
            guard let id = nextSendable() else { return }
            let b = batches[id]!
            if (now - b.createdAt).milliseconds >= config.deliveryTimeoutMs {
                complete(id, .failure(.deliveryTimeout(b.tp, records: b.records.count, elapsedMs: (now - b.createdAt).milliseconds)))
                continue
            }
            sendRequest(id)
        }
    }

    /// The next batch to send: retries first (for an idempotent producer only the lowest-sequence retry of a
    /// partition with nothing else in flight), then new batches in creation order from partitions that are not
    /// blocked. Removes it from its queue.
    private func nextSendable() -> UInt64? {
        let idem = config.enableIdempotence
        for (i, id) in retryQueue.enumerated() {
            let b = batches[id]!
            if idem {
                let tp = b.tp
                let earlierRetry = retryQueue[..<i].contains { batches[$0]!.tp == tp }
                let busy = inFlight.values.contains { batches[$0.batchId]?.tp == tp }
                if earlierRetry || busy { continue }
            }
            retryQueue.remove(at: i)
            return id
        }
        if idem && epochBumpPending { return nil }
        var i = readyQueue.startIndex
        while i < readyQueue.endIndex {
            let id = readyQueue[i]
            let tp = batches[id]!.tp
            if idem {
                let blocked = retryQueue.contains { batches[$0]!.tp == tp }
                    || (sequencedUnacked[tp] ?? 0) >= config.maxInFlightRequestsPerConnection
                    || readyQueue[..<i].contains { batches[$0]!.tp == tp }
                if blocked { i += 1; continue }
            }
            readyQueue.remove(at: i)
            return id
        }
        return nil
    }

    private func sendRequest(_ id: UInt64) {
        var b = batches[id]!
        let tp = b.tp
        if config.enableIdempotence && b.baseSequence == nil {
            let seq = nextSequence[tp] ?? 0
            b.baseSequence = seq
            b.epoch = producerEpoch
            nextSequence[tp] = RecordBatch.incrementSequence(seq, Int32(b.records.count))
            sequencedUnacked[tp, default: 0] += 1
        }
        b.attempts += 1
        batches[id] = b
        counters.requests += 1
        let batch = RecordBatch(compression: config.compressionType,
                                producerId: config.enableIdempotence ? producerId : RecordBatch.noProducerId,
                                producerEpoch: config.enableIdempotence ? b.epoch : RecordBatch.noProducerEpoch,
                                baseSequence: b.baseSequence ?? RecordBatch.noSequence,
                                records: b.records.map { ($0.timestamp, $0.key, $0.value, $0.headers) })
        if env.trace.wants(.produce) {
            env.record(.produce, component, [("tp", .string(tp.description)), ("batch", .int(Int64(id))),
                                             ("records", .int(b.records.count)), ("attempt", .int(b.attempts)),
                                             ("seq", .int(Int64(b.baseSequence ?? -1)))])
        }
        let latency = config.networkLatency
        if config.acks == .zero {
            // Fire and forget: complete now with offset −1; the append happens (or not) after the latency.
            complete(id, .success(AppendOutcome(baseOffset: -1, lastOffset: -1, logAppendTime: -1, isDuplicate: false,
                                                rolledSegment: nil, records: [], sizeInBytes: 0)))
            env.scheduler.schedule(after: latency, phase: .input, "produce-request \(tp)") { [broker] in
                _ = try? broker.append(batch, to: tp)
            }
            return
        }
        let requestId = nextRequestId
        nextRequestId += 1
        let timeout = env.scheduler.schedule(after: .milliseconds(config.requestTimeoutMs), phase: .input, "produce-timeout \(tp)") { [weak self] in
            guard let self else { return }
            self.handleResponse(requestId, .failure(.requestTimedOut(tp, afterMs: self.config.requestTimeoutMs)))
        }
        inFlight[requestId] = (id, timeout)
        env.scheduler.schedule(after: latency, phase: .input, "produce-request \(tp)") { [weak self, broker] in
            let result: Result<AppendOutcome, LogError>
            do { result = .success(try broker.append(batch, to: tp)) } catch let e as LogError { result = .failure(e) } catch {
                result = .failure(.corruptMessage("\(error)"))
            }
            if case .success = result, broker.produceResponseIsLost() {
                broker.environment.record(.fault, broker.component, [("event", "response-lost"), ("tp", .string(tp.description))])
                return
            }
            broker.environment.scheduler.schedule(after: latency, phase: .input, "produce-response \(tp)") {
                self?.handleResponse(requestId, result)
            }
        }
    }

    private func handleResponse(_ requestId: UInt64, _ result: Result<AppendOutcome, LogError>) {
        guard let entry = inFlight.removeValue(forKey: requestId) else { return }  // already timed out
        env.scheduler.cancel(entry.timeout)
        let id = entry.batchId
        guard let b = batches[id] else { trySend(); return }
        switch result {
        case .success(let outcome):
            if outcome.isDuplicate { counters.duplicates += 1 }
            complete(id, .success(outcome))
        case .failure(let error):
            var retriable = error.isRetriable
            if case .outOfOrderSequence = error, config.enableIdempotence, let seq = b.baseSequence {
                // Retriable only when an earlier batch of the partition is still outstanding (it caused the gap).
                retriable = batches.values.contains { $0.tp == b.tp && $0.id < id && $0.baseSequence != nil && $0.epoch == b.epoch } && seq >= 0
            }
            let elapsed = (now - b.createdAt).milliseconds
            if retriable && b.attempts - 1 < config.retries && elapsed < config.deliveryTimeoutMs {
                counters.retried += 1
                env.record(.producerError, component, [("tp", .string(b.tp.description)), ("batch", .int(Int64(id))),
                                                       ("error", .string(error.name)), ("action", "retry")])
                env.scheduler.schedule(after: .milliseconds(config.retryBackoffMs), phase: .input, "producer-retry \(b.tp)") { [weak self] in
                    guard let self else { return }
                    // Keep the retry queue in creation (= sequence) order.
                    let pos = self.retryQueue.firstIndex { $0 > id } ?? self.retryQueue.endIndex
                    self.retryQueue.insert(id, at: pos)
                    self.trySend()
                }
            } else {
                let final: LogError = retriable ? .deliveryTimeout(b.tp, records: b.records.count, elapsedMs: elapsed) : error
                complete(id, .failure(final))
            }
        }
        trySend()
    }

    private func complete(_ id: UInt64, _ result: Result<AppendOutcome, LogError>) {
        guard let b = batches.removeValue(forKey: id) else { return }
        if b.baseSequence != nil { sequencedUnacked[b.tp, default: 1] -= 1 }
        switch result {
        case .success(let outcome):
            counters.acked += b.records.count
            for (i, r) in b.records.enumerated() {
                let offset = outcome.baseOffset >= 0 ? outcome.baseOffset + Int64(i) : -1
                r.callback?(.success(RecordMetadata(topicPartition: b.tp, offset: offset,
                                                    timestamp: outcome.logAppendTime >= 0 ? outcome.logAppendTime : r.timestamp)))
            }
        case .failure(let error):
            if b.baseSequence != nil { epochBumpPending = true }
            fail(records: b.records, error, tp: b.tp, batchId: id)
        }
    }

    private func fail(records: [PendingRecord], _ error: LogError, tp: TopicPartition? = nil, batchId: UInt64? = nil) {
        counters.failed += records.count
        var fields: [(key: String, value: TraceValue)] = []
        if let tp { fields.append(("tp", .string(tp.description))) }
        if let batchId { fields.append(("batch", .int(Int64(batchId)))) }
        fields += [("records", .int(records.count)), ("error", .string(error.name)), ("action", "fail")]
        env.record(.producerError, component, fields)
        for r in records { r.callback?(.failure(error)) }
    }

    private func bumpEpoch() {
        epochBumpPending = false
        if producerEpoch == Int16.max {
            (producerId, producerEpoch) = broker.initProducerId()
        } else {
            producerEpoch += 1
        }
        nextSequence.removeAll()
        env.record(.note, component, [("event", "epoch-bump"), ("pid", .int(producerId)), ("epoch", .int(Int64(producerEpoch)))])
    }
}
