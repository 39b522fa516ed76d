/// Incremental UTF-8 validation (Unicode §3.9, Table 3-7) that rejects a bad byte as soon as it
/// is seen, even when a character is split across reads or fragments.
///
/// Overlong forms, surrogates (U+D800–U+DFFF) and values above U+10FFFF are rejected on the
/// first byte that makes them impossible, so a message fails on the fragment that contains the
/// error, not at its end. A value type with no allocation: feed it consecutive byte ranges of
/// one text, then ask ``isAtCharacterBoundary`` at the end of the text.
public struct UTF8Validator: Hashable, Sendable {
    /// Continuation bytes still expected for the current character; ``failedMarker`` once
    /// invalid input was seen.
    private var pendingContinuationBytes: UInt8 = 0
    /// Smallest value allowed for the next continuation byte.
    private var nextLowerBound: UInt8 = 0x80
    /// Largest value allowed for the next continuation byte.
    private var nextUpperBound: UInt8 = 0xBF

    private static let failedMarker: UInt8 = 0xFF

    /// Starts at the beginning of a text.
    public init() {}

    /// Whether every byte so far is valid and no character is left incomplete; a text is valid
    /// exactly when this is true after its last byte.
    public var isAtCharacterBoundary: Bool {
        self.pendingContinuationBytes == 0
    }

    /// Whether an invalid byte has been seen; the validator stays failed until ``reset()``.
    public var hasFailed: Bool {
        self.pendingContinuationBytes == Self.failedMarker
    }

    /// Forgets all state, ready for a new text.
    public mutating func reset() {
        self = UTF8Validator()
    }

    /// Checks the next bytes of the text.
    ///
    /// - Returns: false as soon as a byte cannot continue valid UTF-8 (and on every later call);
    ///   true when the bytes so far are valid or a valid prefix.
    public mutating func validate(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard !self.hasFailed else { return false }
        guard let base = bytes.baseAddress else { return true }
        let count = bytes.count
        var index = 0
        var pending = self.pendingContinuationBytes
        var lower = self.nextLowerBound
        var upper = self.nextUpperBound
        while index < count {
            if pending == 0 {
                index = Self.skipASCII(base, from: index, count: count)
                if index == count { break }
                let lead = base.load(fromByteOffset: index, as: UInt8.self)
                index += 1
                switch lead {
                case 0xC2...0xDF:
                    (pending, lower, upper) = (1, 0x80, 0xBF)
                case 0xE0:
                    (pending, lower, upper) = (2, 0xA0, 0xBF)  // no overlong 3-byte forms
                case 0xE1...0xEC, 0xEE...0xEF:
                    (pending, lower, upper) = (2, 0x80, 0xBF)
                case 0xED:
                    (pending, lower, upper) = (2, 0x80, 0x9F)  // no UTF-16 surrogates
                case 0xF0:
                    (pending, lower, upper) = (3, 0x90, 0xBF)  // no overlong 4-byte forms
                case 0xF1...0xF3:
                    (pending, lower, upper) = (3, 0x80, 0xBF)
                case 0xF4:
                    (pending, lower, upper) = (3, 0x80, 0x8F)  // nothing above U+10FFFF
                default:
                    self.pendingContinuationBytes = Self.failedMarker
                    return false
                }
            }
            // Continuation bytes: only the first has a narrowed range; stop at the end of
            // the input and carry the rest over to the next call.
            while pending > 0 && index < count {
                let byte = base.load(fromByteOffset: index, as: UInt8.self)
                guard byte >= lower && byte <= upper else {
                    self.pendingContinuationBytes = Self.failedMarker
                    return false
                }
                index += 1
                (pending, lower, upper) = (pending - 1, 0x80, 0xBF)
            }
        }
        self.pendingContinuationBytes = pending
        self.nextLowerBound = lower
        self.nextUpperBound = upper
        return true
    }

    /// Checks the next bytes of the text; see the `UnsafeRawBufferPointer` overload.
    public mutating func validate(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { self.validate($0) }
    }

    /// Whether `bytes` are, on their own, a complete valid UTF-8 text.
    public static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var validator = UTF8Validator()
        return validator.validate(bytes) && validator.isAtCharacterBoundary
    }

    /// Whether `bytes` are, on their own, a complete valid UTF-8 text.
    public static func isValid(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { self.isValid($0) }
    }

    /// Returns the offset of the first non-ASCII byte at or after `start`, or `count`; reads
    /// 16 and then 8 bytes at a time because chat text is mostly ASCII.
    @inline(__always)
    private static func skipASCII(_ base: UnsafeRawPointer, from start: Int, count: Int) -> Int {
        let highBits: UInt64 = 0x8080_8080_8080_8080
        var index = start
        while count - index >= 16 {
            let first = base.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            let second = base.loadUnaligned(fromByteOffset: index + 8, as: UInt64.self)
            if (first | second) & highBits != 0 { break }
            index += 16
        }
        while count - index >= 8 {
            let word = base.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            if word & highBits != 0 { break }
            index += 8
        }
        while index < count && base.load(fromByteOffset: index, as: UInt8.self) < 0x80 {
            index += 1
        }
        return index
    }
}
