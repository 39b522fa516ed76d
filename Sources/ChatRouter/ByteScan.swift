/// Eight-bytes-at-a-time tests used by the JSON reader and writer to pass over plain text
/// quickly (SWAR: SIMD within a register).
///
/// Each mask has the high bit of a byte lane set where that byte is of interest. Only the
/// lowest flagged lane is guaranteed exact (a borrow can only spill upward from a true hit),
/// which is all `firstFlaggedByte` uses.
enum ByteScan {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// Loads eight bytes from `offset`, first byte in the low lane whatever the CPU's order.
    @inline(__always)
    static func word(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt64 {
        UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// Flags bytes a JSON string cannot hold raw: `"`, `\` and anything below 0x20.
    @inline(__always)
    static func needsEscapeMask(_ word: UInt64) -> UInt64 {
        let quotes = word ^ (self.ones &* 0x22)
        let backslashes = word ^ (self.ones &* 0x5C)
        let zeroQuote = (quotes &- self.ones) & ~quotes
        let zeroBackslash = (backslashes &- self.ones) & ~backslashes
        let belowSpace = (word &- self.ones &* 0x20) & ~word
        return (zeroQuote | zeroBackslash | belowSpace) & self.highBits
    }

    /// Flags bytes the reader must look at inside a string: those of `needsEscapeMask` plus
    /// every non-ASCII byte, whose UTF-8 sequence needs validating.
    @inline(__always)
    static func readerAttentionMask(_ word: UInt64) -> UInt64 {
        self.needsEscapeMask(word) | (word & self.highBits)
    }

    /// The lane (0…7) of the lowest flagged byte of a non-zero mask.
    @inline(__always)
    static func firstFlaggedByte(_ mask: UInt64) -> Int {
        mask.trailingZeroBitCount >> 3
    }
}
