import XCTest
@testable import SimCore

final class SHA256Tests: XCTestCase {
    // NIST FIPS 180-4 example vectors (also what `hashlib.sha256` prints).
    func testNISTVectors() {
        XCTAssertEqual(SHA256.hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hash(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hash("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        var h = SHA256()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 { h.update(chunk) }
        XCTAssertEqual(h.hexDigest(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    func testIncrementalEqualsOneShotForEverySplit() {
        let text = Array("The quick brown fox jumps over the lazy dog, again and again, past the 64-byte block edge.".utf8)
        let whole = SHA256.hash(text)
        for split in 0...text.count {
            var h = SHA256()
            h.update(Array(text[..<split]))
            h.update(text[split...])   // the generic Sequence path
            XCTAssertEqual(h.finalize(), whole, "split at \(split)")
        }
    }
}

final class TraceTests: XCTestCase {
    func testCanonicalLine() {
        let e = TraceEvent(time: ProcessingTime(1500), kind: .watermark, component: "flink", fields: [
            ("op", "window"), ("wm", .int(59_999)), ("ratio", .double(0.5)), ("reason", "min over splits"), ("key", .null), ("idle", true),
        ])
        XCTAssertEqual(e.canonicalLine, #"1500 watermark flink op=window wm=59999 ratio=0.5 reason="min over splits" key=null idle=true"#)
        XCTAssertEqual(TraceValue.string("a\"b\n").description, #""a\"b\n""#)
        XCTAssertEqual(TraceValue.string("").description, #""""#)
    }

    func testDigestIsOverCanonicalLines() {
        let t = Trace(retention: .all)
        t.record(at: ProcessingTime(0), .note, "test")
        // sha256("0 note test\n") computed with hashlib.
        XCTAssertEqual(t.digest, "35fdbfed9c7d5453fc4afab3d98585e736c5900452b7cef5f62b7399255f0dae")
        XCTAssertEqual(t.lines, ["0 note test"])
    }

    func testSameEventsSameDigestDifferentEventsDifferentDigest() {
        func run(_ wm: Int64) -> String {
            let t = Trace()
            t.record(at: ProcessingTime(1), .batch, "spark", [("id", .int(0))])
            t.record(at: ProcessingTime(2), .watermark, "spark", [("wm", .int(wm))])
            return t.digest
        }
        XCTAssertEqual(run(5), run(5))
        XCTAssertNotEqual(run(5), run(6))
    }

    func testControlDetailLeavesPerRecordEventsOutButObserversSeeThem() {
        let t = Trace(detail: .control, retention: .all)
        var observed: [TraceKind] = []
        t.observe { observed.append($0.kind) }
        t.record(at: ProcessingTime(1), .append, "log")
        t.record(at: ProcessingTime(2), .fire, "flink")
        XCTAssertEqual(t.lines, ["2 fire flink"])
        XCTAssertEqual(t.eventCount, 1)
        XCTAssertEqual(observed, [.append, .fire])
        XCTAssertTrue(t.wants(.append), "observers want per-record events")
        XCTAssertFalse(Trace(detail: .control).wants(.append))
    }

    func testRetentionLastKeepsTheTail() {
        let t = Trace(retention: .last(3))
        for i in 0..<10 { t.record(at: ProcessingTime(Int64(i)), .note, "n") }
        XCTAssertEqual(t.lines, ["7 note n", "8 note n", "9 note n"])
        XCTAssertEqual(t.eventCount, 10)
    }

    func testFirstDivergence() {
        XCTAssertNil(Trace.firstDivergence(["a", "b"], ["a", "b"]))
        let d = Trace.firstDivergence(["a", "b", "c"], ["a", "x"])
        XCTAssertEqual(d?.index, 1)
        XCTAssertEqual(d?.a, "b")
        XCTAssertEqual(d?.b, "x")
        XCTAssertEqual(Trace.firstDivergence(["a"], ["a", "z"])?.b, "z")
    }
}

final class SHA256BlockTests: XCTestCase {
    /// The compression function in use (the SHA extensions where the CPU has them) gives the same state as the
    /// portable Swift one, over many pseudo-random blocks; and every split of a message gives the one-shot digest.
    func testAcceleratedCompressionMatchesPortable() {
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt8 { x ^= x << 13; x ^= x >> 7; x ^= x << 17; return UInt8(truncatingIfNeeded: x) }
        for blocks in [1, 2, 3, 7, 16] {
            let bytes = (0..<(64 * blocks)).map { _ in next() }
            var fast = SHA256()
            fast.update(bytes)          // whole blocks: straight through the dispatching compress
            var slow = SHA256()
            slow.compressPortableForTesting(bytes)
            XCTAssertEqual(fast.stateForTesting, slow.stateForTesting, "\(blocks) blocks, SHA extensions: \(SHA256.usesSHAExtensions)")
        }
        let message = (0..<1000).map { _ in next() }
        let whole = SHA256.hash(message)
        for step in [1, 3, 17, 63, 64, 65, 130] {
            var h = SHA256()
            var i = 0
            while i < message.count { let j = min(i + step, message.count); h.update(Array(message[i..<j])); i = j }
            XCTAssertEqual(h.finalize(), whole, "step \(step)")
        }
    }
}
