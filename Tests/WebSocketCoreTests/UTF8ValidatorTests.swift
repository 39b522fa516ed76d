import Testing

@testable import WebSocketCore

@Suite struct UTF8ValidatorTests {
    @Test(arguments: [
        "", "plain ascii", "κόσμε", "日本語のテキスト", "emoji 😀 and 🇫🇷",
        "\u{7F}\u{80}",
        "\u{7FF}\u{800}", "\u{D7FF}\u{E000}", "\u{FFFF}\u{10000}", "\u{10FFFF}",
        String(repeating: "a", count: 1000) + "é" + String(repeating: "b", count: 37),
    ])
    func acceptsValidText(_ text: String) {
        #expect(UTF8Validator.isValid(Array(text.utf8)))
    }

    /// Each case: the bytes, and the index of the byte that must be rejected — the first byte
    /// at which no valid continuation exists (fail fast).
    static let invalidSequences: [(name: String, bytes: [UInt8], failsAt: Int)] = [
        ("lone continuation byte", [0x61, 0x80], 1),
        ("c0 overlong lead", [0xC0, 0xAF], 0),
        ("c1 overlong lead", [0xC1, 0xBF], 0),
        ("f5 lead beyond unicode", [0xF5, 0x80, 0x80, 0x80], 0),
        ("ff byte", [0x61, 0x62, 0xFF], 2),
        ("overlong three-byte form", [0xE0, 0x80, 0xAF], 1),
        ("utf-16 high surrogate", [0xED, 0xA0, 0x80], 1),
        ("utf-16 low surrogate", [0xED, 0xBF, 0xBF], 1),
        ("overlong four-byte form", [0xF0, 0x8F, 0xBF, 0xBF], 1),
        ("above u+10ffff", [0xF4, 0x90, 0x80, 0x80], 1),
        ("two-byte lead then ascii", [0xC3, 0x41], 1),
        ("four-byte lead then ascii in third place", [0xF0, 0x9F, 0x41], 2),
        (
            "autobahn 6.4.1 sequence",
            [
                0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCF, 0x83, 0xCE, 0xBC,
                0xCE, 0xB5, 0xF4, 0x90, 0x80, 0x80,
            ], 12
        ),
    ]

    @Test(arguments: invalidSequences.indices)
    func rejectsInvalidSequenceAtTheOffendingByte(_ index: Int) {
        let (name, bytes, failsAt) = Self.invalidSequences[index]
        var validator = UTF8Validator()
        for (offset, byte) in bytes.enumerated() {
            let accepted = validator.validate([byte])
            #expect(accepted == (offset < failsAt), "\(name) at byte \(offset)")
            if !accepted { break }
        }
        #expect(validator.hasFailed, "\(name)")
        #expect(!UTF8Validator.isValid(bytes), "\(name)")
    }

    @Test func truncatedCharacterIsValidPrefixButNotCompleteText() {
        var validator = UTF8Validator()
        let prefixAccepted = validator.validate([0x61, 0xE2, 0x82])
        #expect(prefixAccepted)
        #expect(!validator.isAtCharacterBoundary)
        let lastByteAccepted = validator.validate([0xAC])
        #expect(lastByteAccepted)
        #expect(validator.isAtCharacterBoundary)
    }

    @Test func characterSplitAtEveryPositionValidates() {
        let bytes = Array("a€😀b".utf8)
        for split in 0...bytes.count {
            var validator = UTF8Validator()
            let firstAccepted = validator.validate(Array(bytes[..<split]))
            let secondAccepted = validator.validate(Array(bytes[split...]))
            #expect(firstAccepted && secondAccepted, "split at \(split)")
            #expect(validator.isAtCharacterBoundary)
        }
    }

    @Test func failureIsStickyUntilReset() {
        var validator = UTF8Validator()
        let badByteAccepted = validator.validate([0xFF])
        let laterAsciiAccepted = validator.validate([0x61])
        #expect(!badByteAccepted && !laterAsciiAccepted)
        validator.reset()
        let afterResetAccepted = validator.validate([0x61])
        #expect(afterResetAccepted)
    }

    /// The ASCII fast path must still see a non-ASCII byte at any position of a long run.
    @Test func asciiFastPathFindsBadByteAtEveryPosition() {
        for position in 0..<40 {
            var bytes = [UInt8](repeating: 0x61, count: 40)
            bytes[position] = 0xFF
            #expect(!UTF8Validator.isValid(bytes), "bad byte at \(position)")
            bytes[position] = 0xC3
            #expect(!UTF8Validator.isValid(bytes), "lone lead at \(position)")
        }
    }

    /// Agrees with the standard library's decoder on random byte strings biased towards
    /// UTF-8-looking bytes.
    @Test func agreesWithStandardLibraryOnRandomBytes() {
        var generator = SeededGenerator(seed: 42)
        let alphabet: [UInt8] = [
            0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0,
            0xC2, 0xDF, 0xE0, 0xE1, 0xED, 0xEF, 0xF0, 0xF3, 0xF4, 0xF5, 0xFF,
        ]
        for _ in 0..<20_000 {
            let count = Int.random(in: 0...12, using: &generator)
            let bytes = (0..<count).map { _ in alphabet.randomElement(using: &generator) ?? 0 }
            let expected = String(validating: bytes, as: UTF8.self) != nil
            #expect(UTF8Validator.isValid(bytes) == expected, "\(bytes)")
        }
    }
}
