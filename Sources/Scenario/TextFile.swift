#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file text reads and writes for scenario files, results and repros (stdio, no Foundation): the one place the
/// CLI, the explorer and the tests read and write text files.
public enum TextFile {
    /// Why a file could not be read or written, naming the path and the system's reason.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var path: String
        public var reason: String
        public var description: String { "\(path): \(reason)" }
    }

    /// The file's bytes as UTF-8 text (invalid sequences are replaced).
    public static func read(_ path: String) throws(Failure) -> String {
        guard let f = fopen(path, "rb") else { throw Failure(path: path, reason: "cannot open: \(String(cString: strerror(errno)))") }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buffer, 1, buffer.count, f)
            if n == 0 { break }
            bytes += buffer[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Writes `text`, creating or truncating the file.
    public static func write(_ path: String, _ text: String) throws(Failure) {
        guard let f = fopen(path, "wb") else { throw Failure(path: path, reason: "cannot write: \(String(cString: strerror(errno)))") }
        defer { fclose(f) }
        var t = text
        let written = t.withUTF8 { p in fwrite(p.baseAddress, 1, p.count, f) }
        guard written == text.utf8.count else { throw Failure(path: path, reason: "short write") }
    }
}
