import Testing

@testable import ChatRouter

@Suite struct EnvelopeErrorTests {
    /// Every error the decoder can produce, built from the case lists so a new case shows up.
    static let allErrors: [EnvelopeError] =
        JSONSyntaxError.allCases.map { .notJSON($0) }
        + [.notAnObject, .unknownType, .messageTooLong, .batchTooLarge]
        + EnvelopeField.allCases.map { .missingField($0) }
        + EnvelopeField.allCases.flatMap { field in
            FieldViolation.allCases.map { .invalidField(field, $0) }
        }

    @Test(arguments: Self.allErrors)
    func mapsEachRuleToItsV1Code(_ error: EnvelopeError) {
        let expected: Int
        switch error {
        case .messageTooLong, .batchTooLarge: expected = 413
        default: expected = 400
        }
        #expect(error.v1Code == expected)
    }

    @Test(arguments: Self.allErrors)
    func describesEachRuleAsShortLowercasePhrase(_ error: EnvelopeError) {
        let text = error.description
        #expect(!text.isEmpty)
        #expect(text.lowercased() == text)
        #expect(!text.hasSuffix("."))
        #expect(text.first != " " && text.last != " ")
        #expect(text.utf8.count <= 123, "fits a WebSocket close reason too")
        #expect(text.unicodeScalars.allSatisfy { $0.isASCII && $0.value >= 0x20 })
    }

    @Test(arguments: [
        (EnvelopeError.notJSON(.invalidUTF8), "invalid json: invalid utf-8"),
        (.notJSON(.trailingCharacters), "invalid json: trailing characters after value"),
        (.notAnObject, "envelope is not a json object"),
        (.unknownType, "unknown type"),
        (.missingField(.touid), "missing field touid"),
        (.invalidField(.uid, .tooLong), "field uid is too long"),
        (.invalidField(.uid, .empty), "field uid is empty"),
        (.invalidField(.touid, .controlCharacter), "field touid contains a control character"),
        (.invalidField(.msg, .wrongType), "field msg must be a string"),
        (.invalidField(.since, .wrongType), "field since must be an integer"),
        (
            .invalidField(.since, .notUnsignedInteger),
            "field since must be a non-negative 64-bit integer"
        ),
        (.messageTooLong, "message too long"),
        (.batchTooLarge, "too many envelopes in batch"),
    ])
    func describesRulesExactly(_ error: EnvelopeError, _ expected: String) {
        #expect(error.description == expected)
    }

    /// Bodies whose every value holds the marker; no rejection may repeat it in `msg`.
    @Test(arguments: [
        #"{"type":"zqzq","uid":"zqzq"}"#,
        #"{"type":"bind","uid":"zqzq\u0001"}"#,
        #"{"type":"bind","uid":""# + String(repeating: "zq", count: 40) + #""}"#,
        #"{"type":"bind","uid":"zqzq","since":"zqzq"}"#,
        #"{"type":"zqzq"#,
        #"["zqzq"]"#,
        #"{"type":"bind","uid":"zqzq","zqzq":}"#,
        #"{"type":"send","touid":"zqzq","msg":"zqzq\ud800"}"#,
    ])
    func neverEchoesPayloadInDescription(_ text: String) {
        let rejection = EnvelopeTestSupport.rejection(text)
        #expect(rejection != nil)
        #expect(rejection?.reason.description.contains("zq") == false)
    }
}
