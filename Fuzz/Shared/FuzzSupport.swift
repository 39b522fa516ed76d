import Glibc

/// Stops the process with `message` when an invariant does not hold. libFuzzer reports the
/// abort as a crash and saves the input; a plain `precondition` would lose the message in
/// optimised builds.
func fuzzCheck(
    _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
    file: StaticString = #fileID, line: UInt = #line
) {
    guard !condition() else { return }
    fputs("fuzz invariant broken at \(file):\(line): \(message())\n", stderr)
    abort()
}

/// Reads a fuzzer's input front to back: a few leading bytes choose options, the rest is
/// the payload under test. Running out of bytes yields zeros, so every input is usable.
struct FuzzInput {
    /// The whole input, owned by libFuzzer for the duration of one run.
    let bytes: UnsafeRawBufferPointer
    /// How many bytes have been taken.
    private(set) var offset = 0

    /// Wraps libFuzzer's arguments; a nil pointer reads as empty input.
    init(_ data: UnsafePointer<UInt8>?, _ size: Int) {
        self.bytes = UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size)
    }

    /// The next byte, or 0 at the end.
    mutating func takeByte() -> UInt8 {
        guard self.offset < self.bytes.count else { return 0 }
        defer { self.offset += 1 }
        return self.bytes[self.offset]
    }

    /// Everything not yet taken.
    var rest: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: self.bytes[min(self.offset, self.bytes.count)...])
    }
}

/// Deterministic chunk sizes from one seed byte, so an input always splits the same way:
/// seed 0 delivers everything at once, otherwise sizes vary pseudo-randomly in 1...seed.
struct ChunkSizes {
    private let largest: UInt32
    private var state: UInt32

    /// Starts the sequence that `seed` names.
    init(seed: UInt8) {
        self.largest = UInt32(seed)
        self.state = UInt32(seed) | 0x5EED_0000
    }

    /// The size of the next piece, at most `remaining` (which must be positive).
    mutating func next(remaining: Int) -> Int {
        guard self.largest != 0 else { return remaining }
        self.state = self.state &* 1_103_515_245 &+ 12_345
        return min(1 + Int((self.state >> 16) % self.largest), remaining)
    }
}

/// Every byte but ASCII letters and digits as `%XX`.
func percentEncoded(_ text: String) -> String {
    let hex = Array("0123456789ABCDEF".utf8)
    var output: [UInt8] = []
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            output.append(byte)
        default:
            output += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
        }
    }
    return String(decoding: output, as: UTF8.self)
}
