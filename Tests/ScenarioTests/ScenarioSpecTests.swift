import XCTest
import SimCore
@testable import Scenario

final class ScenarioSpecTests: XCTestCase {
    private func value(_ yaml: String) throws -> YAMLValue { try YAMLDocument(file: "s.yaml", text: yaml).reader }

    func testTopicWithKafkaConfigNames() throws {
        let t = try TopicSpec.parse(try value("name: crypto_prices\npartitions: 3\nretention: 1 minute\nsegment.bytes: 4096\n"))
        XCTAssertEqual(t, TopicSpec(name: "crypto_prices", partitions: 3, retentionMs: 60_000, retentionBytes: nil,
                                    segmentBytes: 4096, segmentMs: nil, timestampType: "CreateTime", retentionCheckIntervalMs: nil))
        XCTAssertEqual(try TopicSpec.parse(try value("name: t\nretention.ms: -1\n")).retentionMs, -1)
        XCTAssertThrowsError(try TopicSpec.parse(try value("name: t\npartitions: 0\n"))) { e in
            XCTAssertEqual("\(e)", "s.yaml:2:13: error: `partitions`: a topic needs 1 … 1024 partitions, found 0")
        }
        XCTAssertThrowsError(try TopicSpec.parse(try value("name: t\nparitions: 3\n"))) { e in
            XCTAssertTrue("\(e)".hasPrefix("s.yaml:2:1: error: unknown key `paritions` in the top level; did you mean `partitions`?"), "\(e)")
        }
    }

    func testFaults() throws {
        XCTAssertEqual(try FaultSpec.parse(try value("at: +90s\ncrash: flink\nrestart_after: 5 seconds\n")),
                       FaultSpec(at: .afterStart(.seconds(90)), action: .crash(.flink, restartAfter: .seconds(5))))
        XCTAssertEqual(try FaultSpec.parse(try value("at: 2024-08-09T00:01:00Z\nbroker_down: 30 seconds\n")),
                       FaultSpec(at: .absolute(ProcessingTime(1_723_161_660_000)), action: .brokerDown(.seconds(30))))
        XCTAssertEqual(try FaultSpec.parse(try value("at: +1m\nnetwork_delay: 2s\nfor: 10s\n")).action,
                       .networkDelay(extra: .seconds(2), duration: .seconds(10)))
        XCTAssertEqual(try FaultSpec.parse(try value("at: +1m\ncrash_between_offsets_and_commit: spark\nbatch: 3\n")).action,
                       .crashBetweenOffsetsAndCommit(batch: 3))
        XCTAssertThrowsError(try FaultSpec.parse(try value("at: +1m\ncrash: flink\nbroker_down: 1s\n"))) { e in
            XCTAssertTrue("\(e)".contains("a fault needs exactly one of"), "\(e)")
            XCTAssertTrue("\(e)".contains("found crash and broker_down"), "\(e)")
        }
        XCTAssertThrowsError(try FaultSpec.parse(try value("at: +1m\ncrash: flnk\n"))) { e in
            XCTAssertTrue("\(e)".contains("did you mean \"flink\"?"), "\(e)")
        }
        XCTAssertThrowsError(try FaultSpec.parse(try value("at: soon\ncrash: spark\n"))) { e in
            XCTAssertTrue("\(e)".hasPrefix("s.yaml:1:5: error: `at`: expected an instant"), "\(e)")
        }
        XCTAssertEqual(FaultInstant.afterStart(.seconds(90)).resolve(start: ProcessingTime(1000)), ProcessingTime(91_000))
    }

    func testExpectations() throws {
        let metrics = ["spark.late_dropped", "flink.side_output.count"]
        XCTAssertEqual(try Expectation.parse(try value("spark.late_dropped >= 1"), knownMetrics: metrics),
                       .compare(metric: "spark.late_dropped", op: .greaterOrEqual, value: 1))
        XCTAssertEqual(try Expectation.parse(try value("flink.side_output.count == 3"), knownMetrics: metrics),
                       .compare(metric: "flink.side_output.count", op: .equal, value: 3))
        XCTAssertEqual(try Expectation.parse(try value("no_duplicates: crypto_prices_flink"), knownMetrics: metrics),
                       .noDuplicates(table: "crypto_prices_flink"))
        XCTAssertEqual(try Expectation.parse(try value("same_results: [spark, flink]"), knownMetrics: metrics), .sameResults([.spark, .flink]))
        XCTAssertThrowsError(try Expectation.parse(try value("spark.late_droped >= 1"), knownMetrics: metrics)) { e in
            XCTAssertTrue("\(e)".contains("unknown metric `spark.late_droped`; did you mean `spark.late_dropped`?"), "\(e)")
        }
        XCTAssertThrowsError(try Expectation.parse(try value("spark.late_dropped >= lots"), knownMetrics: metrics)) { e in
            XCTAssertTrue("\(e)".contains("expected a number after >=, found \"lots\""), "\(e)")
        }
        XCTAssertTrue(ComparisonOperator.greaterOrEqual.holds(2, 1))
        XCTAssertFalse(ComparisonOperator.less.holds(2, 1))
    }
}
