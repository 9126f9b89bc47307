import SimCore
import SimFeeds
import SimLog
import SimTesting
import XCTest

final class ImportedCaptureTests: XCTestCase {
    let fixture = packageRoot + "/fixtures/captures/binance-spot-midnight.jsonl.zst"

    /// The shipped excerpt (60 s of BTC+ETH trades and depth around UTC midnight) and its measured disorder, which
    /// a time-faithful replay through a log and a re-recording must keep exactly.
    func testImportedBinanceCaptureKeepsItsDisorderThroughReplay() throws {
        let before = try CaptureStatistics.compute(path: fixture)
        XCTAssertEqual(before.records, 3994)
        XCTAssertEqual(before.topicCounts.map(\.count), [1194, 2800], "binance.depth, binance.trade")
        XCTAssertEqual(before.streamDisorder.map(\.outOfOrder), [0, 0, 0, 0], "0 % out of order within each exchange stream")
        XCTAssertEqual(before.merged.outOfOrder, 80)
        XCTAssertEqual(before.merged.maxLateness, 2)
        XCTAssertEqual(before.minReceiveMinusEvent, -1276, "the recorder's clock is ~1.27 s behind Binance")

        let dir = temporaryDirectory("imported")
        let out = dir + "/replayed.jsonl.zst"
        let first = try XCTUnwrap(try CaptureReader(path: fixture).next())
        let env = SimEnvironment(seed: 3, start: first.receiveTime)
        let log = try IngestLog(env: env)
        let recorder = try CaptureRecorder(path: out, header: CaptureHeader(source: "replay of fixture", clock: "virtual"))
        log.onAppend { r, tp, t in recorder.record(r, in: tp, at: t) }
        let replayer = try CaptureReplayer(path: fixture, env: env, producer: log)
        replayer.start()
        env.scheduler.runUntilIdle()
        try recorder.close()
        let after = try CaptureStatistics.compute(path: out)
        XCTAssertEqual(after.records, before.records)
        XCTAssertEqual(after.merged, before.merged)
        XCTAssertEqual(after.streamDisorder, before.streamDisorder)
        XCTAssertEqual(after.topicDisorder, before.topicDisorder)
        XCTAssertEqual(after.keyDisorder, before.keyDisorder)
    }

    func testCryptofeedImportSkipsControlLinesAndKeepsMicroseconds() throws {
        let dir = temporaryDirectory("cryptofeed")
        let raw = dir + "/COINBASE.ws.1.0"
        let text = """
        wss://ws-feed.pro.coinbase.com <-> 1618677816.8434298
        wss://ws-feed.pro.coinbase.com <- 1618677817.020616: {"type":"subscribe","product_ids":["SKL-USD"],"channels":["ticker"]}
        1618677817.061845: {"type":"subscriptions","channels":[]}
        1618677817.1295161: {"type":"match","trade_id":280232,"side":"sell","size":"985","price":"0.00001305","product_id":"SKL-BTC","sequence":177100030,"time":"2021-04-17T16:43:37.089723Z"}
        1618677817.2: {"type":"ticker","product_id":"SKL-USD","price":"0.791","time":"2021-04-17T16:41:50.000001Z"}

        """
        writeBytes(raw, Array(text.utf8))
        let out = dir + "/cb.jsonl.zst"
        let summary = try CaptureImporter.importFiles([raw], to: out, source: "t", clock: "t")
        XCTAssertEqual(summary.written, 2)
        XCTAssertEqual(summary.skipped, 3)
        let (_, records) = try CaptureFile.load(path: out)
        XCTAssertEqual(records.map(\.topic), ["coinbase.match", "coinbase.ticker"])
        XCTAssertEqual(records[0].receiveNanos, 1_618_677_817_129_516_100)
        XCTAssertEqual(records[0].receiveTime, ProcessingTime(1_618_677_817_129))
        XCTAssertEqual(records[0].keyText, "SKL-BTC")
        XCTAssertEqual(records[0].eventTime, EventTime(UTCTimestamp.parse("2021-04-17T16:43:37.089Z")!))
        XCTAssertEqual(String(decoding: records[0].value!, as: UTF8.self).prefix(30), "{\"type\":\"match\",\"trade_id\":280")

        let badPath = dir + "/bad.ws.1.0"
        writeBytes(badPath, Array("1618677817.1: {\"type\":\"match\",\"product_id\":\"X\"}\nnot a line\n".utf8))
        XCTAssertThrowsError(try CaptureImporter.importFiles([badPath], to: dir + "/bad.jsonl", source: "t", clock: "t")) { e in
            XCTAssertTrue("\(e)".contains("bad.ws.1.0:2:"), "\(e)")
        }
        XCTAssertFalse(fileExists(dir + "/bad.jsonl"), "a failed import leaves no output behind")
    }
}
