import ChatRouter
import Glibc
import Synchronization
import WebSocketCore

/// Why the server could not start.
public enum ServerStartError: Error, Sendable, CustomStringConvertible {
    case listen(ListenError)
    case publicDirectory(PublicDirectoryError)
    case daemon(DaemonError)
    case tls(String)

    public var description: String {
        switch self {
        case .listen(let error): error.description
        case .publicDirectory(let error): error.description
        case .daemon(let error): error.description
        case .tls(let reason): reason
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
    private let hub: ChatHub
    private let longPoll: LongPollService
    private let webSockets: WebSocketService
    private let housekeeper: Housekeeper
    private let listenDescriptor: Int32
    /// Slots libmicrohttpd keeps beyond `--max-connections`, per worker thread's share.
    static let connectionLimitHeadroom = 64

    private let isStopped = Atomic<Bool>(false)

    /// Binds the listening socket and starts serving. `store` holds inboxes and offline queues;
    /// without one, an in-memory store sized by the configuration is used.
    public init(
        configuration: ServerConfiguration, logger: Logger,
        store: sending (any MessageStore)? = nil
    ) throws(ServerStartError) {
        let openFiles = OpenFileLimit.raiseToHardLimit()
        var configuration = configuration
        let connectionCeiling = max(16, openFiles - 64 - Self.connectionLimitHeadroom)
        if configuration.maxConnections > connectionCeiling {
            logger.warning(
                "connection limit lowered to fit the open-file limit",
                [
                    "limit.requested": "\(configuration.maxConnections)",
                    "limit.nofile": "\(openFiles)",
                ])
            configuration.maxConnections = connectionCeiling
        }

        let directory: PublicDirectory
        do {
            directory = try PublicDirectory(path: configuration.publicDirectory)
        } catch {
            throw .publicDirectory(error)
        }
        let tls = try Self.loadTLS(configuration)
        let listenSocket: ListenSocket
        do {
            listenSocket = try ListenSocket.open(host: configuration.host, port: configuration.port)
        } catch {
            throw .listen(error)
        }

        let metrics = ServerMetrics()
        let store =
            store
            ?? MemoryStore(
                maxMessagesPerUser: configuration.inboxMaxMessages,
                retentionSeconds: configuration.inboxRetentionSeconds)
        let hub = ChatHub(
            router: Router(configuration: Self.routerConfiguration(configuration), store: store),
            envelopeLimits: EnvelopeLimits(
                maxUIDBytes: configuration.maxUIDBytes,
                maxMessageBytes: configuration.maxMessageBytes),
            logger: logger)
        let longPoll = LongPollService(
            settings: LongPollSettings(
                expirySeconds: Double(configuration.pollExpirySeconds),
                maxTimeoutSeconds: configuration.pollTimeoutMaxSeconds,
                queueLimitBytes: configuration.queueBytes,
                maxSessionsPerAddress: configuration.maxPollSessionsPerAddress,
                limitLoopback: configuration.limitLoopback),
            hub: hub, metrics: metrics, logger: logger)
        let connectionGuard = ConnectionGuard(
            settings: ConnectionGuard.Settings(
                maxConnections: configuration.maxConnections,
                maxConnectionsPerAddress: configuration.maxConnectionsPerAddress,
                limitLoopback: configuration.limitLoopback,
                requestTimeoutSeconds: Double(configuration.requestTimeoutSeconds)),
            metrics: metrics, logger: logger)
        let webSockets = WebSocketService(
            settings: WebSocketSettings(
                maxMessageBytes: configuration.maxBodyBytes,
                queueLimitBytes: configuration.queueBytes,
                pingSeconds: Double(configuration.pingSeconds),
                idleTimeoutSeconds: Double(configuration.idleTimeoutSeconds),
                deflate: configuration.webSocketDeflate ? WebSocketSettings.compactDeflate : nil),
            loopCount: configuration.webSocketThreads, hub: hub, connectionGuard: connectionGuard,
            metrics: metrics, logger: logger)
        let dispatcher = RequestDispatcher(
            staticFiles: StaticFileRoute(directory: directory),
            longPoll: longPoll, webSockets: webSockets, echoEnabled: configuration.webSocketEcho,
            metricsRoute: MetricsRoute(metrics: metrics, hub: hub, longPoll: longPoll),
            originPolicy: OriginPolicy(allowedOrigins: configuration.allowedOrigins),
            isTLS: tls != nil, maxBodyBytes: configuration.maxBodyBytes,
            connectionMemoryBytes: configuration.connectionMemoryBytes,
            connectionGuard: connectionGuard, logger: logger, metrics: metrics)
        let settings = DaemonSettings(
            listenDescriptor: listenSocket.descriptor,
            threads: configuration.httpThreads,
            // Above the guard's limit, so that the guard refuses (at once, counted) before
            // libmicrohttpd stops accepting (see ConnectionGuard).
            maxConnections: configuration.maxConnections + Self.connectionLimitHeadroom,
            connectionMemoryBytes: configuration.connectionMemoryBytes,
            idleTimeoutSeconds: configuration.httpIdleTimeoutSeconds,
            tlsCertificatePEM: tls?.certificate, tlsKeyPEM: tls?.key)
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
        self.hub = hub
        self.longPoll = longPoll
        self.webSockets = webSockets
        self.listenDescriptor = listenSocket.descriptor
        self.housekeeper = Housekeeper(tickSeconds: 0.2) { [longPoll, hub, connectionGuard] now in
            longPoll.sweep(now: now)
            connectionGuard.sweep(now: now)
            hub.prune(budget: 2000)
            hub.commitIfNeeded()
        }
        self.housekeeper.start()
        webSockets.start()
        let scheme = tls == nil ? "http" : "https"
        self.logger.info(
            "listening",
            [
                "http.address":
                    "\(scheme)://\(Self.urlHost(configuration.host)):\(listenSocket.port)",
                "http.public": directory.root,
                "auth": configuration.jwtSecret == nil ? "off" : "jwt",
                "limit.connections": "\(configuration.maxConnections)",
                "limit.nofile": "\(openFiles)",
                "limit.queue_bytes": "\(configuration.queueBytes)",
                "limit.body_bytes": "\(configuration.maxBodyBytes)",
                "http.threads": "\(configuration.httpThreads)",
            ])
    }

    /// Reads the PEM files named by the configuration, if any.
    private static func loadTLS(
        _ configuration: ServerConfiguration
    ) throws(ServerStartError)
        -> (certificate: String, key: String)?
    {
        switch (configuration.tlsCertificatePath, configuration.tlsKeyPath) {
        case (nil, nil):
            return nil
        case (let certificatePath?, let keyPath?):
            guard let certificate = TextFile.read(certificatePath),
                certificate.contains("-----BEGIN")
            else {
                throw .tls("cannot read a PEM certificate from \(certificatePath)")
            }
            guard let key = TextFile.read(keyPath), key.contains("PRIVATE KEY-----") else {
                throw .tls("cannot read a PEM private key from \(keyPath)")
            }
            return (certificate, key)
        default:
            throw .tls("--tls-cert and --tls-key must be given together")
        }
    }

    private static func routerConfiguration(
        _ configuration: ServerConfiguration
    ) -> RouterConfiguration {
        var router = RouterConfiguration()
        router.offlineQueueEnabled = configuration.offlineQueueEnabled
        router.heldLiveLimitBytes = configuration.queueBytes
        router.messagesPerSecond = configuration.rateLimitPerSecond
        if let secret = configuration.jwtSecret {
            router.authenticator = JSONWebTokenVerifier(secret: secret)
        }
        return router
    }

    /// Stops gracefully: no new connections, in-flight responses get up to the grace period,
    /// then everything is closed. Returns when the daemon has stopped.
    public func shutdown() {
        guard !self.isStopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        self.logger.info(
            "shutting down", ["grace.seconds": "\(self.configuration.shutdownGraceSeconds)"])
        // The order matters: libmicrohttpd 0.9.75 aborts the process if it is stopped while a
        // request is suspended, so every parked GET is answered first.
        //
        // New connections are refused by the accept policy rather than by
        // MHD_quiesce_daemon: in 0.9.75 quiescing an epoll daemon races its own worker
        // threads for the listening socket and can abort the process (MHD_PANIC "Failed to
        // remove listen FD from epoll set", seen once in our test runs).
        self.dispatcher.beginShutdown()
        let grace = Double(self.configuration.shutdownGraceSeconds)
        self.webSockets.beginStop()
        self.housekeeper.stop()
        self.longPoll.shutdown(graceSeconds: grace)
        self.webSockets.finishStop()
        self.hub.commitIfNeeded()

        let deadline = MonotonicClock.now() + grace
        while self.daemon.currentConnections > 0 && MonotonicClock.now() < deadline {
            MonotonicClock.sleep(seconds: 0.02)
        }
        // libmicrohttpd closes the listening socket it was given.
        self.daemon.stop()
        self.hub.closeStore()
        self.logger.info("stopped")
    }

    private static func urlHost(_ host: String) -> String {
        host.contains(":") ? "[\(host)]" : host
    }
}
