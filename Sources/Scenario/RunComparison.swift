import SimCore
public import QueryModel
public import Sinks

/// `sim diff A B`: what changed between two runs' results databases — two seeds of one scenario, or one setting
/// changed. Runs are compared as their databases hold them, so any two runs can be compared after the fact:
/// 1. the run itself (scenario, seed, digest, whether its expectations held);
/// 2. every metric, side by side;
/// 3. every job table, row by row as multisets (the surrogate `id` left out; rows are never matched by position);
/// 4. every late record: which records one run dropped, diverted or fired late that the other did not, or treated
///    differently.
public struct RunComparison: Sendable {
    public struct MetricLine: Sendable {
        public var name: String
        public var a: Double?
        public var b: Double?
    }
    public struct TableDifference: Sendable {
        public var table: String
        public var rowsA: Int
        public var rowsB: Int
        /// Rows (as text) in A but not in B, and in B but not in A, with multiplicity.
        public var onlyA: [String]
        public var onlyB: [String]
        public var columnsDiffer: Bool
    }

    public var run: [(key: String, a: String?, b: String?)]
    public var metrics: [MetricLine]
    public var tables: [TableDifference]
    public var lateOnlyA: [String]
    public var lateOnlyB: [String]

    public var identical: Bool {
        run.allSatisfy { $0.key == "file" || $0.a == $0.b } && metrics.allSatisfy { $0.a == $0.b }
            && tables.allSatisfy { $0.onlyA.isEmpty && $0.onlyB.isEmpty && !$0.columnsDiffer } && lateOnlyA.isEmpty && lateOnlyB.isEmpty
    }

    public static func compare(_ a: SQLiteDatabase, _ b: SQLiteDatabase) throws(ResultsFileError) -> RunComparison {
        func pairs(_ db: SQLiteDatabase, _ sql: String) throws(ResultsFileError) -> [(String, Value)] {
            try ResultsFile.query(db, sql).rows.map { ($0[0].stringValue ?? "", $0[1]) }
        }
        let runA = try pairs(a, "SELECT key, value FROM run ORDER BY key"), runB = try pairs(b, "SELECT key, value FROM run ORDER BY key")
        var runKeys: [String] = []
        for (k, _) in runA + runB where !runKeys.contains(k) { runKeys.append(k) }
        let order = ["scenario", "file", "seed", "start", "end", "digest", "passed"]
        runKeys.sort { (order.firstIndex(of: $0) ?? 99, $0) < (order.firstIndex(of: $1) ?? 99, $1) }
        let run = runKeys.map { k in (k, runA.first { $0.0 == k }?.1.stringValue, runB.first { $0.0 == k }?.1.stringValue) }

        let metricsA = try pairs(a, "SELECT name, value FROM metrics ORDER BY rowid"), metricsB = try pairs(b, "SELECT name, value FROM metrics ORDER BY rowid")
        var metricNames: [String] = []
        for (k, _) in metricsA + metricsB where !metricNames.contains(k) { metricNames.append(k) }
        let metrics = metricNames.map { n in
            MetricLine(name: n, a: metricsA.first { $0.0 == n }?.1.doubleValue, b: metricsB.first { $0.0 == n }?.1.doubleValue)
        }

        var tableNames: [String] = []
        for t in ResultsFile.tables(a, jobTablesOnly: true) + ResultsFile.tables(b, jobTablesOnly: true) where !tableNames.contains(t) { tableNames.append(t) }
        var tables: [TableDifference] = []
        for t in tableNames.sorted() {
            let ra = try tableRows(a, t), rb = try tableRows(b, t)
            let (onlyA, onlyB) = multisetDifference(ra?.rows ?? [], rb?.rows ?? [])
            tables.append(TableDifference(table: t, rowsA: ra?.rows.count ?? 0, rowsB: rb?.rows.count ?? 0, onlyA: onlyA, onlyB: onlyB,
                                          columnsDiffer: ra?.columns != rb?.columns))
        }

        let lateSQL = """
            SELECT engine || ' ' || job || ' ' || topic || '-' || partition || '@' || "offset" || ' ' || fate
              || ' (window ' || COALESCE(window_start_ms, '') || '…' || COALESCE(window_end_ms, '') || ' key ' || COALESCE(key, '') || ')'
            FROM late_records ORDER BY engine, job, topic, partition, "offset", fate
            """
        let lateA = try ResultsFile.query(a, lateSQL).rows.compactMap { $0[0].stringValue }
        let lateB = try ResultsFile.query(b, lateSQL).rows.compactMap { $0[0].stringValue }
        let (lateOnlyA, lateOnlyB) = multisetDifference(lateA, lateB)
        return RunComparison(run: run, metrics: metrics, tables: tables, lateOnlyA: lateOnlyA, lateOnlyB: lateOnlyB)
    }

    /// A job table's rows as text, sorted, without the surrogate `id`; nil when the table does not exist.
    static func tableRows(_ db: SQLiteDatabase, _ table: String) throws(ResultsFileError) -> (columns: [String], rows: [String])? {
        guard ResultsFile.tables(db).contains(table) else { return nil }
        let q = SQLiteDatabase.quoteIdentifier(table)
        let columns = try ResultsFile.query(db, "SELECT name FROM pragma_table_info('\(table.replacingAll("'", with: "''"))')").rows
            .compactMap { $0[0].stringValue }.filter { $0 != "id" }
        guard !columns.isEmpty else { return (columns, []) }
        let list = columns.map { SQLiteDatabase.quoteIdentifier($0) }.joined(separator: ", ")
        let rows = try ResultsFile.query(db, "SELECT \(list) FROM \(q) ORDER BY \(list)").rows
        return (columns, rows.map { r in zip(columns, r.values).map { "\($0)=\($1)" }.joined(separator: " ") })
    }

    /// Elements of `a` not matched in `b` and of `b` not matched in `a`, counting repeats (sorted inputs not required).
    static func multisetDifference(_ a: [String], _ b: [String]) -> ([String], [String]) {
        var counts: [String: Int] = [:]
        for x in b { counts[x, default: 0] += 1 }
        var onlyA: [String] = []
        for x in a {
            if let c = counts[x], c > 0 { counts[x] = c - 1 } else { onlyA.append(x) }
        }
        var countsA: [String: Int] = [:]
        for x in a { countsA[x, default: 0] += 1 }
        var onlyB: [String] = []
        for x in b {
            if let c = countsA[x], c > 0 { countsA[x] = c - 1 } else { onlyB.append(x) }
        }
        return (onlyA, onlyB)
    }

    /// The report `sim diff` prints. `all` also lists metrics that are equal; `maxRows` bounds each list of rows.
    public func text(nameA: String, nameB: String, all: Bool = false, maxRows: Int = 8) -> String {
        var s = "A: \(nameA)\nB: \(nameB)\n\nRun:\n"
        let width = max(12, run.map(\.key.count).max() ?? 0)
        for r in run {
            let same = r.a == r.b
            s += "  \(same ? " " : "≠") \(r.key.padding(width))  \(r.a ?? "—")\(same ? "" : "   →   \(r.b ?? "—")")\n"
        }
        let changed = metrics.filter { $0.a != $0.b }
        s += "\nMetrics: \(changed.count) of \(metrics.count) differ\(all ? "" : changed.isEmpty ? "" : " (--all lists the equal ones too)")\n"
        let nameWidth = max(10, metrics.map(\.name.count).max() ?? 0)
        for m in metrics where all || m.a != m.b {
            let a = m.a.map(formatNumber) ?? "—", b = m.b.map(formatNumber) ?? "—"
            var delta = ""
            if let x = m.a, let y = m.b, x != y {
                let d = y - x
                delta = "   (\(d > 0 ? "+" : "")\(formatNumber(d == d.rounded() ? d : (d * 10_000).rounded() / 10_000)))"
            }
            s += "  \(m.a == m.b ? " " : "≠") \(m.name.padding(nameWidth))  \(a.leftPadding(14))  \(b.leftPadding(14))\(delta)\n"
        }
        s += "\nJob tables:\n"
        if tables.isEmpty { s += "  (none)\n" }
        for t in tables {
            let same = t.onlyA.isEmpty && t.onlyB.isEmpty && !t.columnsDiffer
            s += "  \(same ? " " : "≠") \(t.table): \(t.rowsA) rows → \(t.rowsB) rows" + (same ? ", identical\n" : ", \(t.onlyA.count) only in A, \(t.onlyB.count) only in B\(t.columnsDiffer ? ", columns differ" : "")\n")
            for r in t.onlyA.prefix(maxRows) { s += "      A: \(r)\n" }
            if t.onlyA.count > maxRows { s += "      A: … \(t.onlyA.count - maxRows) more\n" }
            for r in t.onlyB.prefix(maxRows) { s += "      B: \(r)\n" }
            if t.onlyB.count > maxRows { s += "      B: … \(t.onlyB.count - maxRows) more\n" }
        }
        s += "\nLate records: \(lateOnlyA.isEmpty && lateOnlyB.isEmpty ? "the same" : "\(lateOnlyA.count) only in A, \(lateOnlyB.count) only in B")\n"
        for r in lateOnlyA.prefix(maxRows) { s += "      A: \(r)\n" }
        for r in lateOnlyB.prefix(maxRows) { s += "      B: \(r)\n" }
        s += "\n" + (identical ? "The runs are the same.\n" : "The runs differ.\n")
        return s
    }
}

extension String {
    func padding(_ n: Int) -> String { count >= n ? self : self + String(repeating: " ", count: n - count) }
    func leftPadding(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}
