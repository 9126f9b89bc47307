/// Flink's `AggregateFunction<IN, ACC, OUT>` (`flink-core/.../api/common/functions/AggregateFunction.java`, 1.20):
/// `createAccumulator`, `add`, `merge`, `getResult`. The window operator keeps one accumulator per (key, window) — the
/// heap backend's `AggregatingState` — and merges accumulators when session windows merge (target first, then the
/// sources, as `AbstractHeapMergingState.mergeNamespaces` does).
public protocol AggregateFunction {
    associatedtype Input
    associatedtype Accumulator
    associatedtype Output
    func createAccumulator() -> Accumulator
    /// `add(value, accumulator)`, in place.
    func add(_ value: Input, to accumulator: inout Accumulator)
    /// `merge(a, b)`: `a` is the target (earlier) state.
    func merge(_ a: Accumulator, _ b: Accumulator) -> Accumulator
    func result(_ accumulator: Accumulator) -> Output
}

/// A `ProcessWindowFunction` over the pane's elements: the window state is a `ListState` holding every element in
/// insertion order (merged lists are concatenated target-first), and the output is that list.
public struct CollectingAggregate<Element>: AggregateFunction {
    public init() {}
    public func createAccumulator() -> [Element] { [] }
    public func add(_ value: Element, to accumulator: inout [Element]) { accumulator.append(value) }
    public func merge(_ a: [Element], _ b: [Element]) -> [Element] { a + b }
    public func result(_ accumulator: [Element]) -> [Element] { accumulator }
}

/// `count` + `sum` of a Double projection, and the average, for the classic "average per key per window" job.
public struct AverageAggregate<Element>: AggregateFunction {
    public struct Accumulator: Sendable, Equatable {
        public var count: Int64 = 0
        public var sum: Double = 0
    }
    public let value: (Element) -> Double?
    public init(value: @escaping (Element) -> Double?) { self.value = value }
    public func createAccumulator() -> Accumulator { Accumulator() }
    @inlinable public func add(_ v: Element, to acc: inout Accumulator) {
        if let x = value(v) { acc.count += 1; acc.sum += x }
    }
    public func merge(_ a: Accumulator, _ b: Accumulator) -> Accumulator { Accumulator(count: a.count + b.count, sum: a.sum + b.sum) }
    public func result(_ acc: Accumulator) -> (count: Int64, average: Double?) { (acc.count, acc.count == 0 ? nil : acc.sum / Double(acc.count)) }
}

/// `ReduceFunction` as an aggregate (`ReducingState`): the first element, then `reduce(acc, next)`.
public struct ReduceAggregate<Element>: AggregateFunction {
    public let reduce: (Element, Element) -> Element
    public init(_ reduce: @escaping (Element, Element) -> Element) { self.reduce = reduce }
    public func createAccumulator() -> Element? { nil }
    public func add(_ value: Element, to acc: inout Element?) { acc = acc.map { reduce($0, value) } ?? value }
    public func merge(_ a: Element?, _ b: Element?) -> Element? {
        switch (a, b) {
        case let (x?, y?): return reduce(x, y)
        default: return a ?? b
        }
    }
    public func result(_ acc: Element?) -> Element? { acc }
}

/// The aggregate functions a conformance case or a query names (`count`, `first`, `last`, `min`, `max`, `sum`, `avg`),
/// evaluated over a pane's values in pane order exactly as the recorder's `aggJson` does: nulls are skipped, `count(*)`
/// counts rows, `sum`/`avg` add in pane order, `avg` divides once at the end.
public enum PaneAggregateKind: String, Sendable, Codable, CaseIterable {
    case count, first, last, min, max, sum, avg

    /// Evaluates over a column's values (nil = SQL NULL). `count` with `countsRows` counts every row (`count(*)`).
    public func evaluate(_ values: [Double?], countsRows: Bool) -> PaneAggregateValue {
        if self == .count {
            return .integer(countsRows ? Int64(values.count) : Int64(values.count(where: { $0 != nil })))
        }
        var acc: Double?
        var n = 0
        for case let v? in values {
            n += 1
            switch self {
            case .first: if acc == nil { acc = v }
            case .last: acc = v
            case .max: acc = acc.map { Swift.max($0, v) } ?? v
            case .min: acc = acc.map { Swift.min($0, v) } ?? v
            case .sum, .avg: acc = acc.map { $0 + v } ?? v
            case .count: break
            }
        }
        if self == .avg, let a = acc { acc = a / Double(n) }
        return acc.map { .double($0) } ?? .null
    }
}

/// One aggregate result value.
public enum PaneAggregateValue: Equatable, Sendable, CustomStringConvertible {
    case integer(Int64)
    case double(Double)
    case null
    public var description: String {
        switch self {
        case .integer(let i): return String(i)
        case .double(let d): return "\(d)"
        case .null: return "null"
        }
    }
}
