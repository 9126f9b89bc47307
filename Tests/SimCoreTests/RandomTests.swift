import XCTest
@testable import SimCore

final class RandomTests: XCTestCase {
    // Expected values come from an independent Python implementation of SplitMix64 + xoshiro256** 1.0
    // (the reference C code's algorithm), not from this code.
    func testXoshiroMatchesReference() {
        var r0 = SimRandom(seed: 0)
        XCTAssertEqual([r0.next(), r0.next(), r0.next()], [11_091_344_671_253_066_420, 13_793_997_310_169_335_082, 1_900_383_378_846_508_768])
        var r42 = SimRandom(seed: 42)
        XCTAssertEqual([r42.next(), r42.next(), r42.next()], [1_546_998_764_402_558_742, 6_990_951_692_964_543_102, 12_544_586_762_248_559_009])
    }

    func testNamedStreamsAreIndependentOfEachOther() {
        XCTAssertEqual(RandomStreams.fnv1a64("a"), 0xaf63_dc4c_8601_ec8c)
        XCTAssertEqual(RandomStreams.fnv1a64(""), 0xcbf2_9ce4_8422_2325)
        let streams = RandomStreams(seed: 7)
        var feed = streams.stream("feed")
        XCTAssertEqual(feed.next(), 1_053_377_430_082_700_440)
        XCTAssertEqual(feed.next(), 18_367_372_604_271_310_261)
        // Drawing from another stream changes nothing in this one.
        var other = streams.stream("faults")
        for _ in 0..<1000 { _ = other.next() }
        var again = streams.stream("feed")
        XCTAssertEqual(again.next(), 1_053_377_430_082_700_440)
        var a = streams.stream("a"), b = streams.stream("b"), feed8 = RandomStreams(seed: 8).stream("feed")
        XCTAssertNotEqual(a.next(), b.next())
        XCTAssertNotEqual(feed8.next(), 1_053_377_430_082_700_440)
    }

    func testBoundedIntegersStayInRangeAndCoverIt() {
        var r = SimRandom(seed: 1)
        var counts = [Int](repeating: 0, count: 6)
        for _ in 0..<60_000 { counts[Int(r.nextInt(below: 6))] += 1 }
        for c in counts { XCTAssertEqual(Double(c), 10_000, accuracy: 500) }
        for _ in 0..<1000 {
            let v = r.nextInt(in: -5...5)
            XCTAssertTrue((-5...5).contains(v))
        }
        XCTAssertTrue((Int64.min...Int64.max).contains(r.nextInt(in: Int64.min...Int64.max)))
    }

    func testDistributionsHaveTheirMoments() {
        var r = SimRandom(seed: 3)
        let n = 100_000
        var sum = 0.0, sumSq = 0.0, expSum = 0.0, unifMin = 1.0, unifMax = 0.0
        for _ in 0..<n {
            let g = r.nextGaussian()
            sum += g; sumSq += g * g
            expSum += r.nextExponential(mean: 2.5)
            let u = r.nextDouble()
            unifMin = min(unifMin, u); unifMax = max(unifMax, u)
        }
        XCTAssertEqual(sum / Double(n), 0, accuracy: 0.02)
        XCTAssertEqual(sumSq / Double(n), 1, accuracy: 0.02)
        XCTAssertEqual(expSum / Double(n), 2.5, accuracy: 0.05)
        XCTAssertGreaterThanOrEqual(unifMin, 0)
        XCTAssertLessThan(unifMax, 1)
    }

    func testShuffleIsAPermutationAndSeeded() {
        var a = Array(0..<50), b = Array(0..<50)
        var r1 = SimRandom(seed: 9), r2 = SimRandom(seed: 9)
        r1.shuffle(&a); r2.shuffle(&b)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, Array(0..<50))
        XCTAssertEqual(a.sorted(), Array(0..<50))
    }
}
