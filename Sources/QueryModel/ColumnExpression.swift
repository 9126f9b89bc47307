import SimCore

/// Arithmetic operators (`catalyst/expressions/arithmetic.scala`).
public enum ArithmeticOperator: String, Hashable, Sendable, Codable {
    case add = "+", subtract = "-", multiply = "*", divide = "/"
}

/// Comparison operators (`catalyst/expressions/predicates.scala`).
public enum ComparisonOperator: String, Hashable, Sendable, Codable {
    case equal = "=", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
}

/// A column expression of the shared query model: what `withColumn`, `filter` and `select` take.
///
/// Both engines evaluate these with `CompiledExpression` (closures over column indices, compiled once per query),
/// so no column is looked up by name per row.
public indirect enum ColumnExpression: Hashable, Sendable, Codable, CustomStringConvertible {
    case column(String)
    case literal(Value)
    /// `CAST(e AS type)` with Spark's non-ANSI rules (`SparkCast`).
    case cast(ColumnExpression, DataType)
    /// `timestamp_millis(e)`: a long number of milliseconds → timestamp (`MillisToTimestamp`).
    case timestampMillis(ColumnExpression)
    /// `timestamp_seconds(e)`: seconds (integral or fractional) → timestamp (`SecondsToTimestamp`).
    case timestampSeconds(ColumnExpression)
    /// `to_timestamp(e)`: ISO-8601-like text → timestamp (`ParseToTimestamp` without a format = `cast(e as timestamp)`).
    case toTimestamp(ColumnExpression)
    /// `to_date(e)`: timestamp or text → date in the session time zone (UTC).
    case toDate(ColumnExpression)
    /// `hour(e)`: the hour of a timestamp in the session time zone (UTC), an int.
    case hour(ColumnExpression)
    /// `current_timestamp()`: the batch's `batchTimestampMs` in Spark (`CurrentBatchTimestamp`), the processing time in Flink.
    case currentTimestamp
    case arithmetic(ArithmeticOperator, ColumnExpression, ColumnExpression)
    case compare(ComparisonOperator, ColumnExpression, ColumnExpression)
    case and(ColumnExpression, ColumnExpression)
    case or(ColumnExpression, ColumnExpression)
    case not(ColumnExpression)
    case isNull(ColumnExpression)
    case isNotNull(ColumnExpression)

    public var description: String {
        switch self {
        case .column(let n): return n
        case .literal(let v): return v.description
        case .cast(let e, let t): return "CAST(\(e) AS \(t))"
        case .timestampMillis(let e): return "timestamp_millis(\(e))"
        case .timestampSeconds(let e): return "timestamp_seconds(\(e))"
        case .toTimestamp(let e): return "to_timestamp(\(e))"
        case .toDate(let e): return "to_date(\(e))"
        case .hour(let e): return "hour(\(e))"
        case .currentTimestamp: return "current_timestamp()"
        case .arithmetic(let op, let a, let b): return "(\(a) \(op.rawValue) \(b))"
        case .compare(let op, let a, let b): return "(\(a) \(op.rawValue) \(b))"
        case .and(let a, let b): return "(\(a) AND \(b))"
        case .or(let a, let b): return "(\(a) OR \(b))"
        case .not(let e): return "(NOT \(e))"
        case .isNull(let e): return "(\(e) IS NULL)"
        case .isNotNull(let e): return "(\(e) IS NOT NULL)"
        }
    }

    /// Column names this expression reads.
    public var referencedColumns: [String] {
        switch self {
        case .column(let n): return [n]
        case .literal, .currentTimestamp: return []
        case .cast(let e, _), .timestampMillis(let e), .timestampSeconds(let e), .toTimestamp(let e), .toDate(let e),
             .hour(let e), .not(let e), .isNull(let e), .isNotNull(let e):
            return e.referencedColumns
        case .arithmetic(_, let a, let b), .compare(_, let a, let b), .and(let a, let b), .or(let a, let b):
            return a.referencedColumns + b.referencedColumns
        }
    }
}

/// What an expression may read besides the row: the batch timestamp for `current_timestamp()`.
public struct EvaluationContext: Sendable {
    /// Microseconds since the epoch: Spark's `batchTimestampMs * 1000`.
    public var currentTimestampMicros: Int64
    public init(currentTimestampMicros: Int64 = 0) { self.currentTimestampMicros = currentTimestampMicros }
}

/// Errors found while resolving a query against its input schema.
public enum QueryModelError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Spark's `UNRESOLVED_COLUMN` analysis error.
    case unresolvedColumn(String, available: [String])
    case typeMismatch(String)
    case invalidQuery(String)

    public var description: String {
        switch self {
        case .unresolvedColumn(let n, let available):
            return "[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column or function parameter with name `\(n)` cannot be resolved. Did you mean one of the following? [\(available.map { "`\($0)`" }.joined(separator: ", "))]."
        case .typeMismatch(let m): return "[DATATYPE_MISMATCH] \(m)"
        case .invalidQuery(let m): return m
        }
    }
}

/// An expression bound to a schema: its result type and an evaluator over row values by index.
public struct CompiledExpression: @unchecked Sendable {
    public let type: DataType
    public let evaluate: ([Value], EvaluationContext) -> Value

    /// Resolves names against `schema` and picks Spark's result types (`TypeCoercion` for arithmetic: int < long <
    /// float < double, and `/` always in double, as Spark's `Divide` on non-decimal operands).
    public static func compile(_ e: ColumnExpression, schema: Schema) throws(QueryModelError) -> CompiledExpression {
        switch e {
        case .column(let name):
            guard let i = schema.index(of: name) else { throw .unresolvedColumn(name, available: schema.names) }
            return CompiledExpression(type: schema.fields[i].type) { row, _ in row[i] }
        case .literal(let v):
            return CompiledExpression(type: v.dataType ?? .string) { _, _ in v }
        case .cast(let inner, let t):
            let c = try compile(inner, schema: schema)
            let f = c.evaluate
            return CompiledExpression(type: t) { row, ctx in SparkCast.cast(f(row, ctx), to: t) }
        case .timestampMillis(let inner):
            let f = try compile(inner, schema: schema).evaluate
            // `MillisToTimestamp`: Math.multiplyExact(ms, 1000) — overflow is an error in Spark; null here.
            return CompiledExpression(type: .timestamp) { row, ctx in
                guard let ms = SparkCast.cast(f(row, ctx), to: .long).int64Value else { return .null }
                let (us, o) = ms.multipliedReportingOverflow(by: 1000)
                return o ? .null : .timestamp(us)
            }
        case .timestampSeconds(let inner):
            let c = try compile(inner, schema: schema)
            let f = c.evaluate
            return CompiledExpression(type: .timestamp) { row, ctx in
                let v = f(row, ctx)
                switch v {
                case .int(let s): return .timestamp(Int64(s) * 1_000_000)
                case .long(let s):
                    let (us, o) = s.multipliedReportingOverflow(by: 1_000_000)
                    return o ? .null : .timestamp(us)
                // `SecondsToTimestamp` for fractional input: `(d * MICROS_PER_SECOND).toLong` after a NaN/Inf check.
                case .float(let d): return SparkCast.secondsToTimestampMicros(Double(d)).map { .timestamp($0) } ?? .null
                case .double(let d): return SparkCast.secondsToTimestampMicros(d).map { .timestamp($0) } ?? .null
                default: return .null
                }
            }
        case .toTimestamp(let inner):
            let f = try compile(inner, schema: schema).evaluate
            return CompiledExpression(type: .timestamp) { row, ctx in SparkCast.cast(f(row, ctx), to: .timestamp) }
        case .toDate(let inner):
            let f = try compile(inner, schema: schema).evaluate
            return CompiledExpression(type: .date) { row, ctx in SparkCast.cast(f(row, ctx), to: .date) }
        case .hour(let inner):
            let f = try compile(inner, schema: schema).evaluate
            return CompiledExpression(type: .int) { row, ctx in
                guard case .timestamp(let us) = SparkCast.cast(f(row, ctx), to: .timestamp) else { return .null }
                return .int(Int32(floorMod(us, 86_400_000_000) / 3_600_000_000))
            }
        case .currentTimestamp:
            return CompiledExpression(type: .timestamp) { _, ctx in .timestamp(ctx.currentTimestampMicros) }
        case .arithmetic(let op, let a, let b):
            let ca = try compile(a, schema: schema), cb = try compile(b, schema: schema)
            guard ca.type.isNumeric || ca.type == .string, cb.type.isNumeric || cb.type == .string else {
                throw .typeMismatch("Cannot apply \(op.rawValue) to \(ca.type) and \(cb.type): \(e)")
            }
            let t: DataType = op == .divide ? .double : widest(ca.type, cb.type)
            let fa = ca.evaluate, fb = cb.evaluate
            return CompiledExpression(type: t) { row, ctx in
                Arithmetic.apply(op, SparkCast.cast(fa(row, ctx), to: t), SparkCast.cast(fb(row, ctx), to: t))
            }
        case .compare(let op, let a, let b):
            let ca = try compile(a, schema: schema), cb = try compile(b, schema: schema)
            let common: DataType? = (ca.type.isNumeric && cb.type.isNumeric) ? widest(ca.type, cb.type)
                : (ca.type == cb.type ? nil : (ca.type == .timestamp || cb.type == .timestamp ? .timestamp : nil))
            let fa = ca.evaluate, fb = cb.evaluate
            return CompiledExpression(type: .boolean) { row, ctx in
                var x = fa(row, ctx), y = fb(row, ctx)
                if let common { x = SparkCast.cast(x, to: common); y = SparkCast.cast(y, to: common) }
                guard let c = Value.compare(x, y) else { return .null }
                switch op {
                case .equal: return .bool(c == 0)
                case .notEqual: return .bool(c != 0)
                case .less: return .bool(c < 0)
                case .lessOrEqual: return .bool(c <= 0)
                case .greater: return .bool(c > 0)
                case .greaterOrEqual: return .bool(c >= 0)
                }
            }
        case .and(let a, let b):
            let fa = try compile(a, schema: schema).evaluate, fb = try compile(b, schema: schema).evaluate
            // Three-valued logic: false wins over null.
            return CompiledExpression(type: .boolean) { row, ctx in
                let x = fa(row, ctx)
                if case .bool(false) = x { return .bool(false) }
                let y = fb(row, ctx)
                if case .bool(false) = y { return .bool(false) }
                if x.isNull || y.isNull { return .null }
                return .bool(true)
            }
        case .or(let a, let b):
            let fa = try compile(a, schema: schema).evaluate, fb = try compile(b, schema: schema).evaluate
            return CompiledExpression(type: .boolean) { row, ctx in
                let x = fa(row, ctx)
                if case .bool(true) = x { return .bool(true) }
                let y = fb(row, ctx)
                if case .bool(true) = y { return .bool(true) }
                if x.isNull || y.isNull { return .null }
                return .bool(false)
            }
        case .not(let a):
            let fa = try compile(a, schema: schema).evaluate
            return CompiledExpression(type: .boolean) { row, ctx in
                if case .bool(let b) = fa(row, ctx) { return .bool(!b) }
                return .null
            }
        case .isNull(let a):
            let fa = try compile(a, schema: schema).evaluate
            return CompiledExpression(type: .boolean) { row, ctx in .bool(fa(row, ctx).isNull) }
        case .isNotNull(let a):
            let fa = try compile(a, schema: schema).evaluate
            return CompiledExpression(type: .boolean) { row, ctx in .bool(!fa(row, ctx).isNull) }
        }
    }

    static func widest(_ a: DataType, _ b: DataType) -> DataType {
        func rank(_ t: DataType) -> Int {
            switch t { case .int: return 1; case .long: return 2; case .float: return 3; case .double, .string: return 4; default: return 0 }
        }
        let r = max(rank(a), rank(b))
        return r == 1 ? .int : r == 2 ? .long : r == 3 ? .float : .double
    }
}

/// Non-ANSI arithmetic (`Add`, `Subtract`, `Multiply`, `Divide` with `EvalMode.LEGACY`): integral overflow wraps as
/// in Java, division by zero is null.
enum Arithmetic {
    static func apply(_ op: ArithmeticOperator, _ a: Value, _ b: Value) -> Value {
        switch (a, b) {
        case (.int(let x), .int(let y)):
            switch op {
            case .add: return .int(x &+ y)
            case .subtract: return .int(x &- y)
            case .multiply: return .int(x &* y)
            case .divide: return y == 0 ? .null : .double(Double(x) / Double(y))
            }
        case (.long(let x), .long(let y)):
            switch op {
            case .add: return .long(x &+ y)
            case .subtract: return .long(x &- y)
            case .multiply: return .long(x &* y)
            case .divide: return y == 0 ? .null : .double(Double(x) / Double(y))
            }
        case (.float(let x), .float(let y)):
            switch op {
            case .add: return .float(x + y)
            case .subtract: return .float(x - y)
            case .multiply: return .float(x * y)
            case .divide: return y == 0 ? .null : .float(x / y)
            }
        case (.double(let x), .double(let y)):
            switch op {
            case .add: return .double(x + y)
            case .subtract: return .double(x - y)
            case .multiply: return .double(x * y)
            case .divide: return y == 0 ? .null : .double(x / y)
            }
        default: return .null
        }
    }
}

extension Value {
    /// The SQL type of a non-null value.
    public var dataType: DataType? {
        switch self {
        case .null: return nil
        case .bool: return .boolean
        case .int: return .int
        case .long: return .long
        case .float: return .float
        case .double: return .double
        case .string: return .string
        case .binary: return .binary
        case .timestamp: return .timestamp
        case .date: return .date
        }
    }
}

extension Value: Codable {
    enum CodingKeys: String, CodingKey { case null, bool, int, long, float, double, string, binary, timestamp, date }

    /// `{"long": 5}`, `{"string": "BTC"}`, `{"timestamp": <µs>}`, `{"null": true}` …
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let v = try c.decodeIfPresent(Bool.self, forKey: .bool) { self = .bool(v) }
        else if let v = try c.decodeIfPresent(Int32.self, forKey: .int) { self = .int(v) }
        else if let v = try c.decodeIfPresent(Int64.self, forKey: .long) { self = .long(v) }
        else if let v = try c.decodeIfPresent(Float.self, forKey: .float) { self = .float(v) }
        else if let v = try c.decodeIfPresent(Double.self, forKey: .double) { self = .double(v) }
        else if let v = try c.decodeIfPresent(String.self, forKey: .string) { self = .string(v) }
        else if let v = try c.decodeIfPresent([UInt8].self, forKey: .binary) { self = .binary(v) }
        else if let v = try c.decodeIfPresent(Int64.self, forKey: .timestamp) { self = .timestamp(v) }
        else if let v = try c.decodeIfPresent(Int32.self, forKey: .date) { self = .date(v) }
        else { self = .null }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .null: try c.encode(true, forKey: .null)
        case .bool(let v): try c.encode(v, forKey: .bool)
        case .int(let v): try c.encode(v, forKey: .int)
        case .long(let v): try c.encode(v, forKey: .long)
        case .float(let v): try c.encode(v, forKey: .float)
        case .double(let v): try c.encode(v, forKey: .double)
        case .string(let v): try c.encode(v, forKey: .string)
        case .binary(let v): try c.encode(v, forKey: .binary)
        case .timestamp(let v): try c.encode(v, forKey: .timestamp)
        case .date(let v): try c.encode(v, forKey: .date)
        }
    }
}
