import Testing

@testable import ChatRouter

/// A JSON text and the verdict RFC 8259 gives it.
struct JSONCase: Sendable, CustomTestStringConvertible {
    let bytes: [UInt8]
    let expected: JSONSyntaxError?
    let label: String

    init(_ text: String, _ expected: JSONSyntaxError? = nil) {
        self.bytes = Array(text.utf8)
        self.expected = expected
        self.label = text.debugDescription
    }

    init(bytes: [UInt8], _ expected: JSONSyntaxError?, label: String) {
        self.bytes = bytes
        self.expected = expected
        self.label = label
    }

    var testDescription: String { self.label }
}

@Suite struct JSONReaderTests {
    static let validDocuments: [JSONCase] = [
        JSONCase("{}"), JSONCase("[]"), JSONCase(#""""#), JSONCase("0"), JSONCase("-0"),
        JSONCase("true"), JSONCase("false"), JSONCase("null"),
        JSONCase(" \t\r\n{ \t\r\n\"a\" \t\r\n: \t\r\n[ 1 , 2 ] \t\r\n} \t\r\n"),
        JSONCase(#"{"a":{"b":{"c":[null,true,false,"x",-1.5e-3,{}]}}}"#),
        JSONCase(#"[1,-1,0.5,-0.5,10,1e5,1E5,1e+5,1e-5,1.25E-10,123456789012345678901234567890]"#),
        JSONCase(#"[0e0,-0E-0,0.0]"#),
        JSONCase(#"{"a":1,"a":2}"#),
        JSONCase(#"{"":""}"#),
        JSONCase(#"["\"\\\/\b\f\n\r\t"]"#),
        JSONCase(#"["\u0000\u001f\u0020\u007F\u00e9\u20AC\uFFFF\uD834\uDD1E\uDBFF\uDFFF"]"#),
        JSONCase("[\"\u{7F}\u{80}\u{9F}\u{A0}\u{7FF}\u{800}\u{D7FF}\u{E000}\u{FFFD}\u{FFFF}\"]"),
        JSONCase("[\"\u{10000}\u{1F600}\u{10FFFF}\"]"),
        JSONCase("[\"\u{2028}\u{2029}\"]"),
        JSONCase(#"[[[[[[[[[[]]]]]]]]]]"#),
        JSONCase(#"{"k":[{"k":[{"k":[]}]}]}"#),
    ]

    @Test(arguments: Self.validDocuments)
    func acceptsValidDocumentLikeFoundation(_ document: JSONCase) {
        #expect(JSONTestSupport.syntaxError(document.bytes) == nil)
        #expect(JSONTestSupport.oracleAccepts(document.bytes))
    }

    static let invalidDocuments: [JSONCase] = [
        JSONCase("", .unexpectedEndOfInput), JSONCase(" \n\t", .unexpectedEndOfInput),
        JSONCase("{", .unexpectedEndOfInput), JSONCase("[", .unexpectedEndOfInput),
        JSONCase(#"{"a""#, .unexpectedEndOfInput), JSONCase(#"{"a":"#, .unexpectedEndOfInput),
        JSONCase(#"{"a":1"#, .unexpectedEndOfInput), JSONCase(#"["abc"#, .unexpectedEndOfInput),
        JSONCase(#"["\"#, .unexpectedEndOfInput), JSONCase(#"["\u12"#, .unexpectedEndOfInput),
        JSONCase("}", .unexpectedCharacter), JSONCase("]", .unexpectedCharacter),
        JSONCase("{1:2}", .unexpectedCharacter), JSONCase(#"{"a" 1}"#, .unexpectedCharacter),
        JSONCase(#"{"a":1 "b":2}"#, .unexpectedCharacter), JSONCase("[1 2]", .unexpectedCharacter),
        JSONCase("[,1]", .unexpectedCharacter), JSONCase("{,}", .unexpectedCharacter),
        JSONCase("['a']", .unexpectedCharacter), JSONCase("[1/*c*/]", .unexpectedCharacter),
        JSONCase("[1\u{0C}]", .unexpectedCharacter), JSONCase("[1\u{A0}]", .unexpectedCharacter),
        JSONCase("+1", .unexpectedCharacter), JSONCase(".5", .unexpectedCharacter),
        JSONCase("NaN", .unexpectedCharacter), JSONCase("Infinity", .unexpectedCharacter),
        JSONCase("undefined", .unexpectedCharacter), JSONCase("{a:1}", .unexpectedCharacter),
        JSONCase("tru", .unexpectedEndOfInput), JSONCase("nul", .unexpectedEndOfInput),
        JSONCase("TRUE", .unexpectedCharacter), JSONCase("trUe", .invalidLiteral),
        JSONCase("nulll", .trailingCharacters), JSONCase("fals e", .invalidLiteral),
        JSONCase("01", .invalidNumber), JSONCase("-01", .invalidNumber),
        JSONCase("00", .invalidNumber), JSONCase("1.", .invalidNumber),
        JSONCase("1.e5", .invalidNumber), JSONCase("1e", .invalidNumber),
        JSONCase("1e+", .invalidNumber), JSONCase("-", .invalidNumber),
        JSONCase("--1", .invalidNumber), JSONCase("-a", .invalidNumber),
        JSONCase("-.5", .invalidNumber), JSONCase("[1.]", .invalidNumber),
        JSONCase("0x10", .trailingCharacters), JSONCase("1e5.5", .trailingCharacters),
        JSONCase("{} {}", .trailingCharacters), JSONCase("{} x", .trailingCharacters),
        JSONCase("[] ,", .trailingCharacters), JSONCase("1 2", .trailingCharacters),
        JSONCase(#"["\x41"]"#, .invalidEscape), JSONCase(#"["\U0041"]"#, .invalidEscape),
        JSONCase(#"["\u00G0"]"#, .invalidEscape), JSONCase(#"["\'"]"#, .invalidEscape),
        JSONCase(#"["\ "]"#, .invalidEscape), JSONCase(#"["\0"]"#, .invalidEscape),
        JSONCase(#"["\ud800"]"#, .unpairedSurrogate), JSONCase(#"["\udc00"]"#, .unpairedSurrogate),
        JSONCase(#"["\udfff\ud800"]"#, .unpairedSurrogate),
        JSONCase(#"["\ud800\ud800"]"#, .unpairedSurrogate),
        JSONCase(#"["\ud800\u0041"]"#, .unpairedSurrogate),
        JSONCase(#"["\ud800x"]"#, .unpairedSurrogate),
        JSONCase(#"["\ud800\n"]"#, .unpairedSurrogate),
        JSONCase("[\"a\u{0}b\"]", .controlCharacterInString),
        JSONCase("[\"\t\"]", .controlCharacterInString),
        JSONCase("[\"\n\"]", .controlCharacterInString),
        JSONCase("[\"\u{1F}\"]", .controlCharacterInString),
        JSONCase(bytes: [0x22, 0xC0, 0xAF, 0x22], .invalidUTF8, label: "overlong slash"),
        JSONCase(bytes: [0x22, 0xED, 0xA0, 0x80, 0x22], .invalidUTF8, label: "UTF-8 surrogate"),
        JSONCase(bytes: [0x22, 0xF5, 0x80, 0x80, 0x80, 0x22], .invalidUTF8, label: "lead F5"),
        JSONCase(bytes: [0x22, 0xE2, 0x82, 0x22], .invalidUTF8, label: "truncated euro"),
        JSONCase(bytes: [0x7B, 0x7D, 0x00], .trailingCharacters, label: "NUL after value"),
        JSONCase(bytes: [0x5B, 0x31, 0x5D, 0xFF], .trailingCharacters, label: "0xFF after value"),
    ]

    @Test(arguments: Self.invalidDocuments)
    func rejectsInvalidDocumentLikeFoundation(_ document: JSONCase) {
        #expect(JSONTestSupport.syntaxError(document.bytes) == document.expected)
        #expect(!JSONTestSupport.oracleAccepts(document.bytes))
    }

    /// Where Foundation's `JSONSerialization` (swift-corelibs-foundation) departs from
    /// RFC 8259, we follow the RFC; these cases document each difference.
    static let documentsFoundationAcceptsButRFC8259Refuses: [JSONCase] = [
        // RFC 8259 §2 has no trailing commas; JSONSerialization tolerates them.
        JSONCase("[1,]", .unexpectedCharacter),
        JSONCase(#"{"a":1,}"#, .unexpectedCharacter),
        // RFC 8259 §8.1: implementations may ignore a byte-order mark; an envelope never has
        // one, so it is refused rather than skipped.
        JSONCase(bytes: [0xEF, 0xBB, 0xBF, 0x5B, 0x5D], .unexpectedCharacter, label: "BOM"),
        // RFC 8259 §8.1: JSON exchanged between systems must be UTF-8; JSONSerialization
        // sniffs UTF-16 and UTF-32.
        JSONCase(
            bytes: [0x5B, 0x00, 0x31, 0x00, 0x5D, 0x00], .unexpectedCharacter, label: "UTF-16LE"),
    ]

    @Test(arguments: Self.documentsFoundationAcceptsButRFC8259Refuses)
    func rejectsWhatOnlyFoundationAccepts(_ document: JSONCase) {
        #expect(JSONTestSupport.syntaxError(document.bytes) == document.expected)
    }

    @Test(arguments: ["1e400", "-1e400", "[1e999999999999999999]", "123456789e123456789"])
    func acceptsNumbersBeyondDoubleRangeUnlikeFoundation(_ text: String) {
        // The grammar has no range limit (RFC 8259 §6); JSONSerialization refuses what does
        // not fit a Double. Envelope numbers are range-checked later, as UInt64.
        #expect(JSONTestSupport.syntaxError(text) == nil)
    }

    // MARK: Escapes

    @Test(arguments: [
        (#""\"""#, "\""), (#""\\""#, "\\"), (#""\/""#, "/"), (#""\b""#, "\u{08}"),
        (#""\f""#, "\u{0C}"), (#""\n""#, "\n"), (#""\r""#, "\r"), (#""\t""#, "\t"),
        (#""\u0000""#, "\u{0}"), (#""\u0041""#, "A"), (#""\u00e9""#, "é"), (#""\u00E9""#, "é"),
        (#""\u20ac""#, "€"), (#""\uFFFF""#, "\u{FFFF}"), (#""\uD834\uDD1E""#, "𝄞"),
        (#""\ud83d\ude00""#, "😀"), (#""\uD800\uDC00""#, "\u{10000}"),
        (#""\uDBFF\uDFFF""#, "\u{10FFFF}"), (#""a\nb\u0063d""#, "a\nbcd"),
        (#""\\u0041""#, "\\u0041"), (#""é\u00e9😀\ud83d\ude00""#, "éé😀😀"),
    ])
    func decodesEveryEscapeForm(_ literal: String, _ expected: String) {
        #expect(JSONTestSupport.decodedString(literal: literal) == expected)
        let oracle = JSONTestSupport.oracleValue(Array(literal.utf8)) as? String
        #expect(oracle == expected)
    }

    @Test func decodesEveryBMPScalarEscapeLikeFoundation() {
        var mismatches = 0
        for unit in stride(from: 0, through: 0xFFFF, by: 7) where !(0xD800...0xDFFF).contains(unit)
        {
            let hex = String(unit, radix: 16)
            let literal = "\"\\u" + String(repeating: "0", count: 4 - hex.count) + hex + "\""
            let expected = String(Character(Unicode.Scalar(UInt32(unit))!))
            if JSONTestSupport.decodedString(literal: literal) != expected { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }

    @Test func decodesEverySurrogatePairHighAndSampleLow() {
        var mismatches = 0
        for high in 0xD800...0xDBFF {
            for low in [0xDC00, 0xDC01, 0xDE00, 0xDFFE, 0xDFFF] {
                let literal = "\"\\u\(String(high, radix: 16))\\u\(String(low, radix: 16))\""
                let scalar = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                let expected = String(Character(Unicode.Scalar(UInt32(scalar))!))
                if JSONTestSupport.decodedString(literal: literal) != expected { mismatches += 1 }
            }
        }
        #expect(mismatches == 0)
    }

    // MARK: UTF-8

    @Test(
        arguments: [
            [0x80], [0xBF], [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xE0, 0x9F, 0xBF],
            [0xF0, 0x80, 0x80, 0x80], [0xF0, 0x8F, 0xBF, 0xBF], [0xED, 0xA0, 0x80],
            [0xED, 0xBF, 0xBF], [0xED, 0xAD, 0xBF, 0xED, 0xB0, 0x80], [0xF4, 0x90, 0x80, 0x80],
            [0xF5, 0x80, 0x80, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0xFC], [0xFE], [0xFF],
            [0xC2], [0xC2, 0x41], [0xE2, 0x82], [0xE2, 0x82, 0x41], [0xF0, 0x9F, 0x98],
            [0xF0, 0x9F, 0x41, 0x80], [0xC3, 0xA9, 0xA9], [0xE2, 0x28, 0xA1],
        ] as [[UInt8]])
    func rejectsMalformedUTF8InString(_ sequence: [UInt8]) {
        let document = [0x5B, 0x22] + sequence + [0x22, 0x5D]
        #expect(JSONTestSupport.syntaxError(document) == .invalidUTF8)
        #expect(!JSONTestSupport.oracleAccepts(document))
    }

    /// Long runs of multi-byte text are validated in a tight loop: a fault anywhere in the
    /// run, including its last sequence cut short by the closing quote, must be caught.
    @Test(arguments: [0, 1, 7, 8, 100])
    func catchesMalformedSequenceAtEndOfMultibyteRun(_ runLength: Int) {
        let run = Array(String(repeating: "中é😀", count: runLength).utf8)
        let valid = [0x22] + run + [0x22]
        #expect(JSONTestSupport.syntaxError(valid) == nil)
        for tail: [UInt8] in [[0xE4, 0xB8], [0xF0, 0x9F, 0x98], [0xC3], [0xED, 0xA0, 0x80]] {
            let document = [0x22] + run + tail + [0x22]
            #expect(JSONTestSupport.syntaxError(document) == .invalidUTF8, "tail \(tail)")
            let midway = [0x22] + run + tail + Array("abc".utf8) + run + [0x22]
            #expect(JSONTestSupport.syntaxError(midway) == .invalidUTF8, "tail \(tail)")
        }
        let decoded = JSONTestSupport.decodedString(literal: String(decoding: valid, as: UTF8.self))
        #expect(decoded == String(repeating: "中é😀", count: runLength))
    }

    @Test(arguments: [[0x80], [0xC3, 0xA9], [0xFF], [0xEF, 0xBB, 0xBF]] as [[UInt8]])
    func rejectsNonASCIIOutsideStrings(_ sequence: [UInt8]) {
        #expect(JSONTestSupport.syntaxError([0x5B] + sequence + [0x5D]) == .unexpectedCharacter)
        #expect(JSONTestSupport.syntaxError(sequence) == .unexpectedCharacter)
    }

    /// Every 1- and 2-byte sequence, and every 3- and 4-byte sequence built from boundary
    /// bytes, agrees with the standard library's own UTF-8 validation.
    @Test func utf8ValidationAgreesWithStandardLibrary() {
        let boundaryBytes: [UInt8] = [
            0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0,
            0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF,
        ]
        var sequences: [[UInt8]] = (0...255).map { [UInt8($0)] }
        for first in 0...255 {
            for second in 0...255 { sequences.append([UInt8(first), UInt8(second)]) }
        }
        for first in boundaryBytes {
            for second in boundaryBytes {
                for third in boundaryBytes {
                    sequences.append([first, second, third])
                    for fourth in boundaryBytes {
                        sequences.append([first, second, third, fourth])
                    }
                }
            }
        }

        var disagreements: [[UInt8]] = []
        for sequence in sequences {
            // Quotes and backslashes change the string's structure: other tests cover them.
            if sequence.contains(where: { $0 == 0x22 || $0 == 0x5C }) { continue }
            let hasControlByte = sequence.contains { $0 < 0x20 }
            let expectValid = !hasControlByte && String(validating: sequence, as: UTF8.self) != nil
            let document = [0x22] + sequence + [0x22]
            let isValid = JSONTestSupport.syntaxError(document) == nil
            if isValid != expectValid { disagreements.append(sequence) }
        }
        #expect(disagreements.isEmpty, "first: \(disagreements.prefix(5))")
    }

    /// The eight-bytes-at-a-time scan must notice a special byte at every position and
    /// alignment, and must not stop early on plain ASCII.
    @Test(
        arguments: [
            (UInt8(0x22), nil), (0x5C, .invalidEscape), (0x00, .controlCharacterInString),
            (0x1F, .controlCharacterInString), (0x0A, .controlCharacterInString),
            (0x80, .invalidUTF8), (0xFF, .invalidUTF8), (0x7F, nil), (0x20, nil), (0x21, nil),
            (0x23, nil), (0x5B, nil), (0x5D, nil), (0x7E, nil),
        ] as [(UInt8, JSONSyntaxError?)])
    func findsSpecialByteAtEveryOffset(_ special: UInt8, _ expected: JSONSyntaxError?) {
        for prefixLength in 0..<40 {
            for suffixLength in [0, 1, 7, 8, 9, 17] {
                let body =
                    Array(repeating: UInt8(ascii: "a"), count: prefixLength) + [special]
                    + Array(repeating: UInt8(ascii: "x"), count: suffixLength)
                var document: [UInt8] = [0x22] + body + [0x22]
                var expectedHere = expected
                if special == 0x22 {
                    // The quote ends the string early; the rest must be a well-formed tail.
                    document = [0x5B, 0x22] + Array(body.dropLast(suffixLength)) + [0x5D]
                    expectedHere = nil
                } else if special == 0x5C {
                    document = [0x22] + Array(body) + [0x22]
                    expectedHere = suffixLength == 0 ? .unexpectedEndOfInput : .invalidEscape
                }
                let verdict = JSONTestSupport.syntaxError(document)
                #expect(verdict == expectedHere, "prefix \(prefixLength) suffix \(suffixLength)")
            }
        }
    }

    @Test(arguments: 0..<48)
    func readsStringsOfEveryShortLengthExactly(_ length: Int) {
        let text = String((0..<length).map { Character(Unicode.Scalar(UInt8(0x41 + $0 % 26))) })
        #expect(JSONTestSupport.decodedString(literal: "\"" + text + "\"") == text)
        let withEscapeAtEnd = text + "\\n"
        #expect(
            JSONTestSupport.decodedString(literal: "\"" + withEscapeAtEnd + "\"") == text + "\n")
    }

    // MARK: Depth

    @Test(arguments: [1, 2, 63, 64, 65, 100, 10_000, 1_000_000])
    func limitsArrayNesting(_ depth: Int) {
        let document = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        let expected: JSONSyntaxError? = depth <= 64 ? nil : .nestingTooDeep
        #expect(JSONTestSupport.syntaxError(document) == expected)
    }

    @Test(arguments: [64, 65])
    func limitsMixedNesting(_ depth: Int) {
        var document = ""
        for level in 0..<depth { document += level.isMultiple(of: 2) ? #"{"k":"# : "[" }
        for level in (0..<depth).reversed() { document += level.isMultiple(of: 2) ? "}" : "]" }
        let expected: JSONSyntaxError? = depth <= 64 ? nil : .nestingTooDeep
        #expect(JSONTestSupport.syntaxError(document) == expected)
    }

    @Test func unclosedDeepNestingFailsWithoutCrashing() {
        let document = String(repeating: "[", count: 200_000)
        #expect(JSONTestSupport.syntaxError(document) == .nestingTooDeep)
        #expect(JSONTestSupport.syntaxError(document, maxDepth: 1_000_000) == .nestingTooDeep)
    }

    @Test func depthLimitIsClampedToCeiling() {
        let depth = JSONReader.depthCeiling
        let fits = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        let over = "[" + fits + "]"
        #expect(JSONTestSupport.syntaxError(fits, maxDepth: .max) == nil)
        #expect(JSONTestSupport.syntaxError(over, maxDepth: .max) == .nestingTooDeep)
        #expect(JSONTestSupport.syntaxError("[]", maxDepth: 0) == .nestingTooDeep)
        #expect(JSONTestSupport.syntaxError("1", maxDepth: -5) == nil)
    }

    @Test func siblingContainersDoNotAccumulateDepth() {
        let siblings = "[" + Array(repeating: "[[]]", count: 1000).joined(separator: ",") + "]"
        #expect(JSONTestSupport.syntaxError(siblings, maxDepth: 3) == nil)
        #expect(JSONTestSupport.syntaxError(siblings, maxDepth: 2) == .nestingTooDeep)
    }

    // MARK: Numbers

    @Test(
        arguments: [
            ("0", UInt64(0)), ("-0", 0), ("7", 7), ("10", 10), ("18446744073709551615", .max),
            ("18446744073709551616", nil), ("99999999999999999999", nil),
            ("100000000000000000000000", nil), ("-1", nil), ("1.0", nil), ("5.0", nil),
            ("1e3", nil), ("0e0", nil), ("-0.0", nil),
        ] as [(String, UInt64?)])
    func readsUnsignedIntegersExactly(_ text: String, _ expected: UInt64?) {
        let bytes = Array(text.utf8)
        let value = bytes.withUnsafeBytes { buffer -> UInt64? in
            var reader = JSONReader(buffer)
            guard case .number(let span)? = try? reader.readValue() else { return nil }
            return reader.unsignedInteger(span)
        }
        #expect(value == expected)
    }

    @Test(arguments: ["true", "false", "null", "0", "-12.5e+3", #""s""#, "{}", "[]"])
    func acceptsEveryValueKindAtTopLevelAndInContainers(_ value: String) {
        #expect(JSONTestSupport.syntaxError(value) == nil)
        #expect(JSONTestSupport.syntaxError("[" + value + "," + value + "]") == nil)
        #expect(JSONTestSupport.syntaxError(#"{"a":"# + value + "}") == nil)
        #expect(JSONTestSupport.syntaxError("\t\n\r " + value + "\t\n\r ") == nil)
    }
}
