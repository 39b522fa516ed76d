import Glibc
import Synchronization

/// Why the server could not start.
public enum ServerStartError: Error, Sendable, CustomStringConvertible {
    case listen(ListenError)
    case publicDirectory(PublicDirectoryError)
    case daemon(DaemonError)

    public var description: String {
        switch self {
        case .listen(let error): error.description
        case .publicDirectory(let error): error.description
        case .daemon(let error): error.description
        }
    }
}

/// The running gateway: one libmicrohttpd daemon serving static files, long-poll and
/// WebSocket upgrades.
///
/// Lifecycle: `start` binds and begins serving; `shutdown` stops accepting, lets in-flight
/// responses finish within the grace period, closes what is left and returns. Safe to call
/// `shutdown` from any thread, more than once.
public final class SwitchboardServer: Sendable {
    /// The configuration the server was started with.
    public let configuration: ServerConfiguration
    /// The TCP port actually bound (differs from the configured one when that was 0).
    public let port: UInt16
    /// Counters behind `/metrics`.
    public let metrics: ServerMetrics

    private let logger: Logger
    private let daemon: HTTPDaemon
    private let dispatcher: RequestDispatcher
    private let listenDescriptor: Int32
    private let isStopped = Atomic<Bool>(false)

    /// Binds the listening socket and starts serving.
    public init(configuration: ServerConfiguration, logger: Logger) throws(ServerStartError) {
        let openFiles = OpenFileLimit.raiseToHardLimit()
        var configuration = configuration
        let connectionCeiling = max(16, openFiles - 64)
        if configuration.maxConnections > connectionCeiling {
            logger.warning(
                "connection limit lowered to fit the open-file limit",
                ["limit.requested": "\(configuration.maxConnections)",
                 "limit.nofile": "\(openFiles)"])
            configuration.maxConnections = connectionCeiling
        }

        let directory: PublicDirectory
        do {
            directory = try PublicDirectory(path: configuration.publicDirectory)
        } catch {
            throw .publicDirectory(error)
        }
        let listenSocket: ListenSocket
        do {
            listenSocket = try ListenSocket.open(host: configuration.host, port: configuration.port)
        } catch {
            throw .listen(error)
        }

        let metrics = ServerMetrics()
        let dispatcher = RequestDispatcher(
            staticFiles: StaticFileRoute(directory: directory), logger: logger, metrics: metrics)
        let settings = DaemonSettings(
            listenDescriptor: listenSocket.descriptor,
            threads: configuration.httpThreads,
            maxConnections: configuration.maxConnections,
            connectionMemoryBytes: configuration.connectionMemoryBytes,
            idleTimeoutSeconds: configuration.httpIdleTimeoutSeconds,
            tlsCertificatePEM: nil, tlsKeyPEM: nil)
        do {
            self.daemon = try HTTPDaemon(settings: settings, dispatcher: dispatcher)
        } catch {
            close(listenSocket.descriptor)
            throw .daemon(error)
        }
        self.configuration = configuration
        self.port = listenSocket.port
        self.metrics = metrics
        self.logger = logger.named("server")
        self.dispatcher = dispatcher
        self.listenDescriptor = listenSocket.descriptor
        self.logger.info(
            "listening",
            ["http.address": "http://\(Self.urlHost(configuration.host)):\(listenSocket.port)",
             "http.public": directory.root,
             "limit.connections": "\(configuration.maxConnections)",
             "limit.nofile": "\(openFiles)",
             "http.threads": "\(configuration.httpThreads)"])
    }

    /// Stops gracefully: no new connections, in-flight responses get up to the grace period,
    /// then everything is closed. Returns when the daemon has stopped.
    public func shutdown() {
        guard !self.isStopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        self.logger.info("shutting down", ["grace.seconds": "\(self.configuration.shutdownGraceSeconds)"])
        let listener = self.daemon.quiesce()

        let deadline = MonotonicClock.now() + Double(self.configuration.shutdownGraceSeconds)
        while self.daemon.currentConnections > 0 && MonotonicClock.now() < deadline {
            usleep(20_000)
        }
        self.daemon.stop()
        if listener >= 0 { close(listener) }
        self.logger.info("stopped")
    }

    private static func urlHost(_ host: String) -> String {
        host.contains(":") ? "[\(host)]" : host
    }
}
