import SimCore
public import QueryModel
public import OrderedCollections
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One change to the aggregation state: Spark's `HDFSBackedStateStoreProvider` delta file records puts and removes.
public struct StateDelta: Hashable, Sendable {
    public var upserts: [(key: GroupKey, buffers: [AggregateBuffer])]
    public var removals: [GroupKey]

    public init(upserts: [(key: GroupKey, buffers: [AggregateBuffer])] = [], removals: [GroupKey] = []) {
        self.upserts = upserts
        self.removals = removals
    }

    public static func == (a: StateDelta, b: StateDelta) -> Bool {
        a.removals == b.removals && a.upserts.count == b.upserts.count
            && zip(a.upserts, b.upserts).allSatisfy { $0.key == $1.key && $0.buffers == $1.buffers }
    }
    public func hash(into h: inout Hasher) { h.combine(removals); h.combine(upserts.count) }

    /// A readable rendering for the mirrored directory (the real format is binary UnsafeRow records).
    public var text: String {
        var lines: [String] = []
        for u in upserts { lines.append("put \(u.key) \(u.buffers)") }
        for r in removals { lines.append("remove \(r)") }
        return lines.joined(separator: "\n") + (lines.isEmpty ? "" : "\n")
    }
}

/// A file of the checkpoint directory.
public enum CheckpointFile: Hashable, Sendable {
    case text(String)
    case stateDelta(StateDelta)

    public var text: String {
        switch self {
        case .text(let t): return t
        case .stateDelta(let d): return d.text
        }
    }
}

/// The durable storage a checkpoint lives on (HDFS / a local disk in Spark): it survives a simulated crash, and can
/// mirror every write to a real directory for inspection.
///
/// Writes are atomic per file, as `HDFSMetadataLog.addNewBatchByStream` (write a temp file, rename).
public final class CheckpointStore {
    public private(set) var files: OrderedDictionary<String, CheckpointFile> = [:]
    /// When set, every file is also written under this directory.
    public let mirrorDirectory: String?

    public init(mirrorDirectory: String? = nil) {
        self.mirrorDirectory = mirrorDirectory
    }

    public func read(_ path: String) -> CheckpointFile? { files[path] }
    public func exists(_ path: String) -> Bool { files[path] != nil }

    /// Writes (or overwrites) a file.
    public func write(_ path: String, _ file: CheckpointFile) {
        files[path] = file
        if let dir = mirrorDirectory { Self.writeReal(dir + "/" + path, file.text) }
    }

    /// `HDFSMetadataLog.add`: false (and nothing written) when the file already exists.
    @discardableResult
    public func add(_ path: String, _ file: CheckpointFile) -> Bool {
        if files[path] != nil { return false }
        write(path, file)
        return true
    }

    public func delete(_ path: String) {
        files.removeValue(forKey: path)
        if let dir = mirrorDirectory { _ = unlink(dir + "/" + path) }
    }

    /// Deletes every file under a directory (`rm -r commits`).
    public func deleteDirectory(_ dir: String) {
        for p in files.keys.filter({ $0.hasPrefix(dir + "/") }) { delete(p) }
    }

    /// Batch ids present in a metadata log directory (`offsets`, `commits`), ascending.
    public func batchIds(in dir: String) -> [Int64] {
        files.keys.compactMap { p -> Int64? in
            guard p.hasPrefix(dir + "/") else { return nil }
            return Int64(p.dropFirst(dir.count + 1))
        }.sorted()
    }

    static func writeReal(_ path: String, _ text: String) {
        var dir = ""
        for part in path.split(separator: "/", omittingEmptySubsequences: false).dropLast() {
            dir += (dir.isEmpty && path.hasPrefix("/") && part.isEmpty) ? "/" : (dir.hasSuffix("/") || dir.isEmpty ? "" : "/") + part
            if !dir.isEmpty { _ = mkdir(dir, 0o755) }
        }
        let tmp = path + ".tmp"
        guard let f = fopen(tmp, "wb") else { return }
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, f) }
        fclose(f)
        _ = rename(tmp, path)
    }
}

/// `OffsetSeqMetadata` (`batchWatermarkMs`, `batchTimestampMs`, `conf`) plus the source offsets: `offsets/N`.
public struct OffsetSeq: Hashable, Sendable {
    public var batchWatermarkMs: Int64
    public var batchTimestampMs: Int64
    public var conf: [(key: String, value: String)]
    /// One entry per source in plan order; nil is written as `-` (no offset yet).
    public var sourceOffsets: [KafkaOffsets?]

    public init(batchWatermarkMs: Int64, batchTimestampMs: Int64, conf: [(key: String, value: String)], sourceOffsets: [KafkaOffsets?]) {
        self.batchWatermarkMs = batchWatermarkMs
        self.batchTimestampMs = batchTimestampMs
        self.conf = conf
        self.sourceOffsets = sourceOffsets
    }

    public static func == (a: OffsetSeq, b: OffsetSeq) -> Bool { a.text == b.text }
    public func hash(into h: inout Hasher) { h.combine(text) }

    /// `OffsetSeqLog.serialize`: `v1`, the metadata JSON, then one line per source.
    public var text: String {
        let confJSON = "{" + conf.map { JSONText.quote($0.key) + ":" + JSONText.quote($0.value) }.joined(separator: ",") + "}"
        var lines = ["v1", "{\"batchWatermarkMs\":\(batchWatermarkMs),\"batchTimestampMs\":\(batchTimestampMs),\"conf\":\(confJSON)}"]
        for o in sourceOffsets { lines.append(o?.json ?? "-") }
        return lines.joined(separator: "\n")
    }

    public static func parse(_ text: String) -> OffsetSeq? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count >= 2, lines[0] == "v1", let meta = try? JSONValue.parse(lines[1]),
              let wm = meta["batchWatermarkMs"]?.int64Value, let ts = meta["batchTimestampMs"]?.int64Value else { return nil }
        let conf = meta["conf"]?.objectMembers?.map { (key: $0.key, value: $0.value.stringValue ?? "") } ?? []
        let sources = lines.dropFirst(2).map { $0 == "-" ? nil : KafkaOffsets.parse($0) }
        return OffsetSeq(batchWatermarkMs: wm, batchTimestampMs: ts, conf: conf, sourceOffsets: Array(sources))
    }
}

/// The checkpoint layout and file formats of `MicroBatchExecution` (see docs/semantics/spark.md §Checkpoint).
public struct CheckpointLayout {
    public let store: CheckpointStore

    public init(_ store: CheckpointStore) { self.store = store }

    /// `metadata`: `{"id":"<query id>"}` (`StreamMetadata`), written once.
    public func writeMetadataIfAbsent(queryId: String) -> String {
        if case .text(let t)? = store.read("metadata"), let id = (try? JSONValue.parse(t))?["id"]?.stringValue { return id }
        store.write("metadata", .text("{\"id\":\"\(queryId)\"}\n"))
        return queryId
    }

    public func offsets(_ batch: Int64) -> OffsetSeq? {
        guard case .text(let t)? = store.read("offsets/\(batch)") else { return nil }
        return OffsetSeq.parse(t)
    }

    /// Adds `offsets/N`; false if it already exists (Spark throws `concurrentStreamLogUpdate`).
    public func addOffsets(_ batch: Int64, _ seq: OffsetSeq) -> Bool { store.add("offsets/\(batch)", .text(seq.text)) }

    /// `commits/N`: `v1\n{"nextBatchWatermarkMs":W}` (`CommitLog`).
    public func addCommit(_ batch: Int64, nextBatchWatermarkMs: Int64) -> Bool {
        store.add("commits/\(batch)", .text("v1\n{\"nextBatchWatermarkMs\":\(nextBatchWatermarkMs)}"))
    }

    public func commitWatermark(_ batch: Int64) -> Int64? {
        guard case .text(let t)? = store.read("commits/\(batch)") else { return nil }
        let lines = t.split(separator: "\n")
        guard lines.count >= 2, let j = try? JSONValue.parse(String(lines[1])) else { return nil }
        return j["nextBatchWatermarkMs"]?.int64Value
    }

    public var latestOffsetsBatch: Int64? { store.batchIds(in: "offsets").last }
    public var latestCommitBatch: Int64? { store.batchIds(in: "commits").last }

    /// `sources/0/0`: Kafka's initial offsets (`KafkaSourceInitialOffsetWriter`: a NUL byte for SPARK-19517, `v1`,
    /// then the offsets JSON).
    public func initialOffsets(source: Int = 0) -> KafkaOffsets? {
        guard case .text(let t)? = store.read("sources/\(source)/0") else { return nil }
        let body = t.drop { $0 == "\u{0}" }
        guard let nl = body.firstIndex(of: "\n") else { return nil }
        return KafkaOffsets.parse(String(body[body.index(after: nl)...]))
    }

    public func writeInitialOffsets(_ o: KafkaOffsets, source: Int = 0) {
        store.add("sources/\(source)/0", .text("\u{0}v1\n" + o.json))
    }

    /// `state/0/0/<version>.delta`: batch N loads version N and commits version N+1.
    public func writeStateDelta(version: Int64, _ delta: StateDelta) {
        store.write("state/0/0/\(version).delta", .stateDelta(delta))
    }

    public func stateDelta(version: Int64) -> StateDelta? {
        guard case .stateDelta(let d)? = store.read("state/0/0/\(version).delta") else { return nil }
        return d
    }

    /// `StreamExecution.purge` / `HDFSMetadataLog.purge`: offsets and commits below `threshold` are deleted.
    public func purge(below threshold: Int64) {
        for dir in ["offsets", "commits"] {
            for id in store.batchIds(in: dir) where id < threshold { store.delete("\(dir)/\(id)") }
        }
    }
}
