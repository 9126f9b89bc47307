import XCTest
import Foundation
import SimCore
import SimLog
@testable import QueryModel

/// Pins the shared query model's Spark rules with concrete examples (docs/semantics/spark.md cites these tests).
final class FromJSONTests: XCTestCase {
    let schema = Schema([Field("symbol", .string), Field("event_time", .long), Field("price", .double), Field("qty", .double)])

    func decode(_ text: String) -> ([Value], FromJSONOutcome) {
        var row = [Value](repeating: .null, count: 4)
        let o = FromJSONDecoder(schema: schema).decode(Array(text.utf8), into: &row)
        return (row, o)
    }

    func testWellFormedRecord() {
        let (r, o) = decode(#"{"symbol":"BTC","event_time":5000,"price":86769.94,"qty":0.5}"#)
        XCTAssertEqual(o, .parsed)
        XCTAssertEqual(r, [.string("BTC"), .long(5000), .double(86769.94), .double(0.5)])
    }

    /// JacksonParser.convertObject: a mistyped field is null, the rest kept (PartialResultException, PERMISSIVE).
    func testMistypedFieldIsNullOthersKept() {
        XCTAssertEqual(decode(#"{"symbol":"BTC","event_time":8000,"price":"abc","qty":1.0}"#).0, [.string("BTC"), .long(8000), .null, .double(1)])
        XCTAssertEqual(decode(#"{"symbol":"BTC","event_time":"10000","price":1.5,"qty":1.0}"#).0, [.string("BTC"), .null, .double(1.5), .double(1)])
        XCTAssertEqual(decode(#"{"symbol":"BTC","event_time":11000.5,"price":2.5}"#).0, [.string("BTC"), .null, .double(2.5), .null])
        XCTAssertEqual(decode(#"{"symbol":"BTC","event_time":1,"price":"7.25"}"#).0[2], .null)
    }

    /// Syntax errors, non-object roots, empty input: every field null.
    func testMalformedRecordsAreAllNull() {
        for t in ["{bad", "", "null", #"[{"symbol":"BTC"}]"#, "42", #"{"symbol":"BTC","price":01}"#] {
            let (r, o) = decode(t)
            XCTAssertEqual(o, .malformed, t)
            XCTAssertEqual(r, [.null, .null, .null, .null], t)
        }
    }

    /// `parse` reads one root value: trailing text is never looked at.
    func testTrailingGarbageIgnored() {
        XCTAssertEqual(decode(#"{"symbol":"BTC","event_time":23000,"price":0.1,"qty":1.0} trailing"#).0[0], .string("BTC"))
    }

    /// Case-sensitive names, unknown fields skipped, non-string tokens as their JSON text for strings.
    func testNamesAndStringConversion() {
        XCTAssertEqual(decode(#"{"Symbol":"BTC","EVENT_TIME":15000,"Price":5.5,"qty":1.0,"extra":{"a":[1,2]}}"#).0, [.null, .null, .null, .double(1)])
        XCTAssertEqual(decode(#"{"symbol":123}"#).0[0], .string("123"))
        XCTAssertEqual(decode(#"{"symbol":{"a": 1.50, "b":"x"}}"#).0[0], .string(#"{"a":1.5,"b":"x"}"#))
        XCTAssertEqual(decode(#"{'symbol':'single'}"#).0[0], .string("single"), "allowSingleQuotes defaults to true")
    }

    /// allowNonNumericNumbers: NaN/Infinity literals and strings; 1e400 overflows to Infinity; integers read as doubles.
    func testNumbers() {
        XCTAssertTrue(decode(#"{"price":NaN}"#).0[2].doubleValue!.isNaN)
        XCTAssertEqual(decode(#"{"price":1e400}"#).0[2], .double(.infinity))
        XCTAssertEqual(decode(#"{"price":-Infinity}"#).0[2], .double(-.infinity))
        XCTAssertEqual(decode(#"{"price":"+INF"}"#).0[2], .double(.infinity))
        XCTAssertEqual(decode(#"{"price":100,"qty":3}"#).0[2], .double(100))
        XCTAssertEqual(decode(#"{"price":9007199254740993}"#).0[2], .double(9007199254740992))
        XCTAssertEqual(decode(#"{"event_time":9223372036854775808}"#).0[1], .null, "out of long range")
    }
}

final class CastTests: XCTestCase {
    /// Cast double → float is Java's `d.toFloat` (the seed Coinbase job's FloatType prices).
    func testFloatNarrowing() {
        XCTAssertEqual(SparkCast.cast(.double(86769.94), to: .float), .float(86769.9375))
        XCTAssertEqual(SparkCast.cast(.double(61837.63), to: .float), .float(61837.62890625))
        XCTAssertEqual(SparkCast.cast(.double(1e39), to: .float), .float(.infinity))
    }

    /// `(event_time/1000).cast("timestamp")`: `(d * 1e6).toLong`, a double product then truncation.
    func testDoubleSecondsToTimestamp() {
        XCTAssertEqual(SparkCast.cast(.double(1733097000001.0 / 1000), to: .timestamp), .timestamp(1733097000001000))
        XCTAssertEqual(SparkCast.cast(.double(1.0000005), to: .timestamp), .timestamp(1000000))
        XCTAssertEqual(SparkCast.cast(.double(.nan), to: .timestamp), .null)
        XCTAssertEqual(SparkCast.cast(.long(5), to: .timestamp), .timestamp(5_000_000))
    }

    func testNumericAndStringCasts() {
        XCTAssertEqual(SparkCast.cast(.double(-2.7), to: .long), .long(-2))
        XCTAssertEqual(SparkCast.cast(.double(.nan), to: .int), .int(0))
        XCTAssertEqual(SparkCast.cast(.double(1e30), to: .long), .long(.max))
        XCTAssertEqual(SparkCast.cast(.string(" 42 "), to: .long), .long(42))
        XCTAssertEqual(SparkCast.cast(.string("4x"), to: .int), .null)
        XCTAssertEqual(SparkCast.cast(.timestamp(1_500_000), to: .string), .string("1970-01-01 00:00:01.5"))
        XCTAssertEqual(SparkCast.cast(.string("2024-12-02T07:30:00"), to: .timestamp), .timestamp(1733124600_000_000))
        XCTAssertEqual(SparkCast.cast(.timestamp(1733124600_000_000), to: .date), .date(20059))
    }

    /// Java's `Double.toString` layout.
    func testJavaDoubleText() {
        XCTAssertEqual(JavaNumberText.double(1.0), "1.0")
        XCTAssertEqual(JavaNumberText.double(100), "100.0")
        XCTAssertEqual(JavaNumberText.double(1e7), "1.0E7")
        XCTAssertEqual(JavaNumberText.double(0.001), "0.001")
        XCTAssertEqual(JavaNumberText.double(0.0001), "1.0E-4")
        XCTAssertEqual(JavaNumberText.double(-123456.789), "-123456.789")
        XCTAssertEqual(JavaNumberText.double(9007199254740992), "9.007199254740992E15")
        XCTAssertEqual(JavaNumberText.float(86769.9375), "86769.94")
    }
}

final class ExpressionTests: XCTestCase {
    let schema = Schema([Field("event_time", .long), Field("price", .double), Field("s", .string)])

    func eval(_ e: ColumnExpression, _ row: [Value], now: Int64 = 0) throws -> Value {
        try CompiledExpression.compile(e, schema: schema).evaluate(row, EvaluationContext(currentTimestampMicros: now))
    }

    func testTimestampFunctionsAndArithmetic() throws {
        let row: [Value] = [.long(1733097000001), .double(2), .string("2024-12-02T07:30:00")]
        XCTAssertEqual(try eval(.timestampMillis(.column("event_time")), row), .timestamp(1733097000001000))
        XCTAssertEqual(try eval(.timestampSeconds(.literal(.long(10))), row), .timestamp(10_000_000))
        XCTAssertEqual(try eval(.arithmetic(.divide, .column("event_time"), .literal(.int(1000))), row), .double(1733097000.001))
        XCTAssertEqual(try eval(.arithmetic(.divide, .column("price"), .literal(.int(0))), row), .null, "division by zero is null (non-ANSI)")
        XCTAssertEqual(try eval(.hour(.toTimestamp(.column("s"))), row), .int(7))
        XCTAssertEqual(try eval(.toDate(.column("s")), row), .date(20059))
        XCTAssertEqual(try eval(.currentTimestamp, row, now: 30_000_000), .timestamp(30_000_000))
        XCTAssertEqual(try eval(.compare(.greater, .column("price"), .literal(.int(1))), row), .bool(true))
        XCTAssertEqual(try eval(.and(.literal(.null), .literal(.bool(false))), row), .bool(false))
    }

    func testUnresolvedColumn() {
        XCTAssertThrowsError(try eval(.column("nope"), [])) { e in
            XCTAssertTrue("\(e)".contains("UNRESOLVED_COLUMN"))
        }
    }

    func testQueryIsCodable() throws {
        let q = StreamingQuery(name: "q", source: KafkaSourceSpec(topic: "t"), valueFormat: .json(schema),
                               derivedColumns: [DerivedColumn("ts", .timestampMillis(.column("event_time")))],
                               watermark: WatermarkSpec(column: "ts", delayMs: 10_000),
                               aggregation: AggregationSpec(window: .tumbling(sizeMs: 60_000), timeColumn: "ts", groupBy: ["s"], aggregates: [AggregateSpec(.count, "*", as: "n")]))
        let data = try JSONEncoder().encode(q)
        XCTAssertEqual(try JSONDecoder().decode(StreamingQuery.self, from: data), q)
    }
}

final class WindowTests: XCTestCase {
    /// `TimeWindowing`: half-open, epoch-aligned; sliding windows include those starting before the epoch.
    func testTumblingAndSliding() {
        let t = WindowAssigner(.tumbling(sizeMs: 60_000))!
        XCTAssertEqual(t.windows(60_000_000), [TimeWindow(start: 60_000_000, end: 120_000_000)], "et == end goes to the next window")
        XCTAssertEqual(t.windows(59_999_000), [TimeWindow(start: 0, end: 60_000_000)])
        XCTAssertEqual(t.windows(-1), [TimeWindow(start: -60_000_000, end: 0)], "floorMod for negative times")
        let s = WindowAssigner(.sliding(sizeMs: 60_000, slideMs: 20_000))!
        XCTAssertEqual(s.windows(5_000_000).map(\.start), [0, -20_000_000, -40_000_000])
        let odd = WindowAssigner(.sliding(sizeMs: 50_000, slideMs: 20_000))!
        XCTAssertEqual(odd.windows(55_000_000).map(\.start), [40_000_000, 20_000_000], "filtered to start <= ts < end")
        let offset = WindowAssigner(.tumbling(sizeMs: 60_000, startOffsetMs: 15_000))!
        XCTAssertEqual(offset.windows(10_000_000), [TimeWindow(start: -45_000_000, end: 15_000_000)])
    }

    func testWindowValidation() {
        XCTAssertThrowsError(try WindowSpec.sliding(sizeMs: 10, slideMs: 20).validate())
        XCTAssertThrowsError(try WindowSpec.tumbling(sizeMs: 0).validate())
        XCTAssertNoThrow(try WindowSpec.session(gapMs: 1).validate())
    }
}

final class AggregateTests: XCTestCase {
    func bound(_ f: AggregateFunction, _ t: DataType?) throws -> BoundAggregate {
        try BoundAggregate(spec: AggregateSpec(f, t == nil ? nil : "x", as: "a"), input: t == nil ? nil : 0, inputType: t)
    }

    func fold(_ b: BoundAggregate, _ xs: [Value]) -> Value {
        var buf = b.initial
        for x in xs { b.update(&buf, row: [x]) }
        return b.result(buf)
    }

    /// Result types and null rules of Count, Sum, Average, Min, Max, First, Last.
    func testResultTypesAndNulls() throws {
        XCTAssertEqual(fold(try bound(.count, .double), [.double(1), .null]), .long(1))
        XCTAssertEqual(fold(try bound(.count, nil), [.double(1), .null]), .long(2))
        XCTAssertEqual(fold(try bound(.sum, .int), [.int(1), .int(2)]), .long(3))
        XCTAssertEqual(fold(try bound(.sum, .double), [.null]), .null)
        XCTAssertEqual(fold(try bound(.sum, .float), [.float(0.5), .float(0.25)]), .double(0.75))
        XCTAssertEqual(fold(try bound(.avg, .long), [.long(1), .null, .long(2)]), .double(1.5))
        XCTAssertEqual(fold(try bound(.avg, .double), []), .null)
        XCTAssertEqual(fold(try bound(.min, .string), [.string("b"), .null, .string("a")]), .string("a"))
        XCTAssertEqual(fold(try bound(.first, .double), [.null, .double(2)]), .null, "first() keeps a leading null (ignoreNulls=false)")
        XCTAssertEqual(fold(try bound(.last, .double), [.double(2), .null]), .null)
        XCTAssertEqual(try bound(.sum, .long).resultType, .long)
        XCTAssertEqual(try bound(.avg, .int).resultType, .double)
    }

    /// Merge order: Spark computes `stored + batchPartial`, not a running sum over rows.
    func testMergeOrderForDoubles() throws {
        let b = try bound(.sum, .double)
        var stored = b.initial
        b.update(&stored, row: [.double(0.1)])
        var partial = b.initial
        b.update(&partial, row: [.double(0.2)])
        b.update(&partial, row: [.double(0.3)])
        var merged = b.initial
        b.merge(&merged, stored)
        b.merge(&merged, partial)
        XCTAssertEqual(b.result(merged), .double(0.1 + (0.2 + 0.3)))
        XCTAssertNotEqual(0.1 + (0.2 + 0.3), (0.1 + 0.2) + 0.3)
        let first = try bound(.first, .double), last = try bound(.last, .double)
        var f = first.initial, l = last.initial
        first.merge(&f, .firstLast(.double(1), isSet: true)); first.merge(&f, .firstLast(.double(2), isSet: true))
        last.merge(&l, .firstLast(.double(1), isSet: true)); last.merge(&l, .firstLast(.double(2), isSet: true))
        XCTAssertEqual(first.result(f), .double(1))
        XCTAssertEqual(last.result(l), .double(2))
    }
}
