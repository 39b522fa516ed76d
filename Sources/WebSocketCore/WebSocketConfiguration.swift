/// Per-connection limits and tuning for ``WebSocketConnection``.
public struct WebSocketConfiguration: Hashable, Sendable {
    /// Largest message accepted, in payload bytes summed over all fragments (after inflation
    /// for compressed messages); a bigger one fails the connection with 1009 as soon as a frame
    /// header shows it. Default 1 MiB, Switchboard's WebSocket message limit: large enough for
    /// any chat envelope (whose `msg` is capped at 64 KiB), small enough that a few thousand
    /// connections cannot pin gigabytes. An Autobahn echo endpoint needs 16 MiB. Clamped to
    /// 0...``maxMessageBytesLimit``.
    public var maxMessageBytes: Int
    /// Whether binary messages are delivered. Default true; a text-only endpoint (Switchboard's
    /// chat) sets false, and a binary frame then fails the connection with 1003 as soon as its
    /// header arrives, before any payload is buffered.
    public var acceptsBinaryMessages: Bool
    /// Whether a ping is answered by queuing the pong in the connection's own output (the
    /// default). An owner that interleaves its own frames with that output (an echo server)
    /// sets false and answers each ``WebSocketEvent/ping(_:)`` with
    /// ``WebSocketConnection/encodePong(_:into:)`` in event order, so a pong that arrived
    /// between two fragments of a message leaves before that message's reply.
    public var answersPingsAutomatically: Bool
    /// zlib compression level for outgoing messages under permessage-deflate, 0...9. Default 1:
    /// chat messages are short, and on a hot path the fastest level keeps most of the gain.
    public var compressionLevel: Int
    /// zlib memory level for outgoing compression, 1...9. Default 8 (zlib's default); each step
    /// down halves the 128 KiB hash memory per compressing connection.
    public var compressionMemoryLevel: Int

    /// The largest allowed ``maxMessageBytes``: 1 GiB, far above any sane message, and low
    /// enough that size arithmetic never approaches overflow.
    public static let maxMessageBytesLimit = 1 << 30

    /// Creates a configuration; see each property for its default and why.
    public init(
        maxMessageBytes: Int = 1 << 20, acceptsBinaryMessages: Bool = true,
        answersPingsAutomatically: Bool = true,
        compressionLevel: Int = 1, compressionMemoryLevel: Int = 8
    ) {
        self.maxMessageBytes = Self.clampedMessageLimit(maxMessageBytes)
        self.acceptsBinaryMessages = acceptsBinaryMessages
        self.answersPingsAutomatically = answersPingsAutomatically
        self.compressionLevel = compressionLevel
        self.compressionMemoryLevel = compressionMemoryLevel
    }

    /// `bytes` clamped to 0...``maxMessageBytesLimit``.
    static func clampedMessageLimit(_ bytes: Int) -> Int {
        min(max(bytes, 0), self.maxMessageBytesLimit)
    }
}
