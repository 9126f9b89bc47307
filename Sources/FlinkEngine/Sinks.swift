public import SimCore
public import QueryModel
import OrderedCollections

/// What a sink call did. A sink runs on its task's thread: `retryAfter` means the thread sleeps (the task processes
/// nothing else, so input queues up and back-pressure builds), then the task calls `retry`.
public enum SinkOutcome: Equatable, Sendable {
    case done
    case retryAfter(SimDuration)
    /// The sink threw: the task fails and the job fails over.
    case failed(String)
}

/// A pending two-phase-commit transaction in a checkpoint.
public struct PendingTransaction: Equatable, Sendable {
    public var checkpointId: Int64
    public var transaction: String
    public init(checkpointId: Int64, transaction: String) { self.checkpointId = checkpointId; self.transaction = transaction }
}

/// A sink's operator state in a checkpoint (`TwoPhaseCommitSinkFunction.State`: the open transaction and the pending ones).
public struct SinkCheckpointState: Equatable, Sendable {
    public var pending: [PendingTransaction] = []
    public var current: String?
    public init(pending: [PendingTransaction] = [], current: String? = nil) { self.pending = pending; self.current = current }
}

/// The sink protocol of the Flink model: one instance per parallel sink subtask, driven by its task.
public protocol FlinkSink: AnyObject {
    /// `invoke(value)` / `SinkWriter.write`.
    func write(_ row: Row, now: ProcessingTime) -> SinkOutcome
    /// Resumes the operation that last returned `retryAfter`.
    func retry(now: ProcessingTime) -> SinkOutcome
    /// At the barrier, before it is forwarded: flush (at-least-once) or pre-commit (two-phase commit).
    func prepareSnapshotPreBarrier(checkpointId: Int64, now: ProcessingTime) -> SinkOutcome
    /// The operator state for checkpoint `checkpointId` (taken right after `prepareSnapshotPreBarrier`).
    func snapshotState(checkpointId: Int64) -> SinkCheckpointState
    /// `notifyCheckpointComplete(id)`.
    func notifyCheckpointComplete(checkpointId: Int64, now: ProcessingTime) -> SinkOutcome
    /// `initializeState`: nil on a fresh start, else the restored state (recover-and-commit, recover-and-abort).
    func initializeState(_ state: SinkCheckpointState?, now: ProcessingTime) -> SinkOutcome
    /// End of bounded input (`endInput` / `close`): flush, or pre-commit and commit (the final checkpoint).
    func endOfInput(now: ProcessingTime) -> SinkOutcome
    /// How many of the rows this instance was given (in write order) are visible in the external system now; nil =
    /// every row is visible as soon as it is written. Not a Flink API: the model's latency measurement.
    var visibleRowCount: Int? { get }
    /// A periodic flush timer, if the sink has one (`JdbcOutputFormat.open`: `scheduleWithFixedDelay(flush, interval,
    /// interval)` when `batchIntervalMs != 0 && batchSize != 1`); nil = none.
    var flushIntervalMs: Int64? { get }
    /// The periodic flush (runs in the task's mailbox, like the flusher thread's synchronized `flush()`).
    func onFlushTimer(now: ProcessingTime) -> SinkOutcome
}

extension FlinkSink {
    public var visibleRowCount: Int? { nil }
    public var flushIntervalMs: Int64? { nil }
    public func onFlushTimer(now: ProcessingTime) -> SinkOutcome { .done }
}

/// Why a store call failed.
public enum SinkStoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The statement failed on a valid connection (lock timeout, deadlock): the JDBC sink retries after `1000·i` ms.
    case transient(String)
    /// The database cannot be reached: reconnecting fails, so the sink throws at once.
    case unavailable(String)
    public var description: String {
        switch self {
        case .transient(let s): return "SQLException: \(s)"
        case .unavailable(let s): return "database unavailable: \(s)"
        }
    }
}

/// A database the at-least-once JDBC sink appends to.
public protocol SinkBatchStore: AnyObject {
    /// `executeBatch`: appends the rows (visible at once), stamping `processed_at = now`.
    func executeBatch(_ rows: [Row], now: ProcessingTime) throws(SinkStoreError)
    /// `connectionProvider.isConnectionValid()` / reconnect.
    func isAvailable(now: ProcessingTime) -> Bool
}

/// A database with prepared (XA-style) transactions.
public protocol TransactionalSinkStore: AnyObject {
    /// A fresh transaction id (deterministic).
    func beginTransaction(now: ProcessingTime) -> String
    /// Writes the rows into the transaction and prepares it: durable, invisible.
    func prepare(_ transaction: String, rows: [Row], now: ProcessingTime) throws(SinkStoreError)
    /// Makes a prepared transaction visible. Idempotent: committing an unknown or committed transaction is a no-op.
    func commit(_ transaction: String, now: ProcessingTime) throws(SinkStoreError)
    /// Discards a transaction (prepared or not).
    func abort(_ transaction: String, now: ProcessingTime)
}

/// `JdbcExecutionOptions` (flink-connector-jdbc, main): batch size 5000, batch interval 0 (no timer), max retries 3.
public struct JdbcExecutionOptions: Sendable, Equatable, Codable {
    public var batchSize: Int = 5000
    public var batchIntervalMs: Int64 = 0
    public var maxRetries: Int = 3
    public init(batchSize: Int = 5000, batchIntervalMs: Int64 = 0, maxRetries: Int = 3) {
        self.batchSize = batchSize; self.batchIntervalMs = batchIntervalMs; self.maxRetries = maxRetries
    }
}

/// The at-least-once JDBC sink (`JdbcOutputFormat` / `JdbcWriter` in non-EO mode): rows are batched; a batch is executed
/// when it reaches `batchSize`, at every checkpoint (`flush` before the barrier) and at end of input. `flush` tries up to
/// `maxRetries + 1` times; after failure `i` it re-validates the connection (a dead database fails the sink at once) and
/// sleeps `1000 · i` ms. Replays after a restore execute the statements again, so duplicates are real.
public final class AtLeastOnceJdbcSink<Store: SinkBatchStore>: FlinkSink {
    public let store: Store
    public let options: JdbcExecutionOptions
    private var buffer: [Row] = []
    private var attempt = 0
    private var flushing = false
    private var executed = 0
    /// Rows of this instance whose batch executed (visible).
    public var visibleRowCount: Int? { executed }

    public init(store: Store, options: JdbcExecutionOptions = JdbcExecutionOptions()) {
        self.store = store
        self.options = options
    }

    public func write(_ row: Row, now: ProcessingTime) -> SinkOutcome {
        buffer.append(row)
        if options.batchSize > 0 && buffer.count >= options.batchSize { return flush(now: now) }
        return .done
    }
    public func retry(now: ProcessingTime) -> SinkOutcome { flush(now: now) }
    public func prepareSnapshotPreBarrier(checkpointId: Int64, now: ProcessingTime) -> SinkOutcome { flush(now: now) }
    public func snapshotState(checkpointId: Int64) -> SinkCheckpointState { SinkCheckpointState() }
    public func notifyCheckpointComplete(checkpointId: Int64, now: ProcessingTime) -> SinkOutcome { .done }
    public func initializeState(_ state: SinkCheckpointState?, now: ProcessingTime) -> SinkOutcome { .done }
    public func endOfInput(now: ProcessingTime) -> SinkOutcome { flush(now: now) }
    public var flushIntervalMs: Int64? { options.batchIntervalMs != 0 && options.batchSize != 1 ? options.batchIntervalMs : nil }
    public func onFlushTimer(now: ProcessingTime) -> SinkOutcome { flushing ? .done : flush(now: now) }

    /// Rows written but not yet executed.
    public var bufferedCount: Int { buffer.count }

    private func flush(now: ProcessingTime) -> SinkOutcome {
        if buffer.isEmpty { attempt = 0; return .done }
        if !flushing { flushing = true; attempt = 0 }
        do {
            try store.executeBatch(buffer, now: now)
            executed += buffer.count
            buffer.removeAll(keepingCapacity: true)
            flushing = false
            attempt = 0
            return .done
        } catch {
            if attempt >= options.maxRetries { flushing = false; return .failed("IOException: \(error)") }
            if !store.isAvailable(now: now) { flushing = false; return .failed("IOException: Reestablish JDBC connection failed (\(error))") }
            let sleep = SimDuration.milliseconds(1000 * Int64(attempt))
            attempt += 1
            return .retryAfter(sleep)
        }
    }
}

/// `TwoPhaseCommitSinkFunction` (`flink-streaming-java/.../api/functions/sink/TwoPhaseCommitSinkFunction.java`, 1.20)
/// over a transactional store: rows go into the current transaction; at the barrier it is pre-committed (prepared) and
/// remembered as pending for that checkpoint, and a new one begins; `notifyCheckpointComplete(n)` commits every pending
/// transaction with id ≤ n in order; on restore the state's pending transactions are recovered-and-committed and its open
/// one recovered-and-aborted. Results become visible only when a checkpoint completes.
public final class TwoPhaseCommitSink<Store: TransactionalSinkStore>: FlinkSink {
    public let store: Store
    private var current: String?
    private var currentRows: [Row] = []
    private var pending: OrderedDictionary<Int64, String> = [:]
    /// Rows this instance put in each of its transactions (recovered ones are not its own).
    private var ownRows: [String: Int] = [:]
    private var committedOwn = 0
    /// Rows of this instance whose transaction committed (visible).
    public var visibleRowCount: Int? { committedOwn }

    public init(store: Store) { self.store = store }

    public func write(_ row: Row, now: ProcessingTime) -> SinkOutcome {
        if current == nil { current = store.beginTransaction(now: now) }
        currentRows.append(row)
        return .done
    }
    public func retry(now: ProcessingTime) -> SinkOutcome { .done }

    public func prepareSnapshotPreBarrier(checkpointId: Int64, now: ProcessingTime) -> SinkOutcome {
        let txn = current ?? store.beginTransaction(now: now)
        do { try store.prepare(txn, rows: currentRows, now: now) } catch { return .failed("preCommit failed: \(error)") }
        pending[checkpointId] = txn
        ownRows[txn, default: 0] += currentRows.count
        currentRows.removeAll(keepingCapacity: true)
        current = store.beginTransaction(now: now)
        return .done
    }
    public func snapshotState(checkpointId: Int64) -> SinkCheckpointState {
        SinkCheckpointState(pending: pending.map { PendingTransaction(checkpointId: $0.key, transaction: $0.value) }, current: current)
    }
    public func notifyCheckpointComplete(checkpointId: Int64, now: ProcessingTime) -> SinkOutcome {
        while let first = pending.elements.first, first.key <= checkpointId {
            do { try store.commit(first.value, now: now) } catch { return .failed("commit of \(first.value) failed: \(error)") }
            committedOwn += ownRows.removeValue(forKey: first.value) ?? 0
            pending.removeFirst()
        }
        return .done
    }
    public func initializeState(_ state: SinkCheckpointState?, now: ProcessingTime) -> SinkOutcome {
        if let s = state {
            for p in s.pending {
                do { try store.commit(p.transaction, now: now) } catch { return .failed("recoverAndCommit of \(p.transaction) failed: \(error)") }
            }
            if let open = s.current { store.abort(open, now: now) }
        }
        pending = [:]
        currentRows = []
        current = store.beginTransaction(now: now)
        return .done
    }
    public func endOfInput(now: ProcessingTime) -> SinkOutcome {
        let final = (pending.keys.last ?? 0) + 1
        if case .failed(let e) = prepareSnapshotPreBarrier(checkpointId: final, now: now) { return .failed(e) }
        return notifyCheckpointComplete(checkpointId: final, now: now)
    }
}

/// `PrintSinkFunction` / `PrintSinkOutputWriter` (1.20): each line is `prefix + value.toString()` where the prefix is
/// the sink identifier, then `subtask+1` when parallelism > 1 (joined by `:`), then `"> "` if anything came before.
/// Rows print as Flink's `Row.toString`: `+I[v1, v2, …]`.
public final class PrintSink: FlinkSink {
    public let prefix: String
    public private(set) var lines: [String] = []
    /// Where every subtask's lines also go, interleaved as they were printed (stdout of the TaskManagers).
    public let output: PrintSinkOutput?

    /// One print sink per subtask, all writing to `output`: `FlinkJob(…, sink: PrintSink.factory(identifier:output:))`.
    public static func factory(identifier: String = "", output: PrintSinkOutput) -> (_ subtask: Int, _ parallelism: Int) -> any FlinkSink {
        { i, n in PrintSink(identifier: identifier, subtaskIndex: i, parallelism: n, output: output) }
    }

    public init(identifier: String = "", subtaskIndex: Int, parallelism: Int, output: PrintSinkOutput? = nil) {
        self.output = output
        var p = identifier
        if parallelism > 1 {
            if !p.isEmpty { p += ":" }
            p += String(subtaskIndex + 1)
        }
        if !p.isEmpty { p += "> " }
        prefix = p
    }

    /// Java's `toString` of a value inside a Flink `Row`.
    public static func javaString(_ v: Value) -> String {
        switch v {
        case .null: return "null"
        case .double(let d): return JavaFormat.double(d)
        case .float(let f): return JavaFormat.double(Double(f))
        case .timestamp(let us): return JavaFormat.localDateTime(micros: us)
        default: return v.description
        }
    }

    public func write(_ row: Row, now: ProcessingTime) -> SinkOutcome {
        let line = prefix + "+I[" + row.values.map(PrintSink.javaString).joined(separator: ", ") + "]"
        lines.append(line)
        output?.append(line, at: now)
        return .done
    }
    public func retry(now: ProcessingTime) -> SinkOutcome { .done }
    public func prepareSnapshotPreBarrier(checkpointId: Int64, now: ProcessingTime) -> SinkOutcome { .done }
    public func snapshotState(checkpointId: Int64) -> SinkCheckpointState { SinkCheckpointState() }
    public func notifyCheckpointComplete(checkpointId: Int64, now: ProcessingTime) -> SinkOutcome { .done }
    public func initializeState(_ state: SinkCheckpointState?, now: ProcessingTime) -> SinkOutcome { .done }
    public func endOfInput(now: ProcessingTime) -> SinkOutcome { .done }
}

/// The lines of every print-sink subtask of a job, in print order, with the virtual time they were printed.
public final class PrintSinkOutput {
    public private(set) var lines: [(line: String, at: ProcessingTime)] = []
    public init() {}
    func append(_ line: String, at: ProcessingTime) { lines.append((line, at)) }
}

/// Java's `Double.toString` (shortest round-trip digits; scientific `1.0E-9` below 10⁻³ and from 10⁷).
public enum JavaFormat {
    /// `LocalDateTime.toString()` of a UTC timestamp (how a `TIMESTAMP` prints inside a Flink `Row`): `uuuu-MM-ddTHH:mm`,
    /// then `:ss` unless seconds and fraction are zero, then the fraction in groups of 3 digits (`LocalTime.toString`).
    public static func localDateTime(micros us: Int64) -> String {
        let days = floorDiv(us, 86_400_000_000)
        let inDay = floorMod(us, 86_400_000_000)
        let (y, m, d) = UTCTimestamp.civil(fromDays: days)
        let h = inDay / 3_600_000_000, mi = (inDay / 60_000_000) % 60, sec = (inDay / 1_000_000) % 60, micro = inDay % 1_000_000
        var s = "\(UTCTimestamp.pad(y, 4))-\(UTCTimestamp.pad(Int64(m), 2))-\(UTCTimestamp.pad(Int64(d), 2))T\(UTCTimestamp.pad(h, 2)):\(UTCTimestamp.pad(mi, 2))"
        if sec > 0 || micro > 0 {
            s += ":" + UTCTimestamp.pad(sec, 2)
            if micro > 0 { s += micro % 1000 == 0 ? "." + UTCTimestamp.pad(micro / 1000, 3) : "." + UTCTimestamp.pad(micro, 6) }
        }
        return s
    }

    public static func double(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d > 0 ? "Infinity" : "-Infinity" }
        if d == 0 { return d.sign == .minus ? "-0.0" : "0.0" }
        let mag = abs(d)
        if mag >= 1e-3 && mag < 1e7 {
            let s = "\(d)"
            return s.contains(".") ? s : s + ".0"
        }
        // Scientific: mantissa digits from Swift's shortest representation.
        let s = "\(mag)"
        var digits = ""
        var exp = 0
        if let e = s.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            let mant = s[..<e]
            exp = Int(s[s.index(after: e)...]) ?? 0
            let parts = mant.split(separator: ".", omittingEmptySubsequences: false)
            digits = String(parts[0]) + (parts.count > 1 ? String(parts[1]) : "")
            exp += parts[0].count - 1
        } else {
            let parts = s.split(separator: ".", omittingEmptySubsequences: false)
            let intPart = String(parts[0]), frac = parts.count > 1 ? String(parts[1]) : ""
            if intPart != "0" {
                digits = intPart + frac
                exp = intPart.count - 1
            } else {
                let lead = frac.prefix { $0 == "0" }.count
                digits = String(frac.dropFirst(lead))
                exp = -(lead + 1)
            }
        }
        while digits.count > 1 && digits.hasSuffix("0") { digits.removeLast() }
        let head = digits.prefix(1), tail = digits.dropFirst()
        return (d < 0 ? "-" : "") + head + "." + (tail.isEmpty ? "0" : tail) + "E" + String(exp)
    }
}
