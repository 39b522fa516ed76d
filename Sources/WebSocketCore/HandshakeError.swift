/// Why the server refused a WebSocket upgrade request (RFC 6455 §4.2.1), with the HTTP status
/// and headers to answer with.
public enum HandshakeError: Error, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// The method was not GET.
    case methodNotGet
    /// The HTTP version was older than 1.1 or unreadable.
    case httpVersionTooOld
    /// No `Upgrade` field lists the `websocket` token.
    case missingUpgradeWebSocket
    /// No `Connection` field lists the `upgrade` token.
    case missingConnectionUpgrade
    /// `Sec-WebSocket-Version` was missing or not exactly 13.
    case unsupportedVersion
    /// There was no `Sec-WebSocket-Key` field.
    case missingKey
    /// There was more than one `Sec-WebSocket-Key` field.
    case duplicateKey
    /// `Sec-WebSocket-Key` was not base64 for exactly 16 bytes.
    case malformedKey
    /// SHA-1 was unavailable from GnuTLS (a local fault, never the client's).
    case digestUnavailable

    /// The HTTP status to answer with: 405 for the method, 426 for the version (RFC 6455
    /// §4.2.2), 500 for a local fault, 400 for everything else.
    public var httpStatus: Int {
        switch self {
        case .methodNotGet: return 405
        case .unsupportedVersion: return 426
        case .digestUnavailable: return 500
        case .httpVersionTooOld, .missingUpgradeWebSocket, .missingConnectionUpgrade,
            .missingKey, .duplicateKey, .malformedKey:
            return 400
        }
    }

    /// Headers the error response must carry: `Allow: GET` with 405 (RFC 9110 §15.5.6) and
    /// `Sec-WebSocket-Version: 13` with 426 (RFC 6455 §4.4), none otherwise.
    public var responseHeaders: [(name: String, value: String)] {
        switch self {
        case .methodNotGet: return [("Allow", "GET")]
        case .unsupportedVersion: return [("Sec-WebSocket-Version", "13")]
        default: return []
        }
    }

    /// A short lowercase reason with no final period, fit for a response body or a log.
    public var description: String {
        switch self {
        case .methodNotGet: return "websocket upgrade requires get"
        case .httpVersionTooOld: return "websocket upgrade requires http/1.1 or later"
        case .missingUpgradeWebSocket: return "missing upgrade: websocket"
        case .missingConnectionUpgrade: return "missing connection: upgrade"
        case .unsupportedVersion: return "unsupported websocket version"
        case .missingKey: return "missing sec-websocket-key"
        case .duplicateKey: return "duplicate sec-websocket-key"
        case .malformedKey: return "malformed sec-websocket-key"
        case .digestUnavailable: return "internal error"
        }
    }
}
