import SimCore
public import QueryModel
import SparkEngine
import FlinkEngine

/// How one column of a row-by-row Spark-vs-Flink comparison came out.
public struct ColumnComparison: Sendable {
    public var column: String
    /// Matched rows whose values differ.
    public var differing: Int
    /// One differing row: its key and the two values as text.
    public var example: (key: String, spark: String, flink: String)?
    public var label: DiffLabel
}

/// The row-by-row comparison of a job without windows that ran on both engines (`compare_by`): rows are matched by
/// the key columns, then every other column is compared, and each column that differs is labelled with the reason
/// (a float32 cast, `processed_at` meaning different things) or as unexplained.
public struct RowComparison: Sendable {
    public var job: String
    public var keyColumns: [String]
    public var matched: Int
    public var onlySpark: Int
    public var onlyFlink: Int
    public var columns: [ColumnComparison]

    public var unexplained: Int { columns.filter(\.label.isUnexplained).count + (onlySpark + onlyFlink > 0 ? 1 : 0) }
    public var expected: Int { columns.filter(\.label.isExpected).count }
}

extension ScenarioRun {
    /// `processed_at` is not a value of the query: each engine stamps it somewhere else. Spark's is whatever the
    /// query computed (the seed uses `current_timestamp()`, the micro-batch's start); Flink's is the database's
    /// insert time (`DEFAULT CURRENT_TIMESTAMP`, i.e. when the JDBC sink flushed). A side without the column gets
    /// the time the row became visible in its sink.
    static let processedAt = "processed_at"

    /// A value as text with every digit it holds (a float32 shown as the double it widens to: 61837.62890625).
    static func exact(_ v: Value) -> String {
        if case .float(let x) = v { return "\(Double(x))" }
        return v.description
    }

    func rowDiff() -> [RowComparison] {
        var out: [RowComparison] = []
        for job in document.jobs where !job.compareBy.isEmpty {
            guard let s = sparkJobs.first(where: { $0.job.name == job.name }), let f = flinkJobs.first(where: { $0.job.name == job.name }) else { continue }
            let ss = s.outputSchema, fs = f.outputSchema
            func keyText(_ r: Row, _ schema: Schema) -> String {
                job.compareBy.map { c in schema.index(of: c).map { r[$0].description } ?? "null" }.joined(separator: ",")
            }
            // First occurrence per key (a replayed batch may write a row again; duplicates are counted elsewhere).
            var sparkRows: [String: (row: Row, at: ProcessingTime)] = [:]
            var sparkOrder: [String] = []
            for a in s.accepted { for r in a.rows {
                let k = keyText(r, ss)
                if sparkRows[k] == nil { sparkRows[k] = (r, a.at); sparkOrder.append(k) }
            } }
            var flinkRows: [String: (row: Row, at: ProcessingTime)] = [:]
            var flinkOrder: [String] = []
            for v in f.flinkJob.visibleRows {
                let k = keyText(v.row, fs)
                if flinkRows[k] == nil { flinkRows[k] = (v.row, v.visibleAt); flinkOrder.append(k) }
            }
            let matchedKeys = sparkOrder.filter { flinkRows[$0] != nil }
            var columns: [String] = []
            for c in ss.names + fs.names where !job.compareBy.contains(c) && !columns.contains(c) { columns.append(c) }
            if !columns.contains(Self.processedAt) { columns.append(Self.processedAt) }
            var comparisons: [ColumnComparison] = []
            for c in columns {
                let si = ss.index(of: c), fi = fs.index(of: c)
                var differing = 0
                var example: (String, String, String)?
                var allFloat32 = true
                for k in matchedKeys {
                    let (sr, sat) = sparkRows[k]!, (fr, fat) = flinkRows[k]!
                    let sv: Value = si.map { sr[$0] } ?? (c == Self.processedAt ? .timestamp(sat.millisecondsSinceEpoch * 1000) : .null)
                    let fv: Value = fi.map { fr[$0] } ?? (c == Self.processedAt ? .timestamp(fat.millisecondsSinceEpoch * 1000) : .null)
                    guard sv != fv else { continue }
                    if let x = sv.doubleValue, let y = fv.doubleValue, x == y, sv.isNumeric, fv.isNumeric { continue }
                    if case .float(let x) = sv, case .double(let y) = fv, Float(y) == x {} else { allFloat32 = false }
                    differing += 1
                    if example == nil { example = (k, Self.exact(sv), Self.exact(fv)) }
                }
                let label: DiffLabel
                if differing == 0 {
                    label = .same
                } else if c == Self.processedAt {
                    label = .expected("processed_at means different things — Spark: \(si == nil ? "the time the batch reached the sink" : "the query's value (current_timestamp() = the micro-batch's start, batchTimestampMs)"); Flink: \(fi == nil ? "the database's insert time (the JDBC sink's flush)" : "the query's value")")
                } else if allFloat32 {
                    label = .expected("float32 — Spark's value is a FloatType (CAST(\(c) AS float) keeps a 24-bit mantissa, e.g. 86769.94 → 86769.9375); Flink keeps the DOUBLE")
                } else if si == nil || fi == nil {
                    label = .expected("only \(si == nil ? "Flink" : "Spark")'s query outputs \(c)")
                } else {
                    label = .unexplained
                }
                comparisons.append(ColumnComparison(column: c, differing: differing, example: example, label: label))
            }
            out.append(RowComparison(job: job.name, keyColumns: job.compareBy, matched: matchedKeys.count,
                                     onlySpark: sparkOrder.count - matchedKeys.count, onlyFlink: flinkOrder.filter { sparkRows[$0] == nil }.count,
                                     columns: comparisons))
        }
        return out
    }
}

extension Value {
    var isNumeric: Bool {
        switch self {
        case .int, .long, .float, .double: return true
        default: return false
        }
    }
}
