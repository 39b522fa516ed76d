/// The 4-byte key a client XORs over every payload byte it sends (RFC 6455 §5.3).
///
/// Masking protects intermediaries from cache poisoning, not the data; the key must still be
/// unpredictable, so clients draw it from a random source for every frame.
public struct MaskingKey: Hashable, Sendable {
    /// The four key bytes in wire order, the first byte in the most significant position.
    public let rawValue: UInt32

    /// Wraps four key bytes given in wire order (first byte most significant).
    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// Builds a key from its four wire bytes.
    public init(_ byte0: UInt8, _ byte1: UInt8, _ byte2: UInt8, _ byte3: UInt8) {
        self.rawValue =
            UInt32(byte0) << 24 | UInt32(byte1) << 16 | UInt32(byte2) << 8 | UInt32(byte3)
    }

    /// Draws a fresh key from `generator`.
    public static func random(using generator: inout some RandomNumberGenerator) -> MaskingKey {
        MaskingKey(rawValue: UInt32.random(in: .min ... .max, using: &generator))
    }

    /// The key byte applied to payload offset `offset` (taken modulo 4).
    @inline(__always)
    public func byte(at offset: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: self.rawValue >> (24 - 8 * UInt32(offset & 3)))
    }

    /// XORs `count` bytes read at `source` into `destination`, as payload bytes starting at
    /// payload offset `phase` (so a frame split across reads unmasks correctly).
    ///
    /// `source` and `destination` may be the same address (in-place). Works eight bytes at a
    /// time through unaligned loads and stores; masking twice restores the input.
    @inline(__always)
    public func apply(
        from source: UnsafeRawPointer, to destination: UnsafeMutableRawPointer, count: Int,
        phase: Int
    ) {
        var pattern: UInt64 = 0
        withUnsafeMutableBytes(of: &pattern) { patternBytes in
            for index in 0..<8 {
                patternBytes[index] = self.byte(at: phase + index)
            }
        }
        var offset = 0
        while count - offset >= 32 {
            for lane in stride(from: offset, to: offset + 32, by: 8) {
                let word = source.loadUnaligned(fromByteOffset: lane, as: UInt64.self)
                destination.storeBytes(of: word ^ pattern, toByteOffset: lane, as: UInt64.self)
            }
            offset += 32
        }
        while count - offset >= 8 {
            let word = source.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            destination.storeBytes(of: word ^ pattern, toByteOffset: offset, as: UInt64.self)
            offset += 8
        }
        while offset < count {
            let byte =
                source.load(fromByteOffset: offset, as: UInt8.self)
                ^ self.byte(
                    at: phase + offset)
            destination.storeBytes(of: byte, toByteOffset: offset, as: UInt8.self)
            offset += 1
        }
    }

    /// Masks (or unmasks) `bytes[range]` in place, as payload starting at offset `phase`.
    public func apply(to bytes: inout [UInt8], in range: Range<Int>, phase: Int = 0) {
        let clamped = range.clamped(to: 0..<bytes.count)
        guard !clamped.isEmpty else { return }
        bytes.withUnsafeMutableBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            let start = base + clamped.lowerBound
            self.apply(from: start, to: start, count: clamped.count, phase: phase)
        }
    }
}
