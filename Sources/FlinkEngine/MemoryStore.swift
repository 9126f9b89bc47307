public import SimCore
public import QueryModel
public import OrderedCollections

/// An in-memory external database for the model's sinks (tests and quick scenarios): visible rows with the virtual
/// time they became visible, prepared transactions, and outage windows. It outlives job failovers, as a real database
/// outlives a TaskManager.
public final class InMemorySinkStore: SinkBatchStore, TransactionalSinkStore {
    public struct StoredRow: Equatable, Sendable {
        public var row: Row
        public var processedAt: ProcessingTime
    }
    public private(set) var rows: [StoredRow] = []
    public private(set) var prepared: OrderedDictionary<String, [StoredRow]> = [:]
    public var outages: [Range<ProcessingTime>] = []
    public var transientFailures = 0
    private var nextTransaction = 0

    public init() {}

    public func isAvailable(now: ProcessingTime) -> Bool { !outages.contains { $0.contains(now) } }

    public func executeBatch(_ batch: [Row], now: ProcessingTime) throws(SinkStoreError) {
        if !isAvailable(now: now) { throw .unavailable("connection refused") }
        if transientFailures > 0 { transientFailures -= 1; throw .transient("lock timeout") }
        rows += batch.map { StoredRow(row: $0, processedAt: now) }
    }
    public func beginTransaction(now: ProcessingTime) -> String {
        nextTransaction += 1
        return "txn-\(nextTransaction)"
    }
    public func prepare(_ transaction: String, rows batch: [Row], now: ProcessingTime) throws(SinkStoreError) {
        if !isAvailable(now: now) { throw .unavailable("connection refused") }
        prepared[transaction, default: []] += batch.map { StoredRow(row: $0, processedAt: now) }
    }
    public func commit(_ transaction: String, now: ProcessingTime) throws(SinkStoreError) {
        if !isAvailable(now: now) { throw .unavailable("connection refused") }
        if let staged = prepared.removeValue(forKey: transaction) { rows += staged }
    }
    public func abort(_ transaction: String, now: ProcessingTime) { prepared.removeValue(forKey: transaction) }
}
