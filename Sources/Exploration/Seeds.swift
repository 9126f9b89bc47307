public import SimCore

/// A failure found by a seeded property: the seed that produced it and how to replay it.
public struct PropertyFailure: Error, CustomStringConvertible {
    public var property: String
    public var seed: UInt64
    public var message: String
    public var replay: String

    public var description: String {
        "property \"\(property)\" failed for seed \(seed): \(message)\n  replay: \(replay)"
    }
}

/// Runs `body` once per seed and stops at the first failure, reporting the seed and a command that replays it.
///
/// `body` throws (or returns a non-nil message) to fail. The replay command names the XCTest filter and the
/// `STREAMSIM_SEED` environment variable, which `seeds(_:)` honours so that a single seed can be rerun:
///
///     STREAMSIM_SEED=1234 swift test --filter SimLogTests.RetentionPropertyTests
///
/// - Returns: nil when every seed passed.
public func checkProperty(
    _ name: String,
    seeds: some Sequence<UInt64>,
    testFilter: String,
    _ body: (UInt64) throws -> String?
) -> PropertyFailure? {
    for seed in PropertySeeds.effective(seeds) {
        let replay = "STREAMSIM_SEED=\(seed) swift test --filter \(testFilter)"
        do {
            if let message = try body(seed) {
                return PropertyFailure(property: name, seed: seed, message: message, replay: replay)
            }
        } catch {
            return PropertyFailure(property: name, seed: seed, message: "\(error)", replay: replay)
        }
    }
    return nil
}

public enum PropertySeeds {
    /// An environment variable (tests use it for opt-in slow or work-in-progress checks).
    public static func environment(_ name: String) -> String? { getenvString(name) }

    /// The seeds to run: `STREAMSIM_SEED` (a single seed) overrides the given range, to replay a failure.
    public static func effective(_ seeds: some Sequence<UInt64>) -> [UInt64] {
        if let env = getenvString("STREAMSIM_SEED"), let s = UInt64(env) { return [s] }
        return Array(seeds)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func getenvString(_ name: String) -> String? {
    guard let p = getenv(name) else { return nil }
    return String(cString: p)
}
