/// Long-poll limits and timeouts; each has a flag.
struct LongPollSettings: Sendable {
    /// A session with no GET for this long (counted from the end of its latest GET, never while
    /// one waits) expires like a dropped connection.
    var expirySeconds: Double = 60
    /// How long a GET waits for events when it names no `timeout`.
    var defaultTimeoutSeconds = 25
    /// The longest `timeout` a GET may ask for; more is capped to it.
    var maxTimeoutSeconds = 60
    /// Bytes of undelivered events a session may hold (like a WebSocket's outbound bound);
    /// beyond it the session ends.
    var queueLimitBytes = 1 << 20
    /// Bytes of events per GET response; the rest come with the next GET.
    var maxResponseBytes = 1 << 20
    /// Sessions one client address may hold at once (0: no limit).
    var maxSessionsPerAddress = 0
    /// Whether that limit applies to loopback clients too.
    var limitLoopback = false
}
