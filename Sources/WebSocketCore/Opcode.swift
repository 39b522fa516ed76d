/// A frame opcode (RFC 6455 §5.2). The reserved values 3–7 and 11–15 have no case: a frame
/// carrying one fails the connection with 1002.
public enum Opcode: UInt8, Hashable, Sendable {
    /// Continues the data message started by an earlier text or binary frame.
    case continuation = 0x0
    /// Starts a text message (UTF-8).
    case text = 0x1
    /// Starts a binary message.
    case binary = 0x2
    /// Starts the close handshake.
    case close = 0x8
    /// Asks the peer for a pong with the same payload.
    case ping = 0x9
    /// Answers a ping, or serves as an unsolicited heartbeat.
    case pong = 0xA

    /// Control frames (close, ping, pong) have the high opcode bit set; they carry at most 125
    /// bytes, are never fragmented and may arrive between the fragments of a data message.
    public var isControl: Bool {
        self.rawValue & 0x8 != 0
    }
}
