import CGnuTLS

/// A validated upgrade request: what to add to the 101 response and how the connection runs.
public struct ServerHandshakeAcceptance: Sendable {
    /// The Sec-WebSocket-Accept value (RFC 6455 §4.2.2).
    public var acceptValue: String
    /// The agreed permessage-deflate parameters, or nil when the connection is uncompressed.
    public var deflate: PerMessageDeflateParameters?
    /// Headers to add to the 101 response: `Sec-WebSocket-Accept` and, when deflate was
    /// agreed, `Sec-WebSocket-Extensions`. The caller adds `Upgrade: websocket` (and
    /// `Connection: Upgrade` if its HTTP layer does not).
    public var responseHeaders: [(name: String, value: String)]
}

/// Server side of the opening handshake (RFC 6455 §4.2): validates an upgrade request and
/// computes the answer. Pure: the caller's HTTP layer reads the request and writes the reply.
public enum ServerHandshake {
    /// The GUID RFC 6455 §1.3 appends to the key before hashing.
    public static let keyGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// Validates an upgrade request and, if it is acceptable, negotiates permessage-deflate.
    ///
    /// Checks, in order: the method is GET (405), the version is HTTP/1.1 or later (400),
    /// `Upgrade` lists `websocket` and `Connection` lists `upgrade`, ignoring case (400),
    /// `Sec-WebSocket-Version` is 13 (426), and exactly one `Sec-WebSocket-Key` holds base64
    /// for 16 bytes (400). An unacceptable deflate offer is declined, never an error.
    ///
    /// - Parameters:
    ///   - method: the request method, case-sensitive (RFC 9110 §9.1).
    ///   - httpVersion: as in the request line, for example `HTTP/1.1`.
    ///   - headers: every request field in order; names compare case-insensitively and
    ///     repeated fields are all considered.
    ///   - deflate: how to answer permessage-deflate offers, or nil to never compress.
    public static func accept(
        method: String, httpVersion: String, headers: [(name: String, value: String)],
        deflate: PerMessageDeflateOptions? = PerMessageDeflateOptions()
    ) throws(HandshakeError) -> ServerHandshakeAcceptance {
        guard method == "GET" else { throw .methodNotGet }
        guard self.isAtLeastHTTP11(httpVersion) else { throw .httpVersionTooOld }
        let upgrade = HTTPFieldSyntax.values(named: "Upgrade", in: headers)
        guard HTTPFieldSyntax.listContains(upgrade, token: "websocket") else {
            throw .missingUpgradeWebSocket
        }
        let connection = HTTPFieldSyntax.values(named: "Connection", in: headers)
        guard HTTPFieldSyntax.listContains(connection, token: "upgrade") else {
            throw .missingConnectionUpgrade
        }
        let versions = HTTPFieldSyntax.values(named: "Sec-WebSocket-Version", in: headers)
        guard HTTPFieldSyntax.listElements(versions) == ["13"] else { throw .unsupportedVersion }
        let key = try self.validatedKey(headers)
        guard let acceptValue = self.acceptValue(forKey: key) else { throw .digestUnavailable }

        var responseHeaders = [(name: "Sec-WebSocket-Accept", value: acceptValue)]
        var agreed: PerMessageDeflateParameters?
        if let deflate {
            let offers = HTTPFieldSyntax.values(named: "Sec-WebSocket-Extensions", in: headers)
            agreed = PerMessageDeflateNegotiation.negotiate(offers: offers, options: deflate)
        }
        if let agreed {
            responseHeaders.append(
                (name: "Sec-WebSocket-Extensions", value: agreed.responseHeaderValue))
        }
        return ServerHandshakeAcceptance(
            acceptValue: acceptValue, deflate: agreed, responseHeaders: responseHeaders)
    }

    /// The Sec-WebSocket-Accept value for `key`: base64 of SHA-1 over the key and
    /// ``keyGUID`` (RFC 6455 §4.2.2). Nil only if GnuTLS cannot hash.
    public static func acceptValue(forKey key: String) -> String? {
        let input = Array((key + self.keyGUID).utf8)
        var digest = [UInt8](repeating: 0, count: 20)
        let status = input.withUnsafeBytes { inputBytes in
            digest.withUnsafeMutableBytes { digestBytes in
                gnutls_hash_fast(
                    GNUTLS_DIG_SHA1, inputBytes.baseAddress, inputBytes.count,
                    digestBytes.baseAddress)
            }
        }
        guard status == 0 else { return nil }
        return Base64.encode(digest)
    }

    private static func validatedKey(
        _ headers: [(name: String, value: String)]
    )
        throws(HandshakeError) -> String
    {
        let keys = HTTPFieldSyntax.values(named: "Sec-WebSocket-Key", in: headers)
        guard keys.count <= 1 else { throw .duplicateKey }
        guard let rawKey = keys.first else { throw .missingKey }
        let key = String(HTTPFieldSyntax.trimmingWhitespace(rawKey[...]))
        guard let decoded = Base64.decode(key), decoded.count == 16 else { throw .malformedKey }
        return key
    }

    /// Whether `version` reads `HTTP/<major>.<minor>` (or `HTTP/<major>`) at 1.1 or later.
    private static func isAtLeastHTTP11(_ version: String) -> Bool {
        guard version.hasPrefix("HTTP/") else { return false }
        let numbers = version.dropFirst(5).split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(numbers.count),
            numbers.allSatisfy({ Self.isShortDecimal($0) }),
            let major = Int(numbers[0])
        else { return false }
        let minor = numbers.count == 2 ? Int(numbers[1]) : 0
        guard let minor else { return false }
        return major > 1 || (major == 1 && minor >= 1)
    }

    private static func isShortDecimal(_ text: Substring) -> Bool {
        (1...3).contains(text.utf8.count) && text.utf8.allSatisfy { $0 >= 48 && $0 <= 57 }
    }
}
