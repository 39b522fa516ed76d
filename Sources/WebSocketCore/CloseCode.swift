/// A WebSocket close status code (RFC 6455 §7.4), as carried in the first two bytes of a
/// Close frame and reported when a connection ends.
///
/// Any 16-bit value can be represented so that a received code can be inspected; whether it
/// may travel in a Close frame is answered by ``isAllowedInCloseFrame``.
public struct CloseCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The numeric status code.
    public let rawValue: UInt16

    /// Wraps any 16-bit value; nothing is validated here.
    public init(rawValue: UInt16) {
        self.rawValue = rawValue
    }

    /// 1000: the purpose of the connection was fulfilled.
    public static let normalClosure = CloseCode(rawValue: 1000)
    /// 1001: the endpoint is going away (server shutting down, page navigated away).
    public static let goingAway = CloseCode(rawValue: 1001)
    /// 1002: the peer broke the protocol.
    public static let protocolError = CloseCode(rawValue: 1002)
    /// 1003: the endpoint cannot accept this kind of data (for example binary on a text-only
    /// endpoint).
    public static let unsupportedData = CloseCode(rawValue: 1003)
    /// 1005: reported, never sent, when a Close frame carried no status code.
    public static let noStatusReceived = CloseCode(rawValue: 1005)
    /// 1006: reported, never sent, when the transport ended without a close handshake.
    public static let abnormalClosure = CloseCode(rawValue: 1006)
    /// 1007: a message's data was inconsistent with its type (invalid UTF-8 text, corrupt
    /// compressed data).
    public static let invalidPayloadData = CloseCode(rawValue: 1007)
    /// 1008: a policy was violated (Switchboard uses it for slow consumers).
    public static let policyViolation = CloseCode(rawValue: 1008)
    /// 1009: a frame or message was larger than the endpoint accepts.
    public static let messageTooBig = CloseCode(rawValue: 1009)
    /// 1010: the client needed an extension the server did not negotiate.
    public static let mandatoryExtension = CloseCode(rawValue: 1010)
    /// 1011: the endpoint hit an internal fault.
    public static let internalError = CloseCode(rawValue: 1011)
    /// 1012: the service is restarting (IANA registry).
    public static let serviceRestart = CloseCode(rawValue: 1012)
    /// 1013: try again later, the endpoint is overloaded (IANA registry).
    public static let tryAgainLater = CloseCode(rawValue: 1013)
    /// 1014: a gateway received an invalid response upstream (IANA registry).
    public static let badGateway = CloseCode(rawValue: 1014)
    /// 1015: reported, never sent, when the TLS handshake failed.
    public static let tlsHandshakeFailure = CloseCode(rawValue: 1015)

    /// Whether this code may appear in a Close frame on the wire, sent or received.
    ///
    /// Allowed: 1000–1003 and 1007–1011 (RFC 6455 §7.4.1), 1012–1014 (registered later in
    /// the IANA WebSocket close code registry and sent by real servers), and 3000–4999
    /// (libraries and applications). Everything else — 0–999, 1004 (reserved), 1005, 1006 and
    /// 1015 (report-only), other unassigned 1016–2999 codes and 5000 and above — is refused;
    /// receiving one fails the connection with 1002.
    public var isAllowedInCloseFrame: Bool {
        switch self.rawValue {
        case 1000...1003, 1007...1014, 3000...4999:
            return true
        default:
            return false
        }
    }

    /// The decimal code, for logs.
    public var description: String {
        String(self.rawValue)
    }
}
