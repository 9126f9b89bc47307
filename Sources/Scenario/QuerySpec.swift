public import QueryModel
import SimCore
import Yams

/// Reads a job's `query:` mapping into the shared `StreamingQuery` both engine models execute.
///
///     query:
///       topic: binance.trade
///       format: json
///       schema: {symbol: string, event_time: long, price: double, qty: double}
///       columns:
///         ts: timestamp_millis(event_time)
///       filter: price IS NOT NULL AND price > 0
///       watermark: {column: ts, delay: 10 seconds}
///       window: {tumbling: 1 minute}
///       group_by: [symbol]
///       aggregates: [count(*) AS trades, first(price) AS open, max(price) AS high, min(price) AS low, last(price) AS close]
public enum QuerySpecParser {
    static let keys = ["topic", "format", "schema", "columns", "filter", "watermark", "window", "group_by", "aggregates", "select"]

    static func parse(_ v: YAMLValue, name: String) throws(ScenarioError) -> StreamingQuery {
        let m = try v.mapping(allowed: keys)
        let topic = try m.required("topic").string()
        let format = try m.string("format", default: m.has("schema") ? "json" : "raw")
        let valueFormat: ValueFormat
        switch format {
        case "json":
            let s = try m.required("schema", hint: "the JSON fields and their types, e.g. {symbol: string, price: double}")
            valueFormat = .json(try schema(s))
        case "raw":
            if m.has("schema") { throw m["schema"]!.error("`schema` applies to format: json only") }
            valueFormat = .raw
        default:
            throw m["format"]!.error("`\(m["format"]!.path)`: format is json or raw")
        }
        var derived: [DerivedColumn] = []
        if let c = m["columns"] {
            for (col, expr) in try c.entries() { derived.append(DerivedColumn(col, try expression(expr))) }
        }
        var filters: [ColumnExpression] = []
        if let f = m["filter"] {
            if f.node.sequence != nil {
                filters = try f.list().map { (x) throws(ScenarioError) -> ColumnExpression in try expression(x) }
            } else {
                filters = [try expression(f)]
            }
        }
        var watermark: WatermarkSpec?
        if let w = m["watermark"] {
            let wm = try w.mapping(allowed: ["column", "delay"])
            watermark = WatermarkSpec(column: try wm.required("column").string(), delayMs: try wm.required("delay").duration().milliseconds)
        }
        var aggregation: AggregationSpec?
        if m.has("aggregates") || m.has("window") || m.has("group_by") {
            let aggs = try m.required("aggregates", hint: "e.g. [count(*) AS n, avg(price) AS avg_price]").list()
                .map { (x) throws(ScenarioError) -> AggregateSpec in try aggregate(x) }
            let window = try m["window"].map { (x) throws(ScenarioError) -> WindowSpec in try self.window(x) }
            let groupBy = try (m["group_by"]?.list() ?? []).map { (x) throws(ScenarioError) -> String in try x.string() }
            // The window's time column is the watermark column; without a watermark (update/complete modes), the last
            // derived column — by convention the timestamp the query builds.
            aggregation = AggregationSpec(window: window, timeColumn: watermark?.column ?? derived.last?.name, groupBy: groupBy, aggregates: aggs)
        }
        let projection = try m["select"].map { (x) throws(ScenarioError) -> [String] in try x.list().map { (c) throws(ScenarioError) -> String in try c.string() } }
        if projection != nil, aggregation != nil { throw m["select"]!.error("`select` is for queries without aggregates") }
        var q = StreamingQuery(name: name, source: KafkaSourceSpec(topic: topic), valueFormat: valueFormat, derivedColumns: derived,
                               filters: filters, watermark: watermark, aggregation: aggregation, projection: projection)
        q.source.startingOffsets = .earliest
        return q
    }

    static func schema(_ v: YAMLValue) throws(ScenarioError) -> Schema {
        var fields: [Field] = []
        for (name, t) in try v.entries() {
            let typeName = try t.string()
            guard let type = DataType(name: typeName) else {
                var message = "`\(t.path)`: unknown type \"\(typeName)\" (boolean, int, long, float, double, string, timestamp, date)"
                if let s = Suggestion.nearest(to: typeName, in: DataType.allCases.map(\.rawValue)) { message += "; did you mean \(s)?" }
                throw t.error(message)
            }
            fields.append(Field(name, type))
        }
        guard !fields.isEmpty else { throw v.error("`\(v.path)`: a schema needs at least one field") }
        return Schema(fields)
    }

    static func expression(_ v: YAMLValue) throws(ScenarioError) -> ColumnExpression {
        let text = try v.string()
        do {
            return try ExpressionParser.parse(text)
        } catch {
            // Point at the character inside a plain one-line scalar; otherwise at the value.
            var column = v.column
            if let c = column, v.node.scalar?.style == .plain { column = c + error.offset }
            throw ScenarioError(file: v.file, line: v.line, column: column, message: "`\(v.path)`: \(error.description)")
        }
    }

    /// `fn(column) AS name`, `count(*) AS name`, or `{fn: avg, column: price, as: avg_price}`.
    static func aggregate(_ v: YAMLValue) throws(ScenarioError) -> AggregateSpec {
        if v.node.scalar == nil {
            let m = try v.mapping(allowed: ["fn", "column", "as", "ignore_nulls"])
            let fn = try m.required("fn").oneOf(AggregateFunction.self)
            let col = try m.string("column", default: "*")
            return AggregateSpec(fn, col == "*" ? nil : col, as: try m.required("as").string(), ignoreNulls: try m.bool("ignore_nulls", default: false))
        }
        let text = try v.string()
        let usage = "expected `fn(column) AS name`, e.g. `avg(price) AS avg_price` (fn: \(AggregateFunction.allCases.map(\.rawValue).joined(separator: ", ")))"
        let lower = text.lowercased()
        guard let open = text.firstIndex(of: "("), let close = text.firstIndex(of: ")"), open < close,
              let asRange = lower.range(of: " as ") else { throw v.error("`\(v.path)`: \(usage), found \"\(text)\"") }
        let fnName = String(text[..<open]).trimmingSpaces.lowercased()
        guard let fn = AggregateFunction(rawValue: fnName) else {
            var message = "`\(v.path)`: unknown aggregate \(fnName)()"
            if let s = Suggestion.nearest(to: fnName, in: AggregateFunction.allCases.map(\.rawValue)) { message += "; did you mean \(s)()?" }
            throw v.error(message + " (\(AggregateFunction.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let column = String(text[text.index(after: open)..<close]).trimmingSpaces
        let alias = String(text[text.index(text.startIndex, offsetBy: lower.distance(from: lower.startIndex, to: asRange.upperBound))...]).trimmingSpaces
        guard !alias.isEmpty, !column.isEmpty else { throw v.error("`\(v.path)`: \(usage)") }
        if column == "*", fn != .count { throw v.error("`\(v.path)`: only count takes *") }
        return AggregateSpec(fn, column == "*" ? nil : column, as: alias)
    }

    /// `{tumbling: 1 minute}`, `{tumbling: {size: 1 day, offset: 7 hours}}`, `{sliding: {size: 1 minute, slide: 20 seconds}}`,
    /// `{session: 30 seconds}`.
    static func window(_ v: YAMLValue) throws(ScenarioError) -> WindowSpec {
        let m = try v.mapping(allowed: ["tumbling", "sliding", "session"])
        guard m.keys.count == 1 else { throw v.error("`\(v.path)`: a window is one of tumbling, sliding, session") }
        let w: WindowSpec
        switch m.keys[0] {
        case "tumbling":
            let t = try m.required("tumbling")
            if t.node.scalar != nil {
                w = .tumbling(sizeMs: try t.duration().milliseconds, startOffsetMs: 0)
            } else {
                let tm = try t.mapping(allowed: ["size", "offset"])
                w = .tumbling(sizeMs: try tm.required("size").duration().milliseconds, startOffsetMs: try signed(tm["offset"]))
            }
        case "sliding":
            let sm = try m.required("sliding").mapping(allowed: ["size", "slide", "offset"])
            w = .sliding(sizeMs: try sm.required("size").duration().milliseconds, slideMs: try sm.required("slide").duration().milliseconds,
                         startOffsetMs: try signed(sm["offset"]))
        default:
            w = .session(gapMs: try m.required("session").duration().milliseconds)
        }
        do {
            try w.validate()
        } catch {
            throw v.error("`\(v.path)`: \(error.description)")
        }
        return w
    }

    static func signed(_ v: YAMLValue?) throws(ScenarioError) -> Int64 {
        guard let v else { return 0 }
        let text = try v.string()
        if text.hasPrefix("-") {
            do { return -(try SimDuration.parse(String(text.dropFirst())).milliseconds) } catch { throw v.error("`\(v.path)`: \(error.description)") }
        }
        return try v.duration().milliseconds
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s = s.dropFirst() }
        while let c = s.last, c.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
