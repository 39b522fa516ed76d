import Foundation

@testable import ChatRouter

/// Helpers shared by the envelope and JSON suites. Foundation appears only here and in tests:
/// `JSONSerialization` is the independent oracle the hand-written codec is checked against.
enum JSONTestSupport {
    /// The reader's verdict on a whole document: nil when valid, else the syntax error.
    static func syntaxError(
        _ bytes: [UInt8], maxDepth: Int = JSONReader.defaultMaxDepth
    ) -> JSONSyntaxError? {
        bytes.withUnsafeBytes { buffer in
            do throws(JSONSyntaxError) {
                try JSONReader.validate(buffer, maxDepth: maxDepth)
                return nil
            } catch {
                return error
            }
        }
    }

    /// The reader's verdict on a whole document given as text.
    static func syntaxError(
        _ text: String, maxDepth: Int = JSONReader.defaultMaxDepth
    )
        -> JSONSyntaxError?
    {
        self.syntaxError(Array(text.utf8), maxDepth: maxDepth)
    }

    /// Whether Foundation's `JSONSerialization` accepts the bytes as a JSON text of any kind.
    static func oracleAccepts(_ bytes: [UInt8]) -> Bool {
        self.oracleValue(bytes) != nil
    }

    /// What Foundation's `JSONSerialization` reads from the bytes, or nil if it refuses them.
    static func oracleValue(_ bytes: [UInt8]) -> Any? {
        try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
    }

    /// Decodes a document that is one string literal, with our reader; nil if it is not one.
    static func decodedString(literal: String) -> String? {
        let bytes = Array(literal.utf8)
        return bytes.withUnsafeBytes { buffer -> String? in
            var reader = JSONReader(buffer)
            guard case .string(let span)? = try? reader.readValue(),
                (try? reader.expectEndOfInput()) != nil
            else { return nil }
            return reader.decodeString(span)
        }
    }

    /// A JSON string literal for `text`, escaped by Foundation (so independent of our writer).
    static func literal(_ text: String) -> String {
        let data = try? JSONSerialization.data(withJSONObject: [text], options: [])
        let array = String(decoding: data ?? Data(), as: UTF8.self)
        return String(array.dropFirst().dropLast())
    }
}

/// A small deterministic random generator (SplitMix64), so failures replay exactly.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    /// Starts the sequence from `seed`.
    init(seed: UInt64) {
        self.state = seed
    }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = self.state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}
