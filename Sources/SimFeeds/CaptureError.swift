/// Why a capture (or a source file being imported) could not be read or written. Every case names the file and,
/// where it applies, the 1-based line, so a user can open the file at the right place.
public enum CaptureError: Error, Equatable, CustomStringConvertible {
    /// The file could not be opened, read or written (`errno` text).
    case io(file: String, operation: String, reason: String)
    /// The compressed stream is corrupt or truncated (zstd or gzip).
    case compression(file: String, reason: String)
    /// The first line is not a StreamSim capture header.
    case missingHeader(file: String, reason: String)
    /// The header names a format version this build cannot read.
    case unsupportedVersion(file: String, version: Int64, supported: Int64)
    /// A line is not valid JSON or lacks a required field, or a field has the wrong type.
    case badLine(file: String, line: Int, reason: String)

    public var description: String {
        switch self {
        case let .io(file, operation, reason): return "\(file): cannot \(operation): \(reason)"
        case let .compression(file, reason): return "\(file): corrupt or truncated compressed data: \(reason)"
        case let .missingHeader(file, reason):
            return "\(file):1: not a StreamSim capture (\(reason)); the first line must be a header such as {\"format\":\"\(CaptureHeader.formatName)\",\"version\":\(CaptureHeader.currentVersion),…}"
        case let .unsupportedVersion(file, version, supported):
            return "\(file):1: capture format version \(version) is not supported by this build (it reads version \(supported)); upgrade StreamSim or re-export the capture"
        case let .badLine(file, line, reason): return "\(file):\(line): \(reason)"
        }
    }
}
