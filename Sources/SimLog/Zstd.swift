import CZstd

// A small Swift face on libzstd (the `CZstd` system module): one-shot helpers for record batches, and streaming
// types for long captures (`.jsonl.zst`). Every failure becomes a `ZstdError` naming what went wrong; nothing traps
// on corrupt or truncated input.
//
// Why streaming matters: frames written through a pipe (`… | zstd -c`) carry no content size, so a reader cannot
// size its output up front and must use `ZSTD_decompressStream` (research note swift-stack.md §2, CZstd). Several
// frames may be concatenated (`zstdcat` reads them); both the one-shot and the streaming decompressor accept that.
// Compressed bytes can differ between libzstd versions, so tests compare decompressed content, never compressed bytes.

/// Why a zstd operation failed.
public enum ZstdError: Error, Equatable, CustomStringConvertible {
    /// libzstd reported an error; `name` is `ZSTD_getErrorName` (e.g. "Unknown frame descriptor", "Data corruption detected").
    case library(operation: String, name: String)
    /// The input ended in the middle of a frame.
    case truncated(consumedBytes: Int)
    /// The decompressed output would exceed the caller's limit (a guard against decompression bombs).
    case outputTooLarge(limit: Int)
    /// libzstd could not allocate a context.
    case contextAllocationFailed
    /// The stream was used after `finish()`.
    case finished

    public var description: String {
        switch self {
        case let .library(operation, name): return "zstd \(operation) failed: \(name)"
        case let .truncated(consumed): return "zstd input is truncated: it ends inside a frame after \(consumed) byte(s)"
        case let .outputTooLarge(limit): return "zstd output exceeds the limit of \(limit) bytes"
        case .contextAllocationFailed: return "zstd could not allocate a compression/decompression context"
        case .finished: return "zstd stream used after finish()"
        }
    }
}

/// One-shot zstd compression and decompression.
public enum Zstd {
    /// The default level of the zstd CLI and of Kafka's `compression.zstd.level` (3).
    public static let defaultLevel: Int32 = 3

    /// Compresses `input` into one frame (with the content size in its header).
    public static func compress(_ input: [UInt8], level: Int32 = defaultLevel) throws -> [UInt8] {
        let bound = ZSTD_compressBound(input.count)
        var out = [UInt8](repeating: 0, count: bound)
        let n = out.withUnsafeMutableBytes { o in
            input.withUnsafeBytes { i in ZSTD_compress(o.baseAddress, bound, i.baseAddress, input.count, level) }
        }
        try check(n, "compress")
        out.removeSubrange(n...)
        return out
    }

    /// Decompresses one or more concatenated frames. Frames without a content size (written by a stream) are
    /// handled too. Throws `.truncated` if the input stops inside a frame, `.library` on corrupt data, and
    /// `.outputTooLarge` past `limit` bytes of output.
    public static func decompress(_ input: [UInt8], limit: Int = 1 << 30) throws -> [UInt8] {
        let d = try ZstdStreamDecompressor(outputLimit: limit)
        var out = try d.decompress(input)
        out += try d.finish()
        return out
    }

    /// True if `bytes` starts with the zstd frame magic 0xFD2FB528 (little-endian `28 b5 2f fd`).
    public static func hasFrameMagic(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 4 && bytes[0] == 0x28 && bytes[1] == 0xb5 && bytes[2] == 0x2f && bytes[3] == 0xfd
    }

    static func check(_ code: Int, _ operation: String) throws {
        if ZSTD_isError(code) != 0 {
            throw ZstdError.library(operation: operation, name: String(cString: ZSTD_getErrorName(code)))
        }
    }
}

/// Incremental decompression (`ZSTD_decompressStream`): feed chunks as they are read, get the output they complete.
///
///     let d = try ZstdStreamDecompressor()
///     while let chunk = readNextChunk() { lines.feed(try d.decompress(chunk)) }
///     try d.finish()   // throws ZstdError.truncated if the file ended inside a frame
///
/// Concatenated frames are decoded one after another. Not thread-safe (nothing in the simulation is).
public final class ZstdStreamDecompressor {
    private let context: OpaquePointer
    private let outputLimit: Int
    private var produced = 0
    private var consumed = 0
    /// The last `ZSTD_decompressStream` hint: 0 when the last frame is complete.
    private var pendingHint = 0
    private var fed = false
    private var isFinished = false

    /// - Parameter outputLimit: the most bytes this stream may produce in total before throwing `.outputTooLarge`.
    public init(outputLimit: Int = .max) throws {
        guard let c = ZSTD_createDCtx() else { throw ZstdError.contextAllocationFailed }
        context = c
        self.outputLimit = outputLimit
    }

    deinit { ZSTD_freeDCtx(context) }

    /// True when every frame fed so far is complete (a clean place for the input to end).
    public var isAtFrameBoundary: Bool { pendingHint == 0 }

    /// Decompresses `chunk`, returning all the output it makes available.
    public func decompress(_ chunk: [UInt8]) throws -> [UInt8] {
        if isFinished { throw ZstdError.finished }
        if chunk.isEmpty { return [] }
        fed = true
        var out = [UInt8]()
        let outSize = ZSTD_DStreamOutSize()
        var buffer = [UInt8](repeating: 0, count: outSize)
        try chunk.withUnsafeBytes { inRaw in
            var input = ZSTD_inBuffer(src: inRaw.baseAddress, size: chunk.count, pos: 0)
            while true {
                let (hint, written): (Int, Int) = buffer.withUnsafeMutableBytes { outRaw in
                    var output = ZSTD_outBuffer(dst: outRaw.baseAddress, size: outSize, pos: 0)
                    let r = ZSTD_decompressStream(context, &output, &input)
                    return (r, output.pos)
                }
                if ZSTD_isError(hint) != 0 {
                    throw ZstdError.library(operation: "decompress (after \(consumed + input.pos) input bytes)", name: String(cString: ZSTD_getErrorName(hint)))
                }
                pendingHint = hint
                if written > 0 {
                    produced += written
                    if produced > outputLimit { throw ZstdError.outputTooLarge(limit: outputLimit) }
                    out.append(contentsOf: buffer[0..<written])
                }
                // Done with this chunk when all input is consumed and the output buffer was not filled (no more
                // buffered output waiting inside the context).
                if input.pos == input.size && written < outSize { break }
            }
            consumed += input.pos
        }
        return out
    }

    /// Ends the stream. Throws `.truncated` if the input stopped inside a frame.
    @discardableResult
    public func finish() throws -> [UInt8] {
        if isFinished { return [] }
        isFinished = true
        if fed && pendingHint != 0 { throw ZstdError.truncated(consumedBytes: consumed) }
        return []
    }
}

/// Incremental compression (`ZSTD_compressStream2`) into a single frame.
///
///     let c = try ZstdStreamCompressor(level: 3)
///     for line in lines { file.write(try c.compress(Array(line.utf8))) }
///     file.write(try c.finish())   // ends the frame; the output is then readable by `zstdcat`
///
/// `flush()` forces out everything buffered so far without ending the frame (so a reader can see it), at a small
/// cost in ratio. Not thread-safe.
public final class ZstdStreamCompressor {
    private let context: OpaquePointer
    private var isFinished = false

    /// - Parameters:
    ///   - level: compression level (1…19; 3 is zstd's default).
    ///   - checksum: append a 32-bit content checksum to the frame (the zstd CLI does by default).
    public init(level: Int32 = Zstd.defaultLevel, checksum: Bool = true) throws {
        guard let c = ZSTD_createCCtx() else { throw ZstdError.contextAllocationFailed }
        context = c
        try Zstd.check(ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level), "set compression level")
        try Zstd.check(ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, checksum ? 1 : 0), "set checksum flag")
    }

    deinit { ZSTD_freeCCtx(context) }

    /// Compresses `chunk`; returns whatever output libzstd has ready (often nothing until enough input builds up).
    public func compress(_ chunk: [UInt8]) throws -> [UInt8] {
        try run(chunk, ZSTD_e_continue)
    }

    /// Flushes buffered data as complete blocks without ending the frame.
    public func flush() throws -> [UInt8] { try run([], ZSTD_e_flush) }

    /// Ends the frame and returns the remaining output. The compressor cannot be used afterwards.
    public func finish() throws -> [UInt8] {
        let out = try run([], ZSTD_e_end)
        isFinished = true
        return out
    }

    private func run(_ chunk: [UInt8], _ directive: ZSTD_EndDirective) throws -> [UInt8] {
        if isFinished { throw ZstdError.finished }
        var out = [UInt8]()
        let outSize = ZSTD_CStreamOutSize()
        var buffer = [UInt8](repeating: 0, count: outSize)
        try chunk.withUnsafeBytes { inRaw in
            var input = ZSTD_inBuffer(src: inRaw.baseAddress, size: chunk.count, pos: 0)
            while true {
                let (remaining, written): (Int, Int) = buffer.withUnsafeMutableBytes { outRaw in
                    var output = ZSTD_outBuffer(dst: outRaw.baseAddress, size: outSize, pos: 0)
                    let r = ZSTD_compressStream2(context, &output, &input, directive)
                    return (r, output.pos)
                }
                try Zstd.check(remaining, "compressStream2")
                if written > 0 { out.append(contentsOf: buffer[0..<written]) }
                // `continue`: done once the input is consumed. `flush`/`end`: done once libzstd reports 0 left.
                if directive == ZSTD_e_continue ? input.pos == input.size : remaining == 0 { break }
            }
        }
        return out
    }
}
