import ChatRouter
import Synchronization

/// The one owner of router state, shared by every transport: WebSocket loops and long-poll
/// handlers all call in here, and nothing else touches the router.
///
/// The router and the table of live endpoints sit under one mutex, and each router output is
/// applied (frames encoded once and queued on every target endpoint) before the mutex is
/// released. That keeps per-connection order equal to router order, so recipients see `mid`s
/// ascending even when senders arrive on different threads. Endpoints only append to memory
/// under the lock; the I/O happens later on their own threads.
final class ChatHub: Sendable {
    private struct State: ~Copyable {
        var router: Router
        var endpoints: [ConnectionID: any ChatEndpoint] = [:]
    }

    private let state: Lock<State>
    private let nextConnection = Atomic<UInt64>(1)
    private let clock: @Sendable () -> Int64
    let logger: Logger
    /// Envelope limits shared by both transports' decoders.
    let envelopeLimits: EnvelopeLimits

    init(
        router: sending Router, envelopeLimits: EnvelopeLimits, logger: Logger,
        clock: @escaping @Sendable () -> Int64 = WallClock.milliseconds
    ) {
        self.state = Lock(State(router: router))
        self.envelopeLimits = envelopeLimits
        self.logger = logger.named("router")
        self.clock = clock
    }

    /// A fresh connection id; never reused while the process runs.
    func allocateConnectionID() -> ConnectionID {
        ConnectionID(self.nextConnection.wrappingAdd(1, ordering: .relaxed).oldValue)
    }

    /// Registers an endpoint with the router.
    func open(_ endpoint: any ChatEndpoint, transport: Transport) {
        let now = self.clock()
        self.state.withLock { state in
            state.router.connect(endpoint.connectionID, transport: transport, now: now)
            state.endpoints[endpoint.connectionID] = endpoint
        }
    }

    /// Handles one envelope's raw JSON from a WebSocket: decodes, routes, and queues the reply
    /// (if any) on the sender followed by all deliveries.
    func receiveFromWebSocket(_ payload: UnsafeRawBufferPointer, from id: ConnectionID) {
        let now = self.clock()
        let decoded: Result<ClientEnvelope, RejectedEnvelope>
        do {
            decoded = .success(try ClientEnvelope.decode(payload, limits: self.envelopeLimits))
        } catch {
            decoded = .failure(error)
        }
        self.state.withLock { state in
            let output: RouterOutput
            switch decoded {
            case .success(let envelope): output = state.router.receive(envelope, from: id, now: now)
            case .failure(let rejected): output = state.router.reject(rejected, from: id, now: now)
            }
            Self.apply(output, replyTo: id, in: &state)
        }
    }

    /// Handles envelopes for a long-poll request and returns the replies, in order.
    ///
    /// `session` is the requesting connection; `createSession` is called, under the lock, when a
    /// `bind` arrives with no session yet, and must register and return a new endpoint.
    /// `refuseSession`, asked first, may name a reason to answer such a bind with 429 instead
    /// (a per-address limit); envelopes after it in the batch then find no session.
    func receiveFromLongPoll(
        _ items: [Result<ClientEnvelope, RejectedEnvelope>], session: ConnectionID?,
        refuseSession: () -> String? = { nil },
        createSession: (ConnectionID) -> (endpoint: any ChatEndpoint, sid: String)
    ) -> (replies: [ServerFrame], session: ConnectionID?) {
        let now = self.clock()
        return self.state.withLock { state in
            var current = session
            var replies: [ServerFrame] = []
            var scratch: ConnectionID?
            for item in items {
                let requester: ConnectionID
                if let current {
                    requester = current
                } else {
                    // No session yet: route on a throwaway connection, promoted to a session
                    // only if a bind succeeds on it.
                    let throwaway = scratch ?? self.allocateConnectionID()
                    if scratch == nil {
                        state.router.connect(throwaway, transport: .longPoll, now: now)
                        scratch = throwaway
                    }
                    requester = throwaway
                }
                if current == nil, case .success(let envelope) = item, envelope.type == .bind,
                    let reason = refuseSession()
                {
                    replies.append(
                        ServerFrame(
                            type: "bind", error: true, code: 429, msg: reason, uid: envelope.uid,
                            id: envelope.id))
                    continue
                }
                var output: RouterOutput
                switch item {
                case .success(let envelope):
                    output = state.router.receive(envelope, from: requester, now: now)
                case .failure(let rejected):
                    output = state.router.reject(rejected, from: requester, now: now)
                }
                if current == nil, state.router.boundUID(of: requester) != nil {
                    let created = createSession(requester)
                    state.endpoints[requester] = created.endpoint
                    current = requester
                    scratch = nil
                    if var reply = output.reply, reply.type == "bind" {
                        reply.sid = created.sid
                        output.reply = reply
                    }
                }
                if let reply = output.reply { replies.append(reply) }
                output.reply = nil
                Self.apply(output, replyTo: requester, in: &state)
            }
            if let scratch {
                _ = state.router.disconnect(scratch)
            }
            if !Self.commit(&state, logger: self.logger) {
                // Nothing promised may leave: the writes behind these replies were rolled back.
                replies = replies.map { reply in
                    reply.error
                        ? reply
                        : ServerFrame(
                            type: reply.type, error: true, code: 500, msg: "storage failure",
                            uid: reply.uid, touid: reply.touid, id: reply.id)
                }
            }
            return (replies, current)
        }
    }

    /// Commits the store's pending writes, if any. The WebSocket loops call this once per
    /// iteration before writing to sockets, so acknowledgements never leave before the
    /// messages they confirm are durable, and a burst of messages shares one commit.
    /// Returns false when the commit failed: the writes since the last commit are lost, and
    /// the acknowledgements queued for them must not reach their clients.
    @discardableResult
    func commitIfNeeded() -> Bool {
        self.state.withLock { state in Self.commit(&state, logger: self.logger) }
    }

    /// Commits what is left and closes the store, once nothing can route any more.
    func closeStore() {
        self.state.withLock { state in
            _ = Self.commit(&state, logger: self.logger)
            state.router.store.close()
        }
    }

    private static func commit(_ state: inout State, logger: Logger) -> Bool {
        guard state.router.store.hasUncommittedWrites else { return true }
        do {
            try state.router.store.commit()
            return true
        } catch {
            logger.error("store commit failed", ["store.error": "\(error)"])
            return false
        }
    }

    /// The next replay step for an endpoint whose queue drained.
    func pullReplay(for id: ConnectionID) {
        self.state.withLock { state in
            let output = state.router.nextReplay(for: id)
            Self.apply(output, replyTo: id, in: &state)
        }
    }

    /// Forgets an endpoint that closed. `undelivered` are messages the caller knows never reached
    /// the client; the endpoint adds what it still holds. They go back to the offline queue
    /// unless another connection of the user has them.
    func close(_ id: ConnectionID, undelivered: [StoredMessage] = []) {
        self.state.withLock { state in
            Self.detach(id, undelivered: undelivered, in: &state)
        }
    }

    /// Removes an endpoint and its router connection, requeueing what never reached it.
    private static func detach(
        _ id: ConnectionID, undelivered: [StoredMessage] = [], in state: inout State
    ) {
        let held = state.endpoints.removeValue(forKey: id)?.drainUndelivered() ?? []
        let output = state.router.disconnect(id, undelivered: undelivered + held)
        Self.apply(output, replyTo: nil, in: &state)
    }

    /// Runs store housekeeping (retention) with a bounded amount of work.
    @discardableResult
    func prune(budget: Int) -> Int {
        let now = self.clock()
        return self.state.withLock { state in
            state.router.store.prune(now: now, budget: budget)
        }
    }

    /// Bytes waiting for WebSocket clients, counted toward their bounds (a scrape-time sum).
    func webSocketQueuedBytes() -> Int {
        self.state.withLock { state in
            state.endpoints.values.reduce(0) { total, endpoint in
                total
                    + ((endpoint as? WebSocketEndpoint)?.queuedBytes.load(ordering: .relaxed) ?? 0)
            }
        }
    }

    /// A snapshot of the router's counters.
    var statistics: RouterStatistics {
        self.state.withLock { $0.router.statistics }
    }

    private static func apply(
        _ output: RouterOutput, replyTo requester: ConnectionID?, in state: inout State
    ) {
        if let requester, let reply = output.reply, let endpoint = state.endpoints[requester] {
            if !endpoint.enqueue(EncodedFrame(reply), message: nil, countsTowardBound: true) {
                Self.closeSlowConsumer(requester, endpoint, in: &state)
            }
        }
        for delivery in output.deliveries {
            let encoded = EncodedFrame(delivery.frame)
            let message = delivery.message
            for target in delivery.targets {
                guard let endpoint = state.endpoints[target] else { continue }
                let counts = !delivery.isReplay
                if !endpoint.enqueue(encoded, message: message, countsTowardBound: counts) {
                    Self.closeSlowConsumer(target, endpoint, in: &state)
                }
            }
        }
        for id in output.overflowed {
            if let endpoint = state.endpoints[id] {
                Self.closeSlowConsumer(id, endpoint, in: &state)
            }
        }
        for id in output.replayPending {
            state.endpoints[id]?.replayBecameAvailable()
        }
    }

    /// Closes an endpoint whose client does not keep up. One that reports everything it holds
    /// (a long-poll session) is detached at once: its messages go back to the offline queue
    /// now, and sends that follow see the user offline (`queued`) instead of `delivered` to a
    /// session that is over. Limitation: if that session is the one whose POST batch is being
    /// handled (it overflowed with messages sent to its own user), the rest of the batch is
    /// answered 500, as envelopes from a connection the router no longer knows.
    private static func closeSlowConsumer(
        _ id: ConnectionID, _ endpoint: any ChatEndpoint, in state: inout State
    ) {
        endpoint.closeAsSlowConsumer()
        if endpoint.drainReportsEverything { Self.detach(id, in: &state) }
    }
}
