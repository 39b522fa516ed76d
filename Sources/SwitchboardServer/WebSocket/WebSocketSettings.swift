import WebSocketCore

/// WebSocket limits and timers; each has a flag.
struct WebSocketSettings: Sendable {
    /// Largest chat message (the V1 envelope) in bytes; larger closes with 1009.
    var maxMessageBytes = 1 << 20
    /// Largest message on the echo endpoint: Autobahn's section 9 sends up to 16 MiB.
    var echoMaxMessageBytes = 16 << 20
    /// Bytes a chat socket may have waiting before it is closed with 1008 `slow consumer`.
    var queueLimitBytes = 1 << 20
    /// Ping a client silent this long.
    var pingSeconds: Double = 25
    /// Close a client silent this long.
    var idleTimeoutSeconds: Double = 60
    /// How long to wait for the client's Close after sending ours before dropping the socket.
    var closeHandshakeSeconds: Double = 2
    /// The same wait for a slow consumer: its Close frame sits behind data it has not read
    /// yet, so it gets longer to reach it (and learn why it was closed) before the socket goes.
    var slowConsumerCloseSeconds: Double = 10
    /// permessage-deflate answers; nil never compresses. Windows of 4 KiB each way (instead of
    /// zlib's 32 KiB) keep a compressing connection near 40 KiB of zlib state instead of
    /// about 300 KiB; chat messages are short, so the ratio barely changes.
    var deflate: PerMessageDeflateOptions? = WebSocketSettings.compactDeflate

    /// The server's permessage-deflate options: 4 KiB windows both ways.
    static let compactDeflate = PerMessageDeflateOptions(
        serverMaxWindowBits: 12, clientMaxWindowBits: 12)
    /// zlib memory level for the server's compressors: 4 uses an 8 KiB hash table instead of
    /// 128 KiB.
    static let compressionMemoryLevel = 4
}

/// Which endpoint an upgraded socket serves.
enum WebSocketKind: Sendable {
    /// `/v1/ws`: V1 envelopes through the hub.
    case chat
    /// `/v1/echo`: every message sent back as it came (conformance testing).
    case echo
}

/// Why the server closes a socket, for logs and metrics.
enum ServerCloseReason: Sendable {
    case slowConsumer
    case storageFailure
    case idleTimeout
    case shutdown
}
