public import SimCore
public import DequeModule
public import OrderedCollections

/// A batch as stored in a segment: the batch with broker-assigned offsets, its encoded size, and its records
/// materialised with absolute offsets and effective timestamps (so fetches do not recompute them).
public struct StoredBatch: Hashable, Sendable {
    public var batch: RecordBatch
    /// Encoded size in bytes, including the 12-byte log overhead (after compression).
    public var sizeInBytes: Int
    public var records: [Record]

    public var baseOffset: Int64 { batch.baseOffset }
    public var lastOffset: Int64 { batch.lastOffset }
}

/// One segment of a partition (`LogSegment`): a contiguous run of batches starting at `baseOffset`.
public struct LogSegment: Hashable, Sendable {
    public var baseOffset: Int64
    public internal(set) var batches: [StoredBatch] = []
    public internal(set) var sizeInBytes: Int = 0
    /// Largest record timestamp appended (`LogSegment.maxTimestampSoFar`), −1 before the first batch.
    public internal(set) var maxTimestampSoFar: Int64 = -1
    /// maxTimestamp of the first batch (`LogSegment.rollingBasedTimestamp`), the origin of the segment.ms rule.
    public internal(set) var rollingBasedTimestamp: Int64?
    /// When the segment was created and last written, on the virtual clock (Kafka: `created`, the file's mtime).
    public internal(set) var created: ProcessingTime
    public internal(set) var lastModified: ProcessingTime

    init(baseOffset: Int64, now: ProcessingTime) {
        self.baseOffset = baseOffset
        self.created = now
        self.lastModified = now
    }

    /// `LogSegment.largestTimestamp`: the max record timestamp, or the file's mtime when there is none.
    public var largestTimestamp: Int64 { maxTimestampSoFar >= 0 ? maxTimestampSoFar : lastModified.millisecondsSinceEpoch }
    public var recordCount: Int { batches.reduce(0) { $0 + $1.records.count } }
    /// The offset after the last batch, or the base offset when empty.
    public var nextOffset: Int64 { batches.last.map { $0.lastOffset + 1 } ?? baseOffset }
}

/// What the broker remembers of one producer on one partition (`ProducerStateEntry`): its epoch and the metadata of
/// its last `numBatchesToRetain` batches, for duplicate detection.
public struct ProducerStateEntry: Hashable, Sendable {
    public struct BatchMetadata: Hashable, Sendable {
        public var firstSeq: Int32, lastSeq: Int32, firstOffset: Int64, lastOffset: Int64, timestamp: Int64
    }
    /// `ProducerStateEntry.NUM_BATCHES_TO_RETAIN` = 5 (verified in apache/kafka `storage/.../log/ProducerStateEntry.java`).
    public static let numBatchesToRetain = 5
    public var producerEpoch: Int16
    public var batches: Deque<BatchMetadata> = []

    public var lastSeq: Int32 { batches.last?.lastSeq ?? RecordBatch.noSequence }

    /// `ProducerStateEntry.addBatch` / `maybeUpdateProducerEpoch`: a new epoch clears the window; the oldest of five drops.
    mutating func add(epoch: Int16, _ m: BatchMetadata) {
        if epoch != producerEpoch { batches.removeAll(); producerEpoch = epoch }
        if batches.count == ProducerStateEntry.numBatchesToRetain { batches.removeFirst() }
        batches.append(m)
    }

    /// `ProducerStateEntry.findDuplicateBatch`: same epoch and the same (firstSeq, lastSeq).
    func duplicate(of batch: RecordBatch) -> BatchMetadata? {
        guard batch.producerEpoch == producerEpoch else { return nil }
        return batches.first { $0.firstSeq == batch.baseSequence && $0.lastSeq == batch.lastSequence }
    }
}

/// What one append did.
public struct AppendOutcome: Sendable {
    public var baseOffset: Int64
    public var lastOffset: Int64
    /// LogAppendTime stamped on the batch, or −1 under CreateTime (the Produce response's `log_append_time_ms`).
    public var logAppendTime: Int64
    /// True when the batch was a retry of one of the producer's last 5 batches: nothing was appended, and the
    /// offsets are the original ones (`UnifiedLog.append` on a duplicate).
    public var isDuplicate: Bool
    /// The base offset of the segment rolled for this append, if one was.
    public var rolledSegment: Int64?
    /// The records appended, with their offsets and effective timestamps (empty for a duplicate).
    public var records: [Record]
    public var sizeInBytes: Int
}

/// A fetch answer (`FetchDataInfo` plus the partition's watermarks).
public struct FetchResult: Sendable {
    public var topicPartition: TopicPartition
    public var fetchOffset: Int64
    /// Whole batches, starting with the one that contains `fetchOffset` (so some records may be below it).
    public var batches: [StoredBatch]
    public var highWatermark: Int64
    public var logStartOffset: Int64

    /// The records a client keeps: those at or above the fetch offset (`CompletedFetch`: `record.offset() >= nextFetchOffset`).
    public var records: [Record] {
        var out: [Record] = []
        for b in batches { for r in b.records where r.offset >= fetchOffset { out.append(r) } }
        return out
    }
    public var sizeInBytes: Int { batches.reduce(0) { $0 + $1.sizeInBytes } }
}

/// What one retention pass deleted from a partition.
public struct RetentionDeletion: Sendable, Equatable {
    public enum Reason: String, Sendable { case logStartOffset = "log-start-offset", size = "retention.bytes", time = "retention.ms" }
    public var reason: Reason
    public var segmentBaseOffsets: [Int64]
    public var records: Int
    public var bytes: Int
    /// True if every segment was deletable and an empty one was rolled first (`UnifiedLog.deleteSegments`).
    public var rolledFirst: Bool
    public var logStartOffsetAfter: Int64
}

/// One partition of a topic on a single-replica broker (`UnifiedLog` + `LocalLog`), as a value type driven by the
/// broker with the current virtual time.
public struct PartitionLog: Sendable {
    public let topicPartition: TopicPartition
    public internal(set) var segments: [LogSegment]
    /// `logStartOffset`: starts at 0; moves only through retention and DeleteRecords (rule 1.1.5).
    public internal(set) var logStartOffset: Int64 = 0
    /// LEO: the next offset to assign.
    public internal(set) var logEndOffset: Int64 = 0
    /// Per producer id (ordered so that nothing depends on hash order).
    public internal(set) var producers: OrderedDictionary<Int64, ProducerStateEntry> = [:]

    public init(_ tp: TopicPartition, now: ProcessingTime) {
        topicPartition = tp
        segments = [LogSegment(baseOffset: 0, now: now)]
    }

    /// High watermark. With one replica it is the LEO as soon as an append completes (rule 1.1.3).
    public var highWatermark: Int64 { logEndOffset }
    /// The broker's state for one producer id, if it has any.
    public func producerState(_ producerId: Int64) -> ProducerStateEntry? { producers[producerId] }
    public var sizeInBytes: Int { segments.reduce(0) { $0 + $1.sizeInBytes } }
    public var recordCount: Int { segments.reduce(0) { $0 + $1.recordCount } }

    // MARK: Append

    /// Validates, deduplicates, assigns offsets, rolls if needed and appends one producer batch.
    ///
    /// - Validation (`LogValidator.validateBatch`, `UnifiedLog.analyzeAndValidateRecords`): at least one record,
    ///   `lastOffsetDelta == count − 1`, not a control batch, the LogAppendTime bit not set by the client
    ///   (INVALID_TIMESTAMP), idempotent batches with baseSequence ≥ 0, size ≤ `max.message.bytes` after compression.
    /// - Offsets: dense from the LEO (`LogValidator.assignOffsetsNonCompressed`); the broker sets
    ///   partitionLeaderEpoch (0: this leader was never re-elected).
    /// - LogAppendTime: attribute bit 3 and maxTimestamp = now (`LogValidator`, `setMaxTimestamp(LOG_APPEND_TIME, now)`).
    public mutating func append(_ incoming: RecordBatch, config: TopicConfig, now: ProcessingTime) throws -> AppendOutcome {
        let tp = topicPartition
        var batch = incoming
        guard !batch.records.isEmpty else { throw LogError.invalidRecord(tp, "a batch must hold at least one record") }
        guard Int(batch.lastOffsetDelta) == batch.records.count - 1 else {
            throw LogError.invalidRecord(tp, "lastOffsetDelta \(batch.lastOffsetDelta) does not match \(batch.records.count) record(s)")
        }
        if batch.attributes.isControl { throw LogError.invalidRecord(tp, "clients may not send control batches") }
        if batch.timestampType == .logAppendTime {
            throw LogError.invalidTimestamp(tp, "the producer set the LogAppendTime attribute, which only the broker may set")
        }
        guard let codec = batch.attributes.compression, codec == .none || codec == .zstd else {
            throw LogError.corruptMessage("\(tp): unsupported compression codec id \(batch.attributes.rawValue & 7)")
        }
        if batch.hasProducerId && batch.baseSequence < 0 {
            throw LogError.invalidRecord(tp, "idempotent batch from producer \(batch.producerId) has no base sequence")
        }
        // Inner offsets 0…n−1 (the compressed path rewrites a batch whose inner offsets differ, `LogValidator`).
        for i in batch.records.indices where batch.records[i].offsetDelta != Int32(i) { batch.records[i].offsetDelta = Int32(i) }

        // Idempotence (`UnifiedLog.analyzeAndValidateProducerState`, `ProducerAppendInfo.checkProducerEpoch`,
        // `checkSequence`): duplicates first, then epoch, then sequence continuity.
        if batch.hasProducerId, let entry = producers[batch.producerId] {
            if let dup = entry.duplicate(of: batch) {
                return AppendOutcome(baseOffset: dup.firstOffset, lastOffset: dup.lastOffset,
                                     logAppendTime: config.messageTimestampType == .logAppendTime ? dup.timestamp : -1,
                                     isDuplicate: true, rolledSegment: nil, records: [], sizeInBytes: 0)
            }
            if batch.producerEpoch < entry.producerEpoch {
                throw LogError.invalidProducerEpoch(tp, producerId: batch.producerId, current: entry.producerEpoch, received: batch.producerEpoch)
            }
            if batch.producerEpoch != entry.producerEpoch {
                if batch.baseSequence != 0 {
                    throw LogError.outOfOrderSequence(tp, producerId: batch.producerId, expected: 0, received: batch.baseSequence)
                }
            } else {
                let last = entry.lastSeq
                let inSequence = batch.baseSequence == last &+ 1 || (batch.baseSequence == 0 && last == Int32.max)
                if last != RecordBatch.noSequence && !inSequence {
                    throw LogError.outOfOrderSequence(tp, producerId: batch.producerId, expected: last &+ 1, received: batch.baseSequence)
                }
            }
        }

        batch.baseOffset = logEndOffset
        batch.partitionLeaderEpoch = 0
        let logAppendTime: Int64
        if config.messageTimestampType == .logAppendTime {
            batch.attributes.timestampType = .logAppendTime
            batch.maxTimestamp = now.millisecondsSinceEpoch
            logAppendTime = now.millisecondsSinceEpoch
        } else {
            logAppendTime = -1
        }
        let size: Int
        if codec == .none {
            size = batch.uncompressedSizeInBytes
        } else {
            do { size = try batch.encode().count } catch { throw LogError.corruptMessage("\(tp): \(error)") }
        }
        if size > config.maxMessageBytes { throw LogError.messageTooLarge(tp, size: size, max: config.maxMessageBytes) }

        let rolled = maybeRoll(incomingBytes: size, incomingMaxTimestamp: batch.maxTimestamp, config: config, now: now)
        let records = batch.absoluteRecords
        let stored = StoredBatch(batch: batch, sizeInBytes: size, records: records)
        // Mutated in place through the array's modify accessor: copying the segment out and back would share its
        // `batches` buffer and make every append copy the whole segment (quadratic in segment length).
        let last = segments.count - 1
        if segments[last].sizeInBytes == 0 { segments[last].rollingBasedTimestamp = batch.maxTimestamp }  // `LogSegment.append`
        segments[last].batches.append(stored)
        segments[last].sizeInBytes += size
        segments[last].maxTimestampSoFar = max(segments[last].maxTimestampSoFar, batch.maxTimestamp)
        segments[last].lastModified = now
        logEndOffset = batch.lastOffset + 1

        if batch.hasProducerId {
            var entry = producers[batch.producerId] ?? ProducerStateEntry(producerEpoch: batch.producerEpoch)
            entry.add(epoch: batch.producerEpoch, .init(firstSeq: batch.baseSequence, lastSeq: batch.lastSequence,
                                                      firstOffset: batch.baseOffset, lastOffset: batch.lastOffset,
                                                      timestamp: batch.maxTimestamp))
            producers[batch.producerId] = entry
        }
        return AppendOutcome(baseOffset: batch.baseOffset, lastOffset: batch.lastOffset, logAppendTime: logAppendTime,
                             isDuplicate: false, rolledSegment: rolled, records: records, sizeInBytes: size)
    }

    /// `UnifiedLog.maybeRoll` → `LogSegment.shouldRoll` (verified in apache/kafka
    /// `storage/.../log/LogSegment.java`): roll when `size > segment.bytes − incomingBytes`, or when the segment is
    /// non-empty and `incomingMaxTimestamp − rollingBasedTimestamp > segment.ms` (segment.jitter.ms = 0; with no
    /// timestamp, `now − created`). Checked only here, on append (rule 1.2.10). An empty active segment is reused
    /// (Kafka's `LocalLog.roll` replaces an empty segment at the same base offset).
    mutating func maybeRoll(incomingBytes: Int, incomingMaxTimestamp: Int64, config: TopicConfig, now: ProcessingTime) -> Int64? {
        let active = segments[segments.count - 1]
        let waited: Int64
        if let rb = active.rollingBasedTimestamp, rb >= 0 {
            waited = incomingMaxTimestamp &- rb
        } else {
            waited = (now - active.created).milliseconds
        }
        let reachedRollMs = waited > config.segmentMs
        let shouldRoll = active.sizeInBytes > config.segmentBytes - incomingBytes || (active.sizeInBytes > 0 && reachedRollMs)
        guard shouldRoll, active.sizeInBytes > 0 else { return nil }
        segments.append(LogSegment(baseOffset: logEndOffset, now: now))
        return logEndOffset
    }

    // MARK: Read

    /// `UnifiedLog.read` for a consumer (isolation HIGH_WATERMARK): whole batches from the one containing `offset`.
    ///
    /// - `offset < logStartOffset` or `offset > LEO` → OFFSET_OUT_OF_RANGE (`UnifiedLog.checkLogStartOffset`,
    ///   `LocalLog.read`); `offset == LEO` → empty, no error.
    /// - The first batch is returned even if larger than `maxBytes` (KIP-74, `minOneMessage`); later batches only
    ///   while the total stays within `maxBytes` (Kafka may send a partial last batch, which clients drop).
    /// - `maxRecords` stops adding batches once that many records at or above `offset` are included.
    public func fetch(offset: Int64, maxBytes: Int = 1_048_576, maxRecords: Int = .max) throws -> FetchResult {
        if offset < logStartOffset || offset > logEndOffset {
            throw LogError.offsetOutOfRange(topicPartition, requested: offset, logStartOffset: logStartOffset, logEndOffset: logEndOffset)
        }
        var result = FetchResult(topicPartition: topicPartition, fetchOffset: offset, batches: [],
                                 highWatermark: highWatermark, logStartOffset: logStartOffset)
        guard offset < highWatermark, let (s0, b0) = locate(offset) else { return result }
        var bytes = 0
        var counted = 0
        var s = s0, b = b0
        while s < segments.count {
            let seg = segments[s]
            while b < seg.batches.count {
                let batch = seg.batches[b]
                if !result.batches.isEmpty && (bytes + batch.sizeInBytes > maxBytes || counted >= maxRecords) { return result }
                result.batches.append(batch)
                bytes += batch.sizeInBytes
                counted += batch.lastOffset >= offset ? Int(batch.lastOffset - max(offset, batch.baseOffset) + 1) : 0
                b += 1
            }
            s += 1
            b = 0
        }
        return result
    }

    /// The (segment, batch) indices of the first batch whose lastOffset ≥ `offset`.
    func locate(_ offset: Int64) -> (Int, Int)? {
        // Last segment with baseOffset ≤ offset (binary search), then the first batch in it ending at or after offset.
        var lo = 0, hi = segments.count - 1, seg = 0
        while lo <= hi {
            let mid = (lo + hi) / 2
            if segments[mid].baseOffset <= offset { seg = mid; lo = mid + 1 } else { hi = mid - 1 }
        }
        var s = seg
        while s < segments.count {
            let batches = segments[s].batches
            var l = 0, h = batches.count
            while l < h {
                let m = (l + h) / 2
                if batches[m].lastOffset < offset { l = m + 1 } else { h = m }
            }
            if l < batches.count { return (s, l) }
            s += 1
        }
        return nil
    }

    /// ListOffsets for a timestamp T ≥ 0 (`UnifiedLog.fetchOffsetByTimestamp` → `searchOffsetInLocalLog`,
    /// `FileRecords.searchForTimestamp`): the first segment whose largestTimestamp ≥ T, then the first record in it,
    /// in offset order and at or above the log start, with timestamp ≥ T. Nil (Kafka's −1/−1) if none, or if the
    /// offset is not below the high watermark (`ReplicaManager.fetchOffset`).
    public func offsetForTimestamp(_ t: Int64) -> (offset: Int64, timestamp: Int64)? {
        guard let seg = segments.first(where: { $0.largestTimestamp >= t }) else { return nil }
        for b in seg.batches where b.batch.maxTimestamp >= t {
            for r in b.records where r.offset >= logStartOffset && r.timestamp.millisecondsSinceEpoch >= t {
                return r.offset < highWatermark ? (r.offset, r.timestamp.millisecondsSinceEpoch) : nil
            }
        }
        return nil
    }

    // MARK: Retention

    /// One retention pass (`UnifiedLog.deleteOldSegments`): log-start-offset breach, then `retention.bytes`, then
    /// `retention.ms`; each deletes an oldest *prefix* of segments and stops at the first segment its predicate
    /// rejects (`UnifiedLog.deletableSegments`). The active segment is included; if every segment goes, an empty
    /// one is rolled first and the log start becomes the LEO (`UnifiedLog.deleteSegments`). An empty last segment is
    /// never deleted. Nothing at or above the high watermark is deleted.
    public mutating func deleteOldSegments(config: TopicConfig, now: ProcessingTime) -> [RetentionDeletion] {
        var out: [RetentionDeletion] = []
        // `deleteLogStartOffsetBreachedSegments`: the next segment starts at or below the log start.
        let start = logStartOffset
        if let d = deleteSegments(.logStartOffset, now: now, predicate: { _, next in next.map { $0.baseOffset <= start } ?? false }) {
            out.append(d)
        }
        guard config.cleanupPolicy == .delete else { return out }
        // `deleteRetentionSizeBreachedSegments`: while `diff − segment.size ≥ 0`.
        let total = Int64(sizeInBytes)
        if config.retentionBytes >= 0 && total >= config.retentionBytes {
            var diff = total - config.retentionBytes
            if let d = deleteSegments(.size, now: now, predicate: { seg, _ in
                if diff - Int64(seg.sizeInBytes) >= 0 { diff -= Int64(seg.sizeInBytes); return true }
                return false
            }) { out.append(d) }
        }
        // `deleteRetentionMsBreachedSegments`: `now − segment.largestTimestamp > retention.ms`.
        if config.retentionMs >= 0 {
            let nowMs = now.millisecondsSinceEpoch
            if let d = deleteSegments(.time, now: now, predicate: { seg, _ in nowMs &- seg.largestTimestamp > config.retentionMs }) {
                out.append(d)
            }
        }
        return out
    }

    private mutating func deleteSegments(_ reason: RetentionDeletion.Reason, now: ProcessingTime,
                                         predicate: (LogSegment, LogSegment?) -> Bool) -> RetentionDeletion? {
        var n = 0
        for i in segments.indices {
            let next: LogSegment? = i + 1 < segments.count ? segments[i + 1] : nil
            let upperBound = next?.baseOffset ?? logEndOffset
            let isLastAndEmpty = next == nil && segments[i].sizeInBytes == 0
            if highWatermark >= upperBound && !isLastAndEmpty && predicate(segments[i], next) { n += 1 } else { break }
        }
        guard n > 0 else { return nil }
        let rolled = n == segments.count
        if rolled { segments.append(LogSegment(baseOffset: logEndOffset, now: now)) }
        let removed = segments[0..<n]
        let deletion = RetentionDeletion(reason: reason, segmentBaseOffsets: removed.map(\.baseOffset),
                                         records: removed.reduce(0) { $0 + $1.recordCount },
                                         bytes: removed.reduce(0) { $0 + $1.sizeInBytes }, rolledFirst: rolled,
                                         logStartOffsetAfter: max(logStartOffset, segments[n].baseOffset))
        segments.removeFirst(n)
        logStartOffset = deletion.logStartOffsetAfter  // `maybeIncrementLogStartOffset(firstSegmentBaseOffset)`
        return deletion
    }

    /// DeleteRecords (API 21): moves the log start to `offset` (−1 = the high watermark), possibly mid-segment
    /// (`UnifiedLog.maybeIncrementLogStartOffset`: OFFSET_OUT_OF_RANGE above the high watermark; never moves back).
    /// Whole segments below it go at the next retention pass, as in Kafka.
    public mutating func deleteRecords(before offset: Int64) throws -> Int64 {
        let target = offset == -1 ? highWatermark : offset
        guard target >= 0, target <= highWatermark else {
            throw LogError.offsetOutOfRange(topicPartition, requested: offset, logStartOffset: logStartOffset, logEndOffset: logEndOffset)
        }
        if target > logStartOffset { logStartOffset = target }
        return logStartOffset
    }

    /// Rebuilds a partition from stored batches (used when loading segment files). Segments keep the given split.
    init(_ tp: TopicPartition, loadedSegments: [(baseOffset: Int64, batches: [RecordBatch], sizes: [Int])], now: ProcessingTime) {
        topicPartition = tp
        var segs: [LogSegment] = []
        var leo: Int64 = 0
        for (base, batches, sizes) in loadedSegments {
            var seg = LogSegment(baseOffset: base, now: now)
            for (b, size) in zip(batches, sizes) {
                if seg.sizeInBytes == 0 { seg.rollingBasedTimestamp = b.maxTimestamp }
                seg.batches.append(StoredBatch(batch: b, sizeInBytes: size, records: b.absoluteRecords))
                seg.sizeInBytes += size
                seg.maxTimestampSoFar = max(seg.maxTimestampSoFar, b.maxTimestamp)
                leo = b.lastOffset + 1
            }
            segs.append(seg)
        }
        if segs.isEmpty { segs = [LogSegment(baseOffset: 0, now: now)] }
        segments = segs
        logStartOffset = segs[0].baseOffset
        logEndOffset = max(leo, segs[segs.count - 1].baseOffset)
    }
}
