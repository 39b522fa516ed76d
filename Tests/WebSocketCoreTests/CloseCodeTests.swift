import Testing

@testable import WebSocketCore

@Suite struct CloseCodeTests {
    @Test(
        arguments: [
            1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014,
            3000, 3999, 4000, 4999,
        ] as [UInt16])
    func codeIsAllowedOnTheWire(_ code: UInt16) {
        #expect(CloseCode(rawValue: code).isAllowedInCloseFrame)
    }

    @Test(
        arguments: [0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65_535]
            as [UInt16])
    func codeIsRefusedOnTheWire(_ code: UInt16) {
        #expect(!CloseCode(rawValue: code).isAllowedInCloseFrame)
    }

    @Test func namedCodesHaveTheirRegisteredValues() {
        let expected: [(CloseCode, UInt16)] = [
            (.normalClosure, 1000), (.goingAway, 1001), (.protocolError, 1002),
            (.unsupportedData, 1003), (.noStatusReceived, 1005), (.abnormalClosure, 1006),
            (.invalidPayloadData, 1007), (.policyViolation, 1008), (.messageTooBig, 1009),
            (.mandatoryExtension, 1010), (.internalError, 1011), (.serviceRestart, 1012),
            (.tryAgainLater, 1013), (.badGateway, 1014), (.tlsHandshakeFailure, 1015),
        ]
        for (code, value) in expected {
            #expect(code.rawValue == value)
        }
    }
}

/// The one table that maps every protocol rule to its close code.
@Suite struct WebSocketProtocolErrorTests {
    static let expectedCodes: [WebSocketProtocolError: UInt16] = [
        .reservedBitsSet: 1002,
        .compressionBitWithoutExtension: 1002,
        .compressionBitOnContinuationFrame: 1002,
        .compressionBitOnControlFrame: 1002,
        .reservedOpcode: 1002,
        .unmaskedClientFrame: 1002,
        .maskedServerFrame: 1002,
        .fragmentedControlFrame: 1002,
        .controlFrameTooLong: 1002,
        .unexpectedContinuationFrame: 1002,
        .expectedContinuationFrame: 1002,
        .payloadLengthTopBitSet: 1002,
        .messageTooBig: 1009,
        .binaryMessageRefused: 1003,
        .invalidUTF8InTextMessage: 1007,
        .invalidUTF8InCloseReason: 1007,
        .closePayloadTooShort: 1002,
        .invalidCloseCode: 1002,
        .invalidCompressedData: 1007,
        .compressionUnavailable: 1011,
    ]

    @Test func tableCoversEveryRule() {
        #expect(Set(Self.expectedCodes.keys) == Set(WebSocketProtocolError.allCases))
    }

    @Test(arguments: WebSocketProtocolError.allCases)
    func ruleMapsToItsCloseCode(_ rule: WebSocketProtocolError) {
        #expect(rule.closeCode.rawValue == Self.expectedCodes[rule])
        #expect(rule.closeCode.isAllowedInCloseFrame)
    }

    @Test(arguments: WebSocketProtocolError.allCases)
    func descriptionIsAShortLowercasePhrase(_ rule: WebSocketProtocolError) {
        let text = rule.description
        #expect(!text.isEmpty && text.utf8.count <= 123)
        #expect(text == text.lowercased())
        #expect(!text.hasSuffix("."))
    }

    @Test func descriptionsAreDistinct() {
        let descriptions = WebSocketProtocolError.allCases.map(\.description)
        #expect(Set(descriptions).count == descriptions.count)
    }
}
