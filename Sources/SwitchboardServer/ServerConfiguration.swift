/// Everything the server can be told at start-up. Each field has a command-line flag and an
/// environment twin (see `SwitchboardCommand`); the defaults here are the documented ones.
public struct ServerConfiguration: Sendable {
    /// Address to listen on: an IPv4 or IPv6 literal, or a host name. Loopback by default so a
    /// fresh install is not reachable from the network until someone decides it should be.
    public var host = "127.0.0.1"
    /// TCP port; 0 asks the kernel for a free one (tests do this).
    public var port: UInt16 = 8080
    /// Folder of static files for the chat page.
    public var publicDirectory = "./public"
    /// Least severe level that is logged.
    public var logLevel = LogLevel.info

    /// libmicrohttpd worker threads (HTTP parsing, long-poll, TLS). Two matches the two cores
    /// this was tuned on; TLS-heavy deployments want one per core.
    public var httpThreads = 2
    /// Connections held at once, WebSockets and parked long-polls included. libmicrohttpd's own
    /// default is 1020, far below what one process can hold; this is capped at start-up by the
    /// open-file limit.
    public var maxConnections = 19_000
    /// Memory pool per HTTP connection in bytes. libmicrohttpd keeps the whole pool for the life
    /// of a connection, WebSockets included, and zeroes it, so all of it is resident: it is most
    /// of what an idle connection costs (measured: pool + about 2.4 KB per idle V1 WebSocket;
    /// 5.5 KiB keeps that under 8 KiB). The request head is parsed inside it, each header and
    /// each cookie taking a record of its own: 5.5 KiB admits a 5.3 KB head with few headers, or
    /// a typical browser head carrying about 35 short cookies. A larger head gets 431 (or, in a
    /// band of ~150 bytes just below the limit, a close without an answer; a long-poll POST or
    /// DELETE that near is refused before it is carried out); all are counted in
    /// `switchboard_limit_rejections_total{limit="request_head"}`. Raise it for big cookies.
    public var connectionMemoryBytes = 5632
    /// Seconds an idle keep-alive HTTP connection is kept. Parked long-polls and WebSockets are
    /// exempt (they have their own timeouts).
    public var httpIdleTimeoutSeconds = 60
    /// Seconds graceful shutdown waits for in-flight HTTP responses before closing anyway.
    public var shutdownGraceSeconds = 3

    // MARK: Chat

    /// Longest `msg` in bytes; longer is answered 413.
    public var maxMessageBytes = 65_536
    /// Longest HTTP request body and WebSocket message in bytes (413 / close 1009).
    public var maxBodyBytes = 1_048_576
    /// Longest uid in bytes.
    public var maxUIDBytes = 64
    /// Bytes a connection may have waiting to be sent before it is closed as a slow consumer
    /// (WebSocket close 1008; a long-poll session ends). Replayed messages do not count.
    public var queueBytes = 1_048_576
    /// Whether messages for users with no live connection are queued (else 404).
    public var offlineQueueEnabled = true
    /// Messages kept per user inbox, which is also the size of the offline queue (429 when it
    /// is full). A thousand covers a day of a busy conversation without letting one absent user
    /// hold unbounded memory.
    public var inboxMaxMessages = 1000
    /// How long delivered messages (for `since` replay) and send ids (for dedupe) are kept.
    public var inboxRetentionSeconds = 86_400
    /// Envelopes per second each connection may send; 0 turns the limit off.
    public var rateLimitPerSecond = 0

    // MARK: Long-poll

    /// Seconds without a GET after which a long-poll session expires.
    public var pollExpirySeconds = 60
    /// The longest wait a GET may ask for with `timeout`.
    public var pollTimeoutMaxSeconds = 60

    // MARK: WebSocket

    /// Seconds of silence from a client after which the server pings it.
    public var pingSeconds = 25
    /// Seconds of silence after which a WebSocket is closed.
    public var idleTimeoutSeconds = 60
    /// Event-loop threads for upgraded sockets. One keeps every chat delivery on one thread
    /// (no cross-thread wake-ups) and leaves the other core to libmicrohttpd.
    public var webSocketThreads = 1
    /// Serves the echo endpoint `/v1/echo` (for conformance tests).
    public var webSocketEcho = false
    /// Negotiates permessage-deflate when a client offers it.
    public var webSocketDeflate = true

    // MARK: Security

    /// Origins besides the server's own that browsers may connect from.
    public var allowedOrigins: [String] = []
    /// Connections one client address may hold at once (0: no limit). 64 leaves room for a
    /// household or office behind one NAT address with several tabs each.
    public var maxConnectionsPerAddress = 64
    /// Long-poll sessions one client address may hold (0: no limit).
    public var maxPollSessionsPerAddress = 32
    /// Whether the per-address limits apply to loopback clients too. Off by default: behind a
    /// reverse proxy every client comes from loopback, and so do local benchmarks.
    public var limitLoopback = false
    /// PEM certificate chain and private key files; both set turns on HTTPS and WSS for every
    /// route (libmicrohttpd does TLS through GnuTLS on its worker threads).
    /// The HS256 secret `bind` tokens are signed with; nil leaves authentication off.
    public var jwtSecret: String?
    public var tlsCertificatePath: String?
    public var tlsKeyPath: String?
    /// Seconds a client has to send a whole request (slowloris defence); 0 turns it off.
    public var requestTimeoutSeconds = 30

    /// Creates the default configuration.
    public init() {}
}
