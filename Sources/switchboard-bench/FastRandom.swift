/// A cheap pseudo-random source (SplitMix64) for the masking keys of client frames.
///
/// `SystemRandomNumberGenerator` costs a `getrandom` system call per key, which at hundreds of
/// thousands of frames a second would make the generator measure itself. RFC 6455 §5.3 asks
/// browsers for unpredictable keys to protect proxies from script-chosen bytes; a load
/// generator talking to loopback has no such attacker, so a seeded sequence is enough.
struct FastRandom: RandomNumberGenerator {
    private var state: UInt64

    /// Starts the sequence at `seed`; every seed gives a full-period sequence.
    init(seed: UInt64) {
        self.state = seed
    }

    /// The next 64 pseudo-random bits.
    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = self.state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}
