/// xoshiro256** seeded once from the system generator: random numbers without a system call each.
///
/// Swift's `SystemRandomNumberGenerator` makes a `getrandom` call for every 8 bytes, which at a thousand
/// probes a second was a measurable share of the probe thread's CPU. Jitter and WebSocket keys need
/// unpredictable-enough spread, not secrecy (RFC 6455 asks for a random nonce so that caches and proxies
/// cannot replay an old answer), so a seeded generator is enough for both.
struct FastRandom: RandomNumberGenerator, Sendable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    init() {
        var system = SystemRandomNumberGenerator()
        self.init(seed: system.next())
    }

    /// A generator whose sequence is fixed by `seed` (expanded with SplitMix64, so any seed is fine).
    init(seed: UInt64) {
        var state = seed
        func splitMix() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix()
        s1 = splitMix()
        s2 = splitMix()
        s3 = splitMix()
    }

    mutating func next() -> UInt64 {
        let result = rotate(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotate(s3, 45)
        return result
    }

    private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 - k))
    }
}
