#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SimCore
import SimFeeds
import SimLog

/// The package root, from this file's path (Tests/SimFeedsTests/TestSupport.swift).
let packageRoot: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    parts.removeLast(3)
    return parts.joined(separator: "/")
}()

func fileExists(_ path: String) -> Bool { access(path, F_OK) == 0 }

func readBytes(_ path: String) -> [UInt8] {
    guard let f = fopen(path, "rb") else { return [] }
    defer { fclose(f) }
    var out = [UInt8]()
    var buf = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = buf.withUnsafeMutableBytes { fread($0.baseAddress, 1, 65536, f) }
        if n == 0 { break }
        out += buf[0..<n]
    }
    return out
}

func writeBytes(_ path: String, _ bytes: [UInt8]) {
    let f = fopen(path, "wb")!
    _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, bytes.count, f) }
    fclose(f)
}

/// Collects every send with its virtual time.
final class CollectingProducer: RecordProducing {
    let scheduler: Scheduler
    var sent: [(time: ProcessingTime, record: ProducerRecord)] = []
    init(_ scheduler: Scheduler) { self.scheduler = scheduler }
    func send(_ record: ProducerRecord) { sent.append((scheduler.now, record)) }
}

let midnight = ProcessingTime(UTCTimestamp.parse("2024-08-08T23:55:00Z")!)

/// Runs a generator config from `start` and returns what was sent.
func generate(_ config: FeedGeneratorConfig, seed: UInt64, start: ProcessingTime = midnight) -> (sent: [(time: ProcessingTime, record: ProducerRecord)], stats: [FeedStatistics], digest: String) {
    let env = SimEnvironment(seed: seed, start: start)
    let p = CollectingProducer(env.scheduler)
    let g = FeedGenerator(env: env, producer: p, config: config)
    g.start()
    env.scheduler.runUntilIdle()
    return (p.sent, g.statistics, env.trace.digest)
}
