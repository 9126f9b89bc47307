import XCTest
import SimCore
@testable import SimLog
import SimTesting

/// Bytes from a hex string; spaces and newlines are ignored.
func hexBytes(_ s: String) -> [UInt8] {
    let digits = Array(s.utf8).filter { $0 != 0x20 && $0 != 0x0a }
    var out: [UInt8] = []
    var i = 0
    while i + 1 < digits.count {
        out.append(UInt8(String(decoding: digits[i..<(i + 2)], as: UTF8.self), radix: 16)!)
        i += 2
    }
    return out
}

func hexString(_ b: [UInt8]) -> String { b.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined() }

func utf8(_ s: String) -> [UInt8] { Array(s.utf8) }

/// A broker on a fresh environment; the periodic retention cleaner is off unless asked for.
func makeBroker(seed: UInt64 = 1, start: Int64 = 1_700_000_000_000, cleaner: Bool = false,
                detail: Trace.Detail = .full) -> Broker {
    var cfg = BrokerConfig()
    cfg.retentionCleanerEnabled = cleaner
    return Broker(environment: SimEnvironment(seed: seed, start: ProcessingTime(start), detail: detail), config: cfg)
}

/// A one-record, null-key batch with the given timestamp (73 bytes with a 5-byte value).
func oneRecordBatch(ts: Int64, value: String = "hello", key: String? = nil) -> RecordBatch {
    RecordBatch(records: [(ts, key.map(utf8), utf8(value), [])])
}

/// Fails the test with the seed and replay command when a property failed.
func assertProperty(_ failure: PropertyFailure?, file: StaticString = #filePath, line: UInt = #line) {
    if let failure { XCTFail(failure.description, file: file, line: line) }
}
