/// Client side of the opening handshake (RFC 6455 §4.1): the key, the request text, and the
/// check of the server's 101 response. Used by load generators and test clients.
public enum ClientHandshake {
    /// A fresh Sec-WebSocket-Key: base64 of 16 bytes from `generator`.
    public static func makeKey(using generator: inout some RandomNumberGenerator) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        for _ in 0..<2 {
            let word = generator.next()
            for shift in stride(from: 0, to: 64, by: 8) {
                bytes.append(UInt8(truncatingIfNeeded: word >> UInt64(shift)))
            }
        }
        return Base64.encode(bytes)
    }

    /// A fresh Sec-WebSocket-Key from the system's random source.
    public static func makeKey() -> String {
        var generator = SystemRandomNumberGenerator()
        return self.makeKey(using: &generator)
    }

    /// The complete HTTP/1.1 upgrade request, ending with the blank line.
    ///
    /// CR and LF are removed from every interpolated value so no argument can inject a header.
    ///
    /// - Parameters:
    ///   - path: the request target, for example `/v1/ws?x=1`.
    ///   - host: the `Host` value, for example `127.0.0.1:8080`.
    ///   - key: from ``makeKey(using:)``.
    ///   - origin: an `Origin` value, as a browser would send; nil to omit.
    ///   - deflate: options to offer permessage-deflate with; nil to offer nothing.
    ///   - additionalHeaders: appended as given (for example `Authorization`).
    public static func requestText(
        path: String, host: String, key: String, origin: String? = nil,
        deflate: PerMessageDeflateOptions? = nil,
        additionalHeaders: [(name: String, value: String)] = []
    ) -> String {
        var fields: [(name: String, value: String)] = [
            ("Host", host), ("Upgrade", "websocket"), ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", key), ("Sec-WebSocket-Version", "13"),
        ]
        if let origin { fields.append(("Origin", origin)) }
        if let deflate {
            fields.append(("Sec-WebSocket-Extensions", PerMessageDeflateNegotiation.offer(deflate)))
        }
        fields.append(contentsOf: additionalHeaders)
        var text = "GET \(self.singleLine(path)) HTTP/1.1\r\n"
        for field in fields {
            text += "\(self.singleLine(field.name)): \(self.singleLine(field.value))\r\n"
        }
        return text + "\r\n"
    }

    /// The Sec-WebSocket-Extensions offer that `requestText` sends for `options`.
    public static func deflateOffer(_ options: PerMessageDeflateOptions) -> String {
        PerMessageDeflateNegotiation.offer(options)
    }

    /// Checks the server's answer to a request made with `key` and, if deflate was offered
    /// with `offeredDeflate`, the agreed parameters.
    ///
    /// - Returns: the parameters to create the client's ``WebSocketConnection`` with, or nil
    ///   when the server declined compression.
    public static func validateResponse(
        _ response: HTTPResponseHead, key: String, offeredDeflate: PerMessageDeflateOptions?
    ) throws(ClientHandshakeError) -> PerMessageDeflateParameters? {
        guard response.status == 101 else { throw .unexpectedStatus(response.status) }
        let headers = response.headers
        let upgrade = HTTPFieldSyntax.values(named: "Upgrade", in: headers)
        guard HTTPFieldSyntax.listContains(upgrade, token: "websocket") else {
            throw .missingUpgradeWebSocket
        }
        let connection = HTTPFieldSyntax.values(named: "Connection", in: headers)
        guard HTTPFieldSyntax.listContains(connection, token: "upgrade") else {
            throw .missingConnectionUpgrade
        }
        let accepts = HTTPFieldSyntax.values(named: "Sec-WebSocket-Accept", in: headers)
        guard accepts.count == 1,
            let expected = ServerHandshake.acceptValue(forKey: key),
            HTTPFieldSyntax.trimmingWhitespace(accepts[0][...]) == expected
        else { throw .acceptMismatch }
        guard HTTPFieldSyntax.values(named: "Sec-WebSocket-Protocol", in: headers).isEmpty else {
            throw .unexpectedSubprotocol
        }
        let extensions = HTTPFieldSyntax.values(named: "Sec-WebSocket-Extensions", in: headers)
        return try PerMessageDeflateNegotiation.acceptResponse(extensions, offered: offeredDeflate)
    }

    private static func singleLine(_ text: String) -> String {
        String(text.unicodeScalars.filter { $0 != "\r" && $0 != "\n" })
    }
}
