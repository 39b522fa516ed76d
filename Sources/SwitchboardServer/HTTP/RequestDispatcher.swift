import CMicroHTTPD
import Synchronization

/// Answers every request libmicrohttpd hands over: picks the route from the path, reads bodies
/// within their limit, and hands API routes their work.
///
/// One instance per server, shared by all libmicrohttpd threads, so its state is immutable or
/// synchronised.
final class RequestDispatcher: Sendable {
    private let staticFiles: StaticFileRoute
    private let longPoll: LongPollService
    private let webSockets: WebSocketService
    private let echoEnabled: Bool
    private let metricsRoute: MetricsRoute
    private let originPolicy: OriginPolicy
    private let isTLS: Bool
    private let maxBodyBytes: Int
    /// `--connection-memory-bytes`, for `refuseHeadNearPoolLimit`.
    private let connectionMemoryBytes: Int
    private let logger: Logger
    private let libraryLogger: Logger
    private let metrics: ServerMetrics
    /// Per-address limits and the request deadline.
    let connectionGuard: ConnectionGuard
    private let isShuttingDown = Atomic<Bool>(false)

    init(
        staticFiles: StaticFileRoute, longPoll: LongPollService, webSockets: WebSocketService,
        echoEnabled: Bool, metricsRoute: MetricsRoute,
        originPolicy: OriginPolicy, isTLS: Bool, maxBodyBytes: Int, connectionMemoryBytes: Int,
        connectionGuard: ConnectionGuard, logger: Logger, metrics: ServerMetrics
    ) {
        self.connectionMemoryBytes = connectionMemoryBytes
        self.connectionGuard = connectionGuard
        self.staticFiles = staticFiles
        self.longPoll = longPoll
        self.webSockets = webSockets
        self.echoEnabled = echoEnabled
        self.metricsRoute = metricsRoute
        self.originPolicy = originPolicy
        self.isTLS = isTLS
        self.maxBodyBytes = maxBodyBytes
        self.logger = logger.named("http")
        self.libraryLogger = logger.named("mhd")
        self.metrics = metrics
    }

    /// One access callback. The first call for a request carries only headers.
    func handle(
        connection: OpaquePointer, context: RequestContext, method: String, version: String,
        upload: UnsafeRawBufferPointer, uploadSize: UnsafeMutablePointer<Int>
    ) -> MHD_Result {
        let target: RequestTarget
        if let parsed = context.target {
            target = parsed
        } else {
            do {
                target = try RequestTarget(parsing: context.rawTarget)
                context.target = target
            } catch {
                uploadSize.pointee = 0
                return HTTPResponse.text(400, error.description).queue(on: connection)
            }
        }
        var exchange = Exchange(
            connection: connection, method: method, version: version, target: target)

        // libmicrohttpd calls once with the headers, then once per body chunk, then once more
        // with no data. A response queued on the first call makes it close the connection, so
        // the answer waits for the last call (unless the request is refused outright).
        if !context.hasStarted {
            context.hasStarted = true
            context.bodyLimit = self.bodyLimit(for: exchange)
            self.logger.debug(
                "request",
                [
                    "http.method": method, "http.path": target.path,
                    "http.peer": exchange.clientAddress(),
                ])
            self.metrics.httpRequests.add(1, ordering: .relaxed)
            if var refusal =
                self.refuseBadFraming(exchange, bodyLimit: context.bodyLimit)
                ?? self.refuseHeadNearPoolLimit(exchange, rawTarget: context.rawTarget)
            {
                uploadSize.pointee = 0
                // A browser reads an error without these as a network failure.
                if target.path == "/v1/poll" { refusal.headers += self.corsHeaders(for: exchange) }
                return refusal.queue(on: connection)
            }
            return .YES
        }
        if uploadSize.pointee > 0 {
            self.accumulateBody(upload, into: context)
            uploadSize.pointee = 0
            return .YES
        }
        if let continuation = context.continuation {
            return continuation.resume(&exchange, context: context)
        }
        self.connectionGuard.requestReceived(UInt(bitPattern: connection))
        return self.route(&exchange, context: context)
    }

    /// A request whose head frames its body ambiguously is refused rather than guessed at:
    /// behind a proxy that guesses differently, a guess lets one request hide inside another.
    /// A body declared far larger than the route reads is refused before it is sent. Answering
    /// on the first call makes libmicrohttpd close the connection after the response.
    private func refuseBadFraming(_ exchange: Exchange, bodyLimit: Int) -> HTTPResponse? {
        let framing = exchange.framingHeaders()
        if framing.hasUnsupportedTransferCoding {
            self.metrics.httpRefusedFraming.add(1, ordering: .relaxed)
            return HTTPResponse.text(501, "transfer coding not supported; use chunked")
        }
        if let problem = framing.problem {
            self.metrics.httpRefusedFraming.add(1, ordering: .relaxed)
            return HTTPResponse.text(400, problem)
        }
        guard bodyLimit > 0, let length = framing.declaredLength, length > UInt64(bodyLimit) else {
            return nil
        }
        // Answering before the body makes libmicrohttpd close the connection while the client
        // may still be sending, and a client still writing then sees a reset, not the 413. So
        // the early answer is kept for clients that wait for `100 Continue` (curl does, for
        // large bodies) and for bodies too large to be worth reading; a moderately oversized
        // body is read, dropped, and answered 413 at its end.
        if framing.expectsContinue || length > UInt64(bodyLimit) * Self.drainedBodyFactor {
            self.metrics.bodiesTooLarge.add(1, ordering: .relaxed)
            return self.longPoll.error(413, "body too large")
        }
        return nil
    }

    /// A long-poll POST or DELETE whose head leaves libmicrohttpd too little memory to build
    /// the response header would be carried out and then closed without an answer (its
    /// "failed to create response header"), and a client that retries without an `id` would
    /// send twice. Such a head is refused here, before anything happens, with a 431; close to
    /// the edge even that answer may not fit, and the client sees a bare close, but nothing
    /// was done. Other requests have no effect to lose, and keep libmicrohttpd's own limit.
    private func refuseHeadNearPoolLimit(_ exchange: Exchange, rawTarget: String) -> HTTPResponse?
    {
        guard exchange.target.path == "/v1/poll",
            exchange.method == "POST" || exchange.method == "DELETE",
            exchange.headPoolEstimate(rawTarget: rawTarget)
                > self.connectionMemoryBytes - Self.responseHeaderReserveBytes
        else { return nil }
        self.metrics.requestHeadsTooLarge.add(1, ordering: .relaxed)
        return self.longPoll.error(431, "request head too large for --connection-memory-bytes")
    }

    /// Pool bytes kept free for the response header: libmicrohttpd 0.9.75 fails to build one
    /// from about 145 bytes short of the pool, and the estimate errs by up to about 100.
    static let responseHeaderReserveBytes = 400

    /// Oversized bodies up to this many times the route's limit are read and dropped before
    /// the 413, so that the client gets the answer; larger ones are refused at once.
    static let drainedBodyFactor: UInt64 = 8

    /// How many body bytes a route reads; bodies sent to other routes are read and dropped.
    private func bodyLimit(for exchange: Exchange) -> Int {
        exchange.target.path == "/v1/poll" && exchange.method == "POST" ? self.maxBodyBytes : 0
    }

    /// From now on new connections are refused and chat requests on connections still open
    /// get 503: no new sessions or sockets while the server is going away.
    func beginShutdown() {
        self.isShuttingDown.store(true, ordering: .releasing)
    }

    /// False once shutdown began: the accept policy then closes new connections at once.
    var acceptsConnections: Bool { !self.isShuttingDown.load(ordering: .acquiring) }

    private func route(_ exchange: inout Exchange, context: RequestContext) -> MHD_Result {
        if self.isShuttingDown.load(ordering: .acquiring) {
            switch exchange.target.path {
            case "/v1/poll", "/v1/ws", "/v1/echo":
                return self.longPoll.error(503, "server shutting down")
                    .queue(on: exchange.connection)
            case "/healthz":
                // A draining server is not healthy: load balancers stop sending to it, and the
                // page, which probes here before blaming WebSocket for a failed connect, does not
                // fall back to long-poll because of a restart.
                let noStore = [("Cache-Control", "no-store")]
                return HTTPResponse.text(503, "shutting down", headers: noStore)
                    .queue(on: exchange.connection)
            default:
                break
            }
        }
        switch exchange.target.path {
        case "/healthz":
            return self.answerHealth(exchange)
        case "/metrics":
            return self.metricsRoute.handle(exchange).queue(on: exchange.connection)
        case "/v1/poll":
            return self.answerLongPoll(exchange, context: context)
        case "/v1/ws":
            return self.answerUpgrade(exchange, context: context, kind: .chat)
        case "/v1/echo" where self.echoEnabled:
            return self.answerUpgrade(exchange, context: context, kind: .echo)
        default:
            return self.staticFiles.handle(exchange).queue(on: exchange.connection)
        }
    }

    private func answerUpgrade(
        _ exchange: Exchange, context: RequestContext, kind: WebSocketKind
    ) -> MHD_Result {
        let decision = self.originPolicy.evaluate(
            origin: exchange.header("Origin"), host: exchange.header("Host"), isTLS: self.isTLS)
        if decision == .refused {
            self.metrics.originRefusals.add(1, ordering: .relaxed)
            self.metrics.webSocketRefused.add(1, ordering: .relaxed)
            return HTTPResponse.text(403, "origin not allowed").queue(on: exchange.connection)
        }
        return self.webSockets.handleUpgrade(exchange, context: context, kind: kind)
    }

    /// `Access-Control-Allow-Origin` and `Vary` for a long-poll answer to an accepted origin.
    private func corsHeaders(for exchange: Exchange) -> [(name: String, value: String)] {
        let decision = self.originPolicy.evaluate(
            origin: exchange.header("Origin"), host: exchange.header("Host"), isTLS: self.isTLS)
        guard case .accepted(let origin) = decision else { return [] }
        return Self.corsHeaders(allowing: origin)
    }

    private static func corsHeaders(allowing origin: String) -> [(name: String, value: String)] {
        [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")]
    }

    private func answerLongPoll(_ exchange: Exchange, context: RequestContext) -> MHD_Result {
        let decision = self.originPolicy.evaluate(
            origin: exchange.header("Origin"), host: exchange.header("Host"), isTLS: self.isTLS)
        var corsHeaders: [(name: String, value: String)] = []
        switch decision {
        case .refused:
            self.metrics.originRefusals.add(1, ordering: .relaxed)
            return self.longPoll.error(403, "origin not allowed").queue(on: exchange.connection)
        case .accepted(let origin):
            corsHeaders = Self.corsHeaders(allowing: origin)
        case .absent:
            break
        }
        if exchange.method == "OPTIONS" {
            var response = HTTPResponse(status: 204, headers: corsHeaders)
            response.addHeader("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS")
            response.addHeader("Access-Control-Allow-Headers", "Content-Type, X-Session-Id")
            response.addHeader("Access-Control-Max-Age", "600")
            return response.queue(on: exchange.connection)
        }
        guard
            var response = self.longPoll.handle(exchange, context: context).map(
                self.longPoll.counted)
        else {
            (context.continuation as? PollContinuation)?.extraHeaders = corsHeaders
            return .YES
        }
        response.headers += corsHeaders
        return response.queue(on: exchange.connection)
    }

    private func answerHealth(_ exchange: Exchange) -> MHD_Result {
        guard exchange.method == "GET" || exchange.method == "HEAD" else {
            return HTTPResponse.text(405, "method not allowed", headers: [("Allow", "GET, HEAD")])
                .queue(on: exchange.connection)
        }
        return HTTPResponse.text(200, "ok", headers: [("Cache-Control", "no-store")])
            .queue(on: exchange.connection)
    }

    /// Keeps body bytes for routes that read them (up to their limit, then only notes the
    /// overflow so the route can answer 413); other routes' bodies are dropped as they arrive.
    private func accumulateBody(_ upload: UnsafeRawBufferPointer, into context: RequestContext) {
        guard context.bodyLimit > 0, !context.bodyOverflowed else { return }
        if context.body.count + upload.count > context.bodyLimit {
            context.bodyOverflowed = true
            context.body = []
            return
        }
        context.body.append(contentsOf: upload)
    }

    /// A line libmicrohttpd wanted to log. Most are about one misbehaving client (a malformed
    /// request, a reset, a failed TLS handshake): those are debug, or a hostile client could
    /// flood the log. Anything else (resource limits, socket failures) stays a warning.
    func libraryLogged(_ line: String) {
        var text = line
        while text.last == "\n" { text.removeLast() }
        // libmicrohttpd answers a head larger than the connection's memory itself (431, or a
        // bare close when even the 431 does not fit); its log line is the only trace, so it
        // feeds the metric that tells an operator to raise --connection-memory-bytes.
        if Self.headTooLargePrefixes.contains(where: { text.hasPrefix($0) }) {
            self.metrics.requestHeadsTooLarge.add(1, ordering: .relaxed)
        }
        let clientCaused = Self.clientCausedPrefixes.contains { text.hasPrefix($0) }
        self.libraryLogger.log(clientCaused ? .debug : .warning, text)
    }

    private static let headTooLargePrefixes = [
        "Error processing request (HTTP response code is 431",
        "Error processing request (HTTP response code is 414",
        "Closing connection (failed to create response header)",
    ]

    private static let clientCausedPrefixes = [
        "Error processing request", "Failed to forward", "Error: received handshake",
        "Socket has been disconnected", "Connection was closed", "Failed to receive data",
        "Failed to send data", "Error: TLS", "TLS", "Application reported internal error",
        "Connection socket is closed", "Error: Failed to perform TLS handshake",
        "Closing connection (failed to create response header)", "Not enough memory in pool",
    ]
}
