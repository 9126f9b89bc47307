public import SimCore
import Foundation

/// Why segment files could not be written or read back.
public enum SegmentFileError: Error, Equatable, CustomStringConvertible {
    /// A batch in `file` failed validation; `byteOffset` is where that batch starts in the file.
    case corrupt(file: String, byteOffset: Int, detail: String)
    /// A file's name says one base offset, its first batch another, or offsets go backwards across files.
    case inconsistentOffsets(file: String, detail: String)
    case io(path: String, detail: String)

    public var description: String {
        switch self {
        case let .corrupt(file, at, detail): return "corrupt segment \(file) at byte \(at): \(detail)"
        case let .inconsistentOffsets(file, detail): return "inconsistent segment \(file): \(detail)"
        case let .io(path, detail): return "I/O error on \(path): \(detail)"
        }
    }
}

/// Kafka's on-disk segment layout for one partition: `<20-digit zero-padded baseOffset>.log` files holding the
/// segment's v2 batches back to back, exactly as they sit in `FileRecords` (`LogFileUtils.logFile`,
/// `LogFileUtils.filenamePrefixFromOffset`). Index files (`.index`, `.timeindex`) are not written; Kafka rebuilds
/// them on recovery too (`LogSegment.recover`).
///
/// The log start offset after loading is the first segment's base offset (Kafka restores a mid-segment value set by
/// DeleteRecords from `log-start-offset-checkpoint`, which is not written here).
public enum SegmentFiles {
    /// `00000000000000000042.log` (`LogFileUtils.filenamePrefixFromOffset`: 20 digits, zero-padded).
    public static func fileName(baseOffset: Int64) -> String {
        let digits = String(baseOffset)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".log"
    }

    /// Writes each segment of `log` into `directory` (created if missing), replacing `.log` files already there.
    /// Returns the file names written, in offset order.
    @discardableResult
    public static func save(_ log: PartitionLog, to directory: String) throws -> [String] {
        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for name in try fm.contentsOfDirectory(atPath: directory).sorted() where isSegmentFileName(name) {
                try fm.removeItem(atPath: directory + "/" + name)
            }
        } catch {
            throw SegmentFileError.io(path: directory, detail: "\(error)")
        }
        var names: [String] = []
        for seg in log.segments {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(seg.sizeInBytes)
            for b in seg.batches {
                do { bytes += try b.batch.encode() } catch {
                    throw SegmentFileError.io(path: directory, detail: "cannot encode batch at offset \(b.baseOffset): \(error)")
                }
            }
            let name = fileName(baseOffset: seg.baseOffset)
            let path = directory + "/" + name
            guard fm.createFile(atPath: path, contents: Data(bytes)) else {
                throw SegmentFileError.io(path: path, detail: "could not create file")
            }
            names.append(name)
        }
        return names
    }

    /// Reads every `<baseOffset>.log` in `directory` back into a partition, validating every batch (CRC-32C, magic,
    /// lengths, records) and that offsets increase across batches and files.
    public static func load(_ tp: TopicPartition, from directory: String, now: ProcessingTime = .epoch) throws -> PartitionLog {
        let fm = FileManager.default
        let names: [String]
        do { names = try fm.contentsOfDirectory(atPath: directory).filter(isSegmentFileName).sorted() } catch {
            throw SegmentFileError.io(path: directory, detail: "\(error)")
        }
        var loaded: [(baseOffset: Int64, batches: [RecordBatch], sizes: [Int])] = []
        var expectedNext: Int64? = nil
        for name in names {
            let path = directory + "/" + name
            guard let data = fm.contents(atPath: path) else { throw SegmentFileError.io(path: path, detail: "could not read file") }
            let bytes = [UInt8](data)
            guard let base = Int64(name.dropLast(4)) else { throw SegmentFileError.inconsistentOffsets(file: name, detail: "name is not an offset") }
            var batches: [RecordBatch] = []
            var sizes: [Int] = []
            var pos = 0
            while pos < bytes.count {
                let decoded: (batch: RecordBatch, size: Int)
                do { decoded = try RecordBatch.decode(bytes, at: pos) } catch {
                    throw SegmentFileError.corrupt(file: path, byteOffset: pos, detail: "\(error)")
                }
                if batches.isEmpty && decoded.batch.baseOffset != base {
                    throw SegmentFileError.inconsistentOffsets(file: path, detail: "first batch starts at offset \(decoded.batch.baseOffset), the file name says \(base)")
                }
                if let e = expectedNext, decoded.batch.baseOffset < e {
                    throw SegmentFileError.inconsistentOffsets(file: path, detail: "batch at byte \(pos) starts at offset \(decoded.batch.baseOffset), below the previous batch's end \(e)")
                }
                expectedNext = decoded.batch.lastOffset + 1
                batches.append(decoded.batch)
                sizes.append(decoded.size)
                pos += decoded.size
            }
            loaded.append((base, batches, sizes))
        }
        return PartitionLog(tp, loadedSegments: loaded, now: now)
    }

    static func isSegmentFileName(_ name: String) -> Bool {
        name.utf8.count == 24 && name.hasSuffix(".log") && name.utf8.prefix(20).allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }
}
