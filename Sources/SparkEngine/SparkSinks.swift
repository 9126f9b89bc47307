public import SimCore
public import QueryModel
public import OrderedCollections

/// What the engine hands a sink for one batch (`Sink.addBatch(batchId, data)`).
public struct SinkBatch: Sendable {
    public var batchId: Int64
    public var rows: [Row]
    public var schema: Schema
    public var outputMode: OutputMode
    public var batchTimestampMs: Int64
    /// The virtual time of the call.
    public var time: ProcessingTime

    public init(batchId: Int64, rows: [Row], schema: Schema, outputMode: OutputMode, batchTimestampMs: Int64, time: ProcessingTime) {
        self.batchId = batchId
        self.rows = rows
        self.schema = schema
        self.outputMode = outputMode
        self.batchTimestampMs = batchTimestampMs
        self.time = time
    }
}

/// A Spark streaming sink. Implementations live here (console, memory, foreachBatch, file) and in the Sinks module
/// (SQLite-backed memory table and foreachBatch writers).
public protocol SparkSink: AnyObject {
    /// A short name used in error text (`Data source <name> does not support …`).
    var name: String { get }
    /// Output modes the sink accepts.
    var supportedModes: Set<OutputMode> { get }
    func addBatch(_ batch: SinkBatch) throws
}

/// The console sink (`sources/ConsoleWrite.scala`): a header per batch, then `Dataset.show(numRows, truncate)`.
/// No idempotence: a re-executed batch prints again.
public final class ConsoleSink: SparkSink {
    public let name = "console"
    public let supportedModes: Set<OutputMode> = [.append, .update, .complete]
    public let numRows: Int
    public let truncate: Bool
    /// Everything printed so far.
    public private(set) var text = ""
    /// Also write to standard output.
    public var echo = false

    public init(numRows: Int = 20, truncate: Bool = true) {
        self.numRows = numRows
        self.truncate = truncate
    }

    public func addBatch(_ batch: SinkBatch) {
        var out = "-------------------------------------------\n"
        out += "Batch: \(batch.batchId)\n"
        out += "-------------------------------------------\n"
        out += ConsoleSink.show(schema: batch.schema, rows: batch.rows, numRows: numRows, truncate: truncate ? 20 : 0)
        out += "\n"
        text += out
        if echo { print(out, terminator: "") }
    }

    /// `Dataset.showString(numRows, truncate)`: cells as `cast(_ as string)`, `null` for nulls, cut to `truncate`
    /// characters (`…` as `...` when over), column width at least 3, right-aligned when truncating.
    public static func show(schema: Schema, rows: [Row], numRows: Int, truncate: Int) -> String {
        let shown = rows.prefix(numRows)
        func cell(_ v: Value) -> String {
            var s: String
            switch v {
            case .null: s = "null"
            case .binary(let b): s = "[" + b.map { String($0, radix: 16, uppercase: true) }.joined(separator: " ") + "]"
            default: s = SparkCast.toStringText(v)
            }
            if truncate > 0, s.count > truncate { s = truncate < 4 ? String(s.prefix(truncate)) : String(s.prefix(truncate - 3)) + "..." }
            return s
        }
        let header = schema.names.map { n -> String in
            truncate > 0 && n.count > truncate ? String(n.prefix(truncate - 3)) + "..." : n
        }
        let cells = shown.map { $0.values.map(cell) }
        var widths = header.map { max(3, $0.count) }
        for r in cells { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
        func pad(_ s: String, _ w: Int) -> String {
            let fill = String(repeating: " ", count: max(0, w - s.count))
            return truncate > 0 ? fill + s : s + fill
        }
        let sep = "+" + widths.map { String(repeating: "-", count: $0) }.joined(separator: "+") + "+\n"
        var out = sep
        out += "|" + zip(header, widths).map { pad($0, $1) }.joined(separator: "|") + "|\n"
        out += sep
        for r in cells { out += "|" + zip(r, widths).map { pad($0, $1) }.joined(separator: "|") + "|\n" }
        out += sep
        if rows.count > numRows { out += "only showing top \(numRows) \(numRows == 1 ? "row" : "rows")\n" }
        return out
    }
}

/// The memory sink (`sources/memory.scala` `MemorySink.write`): batches with an id not above the latest one are
/// skipped; complete mode truncates the table before adding.
public final class MemorySink: SparkSink {
    public let name = "memory"
    public let supportedModes: Set<OutputMode> = [.append, .update, .complete]
    public let queryName: String
    public private(set) var batches: [(batchId: Int64, rows: [Row])] = []
    public private(set) var latestBatchId: Int64?
    public private(set) var schema: Schema?
    /// Called after a batch was accepted, with the table's full contents (for mirrors such as SQLite).
    public var onChange: ((MemorySink, SinkBatch) -> Void)?

    public init(queryName: String) { self.queryName = queryName }

    public func addBatch(_ batch: SinkBatch) {
        if let latest = latestBatchId, batch.batchId <= latest { return }  // "Skipping already committed batch"
        schema = batch.schema
        if batch.outputMode == .complete { batches = [] }
        batches.append((batch.batchId, batch.rows))
        latestBatchId = batch.batchId
        onChange?(self, batch)
    }

    /// `allData`: every row of the table.
    public var allData: [Row] { batches.flatMap(\.rows) }
    /// `latestBatchData`.
    public var latestBatchData: [Row] { batches.last?.rows ?? [] }
}

/// `foreachBatch(f)` (`sources/ForeachBatchSink.scala`): calls `f` with every batch, no deduplication — a re-run
/// batch is delivered again with the same id (at-least-once).
public final class ForeachBatchSink: SparkSink {
    public let name = "foreachBatch"
    public let supportedModes: Set<OutputMode> = [.append, .update, .complete]
    let function: (SinkBatch) throws -> Void

    public init(_ function: @escaping (SinkBatch) throws -> Void) { self.function = function }

    public func addBatch(_ batch: SinkBatch) throws {
        do { try function(batch) } catch {
            throw SparkQueryError.sink("[FOREACH_BATCH_USER_FUNCTION_ERROR] An error occurred in the user provided function in foreach batch sink. Reason: \(error)")
        }
    }
}

/// The text format of the file sink.
public enum FileSinkFormat: String, Sendable, Codable {
    /// Spark's JSON writer: one object per line, null fields omitted, timestamps `yyyy-MM-dd'T'HH:mm:ss.SSSXXX`.
    case json
    /// Spark's CSV writer without a header: nulls as empty fields, quoting when needed.
    case csv
}

/// Durable storage of a file sink's output directory (it survives a crash, like the checkpoint).
public final class FileSinkStore {
    public private(set) var files: OrderedDictionary<String, String> = [:]
    public let mirrorDirectory: String?
    public init(mirrorDirectory: String? = nil) { self.mirrorDirectory = mirrorDirectory }
    public func read(_ path: String) -> String? { files[path] }
    /// Every path, in write order.
    public var paths: [String] { Array(files.keys) }
    public func write(_ path: String, _ text: String) {
        files[path] = text
        if let d = mirrorDirectory { CheckpointStore.writeReal(d + "/" + path, text) }
    }
}

/// The file sink (`FileStreamSink.addBatch`, `FileStreamSinkLog`): append mode only; a batch id at or below the
/// latest id in `_spark_metadata` is skipped; otherwise the data files are written, then `_spark_metadata/<id>`
/// lists them — readers trust only listed files, which makes the output exactly-once across re-runs.
/// Log compaction (every 10 batches) is not modelled: every batch keeps its own log file.
public final class FileSink: SparkSink {
    public let name: String
    public let supportedModes: Set<OutputMode> = [.append]
    public let store: FileSinkStore
    public let partitionBy: [String]
    public let format: FileSinkFormat

    public init(store: FileSinkStore, format: FileSinkFormat = .json, partitionBy: [String] = []) {
        self.store = store
        self.format = format
        self.partitionBy = partitionBy
        self.name = format.rawValue
    }

    public var latestLoggedBatch: Int64? {
        store.files.keys.compactMap { p -> Int64? in p.hasPrefix("_spark_metadata/") ? Int64(p.dropFirst(16)) : nil }.max()
    }

    public func addBatch(_ batch: SinkBatch) throws {
        if let latest = latestLoggedBatch, batch.batchId <= latest { return }  // "Skipping already committed batch"
        let partIdx = partitionBy.compactMap { batch.schema.index(of: $0) }
        let dataIdx = (0..<batch.schema.count).filter { !partIdx.contains($0) }
        var byDir = OrderedDictionary<String, [String]>()
        for row in batch.rows {
            let dir = partIdx.map { batch.schema.fields[$0].name + "=" + FileSink.escapePathName(row[$0].isNull ? "__HIVE_DEFAULT_PARTITION__" : SparkCast.toStringText(row[$0])) }.joined(separator: "/")
            byDir[dir, default: []].append(line(row, dataIdx, batch.schema))
        }
        var listed: [String] = []
        for (dir, lines) in byDir {
            let path = (dir.isEmpty ? "" : dir + "/") + "part-00000-batch\(batch.batchId).c000.\(format == .json ? "json" : "csv")"
            let text = lines.joined(separator: "\n") + "\n"
            store.write(path, text)
            listed.append("{\"path\":\(JSONText.quote(path)),\"size\":\(text.utf8.count),\"isDir\":false,\"modificationTime\":\(batch.time.millisecondsSinceEpoch),\"blockReplication\":1,\"blockSize\":33554432,\"action\":\"add\"}")
        }
        store.write("_spark_metadata/\(batch.batchId)", (["v1"] + listed).joined(separator: "\n"))
    }

    /// The committed output: every file listed in `_spark_metadata` with its text, in log order.
    public func committedContent() -> [(path: String, text: String)] {
        var out = OrderedDictionary<String, String>()
        let logIds = store.files.keys.compactMap { p -> Int64? in p.hasPrefix("_spark_metadata/") ? Int64(p.dropFirst(16)) : nil }.sorted()
        for id in logIds {
            for entry in (store.files["_spark_metadata/\(id)"] ?? "").split(separator: "\n").dropFirst() {
                guard let path = (try? JSONValue.parse(String(entry)))?["path"]?.stringValue else { continue }
                out[path] = store.files[path]
            }
        }
        return out.map { ($0.key, $0.value) }
    }

    func line(_ row: Row, _ idx: [Int], _ schema: Schema) -> String {
        switch format {
        case .json:
            var parts: [String] = []
            for i in idx where !row[i].isNull {
                let v: String
                switch row[i] {
                case .string(let s): v = JSONText.quote(s)
                case .timestamp(let us): v = JSONText.quote(FileSink.isoMillis(us))
                case .date: v = JSONText.quote(SparkCast.toStringText(row[i]))
                case .double(let d) where d.isNaN || d.isInfinite: v = JSONText.quote(JavaNumberText.double(d))
                case .float(let f) where f.isNaN || f.isInfinite: v = JSONText.quote(JavaNumberText.float(f))
                default: v = SparkCast.toStringText(row[i])
                }
                parts.append(JSONText.quote(schema.fields[i].name) + ":" + v)
            }
            return "{" + parts.joined(separator: ",") + "}"
        case .csv:
            return idx.map { i -> String in
                if row[i].isNull { return "" }
                let s: String
                if case .timestamp(let us) = row[i] { s = FileSink.isoMillis(us) } else { s = SparkCast.toStringText(row[i]) }
                return s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replacingAll("\"", "\\\"") + "\"" : s
            }.joined(separator: ",")
        }
    }

    /// `yyyy-MM-dd'T'HH:mm:ss.SSSXXX` in UTC: `2024-12-02T00:00:00.000Z`.
    static func isoMillis(_ us: Int64) -> String { UTCTimestamp.iso8601(floorDiv(us, 1000)) }

    /// `ExternalCatalogUtils.escapePathName`: `%XX` for characters that are unsafe in paths.
    static func escapePathName(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            if u.value < 0x20 || "\"#%'*/:=?\\\u{7F}{[]^".unicodeScalars.contains(u) {
                out += "%" + (u.value < 16 ? "0" : "") + String(u.value, radix: 16, uppercase: true)
            } else { out.unicodeScalars.append(u) }
        }
        return out
    }
}

extension String {
    func replacingAll(_ a: String, _ b: String) -> String {
        guard !a.isEmpty else { return self }
        var out = ""
        var rest = Substring(self)
        while let r = rest.range(of: a) {
            out += rest[..<r.lowerBound]
            out += b
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}

extension Substring {
    func range(of needle: String) -> Range<Substring.Index>? {
        guard !needle.isEmpty else { return nil }
        var i = startIndex
        while i < endIndex {
            if self[i...].hasPrefix(needle) { return i..<index(i, offsetBy: needle.count) }
            i = index(after: i)
        }
        return nil
    }
}
