import CMicroHTTPD
import ChatRouter
import Synchronization

/// The HTTP long-poll transport at `/v1/poll`: sessions, their GETs held by suspending the
/// libmicrohttpd connection (no thread waits), POSTed envelopes, DELETE, and the sweep that
/// times out GETs and expires idle sessions.
final class LongPollService: Sendable {
    let settings: LongPollSettings
    private let hub: ChatHub
    /// Open sessions by id, with a count per client address for the per-address limit.
    private struct SessionTable {
        var byID: [String: LongPollSession] = [:]
        var perAddress: [String: Int] = [:]

        mutating func insert(_ session: LongPollSession) {
            self.byID[session.sid] = session
            self.perAddress[session.clientAddress, default: 0] += 1
        }

        @discardableResult
        mutating func remove(_ sid: String) -> LongPollSession? {
            guard let session = self.byID.removeValue(forKey: sid) else { return nil }
            let remaining = (self.perAddress[session.clientAddress] ?? 1) - 1
            self.perAddress[session.clientAddress] = remaining > 0 ? remaining : nil
            return session
        }
    }

    private let sessions = Lock(SessionTable())
    private let acceptingParks = Atomic<Bool>(true)
    /// GETs suspended and not yet completed: libmicrohttpd must not be stopped while any is.
    let parkedRequests = Atomic<Int>(0)
    private let logger: Logger
    let metrics: ServerMetrics

    init(settings: LongPollSettings, hub: ChatHub, metrics: ServerMetrics, logger: Logger) {
        self.settings = settings
        self.hub = hub
        self.metrics = metrics
        self.logger = logger.named("poll")
    }

    /// Counts a response's body toward the transport's outgoing bytes.
    func counted(_ response: HTTPResponse) -> HTTPResponse {
        if case .bytes(let body) = response.body {
            self.metrics.longPollBytesOut.add(body.count, ordering: .relaxed)
        }
        return response
    }

    /// Sessions open now.
    var sessionCount: Int { self.sessions.withLock { $0.byID.count } }

    /// Events and bytes queued across sessions, for metrics.
    func queueTotals() -> (events: Int, bytes: Int) {
        let all = self.sessions.withLock { Array($0.byID.values) }
        return all.reduce(into: (0, 0)) { totals, session in
            let depth = session.queueDepth
            totals.0 += depth.events
            totals.1 += depth.bytes
        }
    }

    // MARK: Requests

    /// Handles a complete `/v1/poll` request (body already read).
    func handle(_ exchange: Exchange, context: RequestContext) -> HTTPResponse? {
        switch exchange.method {
        case "GET": return self.get(exchange, context: context)
        case "POST": return self.post(exchange, context: context)
        case "DELETE": return self.delete(exchange)
        default:
            return HTTPResponse.text(
                405, "method not allowed", headers: [("Allow", "GET, POST, DELETE, OPTIONS")])
        }
    }

    private func sessionID(of exchange: Exchange) -> String? {
        exchange.target.queryValue("sid") ?? exchange.header("X-Session-Id")
    }

    private func session(named sid: String?) -> LongPollSession? {
        guard let sid else { return nil }
        return self.sessions.withLock { $0.byID[sid] }.flatMap { $0.endReason == nil ? $0 : nil }
    }

    private func get(_ exchange: Exchange, context: RequestContext) -> HTTPResponse? {
        guard let sid = self.sessionID(of: exchange) else {
            return self.error(400, "missing sid")
        }
        guard let session = self.session(named: sid) else {
            return self.error(404, "unknown session")
        }
        guard let acknowledged = Self.unsigned(exchange.target.queryValue("ack"), default: 0) else {
            return self.error(400, "ack must be a non-negative integer")
        }
        guard
            let requested = Self.unsigned(
                exchange.target.queryValue("timeout"),
                default: UInt64(self.settings.defaultTimeoutSeconds))
        else {
            return self.error(400, "timeout must be a non-negative integer")
        }
        let timeout = min(Int(clamping: requested), self.settings.maxTimeoutSeconds)
        let now = MonotonicClock.now()

        var (decision, pullReplay) = session.poll(
            acknowledged: acknowledged, maxBytes: self.settings.maxResponseBytes, now: now)
        if pullReplay {
            self.hub.pullReplay(for: session.connectionID)
            (decision, _) = session.poll(
                acknowledged: acknowledged, maxBytes: self.settings.maxResponseBytes, now: now)
        }
        switch decision {
        case .answer(let events, let last):
            return Self.eventsResponse(events, last: last)
        case .ended:
            return self.error(404, "unknown session")
        case .ackBeyondLast(let last):
            return self.error(400, "ack is above the session's last event (\(last))")
        case .park:
            guard timeout > 0 else { return Self.eventsResponse([], last: session.lastSequence) }
            return self.park(
                exchange, context: context, session: session, acknowledged: acknowledged,
                deadline: now + Double(timeout))
        }
    }

    private func park(
        _ exchange: Exchange, context: RequestContext, session: LongPollSession,
        acknowledged: UInt64, deadline: Double
    ) -> HTTPResponse? {
        guard self.acceptingParks.load(ordering: .acquiring) else {
            return self.error(503, "server shutting down")
        }
        // Suspend first, then publish the waiter: a wake can only ever find a suspended
        // connection (resuming one that is not suspended is undefined in libmicrohttpd).
        MHD_suspend_connection(exchange.connection)
        self.parkedRequests.add(1, ordering: .relaxed)
        let waiter = PollWaiter(
            connection: ConnectionHandle(raw: exchange.connection), acknowledged: acknowledged,
            deadline: deadline)
        context.continuation = PollContinuation(service: self, session: session, waiter: waiter)
        if !session.park(waiter) {
            waiter.wake(.events)
        }
        return nil
    }

    /// Builds the answer for a GET that was parked and has been woken.
    func answerWoken(_ waiter: PollWaiter, session: LongPollSession) -> HTTPResponse {
        let now = MonotonicClock.now()
        switch waiter.wakeReason {
        case .shutdown:
            return self.error(503, "server shutting down")
        case .sessionEnded:
            return self.error(404, "unknown session")
        case .superseded:
            session.touch(now: now)
            return Self.eventsResponse([], last: session.lastSequence)
        case .events, .timeout, nil:
            guard
                let answer = session.answer(
                    for: waiter, maxBytes: self.settings.maxResponseBytes, now: now)
            else { return self.error(404, "unknown session") }
            return Self.eventsResponse(answer.events, last: answer.last)
        }
    }

    /// A parked GET's request finished (answered, or the client vanished).
    func parkedRequestCompleted(_ waiter: PollWaiter, session: LongPollSession) {
        waiter.retire()
        session.touch(now: MonotonicClock.now())
        self.parkedRequests.subtract(1, ordering: .relaxed)
    }

    private func post(_ exchange: Exchange, context: RequestContext) -> HTTPResponse {
        if context.bodyOverflowed {
            self.metrics.bodiesTooLarge.add(1, ordering: .relaxed)
            return self.error(413, "body too large")
        }
        self.metrics.longPollBytesIn.add(context.body.count, ordering: .relaxed)
        var existing: LongPollSession?
        if let sid = self.sessionID(of: exchange) {
            guard let session = self.session(named: sid) else {
                return self.error(404, "unknown session")
            }
            existing = session
        }
        let items: [Result<ClientEnvelope, RejectedEnvelope>]
        let isBatch: Bool
        switch PollRequestBody.decode(context.body, limits: self.hub.envelopeLimits) {
        case .envelope(let item): (items, isBatch) = ([item], false)
        case .batch(let batch): (items, isBatch) = (batch, true)
        case .rejected(let rejected): (items, isBatch) = ([.failure(rejected)], false)
        }
        guard !items.isEmpty else {
            return self.error(400, "empty batch")
        }
        let address = exchange.clientAddress()
        let result = self.hub.receiveFromLongPoll(
            items, session: existing?.connectionID,
            refuseSession: {
                guard self.wouldExceedSessionLimit(address) else { return nil }
                self.metrics.sessionRefusals.add(1, ordering: .relaxed)
                self.metrics.transportErrors.withLock { $0[429, default: 0] += 1 }
                self.logger.debug("session refused: per-address limit", ["http.peer": address])
                return "too many sessions from this address"
            }
        ) { id in
            let session = self.createSession(id, clientAddress: address)
            return (session, session.sid)
        }
        if isBatch {
            var body: [UInt8] = []
            ServerFrame.encodeArray(result.replies, to: &body)
            return Self.json(200, body)
        }
        let reply =
            result.replies.first
            ?? ServerFrame(
                type: "error", error: true, code: 500, msg: "internal error")
        return Self.json(reply.code == 0 ? 200 : reply.code, reply.jsonBytes)
    }

    /// Whether one more session would be too many for `address`.
    private func wouldExceedSessionLimit(_ address: String) -> Bool {
        let limit = self.settings.maxSessionsPerAddress
        guard limit > 0, self.settings.limitLoopback || !SocketAddress.isLoopback(address) else {
            return false
        }
        return self.sessions.withLock { $0.perAddress[address] ?? 0 } >= limit
    }

    private func createSession(_ id: ConnectionID, clientAddress: String) -> LongPollSession {
        let session = LongPollSession(
            connectionID: id, sid: SessionToken.generate(), clientAddress: clientAddress,
            queueLimitBytes: self.settings.queueLimitBytes, now: MonotonicClock.now())
        self.sessions.withLock { $0.insert(session) }
        self.logger.debug(
            "session opened",
            [
                "poll.sid": String(session.sid.prefix(8)), "conn.id": "\(id)",
                "http.peer": clientAddress,
            ])
        return session
    }

    private func delete(_ exchange: Exchange) -> HTTPResponse {
        guard let sid = self.sessionID(of: exchange) else {
            return self.error(400, "missing sid")
        }
        guard let session = self.sessions.withLock({ $0.remove(sid) }) else {
            return self.error(404, "unknown session")
        }
        self.finish(session, reason: .deleted)
        return HTTPResponse(status: 204, headers: [("Cache-Control", "no-store")])
    }

    private func finish(_ session: LongPollSession, reason: LongPollSession.EndReason) {
        session.end(reason)
        self.hub.close(session.connectionID)
        self.logger.debug(
            "session closed",
            ["poll.sid": String(session.sid.prefix(8)), "poll.reason": reason.rawValue])
    }

    // MARK: Housekeeping

    /// Wakes GETs whose timeout passed and closes sessions that expired or overflowed.
    func sweep(now: Double) {
        var timedOut: [PollWaiter] = []
        var finished: [(LongPollSession, LongPollSession.EndReason)] = []
        self.sessions.withLock { sessions in
            for (sid, session) in sessions.byID {
                if let reason = session.endReason {
                    sessions.remove(sid)
                    finished.append((session, reason))
                } else if session.isExpired(now: now, expirySeconds: self.settings.expirySeconds) {
                    sessions.remove(sid)
                    finished.append((session, .expired))
                } else if let waiter = session.expiredWaiter(now: now) {
                    timedOut.append(waiter)
                }
            }
        }
        timedOut.forEach { $0.wake(.timeout) }
        for (session, reason) in finished {
            if reason == .overflowed {
                self.metrics.slowConsumerLongPoll.add(1, ordering: .relaxed)
                self.logger.warning(
                    "session closed: slow consumer",
                    ["poll.sid": String(session.sid.prefix(8)), "http.peer": session.clientAddress])
            }
            self.finish(session, reason: reason)
        }
    }

    /// Stops parking GETs and ends every session, answering parked GETs with 503. Returns once
    /// every woken GET has completed, or after `graceSeconds`.
    func shutdown(graceSeconds: Double) {
        self.acceptingParks.store(false, ordering: .releasing)
        let all = self.sessions.withLock { sessions in
            defer { sessions = SessionTable() }
            return Array(sessions.byID.values)
        }
        for session in all { self.finish(session, reason: .shutdown) }
        let deadline = MonotonicClock.now() + graceSeconds
        while self.parkedRequests.load(ordering: .relaxed) > 0 && MonotonicClock.now() < deadline {
            MonotonicClock.sleep(seconds: 0.005)
        }
    }

    // MARK: Responses

    /// A request-level V1 error answer, counted in `switchboard_errors_total`.
    func error(_ status: Int, _ reason: String) -> HTTPResponse {
        self.metrics.transportErrors.withLock { $0[status, default: 0] += 1 }
        let frame = ServerFrame(type: "error", error: true, code: status, msg: reason)
        return Self.json(status, frame.jsonBytes)
    }

    /// A JSON answer. The trailing newline is JSON whitespace, there so that a reply printed
    /// by curl ends its line instead of running into the shell prompt.
    static func json(_ status: Int, _ body: [UInt8]) -> HTTPResponse {
        HTTPResponse.json(
            status, body + [UInt8(ascii: "\n")], headers: [("Cache-Control", "no-store")])
    }

    static func eventsResponse(
        _ events: [(seq: UInt64, frame: EncodedFrame)], last: UInt64
    ) -> HTTPResponse {
        var body: [UInt8] = Array(#"{"events":["#.utf8)
        for (index, event) in events.enumerated() {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            event.frame.append(to: &body, seq: event.seq)
        }
        body += Array(#"],"last":"#.utf8)
        body += Array(String(last).utf8)
        body.append(UInt8(ascii: "}"))
        return Self.json(200, body)
    }

    private static func unsigned(_ text: String?, default value: UInt64) -> UInt64? {
        guard let text else { return value }
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return UInt64(text) ?? UInt64.max
    }
}

/// Finishes a parked GET when libmicrohttpd calls back after the resume.
final class PollContinuation: RequestContinuation {
    private let service: LongPollService
    private let session: LongPollSession
    private let waiter: PollWaiter
    /// Headers the dispatcher adds to the eventual answer (CORS).
    var extraHeaders: [(name: String, value: String)] = []

    init(service: LongPollService, session: LongPollSession, waiter: PollWaiter) {
        self.service = service
        self.session = session
        self.waiter = waiter
    }

    func resume(_ request: inout Exchange, context: RequestContext) -> MHD_Result {
        var response = self.service.counted(
            self.service.answerWoken(self.waiter, session: self.session))
        response.headers += self.extraHeaders
        return response.queue(on: request.connection)
    }

    func requestCompleted() {
        self.service.parkedRequestCompleted(self.waiter, session: self.session)
    }
}
