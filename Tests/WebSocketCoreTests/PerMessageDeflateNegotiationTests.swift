import Testing

@testable import WebSocketCore

/// One server-side negotiation: the offers a client sends and what the server answers.
struct NegotiationCase: Sendable, CustomTestStringConvertible {
    var name: String
    var offers: [String]
    var options = PerMessageDeflateOptions()
    /// The Sec-WebSocket-Extensions answer, or nil when compression is declined.
    var response: String?
    var serverWindow = 15
    var clientWindow = 15

    var testDescription: String { self.name }
}

@Suite struct PerMessageDeflateNegotiationTests {
    static let cases: [NegotiationCase] = [
        NegotiationCase(
            name: "plain offer", offers: ["permessage-deflate"],
            response: "permessage-deflate"),
        NegotiationCase(
            name: "browser offer", offers: ["permessage-deflate; client_max_window_bits"],
            response: "permessage-deflate"),
        NegotiationCase(
            name: "name in other case", offers: ["PerMessage-Deflate"],
            response: "permessage-deflate"),
        NegotiationCase(name: "no offer", offers: [], response: nil),
        NegotiationCase(
            name: "other extension only", offers: ["x-webkit-deflate-frame"], response: nil),
        NegotiationCase(
            name: "server_no_context_takeover offered",
            offers: ["permessage-deflate; server_no_context_takeover"],
            response: "permessage-deflate; server_no_context_takeover"),
        NegotiationCase(
            name: "client_no_context_takeover hint is not echoed",
            offers: ["permessage-deflate; client_no_context_takeover"],
            response: "permessage-deflate"),
        NegotiationCase(
            name: "server window limited",
            offers: ["permessage-deflate; server_max_window_bits=10"],
            response: "permessage-deflate; server_max_window_bits=10", serverWindow: 10),
        NegotiationCase(
            name: "server window quoted",
            offers: [#"permessage-deflate; server_max_window_bits="12""#],
            response: "permessage-deflate; server_max_window_bits=12", serverWindow: 12),
        NegotiationCase(
            name: "server window 8 declined",
            offers: ["permessage-deflate; server_max_window_bits=8"],
            response: nil),
        NegotiationCase(
            name: "server window 8 declined, next offer accepted",
            offers: [
                "permessage-deflate; server_max_window_bits=8, "
                    + "permessage-deflate; server_max_window_bits=9"
            ],
            response: "permessage-deflate; server_max_window_bits=9", serverWindow: 9),
        NegotiationCase(
            name: "offers spread over two fields",
            offers: ["x-foo; bar", "permessage-deflate; client_max_window_bits=10"],
            response: "permessage-deflate", clientWindow: 10),
        NegotiationCase(
            name: "server window without value",
            offers: ["permessage-deflate; server_max_window_bits"],
            response: nil),
        NegotiationCase(
            name: "server window 16", offers: ["permessage-deflate; server_max_window_bits=16"],
            response: nil),
        NegotiationCase(
            name: "server window 7", offers: ["permessage-deflate; server_max_window_bits=7"],
            response: nil),
        NegotiationCase(
            name: "window with leading zero",
            offers: ["permessage-deflate; server_max_window_bits=010"],
            response: nil),
        NegotiationCase(
            name: "window not a number", offers: ["permessage-deflate; client_max_window_bits=ten"],
            response: nil),
        NegotiationCase(
            name: "client window 8 accepted",
            offers: ["permessage-deflate; client_max_window_bits=8"],
            response: "permessage-deflate", clientWindow: 8),
        NegotiationCase(
            name: "duplicated parameter",
            offers: ["permessage-deflate; server_no_context_takeover; server_no_context_takeover"],
            response: nil),
        NegotiationCase(
            name: "duplicated window",
            offers: ["permessage-deflate; client_max_window_bits=9; client_max_window_bits=10"],
            response: nil),
        NegotiationCase(
            name: "unknown parameter", offers: ["permessage-deflate; foo"], response: nil),
        NegotiationCase(
            name: "flag with a value", offers: ["permessage-deflate; server_no_context_takeover=1"],
            response: nil),
        NegotiationCase(
            name: "unterminated quote",
            offers: [#"permessage-deflate; server_max_window_bits="10"#],
            response: nil),
        NegotiationCase(name: "empty parameter", offers: ["permessage-deflate;"], response: nil),
        NegotiationCase(
            name: "malformed offer declined, next accepted",
            offers: ["permessage-deflate; foo=bar, permessage-deflate; server_no_context_takeover"],
            response: "permessage-deflate; server_no_context_takeover"),
        NegotiationCase(
            name: "server chooses no context takeover", offers: ["permessage-deflate"],
            options: PerMessageDeflateOptions(serverNoContextTakeover: true),
            response: "permessage-deflate; server_no_context_takeover"),
        NegotiationCase(
            name: "server asks clients for no context takeover", offers: ["permessage-deflate"],
            options: PerMessageDeflateOptions(clientNoContextTakeover: true),
            response: "permessage-deflate; client_no_context_takeover"),
        NegotiationCase(
            name: "server prefers a smaller window silently", offers: ["permessage-deflate"],
            options: PerMessageDeflateOptions(serverMaxWindowBits: 11),
            response: "permessage-deflate",
            serverWindow: 11),
        NegotiationCase(
            name: "smaller of offered and preferred window",
            offers: ["permessage-deflate; server_max_window_bits=13"],
            options: PerMessageDeflateOptions(serverMaxWindowBits: 11),
            response: "permessage-deflate; server_max_window_bits=11", serverWindow: 11),
        NegotiationCase(
            name: "server limits client window when allowed",
            offers: ["permessage-deflate; client_max_window_bits"],
            options: PerMessageDeflateOptions(clientMaxWindowBits: 10),
            response: "permessage-deflate; client_max_window_bits=10", clientWindow: 10),
        NegotiationCase(
            name: "server cannot limit client window unless offered",
            offers: ["permessage-deflate"],
            options: PerMessageDeflateOptions(clientMaxWindowBits: 10),
            response: "permessage-deflate"),
    ]

    @Test(arguments: cases)
    func serverAnswersOffer(_ testCase: NegotiationCase) {
        let agreed = PerMessageDeflateNegotiation.negotiate(
            offers: testCase.offers, options: testCase.options)
        #expect(agreed?.responseHeaderValue == testCase.response)
        if let agreed {
            #expect(agreed.serverMaxWindowBits == testCase.serverWindow)
            #expect(agreed.clientMaxWindowBits == testCase.clientWindow)
        }
    }

    @Test func agreedFlagsFollowTheAnswer() throws {
        let agreed = try #require(
            PerMessageDeflateNegotiation.negotiate(
                offers: ["permessage-deflate; server_no_context_takeover"],
                options: PerMessageDeflateOptions(clientNoContextTakeover: true)))
        #expect(agreed.serverNoContextTakeover)
        #expect(agreed.clientNoContextTakeover)
    }

    @Test(arguments: [
        (PerMessageDeflateOptions(), "permessage-deflate; client_max_window_bits"),
        (
            PerMessageDeflateOptions(
                serverNoContextTakeover: true, clientNoContextTakeover: true,
                serverMaxWindowBits: 10, clientMaxWindowBits: 12),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
                + "server_max_window_bits=10; client_max_window_bits=12"
        ),
    ])
    func clientOfferListsItsOptions(_ options: PerMessageDeflateOptions, _ offer: String) {
        #expect(ClientHandshake.deflateOffer(options) == offer)
    }

    /// Every offer a client builds is accepted by the server, with matching parameters.
    @Test(arguments: [false, true])
    func clientOfferIsAcceptedByTheServer(_ noContextTakeover: Bool) throws {
        let options = PerMessageDeflateOptions(
            serverNoContextTakeover: noContextTakeover, clientNoContextTakeover: noContextTakeover,
            serverMaxWindowBits: 12, clientMaxWindowBits: 11)
        let server = try #require(
            PerMessageDeflateNegotiation.negotiate(
                offers: [ClientHandshake.deflateOffer(options)], options: PerMessageDeflateOptions()
            ))
        let client = try PerMessageDeflateNegotiation.acceptResponse(
            [server.responseHeaderValue], offered: options)
        #expect(server.serverMaxWindowBits == 12)
        #expect(client?.serverMaxWindowBits == 12)
        #expect(client?.clientMaxWindowBits == 11)
        #expect(client?.serverNoContextTakeover == noContextTakeover)
        #expect(client?.clientNoContextTakeover == noContextTakeover)
    }
}
