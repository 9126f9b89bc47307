import XCTest
import SimCore
@testable import SimLog

/// CLI text: `kafka-topics --describe` and `kafka-console-consumer` formats (research note §7.1, §7.2).
final class LogTextTests: XCTestCase {
    func testDescribeTopicMirrorsKafkaTopics() throws {
        let b = makeBroker()
        try b.createTopic("t", partitions: 2, config: TopicConfig(retentionMs: 60_000, segmentBytes: 4096))
        try b.append(oneRecordBatch(ts: 1), to: TopicPartition("t", 1))
        let text = try LogText.describeTopic(b, "t")
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let id = b.topic("t")!.topicId
        XCTAssertEqual(id.count, 22)
        XCTAssertEqual(lines[0], "Topic: t\tTopicId: \(id)\tPartitionCount: 2\tReplicationFactor: 1\tConfigs: retention.ms=60000,segment.bytes=4096")
        XCTAssertEqual(lines[1], "\tTopic: t\tPartition: 0\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: N/A\tLastKnownElr: N/A")
        XCTAssertEqual(lines[2], "\tTopic: t\tPartition: 1\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: N/A\tLastKnownElr: N/A")
        XCTAssertEqual(lines[3], "")
        XCTAssertEqual(lines[4], "# StreamSim log state (not part of kafka-topics output)")
        XCTAssertEqual(lines[6], "\tPartition: 1\tLogStartOffset: 0\tHighWatermark: 1\tSegments: 1\tBytes: 73\tRecords: 1")
        // Same name ⇒ same id in every run; defaults print nothing after Configs:.
        let b2 = makeBroker(seed: 99)
        try b2.createTopic("t", partitions: 1)
        XCTAssertEqual(b2.topic("t")!.topicId, id)
        XCTAssertTrue(try LogText.describeTopic(b2, "t", includeStreamSimSection: false).hasPrefix("Topic: t\tTopicId: \(id)\tPartitionCount: 1\tReplicationFactor: 1\tConfigs: \n"))
        XCTAssertThrowsError(try LogText.describeTopic(b, "nope")) { XCTAssertEqual(($0 as? LogError)?.code, 3) }
    }

    func testConsoleConsumerFormatting() {
        let r = ConsumedRecord(topicPartition: TopicPartition("t", 0),
                               record: Record(offset: 42, timestamp: EventTime(1_700_000_000_000), key: utf8("key"), value: utf8("value"),
                                              headers: [RecordHeader(key: "h1", value: utf8("v1")), RecordHeader(key: "h2", value: nil)]),
                               timestampType: .createTime)
        XCTAssertEqual(LogText.consoleLine(r, format: .all), "CreateTime:1700000000000\tPartition:0\tOffset:42\th1:v1,h2:null\tkey\tvalue")
        XCTAssertEqual(LogText.consoleLine(r), "value")
        let bare = ConsumedRecord(topicPartition: TopicPartition("t", 3), record: Record(offset: 1, timestamp: EventTime(5), key: nil, value: nil),
                                  timestampType: .logAppendTime)
        XCTAssertEqual(LogText.consoleLine(bare, format: .all), "LogAppendTime:5\tPartition:3\tOffset:1\tNO_HEADERS\tnull\tnull")
        XCTAssertEqual(LogText.consoleOutput([r, r], format: ConsoleFormat(printKey: true)), "key\tvalue\nkey\tvalue\n")
    }

    func testGetOffsetsLines() throws {
        let b = makeBroker()
        try b.createTopic("t", partitions: 2)
        try b.append(oneRecordBatch(ts: 1), to: TopicPartition("t", 0))
        XCTAssertEqual(try LogText.getOffsets(b, "t", .latest), "t:0:1\nt:1:0\n")
    }
}
