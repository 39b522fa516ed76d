import Synchronization

/// Counters exported at `/metrics` that the router does not keep itself. Relaxed atomics:
/// each is read independently, and a scrape a few increments behind is still correct.
public final class ServerMetrics: Sendable {
    /// HTTP requests started (any route).
    public let httpRequests = Atomic<Int>(0)
    /// V1 error answers the long-poll transport gives itself (unknown session, body too
    /// large, origin refused, shutting down), by code; the router counts the rest.
    let transportErrors = Lock<[Int: Int]>([:])
    /// Requests refused because of their `Origin`.
    public let originRefusals = Atomic<Int>(0)
    /// WebSocket connections open now.
    public let webSocketConnections = Atomic<Int>(0)
    /// WebSocket handshakes accepted, in total.
    public let webSocketAccepted = Atomic<Int>(0)
    /// WebSocket handshakes refused (bad handshake, origin, limits).
    public let webSocketRefused = Atomic<Int>(0)
    /// Bytes read from and written to WebSocket clients.
    public let webSocketBytesIn = Atomic<Int>(0)
    public let webSocketBytesOut = Atomic<Int>(0)
    /// Bytes of long-poll request bodies and response bodies.
    public let longPollBytesIn = Atomic<Int>(0)
    public let longPollBytesOut = Atomic<Int>(0)
    /// Connections closed because they read too slowly, by transport.
    public let slowConsumerWebSocket = Atomic<Int>(0)
    public let slowConsumerLongPoll = Atomic<Int>(0)
    /// WebSocket closes we initiated for protocol errors, idle timeouts and limits.
    public let webSocketProtocolErrors = Atomic<Int>(0)
    public let webSocketIdleTimeouts = Atomic<Int>(0)
    /// Connections refused because their address holds too many already.
    public let perAddressRefusals = Atomic<Int>(0)
    /// Connections refused because the server holds `--max-connections` already.
    public let connectionLimitRefusals = Atomic<Int>(0)
    /// Long-poll sessions refused because their address holds too many already.
    public let sessionRefusals = Atomic<Int>(0)
    /// Connections shut down because a request did not arrive within the deadline.
    public let slowRequestsClosed = Atomic<Int>(0)
    /// Requests refused because their head framed the body ambiguously (400).
    public let httpRefusedFraming = Atomic<Int>(0)
    /// Request heads over the connection memory (431 or a bare close, by libmicrohttpd).
    public let requestHeadsTooLarge = Atomic<Int>(0)
    /// Long-poll bodies refused for being over `--max-body-bytes` (413).
    public let bodiesTooLarge = Atomic<Int>(0)

    public init() {}
}
