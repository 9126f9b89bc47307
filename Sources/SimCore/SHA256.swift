import CSHA256

/// SHA-256 (FIPS 180-4), streaming. Hand-written so that the trace digest costs no dependency (swift-crypto adds
/// ~47 s to a clean build here); tested against the NIST example vectors in `SHA256Tests`. On x86 CPUs with the SHA
/// extensions the compression function runs on them (`CSHA256`, checked at run time); elsewhere the portable Swift
/// version runs. Both give the same bits; the tests compare them.
public struct SHA256: Sendable {
    private var h: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
        (0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19)
    /// The pending partial block (`bufferCount` bytes of it are valid), stored inline: no heap buffer.
    private var buffer: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
    private var bufferCount = 0
    private var totalBytes: UInt64 = 0

    /// Whether the x86 SHA extensions are used for the compression function (same results; the portable Swift
    /// version below is the fallback and what the tests compare against).
    static let usesSHAExtensions: Bool = csha256_has_shani() != 0

    private static let k: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]

    public init() {}

    public mutating func update<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
        if let done: Void = bytes.withContiguousStorageIfAvailable({ update($0) }) { return done }
        // Non-contiguous sequences: through a small stack chunk.
        var chunk: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        for b in bytes {
            withUnsafeMutableBytes(of: &chunk) { $0[n] = b }
            n += 1
            if n == 64 {
                let c = chunk
                withUnsafeBytes(of: c) { update(UnsafeBufferPointer(start: $0.baseAddress!.assumingMemoryBound(to: UInt8.self), count: 64)) }
                n = 0
            }
        }
        if n > 0 {
            let c = chunk
            withUnsafeBytes(of: c) { update(UnsafeBufferPointer(start: $0.baseAddress!.assumingMemoryBound(to: UInt8.self), count: n)) }
        }
    }

    public mutating func update(_ text: String) {
        var t = text
        t.withUTF8 { (p: UnsafeBufferPointer<UInt8>) in update(p) }
    }

    public mutating func update(_ bytes: UnsafeBufferPointer<UInt8>) {
        let n = bytes.count
        guard n > 0, let base = bytes.baseAddress else { return }
        totalBytes &+= UInt64(n)
        var i = 0
        if bufferCount > 0 {
            // Top up the pending block; compress it when full.
            let take = min(64 - bufferCount, n)
            let at = bufferCount
            withUnsafeMutableBytes(of: &buffer) { UnsafeMutableRawPointer($0.baseAddress! + at).copyMemory(from: base, byteCount: take) }
            bufferCount += take
            i = take
            if bufferCount < 64 { return }
            let block = buffer
            withUnsafeBytes(of: block) { compress($0.baseAddress!, blocks: 1) }
            bufferCount = 0
        }
        let whole = (n - i) / 64
        if whole > 0 {
            // Whole blocks straight from the caller's bytes.
            compress(UnsafeRawPointer(base + i), blocks: whole)
            i += whole * 64
        }
        if i < n {
            let rest = n - i
            withUnsafeMutableBytes(of: &buffer) { $0.baseAddress!.copyMemory(from: base + i, byteCount: rest) }
            bufferCount = rest
        }
    }

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { update($0) }
    }

    /// The digest of everything so far. `self` is not changed, so a running digest can be read at any time.
    public func finalize() -> [UInt8] {
        var copy = self
        let bitLength = copy.totalBytes &* 8
        var pad: [UInt8] = [0x80]
        let rem = (copy.bufferCount + 1) % 64
        pad += [UInt8](repeating: 0, count: rem <= 56 ? 56 - rem : 120 - rem)
        for i in (0..<8).reversed() { pad.append(UInt8(truncatingIfNeeded: bitLength >> (UInt64(i) * 8))) }
        let savedTotal = copy.totalBytes
        pad.withUnsafeBufferPointer { copy.update($0) }
        copy.totalBytes = savedTotal
        precondition(copy.bufferCount == 0)
        let words = [copy.h.0, copy.h.1, copy.h.2, copy.h.3, copy.h.4, copy.h.5, copy.h.6, copy.h.7]
        var out = [UInt8]()
        out.reserveCapacity(32)
        for w in words { out += [UInt8(w >> 24), UInt8((w >> 16) & 0xff), UInt8((w >> 8) & 0xff), UInt8(w & 0xff)] }
        return out
    }

    /// Lower-case hex of `finalize()`.
    public func hexDigest() -> String { SHA256.hex(finalize()) }

    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var s = [UInt8]()
        s.reserveCapacity(bytes.count * 2)
        for b in bytes { s.append(digits[Int(b >> 4)]); s.append(digits[Int(b & 0xf)]) }
        return String(decoding: s, as: UTF8.self)
    }

    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var h = SHA256()
        h.update(bytes)
        return h.finalize()
    }

    public static func hash(_ text: String) -> String {
        var h = SHA256()
        h.update(text)
        return h.hexDigest()
    }

    @inline(__always) private static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }

    /// Compresses `blocks` consecutive 64-byte blocks at `p` into `h`.
    private mutating func compress(_ p: UnsafeRawPointer, blocks: Int) {
        if SHA256.usesSHAExtensions {
            withUnsafeMutableBytes(of: &h) { s in
                csha256_shani_blocks(s.baseAddress!.assumingMemoryBound(to: UInt32.self), p.assumingMemoryBound(to: UInt8.self), blocks)
            }
            return
        }
        for b in 0..<blocks { compressPortable(p + b * 64) }
    }

    /// The portable compression function (FIPS 180-4 §6.2.2) over one 64-byte block.
    private mutating func compressPortable(_ block: UnsafeRawPointer) {
        // The message schedule lives on the stack and the round constants are read without bounds checks: this runs
        // once per 64 bytes of every digested trace line.
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
            for i in 0..<16 {
                w[i] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))
            }
            for i in 16..<64 {
                let s0 = SHA256.rotr(w[i - 15], 7) ^ SHA256.rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
                let s1 = SHA256.rotr(w[i - 2], 17) ^ SHA256.rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
                w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
            }
            var (a, b, c, d, e, f, g, hh) = h
            SHA256.k.withUnsafeBufferPointer { k in
                for i in 0..<64 {
                    let s1 = SHA256.rotr(e, 6) ^ SHA256.rotr(e, 11) ^ SHA256.rotr(e, 25)
                    let ch = (e & f) ^ (~e & g)
                    let t1 = hh &+ s1 &+ ch &+ k[i] &+ w[i]
                    let s0 = SHA256.rotr(a, 2) ^ SHA256.rotr(a, 13) ^ SHA256.rotr(a, 22)
                    let maj = (a & b) ^ (a & c) ^ (b & c)
                    let t2 = s0 &+ maj
                    hh = g; g = f; f = e; e = d &+ t1; d = c; c = b; b = a; a = t1 &+ t2
                }
            }
            h = (h.0 &+ a, h.1 &+ b, h.2 &+ c, h.3 &+ d, h.4 &+ e, h.5 &+ f, h.6 &+ g, h.7 &+ hh)
        }
    }

    /// Test hook: the portable compression function over whole blocks, whatever the CPU.
    mutating func compressPortableForTesting(_ bytes: [UInt8]) {
        precondition(bytes.count % 64 == 0)
        bytes.withUnsafeBytes { r in for b in 0..<(bytes.count / 64) { compressPortable(r.baseAddress! + b * 64) } }
    }

    /// Test hook: the state words.
    var stateForTesting: [UInt32] { [h.0, h.1, h.2, h.3, h.4, h.5, h.6, h.7] }
}
