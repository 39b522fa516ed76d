/// RFC 7692 §7.1 negotiation: reading offers (server side), building the offer and checking the
/// answer (client side).
enum PerMessageDeflateNegotiation {
    /// The extension token RFC 7692 registers.
    static let extensionName = "permessage-deflate"

    /// The parameters of one permessage-deflate element, each present at most once.
    struct ParsedParameters: Hashable {
        /// `server_no_context_takeover` was present.
        var serverNoContextTakeover = false
        /// `client_no_context_takeover` was present.
        var clientNoContextTakeover = false
        /// The `server_max_window_bits` value, nil when absent.
        var serverMaxWindowBits: Int?
        /// The `client_max_window_bits` parameter: nil when absent, `.some(nil)` when present
        /// without a value.
        var clientMaxWindowBits: Int??
    }

    /// Parses the parameters of a permessage-deflate element; nil when one is unknown,
    /// repeated, has a value where none is allowed, lacks a required value, or has a window
    /// size outside 8...15 (RFC 7692 §7.1: such an offer is declined).
    static func parseParameters(_ element: ExtensionElement) -> ParsedParameters? {
        var parsed = ParsedParameters()
        var seen: Set<String> = []
        for parameter in element.parameters {
            let name = parameter.name.lowercased()
            guard seen.insert(name).inserted else { return nil }
            switch (name, parameter.value) {
            case ("server_no_context_takeover", nil):
                parsed.serverNoContextTakeover = true
            case ("client_no_context_takeover", nil):
                parsed.clientNoContextTakeover = true
            case ("server_max_window_bits", let value?):
                guard let bits = self.windowBits(value) else { return nil }
                parsed.serverMaxWindowBits = bits
            case ("client_max_window_bits", nil):
                parsed.clientMaxWindowBits = .some(nil)
            case ("client_max_window_bits", let value?):
                guard let bits = self.windowBits(value) else { return nil }
                parsed.clientMaxWindowBits = .some(bits)
            default:
                return nil
            }
        }
        return parsed
    }

    /// A window size: 1–2 decimal digits without a leading zero, 8...15.
    static func windowBits(_ text: String) -> Int? {
        guard text.utf8.count <= 2, text.first != "0",
            text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
            let bits = Int(text), (8...15).contains(bits)
        else { return nil }
        return bits
    }

    /// Server side: accepts the first acceptable permessage-deflate offer among the
    /// Sec-WebSocket-Extensions `values`, or returns nil when there is none (the connection
    /// then runs uncompressed). Offers of other extensions are ignored.
    static func negotiate(
        offers values: [String], options: PerMessageDeflateOptions
    )
        -> PerMessageDeflateParameters?
    {
        for case let element? in ExtensionElement.parseList(values)
        where HTTPFieldSyntax.equalsIgnoringASCIICase(element.name, self.extensionName) {
            if let offer = self.parseParameters(element),
                let accepted = self.accept(offer, options: options)
            {
                return accepted
            }
        }
        return nil
    }

    private static func accept(
        _ offer: ParsedParameters, options: PerMessageDeflateOptions
    )
        -> PerMessageDeflateParameters?
    {
        // See PerMessageDeflateOptions: zlib cannot compress with a 256-byte window.
        if offer.serverMaxWindowBits == 8 { return nil }
        let ownWindow = PerMessageDeflateOptions.clampedCompressorWindow(
            options.serverMaxWindowBits)
        let serverWindow = min(offer.serverMaxWindowBits ?? 15, ownWindow)
        var clientWindow = 15
        var statedClientWindow: Int?
        if case .some(let offeredClientWindow) = offer.clientMaxWindowBits {
            clientWindow = offeredClientWindow ?? 15
            let wanted = min(max(options.clientMaxWindowBits, 8), 15)
            if wanted < clientWindow {
                clientWindow = wanted
                statedClientWindow = wanted
            }
        }
        let serverNoContextTakeover =
            offer.serverNoContextTakeover || options.serverNoContextTakeover
        var response = self.extensionName
        if serverNoContextTakeover { response += "; server_no_context_takeover" }
        if options.clientNoContextTakeover { response += "; client_no_context_takeover" }
        if offer.serverMaxWindowBits != nil {
            response += "; server_max_window_bits=\(serverWindow)"
        }
        if let statedClientWindow { response += "; client_max_window_bits=\(statedClientWindow)" }
        return PerMessageDeflateParameters(
            serverNoContextTakeover: serverNoContextTakeover,
            clientNoContextTakeover: options.clientNoContextTakeover,
            serverMaxWindowBits: serverWindow, clientMaxWindowBits: clientWindow,
            responseHeaderValue: response)
    }

    /// Client side: the Sec-WebSocket-Extensions offer for `options`.
    static func offer(_ options: PerMessageDeflateOptions) -> String {
        var offer = self.extensionName
        if options.serverNoContextTakeover { offer += "; server_no_context_takeover" }
        if options.clientNoContextTakeover { offer += "; client_no_context_takeover" }
        let serverWindow = min(max(options.serverMaxWindowBits, 8), 15)
        if serverWindow < 15 { offer += "; server_max_window_bits=\(serverWindow)" }
        let clientWindow = PerMessageDeflateOptions.clampedCompressorWindow(
            options.clientMaxWindowBits)
        offer +=
            clientWindow < 15
            ? "; client_max_window_bits=\(clientWindow)" : "; client_max_window_bits"
        return offer
    }

    /// Client side: checks the server's Sec-WebSocket-Extensions `values` against the offer
    /// made with `options` (nil when none was made).
    static func acceptResponse(
        _ values: [String], offered options: PerMessageDeflateOptions?
    )
        throws(ClientHandshakeError) -> PerMessageDeflateParameters?
    {
        let elements = ExtensionElement.parseList(values)
        guard !elements.isEmpty else { return nil }
        guard let options, elements.count == 1, let element = elements[0],
            HTTPFieldSyntax.equalsIgnoringASCIICase(element.name, self.extensionName)
        else { throw .unexpectedExtension }
        guard let answer = self.parseParameters(element),
            self.answerKeepsOffer(answer, options: options)
        else { throw .invalidExtensionParameters }
        let ownWindow = PerMessageDeflateOptions.clampedCompressorWindow(
            options.clientMaxWindowBits)
        if case .some(.some(let limit)) = answer.clientMaxWindowBits, limit < ownWindow {
            // See PerMessageDeflateOptions: zlib cannot compress with a 256-byte window.
            guard limit >= PerMessageDeflateOptions.smallestCompressorWindowBits else {
                throw .unsupportedClientWindowBits
            }
        }
        var clientWindow = ownWindow
        if case .some(.some(let limit)) = answer.clientMaxWindowBits {
            clientWindow = min(limit, ownWindow)
        }
        return PerMessageDeflateParameters(
            serverNoContextTakeover: answer.serverNoContextTakeover,
            clientNoContextTakeover: answer.clientNoContextTakeover
                || options.clientNoContextTakeover,
            serverMaxWindowBits: answer.serverMaxWindowBits ?? 15,
            clientMaxWindowBits: clientWindow,
            responseHeaderValue: values.joined(separator: ", "))
    }

    /// RFC 7692 §7.1: the answer must not lift limits the offer set, and may only state
    /// `client_max_window_bits` (with a value) because the offer always names it.
    private static func answerKeepsOffer(
        _ answer: ParsedParameters, options: PerMessageDeflateOptions
    )
        -> Bool
    {
        if options.serverNoContextTakeover && !answer.serverNoContextTakeover { return false }
        let offeredServerWindow = min(max(options.serverMaxWindowBits, 8), 15)
        if offeredServerWindow < 15 {
            guard let stated = answer.serverMaxWindowBits, stated <= offeredServerWindow else {
                return false
            }
        }
        if case .some(nil) = answer.clientMaxWindowBits { return false }
        return true
    }
}
