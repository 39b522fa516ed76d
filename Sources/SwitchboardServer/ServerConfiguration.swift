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
    /// Memory pool per HTTP connection in bytes. It bounds request headers (a larger request
    /// gets 431) and dominates idle memory: libmicrohttpd's 32 KiB default triples the RSS of
    /// ten thousand held connections, while 8 KiB fits browser headers comfortably.
    public var connectionMemoryBytes = 8 * 1024
    /// Seconds an idle keep-alive HTTP connection is kept. Parked long-polls and WebSockets are
    /// exempt (they have their own timeouts).
    public var httpIdleTimeoutSeconds = 60
    /// Seconds graceful shutdown waits for in-flight HTTP responses before closing anyway.
    public var shutdownGraceSeconds = 3

    /// Creates the default configuration.
    public init() {}
}
