/// SplitMix64 (Steele, Lea, Flood, "Fast Splittable Pseudorandom Number Generators", OOPSLA 2014) — used only to
/// expand seeds, as recommended by the xoshiro authors.
public struct SplitMix64: Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// One named, independent stream of pseudo-random numbers: xoshiro256** 1.0 (Blackman & Vigna, 2018,
/// https://prng.di.unimi.it/xoshiro256starstar.c), seeded through SplitMix64.
///
/// Every method is implemented here rather than through the standard library's `random(in:using:)`, whose
/// algorithm is an implementation detail that may change between Swift releases; a trace digest must not.
public struct SimRandom: RandomNumberGenerator, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// A stream seeded directly from a 64-bit seed.
    public init(seed: UInt64) {
        var sm = SplitMix64(seed: seed)
        s0 = sm.next(); s1 = sm.next(); s2 = sm.next(); s3 = sm.next()
        if s0 | s1 | s2 | s3 == 0 { s0 = 1 }  // the all-zero state is the one fixed point
    }

    @inline(__always) private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 &- k)) }

    public mutating func next() -> UInt64 {
        let result = SimRandom.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = SimRandom.rotl(s3, 45)
        return result
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func nextDouble() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform integer in [0, bound), unbiased (Lemire's multiply-shift with rejection).
    public mutating func nextInt(below bound: UInt64) -> UInt64 {
        precondition(bound > 0, "bound must be positive")
        var m = next().multipliedFullWidth(by: bound)
        if m.low < bound {
            let threshold = (0 &- bound) % bound
            while m.low < threshold { m = next().multipliedFullWidth(by: bound) }
        }
        return m.high
    }

    /// Uniform integer in a closed range.
    public mutating func nextInt(in range: ClosedRange<Int64>) -> Int64 {
        let span = UInt64(bitPattern: range.upperBound &- range.lowerBound) &+ 1
        if span == 0 { return Int64(bitPattern: next()) }  // the full Int64 range
        return range.lowerBound &+ Int64(bitPattern: nextInt(below: span))
    }

    /// Uniform index into a collection of `count` elements.
    public mutating func nextIndex(_ count: Int) -> Int { Int(nextInt(below: UInt64(count))) }

    /// True with probability `p`.
    public mutating func nextBool(probability p: Double) -> Bool {
        if p <= 0 { return false }
        if p >= 1 { return true }
        return nextDouble() < p
    }

    /// Uniform in [a, b).
    public mutating func nextUniform(_ a: Double, _ b: Double) -> Double { a + (b - a) * nextDouble() }

    /// Standard normal, by the Box–Muller transform (one value per call; the second is discarded so that the
    /// number of draws per call is fixed, which keeps streams easy to reason about).
    public mutating func nextGaussian() -> Double {
        var u1 = nextDouble()
        while u1 <= 0 { u1 = nextDouble() }
        let u2 = nextDouble()
        return (-2 * logValue(u1)).squareRoot() * cosValue(2 * Double.pi * u2)
    }

    /// Exponential with the given mean.
    public mutating func nextExponential(mean: Double) -> Double {
        var u = nextDouble()
        while u <= 0 { u = nextDouble() }
        return -mean * logValue(u)
    }

    /// Log-normal: exp(μ + σ·N(0,1)).
    public mutating func nextLogNormal(mu: Double, sigma: Double) -> Double { expValue(mu + sigma * nextGaussian()) }

    /// Fisher–Yates shuffle using this stream.
    public mutating func shuffle<T>(_ a: inout [T]) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) {
            let j = Int(nextInt(below: UInt64(i + 1)))
            a.swapAt(i, j)
        }
    }
}

/// The simulation's random numbers, split into named streams.
///
/// Each component asks for its own stream by a stable name (`"feed.generator.BTCUSDT"`, `"log.partitioner"`,
/// `"faults"`). A stream's seed is `SplitMix64(masterSeed ^ FNV-1a-64(name))`, so it depends only on the master seed
/// and its own name: adding a component, or drawing more numbers in one, never shifts another component's numbers.
public struct RandomStreams: Sendable {
    public let masterSeed: UInt64

    public init(seed: UInt64) { masterSeed = seed }

    /// The stream for `name`. Asking twice for the same name gives two generators in the same state — keep the one
    /// you were given rather than asking again.
    public func stream(_ name: String) -> SimRandom {
        var sm = SplitMix64(seed: masterSeed ^ RandomStreams.fnv1a64(name))
        return SimRandom(seed: sm.next())
    }

    /// FNV-1a, 64-bit, over the UTF-8 bytes of `s` (http://www.isthe.com/chongo/tech/comp/fnv/).
    public static func fnv1a64(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 {
            h ^= UInt64(b)
            h &*= 0x0000_0100_0000_01B3
        }
        return h
    }
}
