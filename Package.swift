// swift-tools-version: 6.2
import PackageDescription

// StreamSim: a deterministic simulation and replay testbed for exchange feed → Kafka → Spark / Flink → database.
// Modules follow DEVELOPERS.md; data flows one way:
//   SimCore → SimLog → SimFeeds → QueryModel → SparkEngine, FlinkEngine → Sinks → Scenario → Report → sim
// Only versions listed in /work/.library/env/machines/swift-packages-b.md are used.

let collections = "swift-collections"

let package = Package(
    name: "StreamSim",
    platforms: [.macOS(.v15)],  // Linux is the target; this only matters for Synchronization on macOS.
    products: [
        .executable(name: "sim", targets: ["sim"]),
        .library(name: "StreamSim", targets: ["SimCore", "SimLog", "SimFeeds", "QueryModel", "SparkEngine", "FlinkEngine", "Sinks", "Scenario", "Report"]),
        .library(name: "SimTesting", targets: ["SimTesting"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // System libraries: module map + shim header in Sources/<name>/; the Debian packages are named for hints.
        .systemLibrary(name: "CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CZstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),  // reading the gzip captures in ../shared/captures

        // SHA-256 block compression with the x86 SHA extensions (SimCore's trace digest; portable Swift fallback).
        .target(name: "CSHA256"),
        .target(name: "SimCore", dependencies: [
            "CSHA256",
            .product(name: "HeapModule", package: collections),
            .product(name: "OrderedCollections", package: collections),
        ]),
        .target(name: "SimLog", dependencies: [
            "SimCore", "CZstd",
            .product(name: "DequeModule", package: collections),
            .product(name: "OrderedCollections", package: collections),
        ]),
        .target(name: "SimFeeds", dependencies: [
            "SimCore", "SimLog", "CZlib",
            .product(name: "OrderedCollections", package: collections),
        ]),
        .target(name: "QueryModel", dependencies: [
            "SimCore", "SimLog",
            .product(name: "OrderedCollections", package: collections),
        ]),
        .target(name: "SparkEngine", dependencies: [
            "SimCore", "SimLog", "QueryModel",
            .product(name: "OrderedCollections", package: collections),
        ]),
        .target(name: "FlinkEngine", dependencies: [
            "SimCore", "SimLog", "QueryModel",
            .product(name: "HeapModule", package: collections),
            .product(name: "DequeModule", package: collections),
            .product(name: "OrderedCollections", package: collections),
        ]),
        .target(name: "Sinks", dependencies: [
            "SimCore", "QueryModel", "SparkEngine", "FlinkEngine", "CSQLite",
            .product(name: "OrderedCollections", package: collections),
        ]),
        .target(name: "Scenario", dependencies: [
            "SimCore", "SimLog", "SimFeeds", "QueryModel", "SparkEngine", "FlinkEngine", "Sinks", "Report",
            .product(name: "Yams", package: "Yams"),
            .product(name: "OrderedCollections", package: collections),
        ]),
        .target(name: "Report", dependencies: [
            "SimCore",
            .product(name: "OrderedCollections", package: collections),
        ]),
        // Exploration: seed loops, invariants, swarm scenarios, shrinking, crash points — no XCTest, so `sim explore` uses it.
        .target(name: "Exploration", dependencies: ["SimCore", "SimLog", "QueryModel", "SparkEngine", "FlinkEngine", "Sinks", "Scenario"]),
        // SimTesting: the XCTest face of Exploration (XCTFail with seed, shrunk YAML and replay command).
        .target(name: "SimTesting", dependencies: ["Exploration", "Scenario"]),
        .executableTarget(name: "sim", dependencies: [
            "SimCore", "SimLog", "SimFeeds", "QueryModel", "SparkEngine", "FlinkEngine", "Sinks", "Scenario", "Report", "Exploration",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "SimCoreTests", dependencies: ["SimCore", "SimTesting"]),
        .testTarget(name: "SimLogTests", dependencies: ["SimLog", "SimTesting"]),
        .testTarget(name: "SimFeedsTests", dependencies: ["SimFeeds", "SimTesting"]),
        .testTarget(name: "QueryModelTests", dependencies: ["QueryModel", "SimTesting"]),
        .testTarget(name: "SparkEngineTests", dependencies: ["SparkEngine", "SimTesting"]),
        .testTarget(name: "FlinkEngineTests", dependencies: ["FlinkEngine", "SimTesting"]),
        .testTarget(name: "SinksTests", dependencies: ["Sinks", "SimTesting"]),
        .testTarget(name: "ScenarioTests", dependencies: ["Scenario", "SimTesting"]),
        .testTarget(name: "ReportTests", dependencies: ["Report", "SimTesting"]),
        .testTarget(name: "SimTestingTests", dependencies: ["SimTesting", "Scenario"]),
    ]
)

// Same strictness everywhere; system libraries take no settings.
for target in package.targets where target.type != .system && target.name != "CSHA256" {
    target.swiftSettings = (target.swiftSettings ?? []) + [
        .enableUpcomingFeature("ExistentialAny"),
        .enableUpcomingFeature("MemberImportVisibility"),
        .enableUpcomingFeature("InternalImportsByDefault"),
    ]
}
