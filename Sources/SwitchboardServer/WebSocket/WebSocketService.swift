import CMicroHTTPD
import ChatRouter
import Glibc
import Synchronization
import WebSocketCore

/// What the upgrade callback needs to know about an accepted handshake, kept in the request's
/// context between queueing the 101 response and libmicrohttpd handing over the socket.
struct UpgradePlan {
    let kind: WebSocketKind
    let deflate: PerMessageDeflateParameters?
    let peer: String
}

/// The WebSocket transport: validates handshakes, answers 101, and spreads upgraded sockets
/// over its event loops.
final class WebSocketService: Sendable {
    let settings: WebSocketSettings
    private let loops: [WebSocketLoop]
    private let nextLoop = Atomic<Int>(0)
    private let metrics: ServerMetrics
    private let connectionGuard: ConnectionGuard
    private let logger: Logger

    init(
        settings: WebSocketSettings, loopCount: Int, hub: ChatHub, connectionGuard: ConnectionGuard,
        metrics: ServerMetrics, logger: Logger
    ) {
        self.settings = settings
        self.metrics = metrics
        self.connectionGuard = connectionGuard
        self.logger = logger.named("ws")
        self.loops = (0..<max(1, loopCount)).map { index in
            WebSocketLoop(
                index: index, settings: settings, hub: hub, metrics: metrics,
                logger: logger.named("ws"))
        }
    }

    func start() {
        self.loops.forEach { $0.start() }
    }

    /// Starts closing every socket with 1001; the loops exit once their clients answered or
    /// the close handshake timed out.
    func beginStop() {
        self.loops.forEach { $0.requestStop() }
    }

    /// Waits for the loops to exit. Must return before libmicrohttpd is stopped: after that,
    /// closing an upgraded socket would touch freed memory.
    func finishStop() {
        self.loops.forEach { $0.join() }
    }

    /// Sockets held now, across loops.
    var connectionCount: Int {
        self.loops.reduce(0) { $0 + $1.connectionCount.load(ordering: .relaxed) }
    }

    /// Answers an upgrade request on `/v1/ws` or `/v1/echo`: 101 with the handshake headers, or
    /// the precise 400/405/426 when the handshake is wrong.
    func handleUpgrade(
        _ exchange: Exchange, context: RequestContext, kind: WebSocketKind
    ) -> MHD_Result {
        let acceptance: ServerHandshakeAcceptance
        do {
            acceptance = try ServerHandshake.accept(
                method: exchange.method, httpVersion: exchange.version,
                headers: exchange.allHeaders(),
                deflate: self.settings.deflate)
        } catch {
            self.metrics.webSocketRefused.add(1, ordering: .relaxed)
            self.logger.debug(
                "handshake refused",
                ["ws.reason": error.description, "http.peer": exchange.clientAddress()])
            var headers = error.responseHeaders
            headers.append(("Cache-Control", "no-store"))
            return HTTPResponse.text(error.httpStatus, error.description, headers: headers)
                .queue(on: exchange.connection)
        }
        let service = Unmanaged.passUnretained(self).toOpaque()
        guard let response = MHD_create_response_for_upgrade(upgradeHandler, service) else {
            return .NO
        }
        defer { MHD_destroy_response(response) }
        // libmicrohttpd adds `Connection: Upgrade` itself and insists on `Upgrade`.
        _ = MHD_add_response_header(response, "Upgrade", "websocket")
        for header in acceptance.responseHeaders {
            _ = MHD_add_response_header(response, header.name, header.value)
        }
        context.upgradePlan = UpgradePlan(
            kind: kind, deflate: acceptance.deflate, peer: exchange.clientAddress())
        return MHD_queue_response(
            exchange.connection, UInt32(MHD_HTTP_SWITCHING_PROTOCOLS), response)
    }

    /// Called by libmicrohttpd's upgrade callback on its own thread.
    fileprivate func adopt(
        context: RequestContext, connection: OpaquePointer?, descriptor: Int32,
        upgrade: OpaquePointer, pipelined: UnsafeRawBufferPointer
    ) {
        var handle = UpgradeHandle(raw: upgrade)
        if let connection {
            let key = UInt(bitPattern: connection)
            self.connectionGuard.upgraded(key)
            // Under TLS the socket handed over is one end of libmicrohttpd's socketpair.
            if sb_connection_socket(connection) != descriptor {
                let connectionGuard = self.connectionGuard
                handle.endClientReads = { connectionGuard.endReading(key) }
            }
        }
        guard let plan = context.upgradePlan else {
            _ = sb_upgrade_close(upgrade)
            return
        }
        context.upgradePlan = nil
        self.metrics.webSocketAccepted.add(1, ordering: .relaxed)
        let index = self.nextLoop.wrappingAdd(1, ordering: .relaxed).oldValue % self.loops.count
        self.loops[index].adopt(
            Adoption(
                descriptor: descriptor, upgrade: handle,
                pipelined: Array(pipelined),
                kind: plan.kind, deflate: plan.deflate, peer: plan.peer))
    }
}

/// libmicrohttpd passes the request's context slot (`req_cls`), which holds our
/// `RequestContext` with the plan made when the 101 was queued.
private let upgradeHandler: MHD_UpgradeHandler = {
    cls, connection, requestContext, extraIn, extraInSize, socket, upgrade in
    guard let cls, let upgrade else { return }
    guard let requestContext else {
        _ = sb_upgrade_close(upgrade)
        return
    }
    let service = Unmanaged<WebSocketService>.fromOpaque(cls).takeUnretainedValue()
    let context = Unmanaged<RequestContext>.fromOpaque(requestContext).takeUnretainedValue()
    service.adopt(
        context: context, connection: connection, descriptor: socket, upgrade: upgrade,
        pipelined: UnsafeRawBufferPointer(start: extraIn, count: extraInSize))
}
