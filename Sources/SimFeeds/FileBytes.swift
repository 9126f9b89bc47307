#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import CZlib
import SimLog

// Streaming byte and line access to capture files, plain or compressed, without Foundation: captures can be large
// (a day of ticks is hundreds of MB uncompressed) and must never be loaded whole, and C stdio gives identical
// behaviour on every platform.

/// A source of decompressed bytes, read in chunks. `nil` means a clean end of input.
protocol ByteChunkSource: AnyObject {
    func nextChunk() throws(CaptureError) -> [UInt8]?
}

/// A raw file read in 256 KiB chunks.
final class RawFileSource: ByteChunkSource {
    let path: String
    private var file: UnsafeMutablePointer<FILE>?
    private let chunkSize: Int

    init(path: String, chunkSize: Int = 1 << 18) throws(CaptureError) {
        self.path = path
        self.chunkSize = chunkSize
        guard let f = fopen(path, "rb") else { throw CaptureError.io(file: path, operation: "open for reading", reason: String(cString: strerror(errno))) }
        file = f
    }

    deinit { if let f = file { fclose(f) } }

    func nextChunk() throws(CaptureError) -> [UInt8]? {
        guard let f = file else { return nil }
        var buf = [UInt8](repeating: 0, count: chunkSize)
        let n = buf.withUnsafeMutableBytes { fread($0.baseAddress, 1, chunkSize, f) }
        if n == 0 {
            let failed = ferror(f) != 0
            fclose(f)
            file = nil
            if failed { throw CaptureError.io(file: path, operation: "read", reason: String(cString: strerror(errno))) }
            return nil
        }
        buf.removeSubrange(n...)
        return buf
    }
}

/// zstd-decompressed bytes of a file, through SimLog's streaming `ZstdStreamDecompressor` (concatenated frames and
/// frames without a content size are accepted; a file ending inside a frame is an error, not a short read).
final class ZstdFileSource: ByteChunkSource {
    private let raw: RawFileSource
    private let decoder: ZstdStreamDecompressor
    private var done = false

    init(path: String) throws(CaptureError) {
        raw = try RawFileSource(path: path)
        do { decoder = try ZstdStreamDecompressor() } catch { throw CaptureError.compression(file: path, reason: "\(error)") }
    }

    func nextChunk() throws(CaptureError) -> [UInt8]? {
        while !done {
            guard let chunk = try raw.nextChunk() else {
                done = true
                do { try decoder.finish() } catch { throw CaptureError.compression(file: raw.path, reason: "\(error)") }
                return nil
            }
            let out: [UInt8]
            do { out = try decoder.decompress(chunk) } catch { throw CaptureError.compression(file: raw.path, reason: "\(error)") }
            if !out.isEmpty { return out }
        }
        return nil
    }
}

/// gzip-decompressed bytes of a file through zlib's `inflate` (multi-member files are read member after member, as
/// `zcat` does). Used only to import the hftbacktest captures.
final class GzipFileSource: ByteChunkSource {
    private let raw: RawFileSource
    private var stream = z_stream()
    private var input: [UInt8] = []
    private var inputOffset = 0
    private var rawDone = false
    private var memberDone = true
    private var started = false

    init(path: String) throws(CaptureError) {
        raw = try RawFileSource(path: path)
    }

    deinit { if started { inflateEnd(&stream) } }

    func nextChunk() throws(CaptureError) -> [UInt8]? {
        let outSize = 1 << 18
        var out = [UInt8](repeating: 0, count: outSize)
        while true {
            if inputOffset >= input.count && !rawDone {
                if let c = try raw.nextChunk() { input = c; inputOffset = 0 } else { rawDone = true }
            }
            if inputOffset >= input.count && rawDone {
                if started && !memberDone { throw CaptureError.compression(file: raw.path, reason: "gzip stream ends inside a member (truncated file)") }
                return nil
            }
            if memberDone {
                if started { inflateReset(&stream) } else {
                    guard czlib_inflate_init_gzip(&stream) == Z_OK else { throw CaptureError.compression(file: raw.path, reason: "zlib inflateInit2 failed") }
                    started = true
                }
                memberDone = false
            }
            let avail = input.count - inputOffset
            var produced = 0
            var code: Int32 = 0
            input.withUnsafeMutableBufferPointer { inBuf in
                out.withUnsafeMutableBufferPointer { outBuf in
                    stream.next_in = inBuf.baseAddress! + inputOffset
                    stream.avail_in = UInt32(avail)
                    stream.next_out = outBuf.baseAddress!
                    stream.avail_out = UInt32(outSize)
                    code = inflate(&stream, Z_NO_FLUSH)
                    produced = outSize - Int(stream.avail_out)
                    inputOffset += avail - Int(stream.avail_in)
                }
            }
            if code == Z_STREAM_END { memberDone = true }
            else if code != Z_OK && code != Z_BUF_ERROR {
                throw CaptureError.compression(file: raw.path, reason: "zlib inflate error \(code)")
            }
            if produced > 0 {
                out.removeSubrange(produced...)
                return out
            }
        }
    }
}

/// Opens a file as decompressed bytes, choosing the decoder by name: `.zst` → zstd, `.gz` → gzip, else plain.
func openByteSource(path: String) throws(CaptureError) -> any ByteChunkSource {
    if path.hasSuffix(".zst") { return try ZstdFileSource(path: path) }
    if path.hasSuffix(".gz") { return try GzipFileSource(path: path) }
    return try RawFileSource(path: path)
}

/// Splits a byte stream into lines (LF, with an optional CR before it removed), numbering them from 1.
/// A last line without a trailing newline is still returned.
final class LineReader {
    let path: String
    private let source: any ByteChunkSource
    private var buffer: [UInt8] = []
    private var position = 0
    private var atEnd = false
    private(set) var lineNumber = 0

    init(path: String) throws(CaptureError) {
        self.path = path
        source = try openByteSource(path: path)
    }

    init(path: String, source: any ByteChunkSource) {
        self.path = path
        self.source = source
    }

    /// The next line's bytes (without the newline), or nil at the end of the file.
    func nextLine() throws(CaptureError) -> ArraySlice<UInt8>? {
        while true {
            if let nl = buffer[position...].firstIndex(of: 0x0A) {
                var end = nl
                if end > position && buffer[end - 1] == 0x0D { end -= 1 }
                let line = buffer[position..<end]
                position = nl + 1
                lineNumber += 1
                return line
            }
            if atEnd {
                if position < buffer.count {
                    let line = buffer[position...]
                    position = buffer.count
                    lineNumber += 1
                    return line
                }
                return nil
            }
            if let chunk = try source.nextChunk() {
                if position > 0 { buffer.removeSubrange(0..<position); position = 0 }
                buffer.append(contentsOf: chunk)
            } else {
                atEnd = true
            }
        }
    }
}

/// A sink for capture bytes: writes through a zstd stream for `.zst` paths, plain bytes otherwise. The file is
/// written to `<path>.partial` and renamed on `close()`, so an interrupted run never leaves a truncated capture
/// under the real name.
final class ByteFileSink {
    let path: String
    private var file: UnsafeMutablePointer<FILE>?
    private let compressor: ZstdStreamCompressor?
    private var pending: [UInt8] = []
    private var partialPath: String { path + ".partial" }

    init(path: String, level: Int32 = 6) throws(CaptureError) {
        self.path = path
        if path.hasSuffix(".zst") {
            do { compressor = try ZstdStreamCompressor(level: level) } catch { throw CaptureError.compression(file: path, reason: "\(error)") }
        } else {
            compressor = nil
        }
        guard let f = fopen(path + ".partial", "wb") else {
            throw CaptureError.io(file: path, operation: "open for writing", reason: String(cString: strerror(errno)))
        }
        file = f
    }

    deinit {
        if let f = file { fclose(f); unlink(partialPath) }
    }

    func write(_ bytes: [UInt8]) throws(CaptureError) {
        pending.append(contentsOf: bytes)
        if pending.count >= 1 << 16 { try drain() }
    }

    private func drain() throws(CaptureError) {
        guard !pending.isEmpty else { return }
        let out: [UInt8]
        if let c = compressor {
            do { out = try c.compress(pending) } catch { throw CaptureError.compression(file: path, reason: "\(error)") }
        } else {
            out = pending
        }
        pending.removeAll(keepingCapacity: true)
        try writeRaw(out)
    }

    private func writeRaw(_ out: [UInt8]) throws(CaptureError) {
        guard let f = file, !out.isEmpty else { return }
        let n = out.withUnsafeBytes { fwrite($0.baseAddress, 1, out.count, f) }
        if n != out.count { throw CaptureError.io(file: path, operation: "write", reason: String(cString: strerror(errno))) }
    }

    /// Ends the zstd frame, closes the file and moves it to its final name.
    func close() throws(CaptureError) {
        try drain()
        if let c = compressor {
            let tail: [UInt8]
            do { tail = try c.finish() } catch { throw CaptureError.compression(file: path, reason: "\(error)") }
            try writeRaw(tail)
        }
        guard let f = file else { return }
        file = nil
        if fclose(f) != 0 { throw CaptureError.io(file: path, operation: "close", reason: String(cString: strerror(errno))) }
        if rename(partialPath, path) != 0 { throw CaptureError.io(file: path, operation: "rename from .partial", reason: String(cString: strerror(errno))) }
    }
}
