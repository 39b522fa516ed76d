import CLinux
import CMicroHTTPD
import ChatRouter
import Glibc
import Synchronization
import WebSocketCore

/// libmicrohttpd's handle for an upgraded connection. Only `MHD_upgrade_action(CLOSE)` is
/// called on it, once, from the loop thread, which libmicrohttpd allows from any thread.
struct UpgradeHandle: @unchecked Sendable {
    let raw: OpaquePointer
    /// Under TLS, ends reading from the client's TCP socket (see `ConnectionGuard`).
    /// libmicrohttpd 0.9.75 relays a TLS WebSocket through a socketpair and closes the TCP
    /// connection only once both directions have ended: after our Close it kept waiting for
    /// the client to hang up first, while the client (RFC 6455 §7.1.1) waits for the server,
    /// until its own timeout (10 s for Python `websockets`, 30 s for Node `ws`).
    var endClientReads: (@Sendable () -> Void)? = nil
}

/// A socket handed over by libmicrohttpd after a successful upgrade.
struct Adoption: Sendable {
    let descriptor: Int32
    let upgrade: UpgradeHandle
    /// Bytes the client sent right after its handshake, already read by libmicrohttpd.
    let pipelined: [UInt8]
    let kind: WebSocketKind
    let deflate: PerMessageDeflateParameters?
    let peer: String
}

/// One thread running epoll over upgraded sockets: reads, parses, routes, writes. Not a thread
/// per connection: thousands of sockets share it, each costing a few kilobytes.
///
/// Other threads talk to it only through `post`/`requestClose`/`adopt`, which append to a
/// mailbox and wake the loop through an eventfd; everything else here is confined to the loop.
final class WebSocketLoop: Sendable {
    private struct Mailbox {
        var adoptions: [Adoption] = []
        var frames: [OutboundFrame] = []
        var closeRequests: [(token: UInt64, reason: ServerCloseReason)] = []
        var stopRequested = false
    }

    let index: Int
    private let epoll = Epoll()
    private let mailbox = Lock(Mailbox())
    private let wakePending = Atomic<Bool>(false)
    private let loopThreadID = Atomic<UInt>(0)
    private let settings: WebSocketSettings
    private let hub: ChatHub
    private let metrics: ServerMetrics
    private let logger: Logger
    private let thread = Lock<BackgroundThread?>(nil)
    private let nextToken = Atomic<UInt64>(1)
    /// Sockets this loop serves now.
    let connectionCount = Atomic<Int>(0)

    init(
        index: Int, settings: WebSocketSettings, hub: ChatHub, metrics: ServerMetrics,
        logger: Logger
    ) {
        self.index = index
        self.settings = settings
        self.hub = hub
        self.metrics = metrics
        self.logger = logger
    }

    func start() {
        let thread = BackgroundThread(name: "ws-loop-\(self.index)") {
            self.loopThreadID.store(
                UInt(bitPattern: Int(bitPattern: pthread_self())), ordering: .releasing)
            var state = LoopState(loop: self)
            state.run()
        }
        self.thread.withLock { $0 = thread }
    }

    /// Asks the loop to close every socket (1001) and exit, without waiting.
    func requestStop() {
        self.mailbox.withLock { $0.stopRequested = true }
        self.epoll.wake()
    }

    /// Waits until the loop has exited (after `requestStop`), then releases its descriptors.
    func join() {
        self.thread.withLock { $0 }?.join()
        self.epoll.close()
    }

    // MARK: Mailbox (any thread)

    /// Hands a freshly upgraded socket to this loop.
    func adopt(_ adoption: Adoption) {
        self.mailbox.withLock { $0.adoptions.append(adoption) }
        self.epoll.wake()
    }

    /// Queues a frame for a chat socket of this loop.
    func post(_ frame: OutboundFrame) {
        self.mailbox.withLock { $0.frames.append(frame) }
        self.wakeUnlessOnLoop()
    }

    /// Asks the loop to close a socket.
    func requestClose(token: UInt64, reason: ServerCloseReason) {
        self.mailbox.withLock { $0.closeRequests.append((token, reason)) }
        self.wakeUnlessOnLoop()
    }

    /// Takes back the frames still waiting in the mailbox for `endpoint` (it is being removed)
    /// and returns the chat messages among them.
    func removePostedFrames(for endpoint: WebSocketEndpoint) -> [StoredMessage] {
        self.mailbox.withLock { mailbox in
            var messages: [StoredMessage] = []
            mailbox.frames.removeAll { frame in
                guard frame.endpoint === endpoint else { return false }
                if let message = frame.message { messages.append(message) }
                return true
            }
            return messages
        }
    }

    /// Whether frames or requests wait in the mailbox.
    var hasPostedWork: Bool {
        self.mailbox.withLock {
            !$0.frames.isEmpty || !$0.closeRequests.isEmpty || !$0.adoptions.isEmpty
        }
    }

    /// A token unique within this loop, for epoll.
    func allocateToken() -> UInt64 {
        self.nextToken.wrappingAdd(1, ordering: .relaxed).oldValue
    }

    private func wakeUnlessOnLoop() {
        // The loop drains its mailbox at the end of every iteration, so work it queued for
        // itself needs no wake-up; other threads wake it at most once per drain.
        let current = UInt(bitPattern: Int(bitPattern: pthread_self()))
        if current == self.loopThreadID.load(ordering: .relaxed) { return }
        if !self.wakePending.exchange(true, ordering: .acquiringAndReleasing) {
            self.epoll.wake()
        }
    }

    // MARK: Loop-thread state

    /// Everything only the loop thread touches.
    private struct LoopState: ~Copyable {
        let loop: WebSocketLoop
        var clients: [UInt64: WebSocketClient] = [:]
        var dirty: [WebSocketClient] = []
        var readBuffer = [UInt8](repeating: 0, count: 256 * 1024)
        var events: [WebSocketEvent] = []
        var stopping = false
        /// Chat sockets whose envelopes were routed since the last commit.
        var routedSinceCommit: [WebSocketClient] = []
        var stopDeadline = 0.0
        var lastTimerSweep = 0.0

        init(loop: WebSocketLoop) { self.loop = loop }

        mutating func run() {
            let capacity = 512
            let eventBuffer = UnsafeMutableBufferPointer<epoll_event>.allocate(capacity: capacity)
            defer { eventBuffer.deallocate() }
            while true {
                // Work this thread posted to itself (replay pulled while flushing) must not
                // wait for the next wake-up.
                let timeout: Int32 = self.loop.hasPostedWork ? 0 : 250
                let count = self.loop.epoll.wait(into: eventBuffer, timeoutMilliseconds: timeout)
                for index in 0..<count {
                    self.handle(eventBuffer[index])
                }
                self.processMailbox()
                if !self.routedSinceCommit.isEmpty {
                    // Acknowledgements queued above must not reach a client before the
                    // messages they confirm are durable; one commit covers the whole batch.
                    let routed = self.routedSinceCommit
                    self.routedSinceCommit.removeAll(keepingCapacity: true)
                    if !self.loop.hub.commitIfNeeded() {
                        for client in routed {
                            self.closeFromServer(client, reason: .storageFailure)
                        }
                    }
                }
                self.flushDirty()
                let now = MonotonicClock.now()
                if now - self.lastTimerSweep >= 0.25 {
                    self.lastTimerSweep = now
                    self.sweepTimers(now: now)
                }
                if self.stopping && (self.clients.isEmpty || now >= self.stopDeadline) {
                    for client in Array(self.clients.values) { self.teardown(client) }
                    return
                }
            }
        }

        private mutating func handle(_ event: epoll_event) {
            var event = event
            let token = sb_epoll_event_token(&event)
            let flags = sb_epoll_event_flags(&event)
            if token == Epoll.wakeToken {
                self.loop.epoll.drainWakes()
                return
            }
            guard let client = self.clients[token] else { return }
            if flags & UInt32(EPOLLOUT.rawValue) != 0 {
                self.markDirty(client)
            }
            let readable = UInt32(
                EPOLLIN.rawValue | EPOLLRDHUP.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue)
            if flags & readable != 0 {
                self.read(client)
            }
        }

        // MARK: Reading

        private mutating func read(_ client: WebSocketClient) {
            var budget = 1 << 20
            while budget > 0 && !client.isTornDown {
                let received = self.readBuffer.withUnsafeMutableBytes { buffer in
                    recv(client.descriptor, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT))
                }
                if received > 0 {
                    budget -= received
                    self.loop.metrics.webSocketBytesIn.add(received, ordering: .relaxed)
                    client.lastReceived = MonotonicClock.now()
                    self.readBuffer.withUnsafeBytes { buffer in
                        client.protocolState.receive(
                            UnsafeRawBufferPointer(rebasing: buffer[..<received]),
                            into: &self.events)
                    }
                    self.dispatchEvents(of: client)
                    if received < self.readBuffer.count { break }
                } else if received == 0
                    || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                {
                    client.protocolState.receiveEndOfStream(into: &self.events)
                    self.dispatchEvents(of: client)
                    self.teardown(client)
                    return
                } else if errno != EINTR {
                    break
                }
            }
        }

        private mutating func dispatchEvents(of client: WebSocketClient) {
            var events = self.events
            self.events.removeAll(keepingCapacity: true)
            defer {
                events.removeAll(keepingCapacity: true)
                self.events = events
            }
            for event in events {
                self.dispatch(event, of: client)
            }
            if client.protocolState.hasPendingOutput {
                client.out.append(message: nil) { output in
                    client.protocolState.drainOutput(into: &output)
                }
                self.markDirty(client)
            }
            if client.protocolState.shouldCloseTransport {
                // The close handshake is over (or failed): flushing leads to the teardown.
                self.markDirty(client)
            }
        }

        private mutating func dispatch(_ event: WebSocketEvent, of client: WebSocketClient) {
            switch event {
            case .text(let payload):
                switch client.kind {
                case .chat:
                    guard let endpoint = client.endpoint else { return }
                    self.routedSinceCommit.append(client)
                    payload.withUnsafeBytes { bytes in
                        self.loop.hub.receiveFromWebSocket(bytes, from: endpoint.connectionID)
                    }
                case .echo:
                    client.out.append(message: nil) { output in
                        try? client.protocolState.encodeText(payload, into: &output)
                    }
                    self.markDirty(client)
                }
            case .binary(let payload):
                // The chat endpoint refuses binary frames inside the protocol state machine
                // (close 1003); only the echo endpoint sees them.
                client.out.append(message: nil) { output in
                    try? client.protocolState.encodeBinary(payload, into: &output)
                }
                self.markDirty(client)
            case .ping(let payload):
                // Answered here, in event order, so a pong between two fragments of a message
                // precedes that message's echo (RFC 6455 §5.5.2 asks for a prompt answer).
                client.out.append(message: nil) { output in
                    try? client.protocolState.encodePong(payload, into: &output)
                }
                self.markDirty(client)
            case .pong:
                break
            case .closeReceived(let code, _):
                client.closeCode = code.map { Int($0.rawValue) } ?? 1005
            case .protocolViolation(let error):
                self.loop.metrics.webSocketProtocolErrors.add(1, ordering: .relaxed)
                self.loop.logger.debug(
                    "protocol violation",
                    ["ws.peer": client.peer, "ws.reason": error.description])
            case .connectionLost:
                break
            }
        }

        // MARK: Mailbox

        private mutating func processMailbox() {
            self.loop.wakePending.store(false, ordering: .releasing)
            let mailbox = self.loop.mailbox.withLock { mailbox in
                defer { mailbox.adoptions = []; mailbox.frames = []; mailbox.closeRequests = [] }
                return mailbox
            }
            for adoption in mailbox.adoptions {
                self.adopt(adoption)
            }
            for outbound in mailbox.frames {
                guard let client = self.clients[outbound.endpoint.token], !client.isTornDown else {
                    continue
                }
                guard client.protocolState.state == .open else {
                    // Closing: the frame can no longer be sent, so it counts as undelivered.
                    if let message = outbound.message { client.discardedMessages.append(message) }
                    if outbound.countsTowardBound {
                        outbound.endpoint.queuedBytes.subtract(
                            WebSocketEndpoint.chargedSize(of: outbound.frame), ordering: .relaxed)
                    }
                    continue
                }
                let charge =
                    outbound.countsTowardBound
                    ? WebSocketEndpoint.chargedSize(of: outbound.frame) : 0
                client.out.append(message: outbound.message, chargedBytes: charge) { output in
                    outbound.frame.bytes.withUnsafeBytes { bytes in
                        try? client.protocolState.encodeText(bytes, into: &output)
                    }
                }
                self.markDirty(client)
            }
            for request in mailbox.closeRequests {
                guard let client = self.clients[request.token] else { continue }
                self.closeFromServer(client, reason: request.reason)
            }
            if mailbox.stopRequested && !self.stopping {
                self.beginStopping()
            }
        }

        private mutating func adopt(_ adoption: Adoption) {
            let flags = fcntl(adoption.descriptor, F_GETFL)
            _ = fcntl(adoption.descriptor, F_SETFL, flags | O_NONBLOCK)
            var noDelay: Int32 = 1
            _ = setsockopt(
                adoption.descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay,
                socklen_t(MemoryLayout<Int32>.size))

            let token = self.loop.allocateToken()
            let client = WebSocketClient(
                token: token, adoption: adoption, settings: self.loop.settings,
                now: MonotonicClock.now())
            if adoption.kind == .chat {
                let endpoint = WebSocketEndpoint(
                    connectionID: self.loop.hub.allocateConnectionID(), token: token,
                    loop: self.loop,
                    queueLimitBytes: self.loop.settings.queueLimitBytes)
                client.endpoint = endpoint
                self.loop.hub.open(endpoint, transport: .webSocket)
            }
            let events = UInt32(EPOLLIN.rawValue | EPOLLRDHUP.rawValue)
            guard self.loop.epoll.add(adoption.descriptor, events: events, token: token) else {
                self.loop.logger.error("epoll_ctl add failed", ["ws.peer": adoption.peer])
                self.clients[token] = client
                self.teardown(client)
                return
            }
            self.clients[token] = client
            self.loop.connectionCount.add(1, ordering: .relaxed)
            self.loop.metrics.webSocketConnections.add(1, ordering: .relaxed)
            self.loop.logger.debug(
                "websocket opened",
                [
                    "ws.peer": adoption.peer,
                    "conn.id": client.endpoint.map { "\($0.connectionID)" } ?? "echo",
                    "ws.deflate": adoption.deflate == nil ? "off" : "on",
                ])
            if self.stopping {
                self.closeFromServer(client, reason: .shutdown)
            }
            if !adoption.pipelined.isEmpty {
                adoption.pipelined.withUnsafeBytes { bytes in
                    client.protocolState.receive(bytes, into: &self.events)
                }
                self.dispatchEvents(of: client)
            }
        }

        // MARK: Writing

        private mutating func markDirty(_ client: WebSocketClient) {
            guard !client.isDirty else { return }
            client.isDirty = true
            self.dirty.append(client)
        }

        private mutating func flushDirty() {
            while !self.dirty.isEmpty {
                let batch = self.dirty
                self.dirty.removeAll(keepingCapacity: true)
                for client in batch {
                    client.isDirty = false
                    guard !client.isTornDown else { continue }
                    self.flush(client)
                }
            }
        }

        private mutating func flush(_ client: WebSocketClient) {
            let countedBefore = client.out.countedBytes
            var failed = false
            while !client.out.isEmpty {
                let written = client.out.flush { bytes in
                    let sent = send(
                        client.descriptor, bytes.baseAddress, bytes.count,
                        Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
                    if sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR {
                        failed = true
                    }
                    return sent
                }
                if written <= 0 { break }
                self.loop.metrics.webSocketBytesOut.add(written, ordering: .relaxed)
            }
            let released = countedBefore - client.out.countedBytes
            if released > 0, let endpoint = client.endpoint {
                endpoint.queuedBytes.subtract(released, ordering: .relaxed)
            }
            if failed {
                client.protocolState.receiveEndOfStream(into: &self.events)
                self.events.removeAll(keepingCapacity: true)
                self.teardown(client)
                return
            }
            self.updateWriteInterest(client)
            if client.out.isEmpty {
                if client.protocolState.shouldCloseTransport {
                    self.teardown(client)
                    return
                }
                if let endpoint = client.endpoint,
                    endpoint.replayAvailable.exchange(false, ordering: .acquiringAndReleasing)
                {
                    self.loop.hub.pullReplay(for: endpoint.connectionID)
                }
            }
        }

        private func updateWriteInterest(_ client: WebSocketClient) {
            let wantsWrite = !client.out.isEmpty
            guard wantsWrite != client.isWriteArmed else { return }
            client.isWriteArmed = wantsWrite
            var events = UInt32(EPOLLIN.rawValue | EPOLLRDHUP.rawValue)
            if wantsWrite { events |= UInt32(EPOLLOUT.rawValue) }
            self.loop.epoll.modify(client.descriptor, events: events, token: client.token)
        }

        // MARK: Closing

        private mutating func closeFromServer(_ client: WebSocketClient, reason: ServerCloseReason)
        {
            guard !client.isTornDown else { return }
            let (code, text): (CloseCode, String)
            switch reason {
            case .storageFailure:
                // Its acknowledgements were for writes that did not commit: drop them with
                // everything else unsent, and let the client retry its ids on a new socket.
                (code, text) = (.internalError, "internal error")
                self.discardUnstarted(client)
            case .slowConsumer:
                (code, text) = (.policyViolation, "slow consumer")
                // What it has not started reading goes back to its offline queue now, so the
                // Close frame is next on the wire.
                self.discardUnstarted(client)
                self.loop.metrics.slowConsumerWebSocket.add(1, ordering: .relaxed)
                self.loop.logger.warning(
                    "websocket closed: slow consumer",
                    [
                        "ws.peer": client.peer,
                        "conn.id": client.endpoint.map { "\($0.connectionID)" } ?? "-",
                        "ws.queued_bytes": "\(client.out.pendingCount)",
                    ])
            case .idleTimeout:
                (code, text) = (.goingAway, "idle timeout")
                self.loop.metrics.webSocketIdleTimeouts.add(1, ordering: .relaxed)
            case .shutdown:
                (code, text) = (.goingAway, "server shutting down")
            }
            client.endpoint?.markClosing()
            if (try? client.protocolState.close(code: code, reason: text)) != nil {
                client.out.append(message: nil) { output in
                    client.protocolState.drainOutput(into: &output)
                }
                let settings = self.loop.settings
                let wait =
                    reason == .slowConsumer
                    ? settings.slowConsumerCloseSeconds : settings.closeHandshakeSeconds
                client.closeDeadline = MonotonicClock.now() + wait
                self.markDirty(client)
            } else {
                self.teardown(client)
            }
        }

        /// Drops the frames not yet begun, keeping their messages as undelivered and the bound's
        /// accounting right.
        private func discardUnstarted(_ client: WebSocketClient) {
            let countedBefore = client.out.countedBytes
            client.discardedMessages += client.out.discardUnstartedFrames()
            client.endpoint?.queuedBytes.subtract(
                countedBefore - client.out.countedBytes, ordering: .relaxed)
        }

        private mutating func beginStopping() {
            self.stopping = true
            self.stopDeadline = MonotonicClock.now() + self.loop.settings.closeHandshakeSeconds
            for client in Array(self.clients.values) {
                self.closeFromServer(client, reason: .shutdown)
            }
        }

        /// Removes a socket for good: epoll first (its number may be reused as soon as
        /// libmicrohttpd closes it), then the hub (with what never left), then libmicrohttpd.
        private mutating func teardown(_ client: WebSocketClient) {
            guard !client.isTornDown else { return }
            client.isTornDown = true
            self.loop.epoll.remove(client.descriptor)
            self.clients[client.token] = nil
            if let endpoint = client.endpoint {
                endpoint.markClosing()
                self.loop.hub.close(
                    endpoint.connectionID,
                    undelivered: client.discardedMessages + client.out.unwrittenMessages)
                endpoint.queuedBytes.subtract(client.out.countedBytes, ordering: .relaxed)
            }
            client.upgrade.endClientReads?()
            _ = sb_upgrade_close(client.upgrade.raw)
            self.loop.connectionCount.subtract(1, ordering: .relaxed)
            self.loop.metrics.webSocketConnections.subtract(1, ordering: .relaxed)
            self.loop.logger.debug(
                "websocket closed",
                [
                    "ws.peer": client.peer,
                    "conn.id": client.endpoint.map { "\($0.connectionID)" } ?? "echo",
                    "ws.code": client.protocolState.closeCode.map { "\($0.rawValue)" } ?? "-",
                ])
        }

        // MARK: Timers

        private mutating func sweepTimers(now: Double) {
            let settings = self.loop.settings
            for client in Array(self.clients.values) where !client.isTornDown {
                if let deadline = client.closeDeadline {
                    if now >= deadline { self.teardown(client) }
                    continue
                }
                let silence = now - client.lastReceived
                if silence >= settings.idleTimeoutSeconds {
                    self.closeFromServer(client, reason: .idleTimeout)
                } else if silence >= settings.pingSeconds
                    && now - client.lastPingSent >= settings.pingSeconds
                {
                    client.lastPingSent = now
                    if (try? client.protocolState.sendPing(Array("switchboard".utf8))) != nil {
                        client.out.append(message: nil) { output in
                            client.protocolState.drainOutput(into: &output)
                        }
                        self.markDirty(client)
                    }
                }
            }
            self.flushDirty()
        }
    }
}

/// One upgraded socket as its loop sees it. Confined to the loop thread.
final class WebSocketClient {
    let token: UInt64
    let descriptor: Int32
    let upgrade: UpgradeHandle
    let kind: WebSocketKind
    let peer: String
    let protocolState: WebSocketConnection
    var endpoint: WebSocketEndpoint?
    var out = OutboundBuffer()
    /// Chat messages dropped from `out` unsent (before a slow consumer's Close), reported at
    /// teardown.
    var discardedMessages: [StoredMessage] = []
    var lastReceived: Double
    var lastPingSent: Double
    var closeDeadline: Double?
    var closeCode: Int?
    var isDirty = false
    var isWriteArmed = false
    var isTornDown = false

    init(token: UInt64, adoption: Adoption, settings: WebSocketSettings, now: Double) {
        self.token = token
        self.descriptor = adoption.descriptor
        self.upgrade = adoption.upgrade
        self.kind = adoption.kind
        self.peer = adoption.peer
        let configuration = WebSocketConfiguration(
            maxMessageBytes: adoption.kind == .echo
                ? settings.echoMaxMessageBytes : settings.maxMessageBytes,
            acceptsBinaryMessages: adoption.kind == .echo, answersPingsAutomatically: false,
            compressionMemoryLevel: WebSocketSettings.compressionMemoryLevel)
        self.protocolState = WebSocketConnection(
            role: .server, configuration: configuration, deflate: adoption.deflate)
        self.lastReceived = now
        self.lastPingSent = now
    }
}
