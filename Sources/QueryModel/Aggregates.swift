/// The aggregate functions of the shared query model.
public enum AggregateFunction: String, Hashable, Sendable, Codable, CaseIterable {
    case count, sum, avg, min, max, first, last
}

/// One aggregate in a query: `fn(column) AS name`. `column == nil` (or `"*"`) is `count(*)`.
public struct AggregateSpec: Hashable, Sendable, Codable, CustomStringConvertible {
    public var function: AggregateFunction
    public var column: String?
    public var name: String
    /// `first(col, ignoreNulls)` / `last(col, ignoreNulls)`; Spark's default is false.
    public var ignoreNulls: Bool

    public init(_ function: AggregateFunction, _ column: String?, as name: String, ignoreNulls: Bool = false) {
        self.function = function
        self.column = column == "*" ? nil : column
        self.name = name
        self.ignoreNulls = ignoreNulls
    }

    public var description: String { "\(function.rawValue)(\(column ?? "*")) AS \(name)" }

    /// Spark's result type (`Count`: long; `Sum`: long for integral input, double for floating; `Average`: double;
    /// `Min`/`Max`/`First`/`Last`: the input type).
    public func resultType(inputType: DataType?) throws(QueryModelError) -> DataType {
        switch function {
        case .count: return .long
        case .sum:
            guard let t = inputType, t.isNumeric else { throw .typeMismatch("sum(\(column ?? "*")) needs a numeric column") }
            return t == .int || t == .long ? .long : .double
        case .avg:
            guard let t = inputType, t.isNumeric || t == .string else { throw .typeMismatch("avg(\(column ?? "*")) needs a numeric column") }
            return .double
        case .min, .max, .first, .last:
            guard let t = inputType else { throw .invalidQuery("\(function.rawValue)(*) is not a function") }
            return t
        }
    }
}

/// An aggregation buffer, as Spark's declarative aggregates keep it in state (`catalyst/expressions/aggregate/*.scala`).
/// `update` folds one input value, `merge` combines two partial buffers (left = earlier), `result` evaluates.
public enum AggregateBuffer: Hashable, Sendable {
    /// `Count`: `count + (child is null ? 0 : 1)`; merge adds.
    case count(Int64)
    /// `Sum` over integral input: initial null, `coalesce(coalesce(sum, 0) + x, sum)`; Java wrap-around on overflow.
    case sumLong(Int64, isSet: Bool)
    /// `Sum` over floating input (computed in double).
    case sumDouble(Double, isSet: Bool)
    /// `Average`: `(sum: double = 0.0, count: long = 0)`; `sum + coalesce(x, 0.0)`, count of non-null inputs.
    case avg(sum: Double, count: Int64)
    /// `Min`/`Max`: the current extreme, `.null` until a non-null value is seen (`Least`/`Greatest` skip nulls and
    /// keep the left value on ties).
    case extreme(Value)
    /// `First`/`Last`: `(value, valueSet)`.
    case firstLast(Value, isSet: Bool)
}

/// The per-row part of a bound aggregate: a trivial value (no reference counting), so the hot loop can copy it freely.
public struct AggregateKernel: Sendable {
    public let function: AggregateFunction
    /// Input column index, -1 for `count(*)`.
    public let input: Int
    public let ignoreNulls: Bool

    /// Folds one row into `buffer` (Spark's `updateExpressions`).
    @inline(__always)
    public func update(_ buffer: inout AggregateBuffer, row: [Value]) {
        let x: Value = input >= 0 ? row[input] : .long(1)
        switch buffer {
        case .count(let n):
            if input < 0 || !x.isNull { buffer = .count(n + 1) }
        case .sumLong(let s, let set):
            guard let v = x.int64Value else { return }
            buffer = .sumLong((set ? s : 0) &+ v, isSet: true)
        case .sumDouble(let s, let set):
            guard let v = x.doubleValue else { return }
            buffer = .sumDouble((set ? s : 0.0) + v, isSet: true)
        case .avg(let s, let c):
            guard let v = x.doubleValue ?? SparkCast.cast(x, to: .double).doubleValue else { buffer = .avg(sum: s + 0.0, count: c); return }
            buffer = .avg(sum: s + v, count: c + 1)
        case .extreme(let cur):
            if x.isNull { return }
            if cur.isNull { buffer = .extreme(x); return }
            guard let c = Value.compare(x, cur) else { return }
            if (function == .min && c < 0) || (function == .max && c > 0) { buffer = .extreme(x) }
        case .firstLast(_, let set):
            if ignoreNulls && x.isNull { return }
            if function == .first { if !set { buffer = .firstLast(x, isSet: true) } } else { buffer = .firstLast(x, isSet: true) }
        }
    }

    /// Merges `right` (later) into `left` (earlier): Spark's `mergeExpressions`.
    @inline(__always)
    public func merge(_ left: inout AggregateBuffer, _ right: AggregateBuffer) {
        switch (left, right) {
        case (.count(let a), .count(let b)): left = .count(a + b)
        case (.sumLong(let a, let sa), .sumLong(let b, let sb)):
            // coalesce(coalesce(left, 0) + right, left)
            if sb { left = .sumLong((sa ? a : 0) &+ b, isSet: true) }
        case (.sumDouble(let a, let sa), .sumDouble(let b, let sb)):
            if sb { left = .sumDouble((sa ? a : 0.0) + b, isSet: true) }
        case (.avg(let s1, let c1), .avg(let s2, let c2)): left = .avg(sum: s1 + s2, count: c1 + c2)
        case (.extreme(let a), .extreme(let b)):
            if b.isNull { return }
            if a.isNull { left = right; return }
            guard let c = Value.compare(b, a) else { return }
            if (function == .min && c < 0) || (function == .max && c > 0) { left = right }
        case (.firstLast(_, let sa), .firstLast(_, let sb)):
            // First: If(valueSet.left, left, right); Last: If(valueSet.right, right, left).
            if function == .first { if !sa { left = right } } else { if sb { left = right } }
        default: break
        }
    }
}

/// An aggregate bound to its input column index and type: Spark's initial/update/merge/evaluate expressions.
public struct BoundAggregate: Sendable {
    public let spec: AggregateSpec
    /// Input column index in the row, nil for `count(*)`.
    public let input: Int?
    public let inputType: DataType?
    public let resultType: DataType
    public let kernel: AggregateKernel

    public init(spec: AggregateSpec, input: Int?, inputType: DataType?) throws(QueryModelError) {
        self.spec = spec
        self.input = input
        self.inputType = inputType
        self.resultType = try spec.resultType(inputType: inputType)
        self.kernel = AggregateKernel(function: spec.function, input: input ?? -1, ignoreNulls: spec.ignoreNulls)
    }

    public var initial: AggregateBuffer {
        switch spec.function {
        case .count: return .count(0)
        case .sum: return resultType == .long ? .sumLong(0, isSet: false) : .sumDouble(0, isSet: false)
        case .avg: return .avg(sum: 0, count: 0)
        case .min, .max: return .extreme(.null)
        case .first, .last: return .firstLast(.null, isSet: false)
        }
    }

    public func update(_ buffer: inout AggregateBuffer, row: [Value]) { kernel.update(&buffer, row: row) }
    public func merge(_ left: inout AggregateBuffer, _ right: AggregateBuffer) { kernel.merge(&left, right) }

    /// The final value (Spark's `evaluateExpression`).
    public func result(_ buffer: AggregateBuffer) -> Value {
        switch buffer {
        case .count(let n): return .long(n)
        case .sumLong(let s, let set): return set ? .long(s) : .null
        case .sumDouble(let s, let set): return set ? .double(s) : .null
        case .avg(let s, let c): return c == 0 ? .null : .double(s / Double(c))
        case .extreme(let v): return v
        case .firstLast(let v, _): return v
        }
    }
}
