import Synchronization

/// Counters exported at `/metrics`. Relaxed atomics: each is read independently, and a scrape
/// that is a few increments behind is still correct.
public final class ServerMetrics: Sendable {
    /// HTTP requests started (any route).
    public let httpRequests = Atomic<Int>(0)

    public init() {}
}
