import XCTest
import Foundation
import SimCore
import SimFeeds
import QueryModel
@testable import Scenario

/// Every scenario in scenarios/ runs (debug build, in process) and its expectations hold; one run twice gives the
/// same digest; late-data's diff carries the labels its comment promises; `sim diff`'s comparison and `--record`
/// work on real runs.
final class ShippedScenarioTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("streamsim-scenarios-\(getpid())")

    override class func setUp() {
        try? FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override class func tearDown() {
        try? FileManager.default.removeItem(at: scratch)
    }

    /// Runs scenarios/<name>.yaml with its results database in a scratch directory.
    @discardableResult
    func run(_ name: String, seed: UInt64? = nil, record: String? = nil, database: String? = nil) throws -> (ScenarioRun, ScenarioOutcome) {
        let path = Self.root.appendingPathComponent("scenarios/\(name).yaml").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let document = try ScenarioDocument.parse(text: text, file: "scenarios/\(name).yaml", baseDirectory: Self.root.appendingPathComponent("scenarios").path)
        var options = RunOptions(seed: seed)
        options.recordPath = record ?? ""
        let db = database ?? Self.scratch.appendingPathComponent("\(name)-\(seed ?? document.seed).sqlite").path
        try? FileManager.default.removeItem(atPath: db)
        let world = try ScenarioRun(document: document, options: options, databasePath: db)
        world.run()
        let outcome = world.outcome()
        try world.writeResults(outcome)
        return (world, outcome)
    }

    func assertPasses(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let (_, outcome) = try run(name)
        XCTAssertFalse(outcome.expectations.isEmpty, "\(name) has no expectations", file: file, line: line)
        for e in outcome.expectations where !e.passed {
            XCTFail("\(name): \(e.expectation) — actual \(e.actual)", file: file, line: line)
        }
    }

    func testEveryShippedScenarioIsTested() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.root.appendingPathComponent("scenarios").path)
            .filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
        let tested = ["broker-restart", "crash-recovery", "db-outage", "exactly-once-vs-at-least-once", "idle-partition", "late-data", "load-extreme",
                      "load-heavy", "load-light", "load-medium", "retention-data-loss", "seed-spark-vs-flink", "seed-week6-daily-ohlc"]
        XCTAssertEqual(names, tested, "a scenario was added or removed: give it a test below")
    }

    func testSeedWeek6DailyOHLC() throws { try assertPasses("seed-week6-daily-ohlc") }
    func testSeedSparkVsFlink() throws { try assertPasses("seed-spark-vs-flink") }
    func testCrashRecovery() throws { try assertPasses("crash-recovery") }
    func testBrokerRestart() throws { try assertPasses("broker-restart") }
    func testDatabaseOutage() throws { try assertPasses("db-outage") }
    func testRetentionDataLoss() throws { try assertPasses("retention-data-loss") }
    func testIdlePartition() throws { try assertPasses("idle-partition") }
    func testExactlyOnceVsAtLeastOnce() throws { try assertPasses("exactly-once-vs-at-least-once") }
    func testLoadLight() throws { try assertPasses("load-light") }
    func testLoadMedium() throws { try assertPasses("load-medium") }
    func testLoadHeavy() throws { try assertPasses("load-heavy") }
    func testLoadExtreme() throws { try assertPasses("load-extreme") }

    /// late-data passes, and its diff labels are the ones its comment explains: the 23:59 BTCUSDT candle, where both
    /// engines ended up counting the same records (Spark dropped and Flink side-outputted the same trade; Flink's late
    /// firings caught up with what Spark kept), differs only by floating-point rounding and the label names the late
    /// records that touched it; the ETHUSDT candles differ only by rounding; nothing is unexplained; the late records
    /// include a Spark drop, Flink late firings and a side output.
    func testLateDataPassesWithExpectedDiffLabels() throws {
        let (_, outcome) = try run("late-data")
        for e in outcome.expectations where !e.passed { XCTFail("late-data: \(e.expectation) — actual \(e.actual)") }
        XCTAssertFalse(outcome.diff.contains { $0.label.isUnexplained })
        let labels = outcome.diff.filter { $0.label != .same }.map { "\($0.window) \($0.label)" }
        let btcMidnightMinus1 = outcome.diff.first { $0.window.key == "BTCUSDT" && $0.window.description.hasPrefix("[23:59:00.000") }
        XCTAssertNotNil(btcMidnightMinus1)
        XCTAssertTrue(btcMidnightMinus1?.label.description.hasPrefix("expected: floating-point rounding") == true, labels.joined(separator: "\n"))
        XCTAssertTrue(btcMidnightMinus1?.label.description.contains("Spark dropped 1 record(s)") == true, labels.joined(separator: "\n"))
        for d in outcome.diff where d.window.key == "ETHUSDT" && d.label != .same {
            XCTAssertTrue(d.label.description.hasPrefix("expected: floating-point rounding"), "\(d.window): \(d.label)")
        }
        XCTAssertTrue(outcome.diff.contains { $0.window.key == "BTCUSDT" && $0.label.description.contains("Flink re-fired") })
        XCTAssertEqual(Set(outcome.late.map(\.fate)), ["dropped", "late_firing", "side_output"])
        XCTAssertEqual(outcome.late.filter { $0.engine == .spark }.map(\.fate), ["dropped"])
    }

    /// Same scenario, same seed ⇒ the same digest and the same metrics.
    func testSameSeedSameDigest() throws {
        let (_, a) = try run("db-outage", database: Self.scratch.appendingPathComponent("twice-a.sqlite").path)
        let (_, b) = try run("db-outage", database: Self.scratch.appendingPathComponent("twice-b.sqlite").path)
        XCTAssertEqual(a.digest, b.digest)
        XCTAssertEqual(a.metrics.map(\.name), b.metrics.map(\.name))
        XCTAssertEqual(a.metrics.map(\.value), b.metrics.map(\.value))
        // …and `sim diff` calls the two databases the same.
        let comparison = try RunComparison.compare(try ResultsFile.open(Self.scratch.appendingPathComponent("twice-a.sqlite").path),
                                                   try ResultsFile.open(Self.scratch.appendingPathComponent("twice-b.sqlite").path))
        XCTAssertTrue(comparison.identical, comparison.text(nameA: "a", nameB: "b"))
    }

    /// Two seeds differ, and `sim diff` says where: the digest, metrics, job tables.
    func testDiffOfTwoSeeds() throws {
        let (_, a) = try run("retention-data-loss", seed: 8)
        let (_, b) = try run("retention-data-loss", seed: 9)
        XCTAssertNotEqual(a.digest, b.digest)
        let comparison = try RunComparison.compare(try ResultsFile.open(a.databasePath!), try ResultsFile.open(b.databasePath!))
        XCTAssertFalse(comparison.identical)
        XCTAssertTrue(comparison.run.contains { $0.key == "digest" && $0.a != $0.b })
        XCTAssertTrue(comparison.tables.contains { $0.table == "candles_lenient" && !($0.onlyA.isEmpty && $0.onlyB.isEmpty) })
        let text = comparison.text(nameA: "seed 8", nameB: "seed 9")
        XCTAssertTrue(text.contains("≠ digest"), text)
        XCTAssertTrue(text.hasSuffix("The runs differ.\n"))
    }

    /// `--record`: the capture holds every record that entered the log, and SQL over the results reads back.
    func testRecordAndQuery() throws {
        let capture = Self.scratch.appendingPathComponent("retention.jsonl.zst").path
        let (world, outcome) = try run("retention-data-loss", record: capture)
        try world.recorder?.close()
        let (header, count) = try CaptureFile.validate(path: capture)
        XCTAssertEqual(Double(count), outcome.metric("log.records"))
        XCTAssertEqual(header.seed, 8)
        let db = try ResultsFile.open(outcome.databasePath!)
        let r = try ResultsFile.query(db, "SELECT COUNT(*) FROM log_records")
        XCTAssertEqual(r.rows.first?[0].int64Value.map(Double.init), outcome.metric("log.records"))
        XCTAssertThrowsError(try ResultsFile.query(db, "SELECT * FROM no_such_table")) { error in
            XCTAssertTrue("\(error)".contains("tables: "), "\(error)")
        }
        let table = ResultsFile.render(columns: ["name", "value"], rows: try ResultsFile.query(db, "SELECT name, value FROM metrics WHERE name = 'log.records'").rows)
        XCTAssertTrue(table.contains("log.records"))
        XCTAssertTrue(table.hasSuffix("(1 row)\n"))
    }
}
