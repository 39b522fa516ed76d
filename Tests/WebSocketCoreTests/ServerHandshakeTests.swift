import Testing

@testable import WebSocketCore

/// One upgrade request and the verdict it must get.
struct UpgradeRequestCase: Sendable, CustomTestStringConvertible {
    var name: String
    var method = "GET"
    var version = "HTTP/1.1"
    var headers: [(name: String, value: String)] = UpgradeRequestCase.validHeaders
    /// nil when the request must be accepted.
    var error: HandshakeError?

    static let validHeaders: [(name: String, value: String)] = [
        ("Host", "example.com"), ("Upgrade", "websocket"), ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Version", "13"),
    ]

    static func replacing(_ name: String, with value: String?) -> [(name: String, value: String)] {
        var headers = self.validHeaders.filter { $0.name != name }
        if let value { headers.append((name, value)) }
        return headers
    }

    var testDescription: String { self.name }
}

@Suite struct ServerHandshakeTests {
    static let cases: [UpgradeRequestCase] = [
        UpgradeRequestCase(name: "valid request"),
        UpgradeRequestCase(name: "method POST", method: "POST", error: .methodNotGet),
        UpgradeRequestCase(name: "method in lowercase", method: "get", error: .methodNotGet),
        UpgradeRequestCase(name: "HTTP/1.0", version: "HTTP/1.0", error: .httpVersionTooOld),
        UpgradeRequestCase(name: "HTTP/1", version: "HTTP/1", error: .httpVersionTooOld),
        UpgradeRequestCase(name: "HTTP/1.2", version: "HTTP/1.2"),
        UpgradeRequestCase(name: "HTTP/2", version: "HTTP/2"),
        UpgradeRequestCase(name: "garbage version", version: "HTTQ/1.1", error: .httpVersionTooOld),
        UpgradeRequestCase(name: "signed version", version: "HTTP/+1.1", error: .httpVersionTooOld),
        UpgradeRequestCase(name: "empty version", version: "", error: .httpVersionTooOld),
        UpgradeRequestCase(
            name: "upgrade missing", headers: UpgradeRequestCase.replacing("Upgrade", with: nil),
            error: .missingUpgradeWebSocket),
        UpgradeRequestCase(
            name: "upgrade to h2c", headers: UpgradeRequestCase.replacing("Upgrade", with: "h2c"),
            error: .missingUpgradeWebSocket),
        UpgradeRequestCase(
            name: "upgrade in mixed case",
            headers: UpgradeRequestCase.replacing("Upgrade", with: "WebSocket")),
        UpgradeRequestCase(
            name: "upgrade list",
            headers: UpgradeRequestCase.replacing("Upgrade", with: "foo, websocket")),
        UpgradeRequestCase(
            name: "upgrade token prefix only",
            headers: UpgradeRequestCase.replacing("Upgrade", with: "websocketx"),
            error: .missingUpgradeWebSocket),
        UpgradeRequestCase(
            name: "connection missing",
            headers: UpgradeRequestCase.replacing("Connection", with: nil),
            error: .missingConnectionUpgrade),
        UpgradeRequestCase(
            name: "connection keep-alive, Upgrade",
            headers: UpgradeRequestCase.replacing("Connection", with: "keep-alive, Upgrade")),
        UpgradeRequestCase(
            name: "connection in lowercase",
            headers: UpgradeRequestCase.replacing("Connection", with: "upgrade")),
        UpgradeRequestCase(
            name: "connection over two fields",
            headers: UpgradeRequestCase.replacing("Connection", with: "keep-alive") + [
                ("connection", "UPGRADE")
            ]),
        UpgradeRequestCase(
            name: "connection keep-alive only",
            headers: UpgradeRequestCase.replacing("Connection", with: "keep-alive"),
            error: .missingConnectionUpgrade),
        UpgradeRequestCase(
            name: "version missing",
            headers: UpgradeRequestCase.replacing("Sec-WebSocket-Version", with: nil),
            error: .unsupportedVersion),
        UpgradeRequestCase(
            name: "version 8",
            headers: UpgradeRequestCase.replacing("Sec-WebSocket-Version", with: "8"),
            error: .unsupportedVersion),
        UpgradeRequestCase(
            name: "two versions",
            headers: UpgradeRequestCase.replacing("Sec-WebSocket-Version", with: "13, 8"),
            error: .unsupportedVersion),
        UpgradeRequestCase(
            name: "version with spaces",
            headers: UpgradeRequestCase.replacing("Sec-WebSocket-Version", with: " 13 ")),
        UpgradeRequestCase(
            name: "key missing",
            headers: UpgradeRequestCase.replacing("Sec-WebSocket-Key", with: nil),
            error: .missingKey),
        UpgradeRequestCase(
            name: "key repeated",
            headers: UpgradeRequestCase.validHeaders + [
                ("sec-websocket-key", "AAAAAAAAAAAAAAAAAAAAAA==")
            ],
            error: .duplicateKey),
        UpgradeRequestCase(
            name: "key of 15 bytes",
            headers: UpgradeRequestCase.replacing(
                "Sec-WebSocket-Key", with: "AAAAAAAAAAAAAAAAAAAA"),
            error: .malformedKey),
        UpgradeRequestCase(
            name: "key of 18 bytes",
            headers: UpgradeRequestCase.replacing(
                "Sec-WebSocket-Key", with: "AAAAAAAAAAAAAAAAAAAAAAAA"),
            error: .malformedKey),
        UpgradeRequestCase(
            name: "key not base64",
            headers: UpgradeRequestCase.replacing(
                "Sec-WebSocket-Key", with: "dGhlIHNhbXBsZSBub25jZQ!="),
            error: .malformedKey),
        UpgradeRequestCase(
            name: "key empty",
            headers: UpgradeRequestCase.replacing("Sec-WebSocket-Key", with: ""),
            error: .malformedKey),
        UpgradeRequestCase(
            name: "key with surrounding spaces",
            headers: UpgradeRequestCase.replacing(
                "Sec-WebSocket-Key", with: " dGhlIHNhbXBsZSBub25jZQ== ")),
        UpgradeRequestCase(
            name: "header names in lowercase",
            headers: UpgradeRequestCase.validHeaders.map { ($0.name.lowercased(), $0.value) }),
    ]

    @Test(arguments: cases)
    func upgradeRequestGetsItsVerdict(_ testCase: UpgradeRequestCase) {
        do {
            let accepted = try ServerHandshake.accept(
                method: testCase.method, httpVersion: testCase.version, headers: testCase.headers)
            #expect(testCase.error == nil)
            #expect(accepted.acceptValue == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
            #expect(accepted.responseHeaders.map(\.name) == ["Sec-WebSocket-Accept"])
            #expect(accepted.deflate == nil)
        } catch {
            #expect(error == testCase.error)
        }
    }

    @Test func acceptValueMatchesTheRFCExample() {
        #expect(
            ServerHandshake.acceptValue(forKey: "dGhlIHNhbXBsZSBub25jZQ==")
                == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    @Test(arguments: HandshakeError.allCases)
    func errorCarriesStatusHeadersAndReason(_ error: HandshakeError) {
        let expectedStatus: Int
        let expectedHeaders: [String]
        switch error {
        case .methodNotGet: (expectedStatus, expectedHeaders) = (405, ["Allow: GET"])
        case .unsupportedVersion:
            (expectedStatus, expectedHeaders) = (426, ["Sec-WebSocket-Version: 13"])
        case .digestUnavailable: (expectedStatus, expectedHeaders) = (500, [])
        default: (expectedStatus, expectedHeaders) = (400, [])
        }
        #expect(error.httpStatus == expectedStatus)
        #expect(error.responseHeaders.map { "\($0.name): \($0.value)" } == expectedHeaders)
        #expect(error.description == error.description.lowercased())
        #expect(!error.description.hasSuffix("."))
    }

    @Test func deflateOfferIsAnsweredInTheResponseHeaders() throws {
        let accepted = try ServerHandshake.accept(
            method: "GET", httpVersion: "HTTP/1.1",
            headers: UpgradeRequestCase.validHeaders
                + [("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits")])
        #expect(accepted.deflate == PerMessageDeflateParameters())
        #expect(
            accepted.responseHeaders.map { "\($0.name): \($0.value)" } == [
                "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
                "Sec-WebSocket-Extensions: permessage-deflate",
            ])
    }

    @Test func deflateOfferIsIgnoredWhenTheServerTurnsItOff() throws {
        let accepted = try ServerHandshake.accept(
            method: "GET", httpVersion: "HTTP/1.1",
            headers: UpgradeRequestCase.validHeaders + [
                ("Sec-WebSocket-Extensions", "permessage-deflate")
            ],
            deflate: nil)
        #expect(accepted.deflate == nil)
        #expect(accepted.responseHeaders.count == 1)
    }

    @Test(arguments: [
        ("", ""), ("Zg==", "f"), ("Zm8=", "fo"), ("Zm9v", "foo"), ("Zm9vYg==", "foob"),
        ("Zm9vYmE=", "fooba"), ("Zm9vYmFy", "foobar"),
    ])
    func base64FollowsTheRFC4648Vectors(_ encoded: String, _ plain: String) {
        #expect(Base64.encode(Array(plain.utf8)) == encoded)
        #expect(Base64.decode(encoded) == Array(plain.utf8))
    }

    @Test(arguments: ["Zg=", "Z===", "Zg==Zg==", "Zm9v!A==", "=Zm9"])
    func base64RejectsMalformedInput(_ encoded: String) {
        #expect(Base64.decode(encoded) == nil)
    }
}
