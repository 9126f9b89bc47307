public import SimCore
public import QueryModel
public import SparkEngine
public import FlinkEngine
import Sinks

/// Test-only seams of the runner, used by SimTesting's property tests and `sim explore`. Every field defaults to "do
/// nothing", so a run built with `ScenarioTestingHooks()` is exactly the product's run.
///
/// Why they exist: a property test needs to plant a deliberately broken sink or watermark generator without changing
/// product behaviour, to read back what a sink holds, to keep parallel runs off the real file system, and to crash an
/// engine at an exact scheduler step.
public struct ScenarioTestingHooks: Sendable {
    /// File sinks and `checkpointLocation` stay in memory (no real directories written), so many seeds can run on
    /// many threads without sharing paths.
    public var keepFilesInMemory = false
    /// A replacement for a job's Spark sink (nil = the scenario's sink).
    public var sparkSink: (@Sendable (JobSpec) -> SparkSinkReplacement?)?
    /// A replacement for a job's Flink sink factory (nil = the scenario's sink).
    public var flinkSink: (@Sendable (JobSpec) -> FlinkSinkReplacement?)?
    /// Adjusts a job's Flink options before the job is built (e.g. a custom watermark generator, a shorter heartbeat).
    public var flinkQueryOptions: (@Sendable (JobSpec, inout FlinkQueryOptions) -> Void)?

    public init() {}
}

/// A test's Spark sink and how to read back what it holds.
public struct SparkSinkReplacement {
    public var sink: any SparkSink
    /// The rows the external system holds now.
    public var contents: () -> [Row]
    /// Whether the sink claims exactly-once output (so the exactly-once invariant applies to it).
    public var claimsExactlyOnce: Bool
    public init(sink: any SparkSink, claimsExactlyOnce: Bool, contents: @escaping () -> [Row]) {
        self.sink = sink
        self.contents = contents
        self.claimsExactlyOnce = claimsExactlyOnce
    }
}

/// A test's Flink sink factory (one instance per sink subtask and attempt) and how to read back what it holds.
public struct FlinkSinkReplacement {
    public var factory: (_ subtask: Int, _ parallelism: Int) -> any FlinkSink
    public var contents: () -> [Row]
    public var claimsExactlyOnce: Bool
    public init(claimsExactlyOnce: Bool, contents: @escaping () -> [Row], factory: @escaping (_ subtask: Int, _ parallelism: Int) -> any FlinkSink) {
        self.factory = factory
        self.contents = contents
        self.claimsExactlyOnce = claimsExactlyOnce
    }
}

/// What one job's sink holds at the end of a run, as one text line per row (sorted, so two runs compare as multisets).
public struct SinkContent: Sendable, Equatable {
    public var engine: EngineName
    public var job: String
    /// `memory`, `file`, `sqlite`, `jdbc`, `console`, `test`.
    public var kind: String
    /// Whether the sink promises exactly-once output across crashes (Spark: file, memory, idempotent foreachBatch;
    /// Flink: two-phase commit).
    public var exactlyOnce: Bool
    /// Whether equal inputs must give equal contents regardless of batch boundaries (Spark append mode; Flink always).
    public var boundaryIndependent: Bool
    public var rows: [String]
}

extension ScenarioRun {
    /// Starts every job, as `run()` does first — for callers that drive the scheduler step by step (crash points).
    /// `run()` afterwards is safe: starting twice does nothing.
    public func startJobs() {
        for j in sparkJobs { j.start() }
        for j in flinkJobs { j.start() }
    }

    /// Crashes every job on `engine` now: Spark's driver dies and restarts on its checkpoint `sparkRestartAfter`
    /// later; Flink loses its TaskManager and follows its restart strategy. Returns false if no job was running.
    @discardableResult
    public func crashNow(_ engine: EngineName, sparkRestartAfter: SimDuration = .seconds(5)) -> Bool {
        var crashed = false
        switch engine {
        case .spark:
            for j in sparkJobs where !j.execution.isTerminated {
                noteFault("crash", "spark (test crash point)")
                j.crash(restartAfter: sparkRestartAfter)
                crashed = true
            }
        case .flink:
            for j in flinkJobs where j.flinkJob.status == .running {
                noteFault("crash", "flink (test crash point)")
                j.crash()
                crashed = true
            }
        }
        return crashed
    }

    /// What every job's sink holds now.
    public func sinkContents() -> [SinkContent] {
        var out: [SinkContent] = []
        for j in sparkJobs {
            let append = j.job.query.outputMode == .append
            if let t = j.testingSink {
                out.append(SinkContent(engine: .spark, job: j.job.name, kind: "test", exactlyOnce: t.claimsExactlyOnce, boundaryIndependent: append,
                                       rows: t.contents().map(\.description).sorted()))
                continue
            }
            let spec = j.options.sink
            switch spec.kind {
            case .memory:
                let rows = (j.sink as? MemorySink)?.allData.map(\.description) ?? []
                out.append(SinkContent(engine: .spark, job: j.job.name, kind: "memory", exactlyOnce: true, boundaryIndependent: append, rows: rows.sorted()))
            case .file:
                guard let f = j.sink as? FileSink else { continue }
                out.append(SinkContent(engine: .spark, job: j.job.name, kind: "file", exactlyOnce: true, boundaryIndependent: append,
                                       rows: Self.committedFileLines(f.store).sorted()))
            case .sqlite, .jdbc:
                if let t = j.outputTable {
                    out.append(SinkContent(engine: .spark, job: j.job.name, kind: "sqlite", exactlyOnce: spec.idempotent, boundaryIndependent: append,
                                           rows: Self.tableRows(t.database, t.name).sorted()))
                } else if let w = j.seedWriter {
                    out.append(SinkContent(engine: .spark, job: j.job.name, kind: "sqlite", exactlyOnce: spec.idempotent, boundaryIndependent: append,
                                           rows: Self.tableRows(w.database, CryptoPricesRealtimeWriter.table).sorted()))
                }
            case .console:
                break
            }
        }
        for j in flinkJobs {
            if let t = j.testingSink {
                out.append(SinkContent(engine: .flink, job: j.job.name, kind: "test", exactlyOnce: t.claimsExactlyOnce, boundaryIndependent: true,
                                       rows: t.contents().map(\.description).sorted()))
                continue
            }
            let exactly = j.options.sink.mode == .exactlyOnce
            if let s = j.sqliteStore {
                out.append(SinkContent(engine: .flink, job: j.job.name, kind: "jdbc", exactlyOnce: exactly, boundaryIndependent: true,
                                       rows: Self.tableRows(s.database, s.table).sorted()))
            } else if !j.memoryStores.isEmpty {
                out.append(SinkContent(engine: .flink, job: j.job.name, kind: "memory", exactlyOnce: exactly, boundaryIndependent: true,
                                       rows: j.memoryStores.flatMap { $0.rows.map(\.row.description) }.sorted()))
            }
        }
        return out
    }

    /// The data lines of the files a file sink's `_spark_metadata` log lists (what a reader of the directory trusts),
    /// each prefixed by its partition directory.
    static func committedFileLines(_ store: FileSinkStore) -> [String] {
        var lines: [String] = []
        for p in store.paths where p.hasPrefix("_spark_metadata/") {
            guard let log = store.read(p) else { continue }
            for entry in log.split(separator: "\n") where entry.hasPrefix("{\"path\":") {
                // {"path":"<path>","size":…
                let rest = entry.dropFirst("{\"path\":\"".count)
                guard let end = rest.firstIndex(of: "\"") else { continue }
                let path = String(rest[..<end])
                let dir = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) + "/" : ""
                for line in (store.read(path) ?? "").split(separator: "\n") { lines.append(dir + line) }
            }
        }
        return lines
    }

    /// Every row of a result table without its surrogate and processing-time columns.
    static func tableRows(_ db: SQLiteDatabase, _ table: String) -> [String] {
        guard let cols = try? db.query("SELECT name FROM pragma_table_info(?)", [.string(table)]).rows.compactMap({ $0[0].stringValue }), !cols.isEmpty else { return [] }
        let keep = cols.filter { !["id", "processed_at", "batch_id"].contains($0) }.map { SQLiteDatabase.quoteIdentifier($0) }
        guard let result = try? db.query("SELECT \(keep.joined(separator: ", ")) FROM \(SQLiteDatabase.quoteIdentifier(table))") else { return [] }
        return result.rows.map { "[" + $0.values.map(\.description).joined(separator: ", ") + "]" }
    }
}


