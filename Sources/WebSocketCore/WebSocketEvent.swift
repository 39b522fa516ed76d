/// Something the peer did, reported by `WebSocketConnection.receive(_:into:)`.
public enum WebSocketEvent: Hashable, Sendable {
    /// A complete text message, its bytes already validated as UTF-8.
    case text([UInt8])
    /// A complete binary message.
    case binary([UInt8])
    /// A ping; the pong carrying the same payload is already queued (unless we had started
    /// closing).
    case ping([UInt8])
    /// A pong, solicited or not.
    case pong([UInt8])
    /// The peer's Close frame: `code` is nil when it carried none (reported as 1005). If we had
    /// not sent a Close frame, the reply echoing `code` is queued; either way the close
    /// handshake is complete and the connection is closed.
    case closeReceived(code: CloseCode?, reason: String)
    /// The peer broke a protocol rule (or a local fault occurred). A Close frame with the
    /// rule's code and reason is queued if we had not sent one; the connection is closed.
    case protocolViolation(WebSocketProtocolError)
    /// The transport ended before the close handshake completed (close code 1006). Nothing is
    /// queued.
    case connectionLost
}

/// Why a send was refused.
public enum WebSocketSendError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A Close frame was already sent or the connection is closed; RFC 6455 §5.5.1 forbids
    /// data after our Close frame.
    case closing
    /// A ping or pong payload exceeded 125 bytes (RFC 6455 §5.5).
    case controlPayloadTooLong
    /// The close code may not be sent on the wire (see ``CloseCode/isAllowedInCloseFrame``).
    case closeCodeNotSendable

    /// A short lowercase phrase with no final period.
    public var description: String {
        switch self {
        case .closing: return "connection closing"
        case .controlPayloadTooLong: return "control payload too long"
        case .closeCodeNotSendable: return "close code not sendable"
        }
    }
}
