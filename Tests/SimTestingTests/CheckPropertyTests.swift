import XCTest
import SimTesting

final class CheckPropertyTests: XCTestCase {
    func testReportsTheFirstFailingSeedWithAReplayCommand() {
        let failure = checkProperty("even seeds only", seeds: 1...10, testFilter: "SimTestingTests.CheckPropertyTests") { seed in
            seed % 2 == 0 || seed < 3 ? nil : "odd seed \(seed)"
        }
        XCTAssertEqual(failure?.seed, 3)
        XCTAssertEqual(failure?.message, "odd seed 3")
        XCTAssertEqual(failure?.replay, "STREAMSIM_SEED=3 swift test --filter SimTestingTests.CheckPropertyTests")
        XCTAssertNil(checkProperty("always", seeds: 1...5, testFilter: "x") { _ in nil })
    }
}
