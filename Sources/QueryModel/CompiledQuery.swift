import SimCore
import SimLog

/// How a compiled query's aggregation groups rows.
public enum GroupingWindow: Sendable {
    case none
    case time(WindowAssigner)
    case session(gapUs: Int64)
}

/// Counters a decode pass fills in (for traces and reports).
public struct DecodeStats: Sendable, Equatable {
    public var records = 0
    public var malformed = 0
    public var partial = 0
    public var filtered = 0
    public init() {}
}

/// A `StreamingQuery` resolved against its schemas: everything an engine needs per row is an index or a closure.
public struct CompiledQuery: @unchecked Sendable {
    public let query: StreamingQuery
    /// The schema of a decoded row, after derived columns (what filters, the watermark and the aggregation read).
    public let rowSchema: Schema
    /// The schema of what the query emits.
    public let outputSchema: Schema

    let jsonDecoder: FromJSONDecoder?
    /// Index of the first Kafka column in a decoded row.
    let kafkaBase: Int
    /// Which Kafka columns are read by anything (others are left null, saving the key/value copies).
    let kafkaNeeded: [Bool]
    let baseWidth: Int
    let derived: [(index: Int, append: Bool, eval: ([Value], EvaluationContext) -> Value)]
    let filters: [([Value], EvaluationContext) -> Value]

    /// The watermark column's index in `rowSchema`, and the delay.
    public let eventTimeIndex: Int?
    public let watermarkDelayMs: Int64?
    /// The aggregation, if any.
    public let grouping: GroupingWindow
    public let timeIndex: Int?
    public let keyIndices: [Int]
    public let aggregates: [BoundAggregate]
    /// For stateless queries: the row columns to emit.
    public let projectionIndices: [Int]

    public var isAggregation: Bool { query.aggregation != nil }

    public init(_ query: StreamingQuery) throws(QueryModelError) {
        self.query = query
        var (fields, base) = KafkaColumns.sourceFields(query.valueFormat)
        kafkaBase = base
        if case .json(let s) = query.valueFormat { jsonDecoder = FromJSONDecoder(schema: s) } else { jsonDecoder = nil }
        baseWidth = fields.count
        var derived: [(Int, Bool, ([Value], EvaluationContext) -> Value)] = []
        for d in query.derivedColumns {
            let c = try CompiledExpression.compile(d.expression, schema: Schema(fields))
            if let i = fields.firstIndex(where: { $0.name == d.name }) {
                fields[i] = Field(d.name, c.type)
                derived.append((i, false, c.evaluate))
            } else {
                fields.append(Field(d.name, c.type))
                derived.append((fields.count - 1, true, c.evaluate))
            }
        }
        self.derived = derived
        let schema = Schema(fields)
        rowSchema = schema
        var filters: [([Value], EvaluationContext) -> Value] = []
        for f in query.filters {
            let c = try CompiledExpression.compile(f, schema: schema)
            guard c.type == .boolean else { throw .typeMismatch("filter expression \(f) is not boolean") }
            filters.append(c.evaluate)
        }
        self.filters = filters

        func index(_ name: String) throws(QueryModelError) -> Int {
            guard let i = schema.index(of: name) else { throw .unresolvedColumn(name, available: schema.names) }
            return i
        }
        if let w = query.watermark {
            let i = try index(w.column)
            guard schema.fields[i].type == .timestamp else {
                throw .typeMismatch("Event time must be defined on a window or a timestamp, but \(w.column) is of type \(schema.fields[i].type.rawValue)")
            }
            guard w.delayMs >= 0 else { throw .invalidQuery("delay threshold (\(w.delayMs) ms) should not be negative.") }
            eventTimeIndex = i
            watermarkDelayMs = w.delayMs
        } else {
            eventTimeIndex = nil
            watermarkDelayMs = nil
        }

        var referenced = Set<String>(query.derivedColumns.flatMap { $0.expression.referencedColumns })
        referenced.formUnion(query.filters.flatMap(\.referencedColumns))
        if let w = query.watermark { referenced.insert(w.column) }
        if let a = query.aggregation {
            try a.window?.validate()
            var out: [Field] = []
            if let w = a.window {
                guard let tc = a.timeColumn ?? query.watermark?.column else { throw .invalidQuery("a window needs a time column") }
                let ti = try index(tc)
                guard schema.fields[ti].type == .timestamp else { throw .typeMismatch("window time column \(tc) must be a timestamp") }
                timeIndex = ti
                referenced.insert(tc)
                if case .session(let g) = w { grouping = .session(gapUs: g * 1000) } else { grouping = .time(WindowAssigner(w)!) }
                out += [Field("window_start", .timestamp, nullable: false), Field("window_end", .timestamp, nullable: false)]
            } else {
                timeIndex = nil
                grouping = .none
            }
            var keys: [Int] = []
            for g in a.groupBy { let i = try index(g); keys.append(i); out.append(schema.fields[i]); referenced.insert(g) }
            keyIndices = keys
            var bound: [BoundAggregate] = []
            for spec in a.aggregates {
                let i = try spec.column.map { (c: String) throws(QueryModelError) -> Int in try index(c) }
                if let c = spec.column { referenced.insert(c) }
                let b = try BoundAggregate(spec: spec, input: i, inputType: i.map { schema.fields[$0].type })
                bound.append(b)
                out.append(Field(spec.name, b.resultType))
            }
            aggregates = bound
            projectionIndices = []
            outputSchema = Schema(out)
        } else {
            grouping = .none
            timeIndex = nil
            keyIndices = []
            aggregates = []
            let cols = query.projection ?? schema.names
            var idx: [Int] = []
            for c in cols { idx.append(try index(c)); referenced.insert(c) }
            projectionIndices = idx
            outputSchema = Schema(idx.map { schema.fields[$0] })
        }
        let kafkaNames = kafkaBase == 0 ? KafkaColumns.names : KafkaColumns.prefixed
        kafkaNeeded = kafkaNames.map { referenced.contains($0) }
    }

    /// Decodes one source record into a row (from_json, derived columns), or nil when a filter drops it.
    @inline(__always)
    public func decode(_ rec: SourceRecord, context: EvaluationContext, stats: inout DecodeStats) -> [Value]? {
        var row = [Value](repeating: .null, count: rowSchema.count)
        return decode(rec, into: &row, context: context, stats: &stats) ? row : nil
    }

    /// A reusable row buffer for `decode(_:into:context:stats:)`.
    public func makeRowBuffer() -> [Value] { [Value](repeating: .null, count: rowSchema.count) }

    /// Decodes into a caller-owned buffer (sized by `makeRowBuffer`), avoiding an allocation per record; false when a
    /// filter drops the row. Columns nothing reads may keep stale values.
    @inline(__always)
    public func decode(_ rec: SourceRecord, into row: inout [Value], context: EvaluationContext, stats: inout DecodeStats) -> Bool {
        stats.records += 1
        if let jsonDecoder {
            switch jsonDecoder.decode(rec.record.value, into: &row, at: 0) {
            case .parsed: break
            case .partial: stats.partial += 1
            case .malformed: stats.malformed += 1
            }
        }
        let k = kafkaBase
        if kafkaNeeded[0] { row[k] = rec.record.key.map { .binary($0) } ?? .null }
        if kafkaNeeded[1] { row[k + 1] = rec.record.value.map { .binary($0) } ?? .null }
        if kafkaNeeded[2] { row[k + 2] = .string(rec.topicPartition.topic) }
        row[k + 3] = .int(rec.topicPartition.partition)
        row[k + 4] = .long(rec.record.offset)
        row[k + 5] = .timestamp(rec.record.timestamp.millisecondsSinceEpoch &* 1000)
        row[k + 6] = .int(rec.timestampType)
        for d in derived { row[d.index] = d.eval(row, context) }
        for f in filters {
            guard case .bool(true) = f(row, context) else { stats.filtered += 1; return false }
        }
        return true
    }

    /// The emitted columns of a stateless query's row.
    @inline(__always)
    public func project(_ row: [Value]) -> [Value] { projectionIndices.map { row[$0] } }

    /// The group key values of a row.
    @inline(__always)
    public func keyValues(_ row: [Value]) -> [Value] { keyIndices.map { row[$0] } }
}
