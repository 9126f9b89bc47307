import XCTest
import SimCore
@testable import SimLog

/// The public zstd wrapper: one-shot and streaming, and its errors on truncated or corrupt input.
final class ZstdTests: XCTestCase {
    func testOneShotRoundTripSizes() throws {
        var rng = SimRandom(seed: 7)
        for size in [0, 1, 1000, 100_000] {
            let input = (0..<size).map { _ in UInt8(truncatingIfNeeded: rng.next() % 7) }
            let c = try Zstd.compress(input)
            XCTAssertTrue(Zstd.hasFrameMagic(c))
            XCTAssertEqual(try Zstd.decompress(c), input)
        }
    }

    func testStreamingCompressAndDecompressInChunks() throws {
        let lines = (0..<2000).map { "{\"seq\":\($0),\"symbol\":\"BTCUSDT\"}\n" }
        let c = try ZstdStreamCompressor(level: 3)
        var compressed: [UInt8] = []
        for (i, l) in lines.enumerated() {
            compressed += try c.compress(utf8(l))
            if i == 1000 { compressed += try c.flush() }
        }
        compressed += try c.finish()
        XCTAssertThrowsError(try c.compress([1])) { XCTAssertEqual($0 as? ZstdError, .finished) }
        // Feed it back 97 bytes at a time.
        let d = try ZstdStreamDecompressor()
        var out: [UInt8] = []
        var i = 0
        while i < compressed.count {
            out += try d.decompress(Array(compressed[i..<min(i + 97, compressed.count)]))
            i += 97
        }
        try d.finish()
        XCTAssertEqual(String(decoding: out, as: UTF8.self), lines.joined())
    }

    func testConcatenatedFramesDecode() throws {
        let a = try Zstd.compress(utf8("first "))
        let b = try Zstd.compress(utf8("second"))
        XCTAssertEqual(try Zstd.decompress(a + b), utf8("first second"))
    }

    func testTruncatedInputThrows() throws {
        let c = try Zstd.compress((0..<5000).map { UInt8($0 % 251) })
        XCTAssertThrowsError(try Zstd.decompress(Array(c.prefix(c.count / 2)))) {
            guard case .truncated? = $0 as? ZstdError else { return XCTFail("\($0)") }
            XCTAssertTrue("\($0)".contains("truncated"))
        }
    }

    func testCorruptInputThrows() {
        XCTAssertThrowsError(try Zstd.decompress(utf8("definitely not zstd"))) {
            guard case .library(_, let name)? = $0 as? ZstdError else { return XCTFail("\($0)") }
            XCTAssertFalse(name.isEmpty)
        }
    }

    func testOutputLimit() throws {
        let c = try Zstd.compress([UInt8](repeating: 0, count: 10_000))
        XCTAssertThrowsError(try Zstd.decompress(c, limit: 1000)) { XCTAssertEqual($0 as? ZstdError, .outputTooLarge(limit: 1000)) }
    }
}
