// SimTesting is Exploration plus XCTest: `import SimTesting` in a test gives both.
@_exported public import Exploration

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fresh temporary directory per call (`mkdtemp`; tests write only small files there).
public func temporaryDirectory(_ name: String) -> String {
    var template = Array("/tmp/streamsim-\(name)-XXXXXX".utf8CString)
    return template.withUnsafeMutableBufferPointer { p in String(cString: mkdtemp(p.baseAddress!)) }
}

#if canImport(XCTest)
import XCTest
public import Scenario

/// Runs `source` for every seed (honouring `STREAMSIM_SEED` to replay one), checks `invariants`, and on the first
/// failure calls `XCTFail` with the seed, the shrunk scenario as YAML, the one-line replay command and the shrunk
/// scenario as a ready XCTest case. Returns the failure (nil when every seed passed) for tests that expect one.
@discardableResult
public func assertProperty(_ source: ScenarioSource, seeds: some Sequence<UInt64>, invariants: [Invariant],
                           settings: SimulationSettings = SimulationSettings(), testFilter: String? = nil, threads: Int = 2,
                           shrinkBudget: Int = 120, expectFailure: Bool = false, file: StaticString = #filePath, line: UInt = #line) -> PropertyCheckFailure? {
    var explorer = Explorer(source: source, invariants: invariants, settings: settings)
    explorer.threads = threads
    explorer.shrinkBudget = shrinkBudget
    explorer.stopAtFirstFailure = true
    if let testFilter {
        explorer.replayCommand = { seed, _ in "STREAMSIM_SEED=\(seed) swift test --filter \(testFilter)" }
    }
    let report = explorer.run(seeds: PropertySeeds.effective(seeds))
    guard let failure = report.failures.first else {
        if expectFailure { XCTFail("expected some seed to break \(invariants.map(\.name)), but \(report.seedsRun.count) seed(s) passed", file: file, line: line) }
        return nil
    }
    if !expectFailure {
        XCTFail("\(failure)\nas an XCTest case:\n\(failure.xctestCase)", file: file, line: line)
    }
    return failure
}
#endif
