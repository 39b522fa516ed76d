/// Decides whether a `bind` may claim a uid when authentication is on.
public protocol BindAuthenticator: Sendable {
    /// Whether `token` proves the right to act as `uid` at `now` (Unix milliseconds).
    func allows(token: String?, uid: String, now: Int64) -> Bool
}

/// The router's policy knobs. Limits on the envelope itself live in `EnvelopeLimits`.
public struct RouterConfiguration: Sendable {
    /// Queue messages for users with no live connection (SPEC: `404` when off).
    public var offlineQueueEnabled = true
    /// Bytes of live messages held for a connection while it replays older ones; beyond this
    /// the connection is a slow consumer. Matches the transports' 1 MiB outbound bound.
    public var heldLiveLimitBytes = 1 << 20
    /// Messages fetched from the store per replay step, so a large offline queue is fed as the
    /// connection drains instead of all at once.
    public var replayChunkMessages = 64
    /// Verifies `bind` tokens; nil turns authentication off (tokens are ignored).
    public var authenticator: (any BindAuthenticator)?
    /// Envelopes per second each connection may send, 0 for no limit. A burst of one
    /// second's worth is allowed; beyond it the envelope is answered with 429.
    public var messagesPerSecond = 0

    public init() {}
}
