import Foundation
import SimCore
import XCTest

@testable import Report

/// Both renderers on the fixed teaching example (golden files), on degenerate input, and the HTML's hygiene.
final class RendererTests: XCTestCase {
    let example = RunObservations.teachingExample

    func testHTMLReportMatchesGolden() {
        GoldenFile.assertMatches(HTMLReport.render(example), "teaching-example.html")
    }

    func testTerminalTimelineMatchesGoldenAt100And80Columns() {
        GoldenFile.assertMatches(TerminalTimeline.render(example), "teaching-example-100.txt")
        GoldenFile.assertMatches(TerminalTimeline.render(example, width: 80), "teaching-example-80.txt")
    }

    func testRenderingIsDeterministic() {
        XCTAssertEqual(HTMLReport.render(example), HTMLReport.render(RunObservations.teachingExample))
        XCTAssertEqual(TerminalTimeline.render(example, width: 117), TerminalTimeline.render(example, width: 117))
    }

    func testTerminalLinesFitTheWidth() {
        for width in [60, 80, 100, 120] {
            for line in TerminalTimeline.render(example, width: width).split(separator: "\n") {
                XCTAssertLessThanOrEqual(line.count, width, "width \(width): \(line)")
            }
        }
    }

    func testTerminalShowsEachEnginesMarks() {
        let text = TerminalTimeline.render(example, width: 120)
        let rows = text.split(separator: "\n").map(String.init)
        let spark = rows.first { $0.hasPrefix("spark ") } ?? ""
        let flink = rows.first { $0.hasPrefix("flink ") } ?? ""
        XCTAssertGreaterThanOrEqual(spark.filter { $0 == "|" }.count, 5, "batch boundaries not hidden by a higher-priority mark")
        XCTAssertTrue(spark.contains("x") && spark.contains("F") && spark.contains("m"))
        XCTAssertTrue(flink.contains("s") && flink.contains("!") && flink.contains("R") && flink.contains("F") && flink.contains("?"))
        XCTAssertTrue(text.contains("MAX"), "Flink's end-of-input watermark is labelled")
        XCTAssertTrue(text.contains("epoch"), "Spark's initial watermark is labelled")
    }

    func testWholeHTMLIsWellFormed() throws {
        let html = HTMLReport.render(example)
        let opened = try MarkupChecker.check(html)
        XCTAssertEqual(opened.first, "html")
        XCTAssertFalse(opened.contains("script"), "the report needs no script")
        XCTAssertFalse(html.contains("http://") && html.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").contains("http://"),
                       "nothing is loaded from elsewhere")
        let svgs = MarkupChecker.svgFragments(html)
        XCTAssertGreaterThanOrEqual(svgs.count, 3, "main chart and one histogram per engine")
        for svg in svgs { XCTAssertNoThrow(try MarkupChecker.check(svg)) }
    }

    func testSVGHasTheExpectedMarks() {
        let html = HTMLReport.render(example)
        let main = MarkupChecker.svgFragments(html).first { $0.contains("event time against processing time") } ?? ""
        XCTAssertEqual(main.components(separatedBy: "class=\"record\"").count - 1, 16, "16 well-formed records as dots")
        XCTAssertEqual(main.components(separatedBy: "class=\"record malformed\"").count - 1, 1)
        XCTAssertEqual(main.components(separatedBy: "class=\"wm wm-effective\"").count - 1, 2, "one watermark line per engine")
        XCTAssertEqual(main.components(separatedBy: "class=\"wm wm-input\"").count - 1, 2, "Flink's two splits")
        XCTAssertTrue(main.contains("class=\"ideal\""))
    }

    func testHostileTextIsEscaped() throws {
        var o = RunObservations(scenarioName: "<b>bold</b> & \"quoted\"", scenarioDescription: "it's <i>", seed: 1, traceDigest: "x'\"><svg onload=alert(1)>",
                                start: ProcessingTime(0), end: ProcessingTime(10_000))
        o.records = [InputRecord(topic: "t<", partition: 0, offset: 0, key: "<script>alert(1)</script>", eventTime: EventTime(1000), appendTime: ProcessingTime(2000))]
        o.engines = [EngineObservations(engine: "<img src=x>", displayName: "E & <F>",
                                        settings: [NamedText("<k>", "</dd>")],
                                        firings: [WindowFiring(window: EventWindow(start: EventTime(0), end: EventTime(5000)), key: "<script>alert(1)</script>",
                                                               firedAt: ProcessingTime(6000), cause: .watermark, values: [NamedText("a\"", "<v>")])],
                                        lateRecords: [LateRecord(recordID: o.records[0].id, fate: .dropped, rule: "end <= wm && </td>", at: ProcessingTime(3000))])]
        o.differences = [ResultDifference(window: EventWindow(start: EventTime(0), end: EventTime(5000)), key: "<script>", spark: [NamedText("x", "<1>")], flink: nil,
                                          label: .expected("</td><script>"))]
        let html = HTMLReport.render(o)
        XCTAssertFalse(html.contains("<script"), "a key named <script> must not become an element")
        XCTAssertTrue(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        XCTAssertFalse(html.contains("<img"))
        XCTAssertFalse(html.contains("<svg onload"))
        XCTAssertNoThrow(try MarkupChecker.check(html))
        XCTAssertEqual(Markup.escape(#"<a href="x">'&'</a>"#), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;")
        XCTAssertEqual(Markup.escape("tab\tok\u{1}gone"), "tab\tokgone", "XML-illegal control characters are dropped")
    }

    func testEmptyObservationsRender() throws {
        let o = RunObservations(scenarioName: "empty", seed: 0, traceDigest: "", start: ProcessingTime(5000), end: ProcessingTime(5000))
        let html = HTMLReport.render(o)
        XCTAssertNoThrow(try MarkupChecker.check(html))
        XCTAssertTrue(html.contains("No engine treated any record as late."))
        let text = TerminalTimeline.render(o, width: 80)
        XCTAssertTrue(text.hasPrefix("StreamSim · empty"))
        // With engines that observed nothing.
        var withEngines = o
        withEngines.engines = [EngineObservations(engine: .spark, displayName: "Spark"), EngineObservations(engine: .flink, displayName: "Flink")]
        XCTAssertNoThrow(try MarkupChecker.check(HTMLReport.render(withEngines)))
        XCTAssertTrue(HTMLReport.render(withEngines).contains("no result became visible in the sink"))
        XCTAssertFalse(TerminalTimeline.render(withEngines, width: 80).isEmpty)
    }

    func testSinglePointAndSentinelWatermarksStayInsideThePlot() throws {
        let t = ProcessingTime(1_723_204_800_000)
        var o = RunObservations(scenarioName: "one", seed: 0, traceDigest: "d", start: t, end: t)
        o.records = [InputRecord(topic: "t", partition: 0, offset: 0, key: "BTC", eventTime: EventTime(stampedAt: t), appendTime: t)]
        o.engines = [EngineObservations(engine: .flink, displayName: "Flink", watermarks: [
            WatermarkPoint(at: t, watermark: .min, source: "op", reason: "start"),
            WatermarkPoint(at: t, watermark: .max, source: "op", reason: "end"),
        ], latencies: [LatencySample(recordID: "t-0@0", eventTime: EventTime(stampedAt: t), visibleAt: t)])]
        let html = HTMLReport.render(o)
        XCTAssertNoThrow(try MarkupChecker.check(html))
        let chart = TimelineChart(observations: o)
        XCTAssertGreaterThan(chart.processingExtent.span, 0)
        XCTAssertGreaterThan(chart.eventExtent.span, 0)
        // Every coordinate in the chart is a plain finite number within a sane range.
        for number in html.split(whereSeparator: { !"-0123456789.".contains($0) }) where number.count > 1 {
            if let v = Double(number) { XCTAssertLessThan(abs(v), 1e13, String(number)) }
        }
        XCTAssertFalse(html.contains("nan") || html.contains("inf"))
    }

    func testObservationsRoundTripThroughJSON() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(example)
        let decoded = try JSONDecoder().decode(RunObservations.self, from: data)
        XCTAssertEqual(decoded, example)
        let text = String(decoding: data, as: UTF8.self)
        XCTAssertTrue(text.contains(#""label":"unexplained""#))
        XCTAssertTrue(text.contains(#""fate":"side_output""#))
        XCTAssertTrue(text.contains(#""kind":"no_data""#))
        XCTAssertThrowsError(try JSONDecoder().decode(ResultDifference.Label.self, from: Data(#""maybe""#.utf8)))
        XCTAssertEqual(try JSONDecoder().decode(ResultDifference.Label.self, from: Data(#""expected(S3 (previous batch))""#.utf8)),
                       .expected("S3 (previous batch)"))
    }

    func testSummaryParagraphCountsWhatHappened() {
        let text = RunSummary.paragraph(example)
        XCTAssertTrue(text.contains("17 input records for 2 keys (BTC, ETH)"), text)
        XCTAssertTrue(text.contains("ran 9 micro-batches (1 without data)"), text)
        XCTAssertTrue(text.contains("sent 2 late records to the side output"), text)
        XCTAssertTrue(text.contains("3 expected, 1 unexplained"), text)
    }
}
