/// Why a client refused the server's answer to its upgrade request (RFC 6455 §4.1); the
/// client must then fail the connection without speaking WebSocket.
public enum ClientHandshakeError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The status was not 101; carries the status received.
    case unexpectedStatus(Int)
    /// No `Upgrade` field lists `websocket`.
    case missingUpgradeWebSocket
    /// No `Connection` field lists `upgrade`.
    case missingConnectionUpgrade
    /// `Sec-WebSocket-Accept` was missing, repeated or did not match the key.
    case acceptMismatch
    /// The server named an extension that was not offered.
    case unexpectedExtension
    /// The permessage-deflate answer was malformed or lifted a limit the offer set.
    case invalidExtensionParameters
    /// The server limited the client's window to 8, which zlib cannot compress with (see
    /// ``PerMessageDeflateOptions``).
    case unsupportedClientWindowBits
    /// The server selected a subprotocol although none was requested.
    case unexpectedSubprotocol

    /// A short lowercase reason with no final period.
    public var description: String {
        switch self {
        case .unexpectedStatus(let status): return "expected status 101, got \(status)"
        case .missingUpgradeWebSocket: return "missing upgrade: websocket"
        case .missingConnectionUpgrade: return "missing connection: upgrade"
        case .acceptMismatch: return "sec-websocket-accept mismatch"
        case .unexpectedExtension: return "unexpected extension"
        case .invalidExtensionParameters: return "invalid permessage-deflate parameters"
        case .unsupportedClientWindowBits: return "unsupported client_max_window_bits"
        case .unexpectedSubprotocol: return "unexpected subprotocol"
        }
    }
}
