/// A frame for some connections.
public struct Delivery: Equatable, Sendable {
    /// Who gets it; encoded once, sent to each.
    public var targets: [ConnectionID]
    /// What they get.
    public var frame: ServerFrame
    /// Part of a replay (offline queue, `since`, or live messages held during one): such frames
    /// are fed as the connection drains and do not count toward its outbound bound.
    public var isReplay: Bool
    /// The chat message the frame carries (nil for notices): what a transport keeps beside
    /// the encoded bytes, so a message it could not hand over can go back to the store whole,
    /// even one retention has dropped meanwhile.
    public var message: StoredMessage?

    public init(
        targets: [ConnectionID], frame: ServerFrame, isReplay: Bool = false,
        message: StoredMessage? = nil
    ) {
        self.targets = targets
        self.frame = frame
        self.isReplay = isReplay
        self.message = message
    }
}

/// What the transport must do after the router handled something.
///
/// Order matters and is: `reply` to the requesting connection first, then `deliveries` in
/// array order. Chat messages among the deliveries carry their `mid`, so a transport that
/// fails to hand one over can report it back through `Router.disconnect`.
public struct RouterOutput: Equatable, Sendable {
    /// The answer for the connection that sent the envelope, if one is owed.
    public var reply: ServerFrame?
    /// Frames for connections, in order.
    public var deliveries: [Delivery] = []
    /// Connections that went over their bound while a replay held their messages: close them
    /// as slow consumers.
    public var overflowed: [ConnectionID] = []
    /// Connections with older messages still to replay: call `Router.nextReplay` for each as
    /// its queue drains.
    public var replayPending: [ConnectionID] = []

    public init() {}

    public init(reply: ServerFrame) {
        self.reply = reply
    }
}

/// Counters the router keeps for `/metrics`.
public struct RouterStatistics: Equatable, Sendable {
    /// Envelopes handled, by type (decoding failures count under `error`).
    public var envelopes: [String: Int] = [:]
    /// Error replies, by V1 code.
    public var errors: [Int: Int] = [:]
    /// Messages handed to at least one live connection when sent.
    public var delivered = 0
    /// Messages put in an offline queue when sent.
    public var queued = 0
    /// Messages fed to a connection by replay (offline queue or `since`).
    public var replayed = 0
    /// Messages put back into an offline queue after their connection died.
    public var requeued = 0
    /// Envelopes refused by the per-connection rate limit.
    public var rateLimited = 0
    /// Sends answered from a remembered receipt instead of being delivered again.
    public var deduplicated = 0
    /// Connections currently known, and how many are bound.
    public var connections = 0
    public var boundConnections = 0
    /// Users with at least one bound connection.
    public var onlineUsers = 0

    public init() {}
}
