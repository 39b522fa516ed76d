/// The V1 event router: bindings, presence, fan-out, offline queue and replay, for every
/// transport at once. Pure: envelopes and the current time in, frames to deliver out.
///
/// Threading: one owner. The server keeps the router inside a single mutex together with the
/// table of live endpoints, and applies each output while still holding it, so that frames
/// reach every connection in `mid` order. A single lock was chosen over sharding by uid
/// because one `send` touches two users (sender and recipient) and a `disconnect` touches
/// every conversation partner; with sharding those would need lock ordering across shards,
/// while the critical section here is a few microseconds of dictionary work and encoding,
/// no I/O.
public final class Router {
    private struct ReplayState {
        var cursor: UInt64 = 0
        let upperBound: UInt64
        let since: UInt64?
        /// Live messages that arrived during the replay, sent after it.
        var held: [StoredMessage] = []
        var heldBytes = 0
    }

    private struct ConnectionState {
        let transport: Transport
        var uid: String?
        /// `lastAssignedMid` when the connection bound: it received every message above it live.
        var boundAtMid: UInt64 = 0
        var replay: ReplayState?
        var rateTokens: Double = 0
        var rateUpdatedAt: Int64 = 0
    }

    private struct UserState {
        var connections: [ConnectionID] = []
        /// Conversations joined and not left, in join order (for the exit notices).
        var joined: [String] = []
    }

    public let configuration: RouterConfiguration
    public let store: any MessageStore
    public private(set) var statistics = RouterStatistics()

    private var connections: [ConnectionID: ConnectionState] = [:]
    private var users: [String: UserState] = [:]

    public init(configuration: RouterConfiguration = RouterConfiguration(), store: any MessageStore)
    {
        self.configuration = configuration
        self.store = store
    }

    // MARK: Connections

    /// Registers a new, unbound connection.
    public func connect(_ id: ConnectionID, transport: Transport, now: Int64 = 0) {
        let burst = Double(self.configuration.messagesPerSecond)
        self.connections[id] = ConnectionState(
            transport: transport, rateTokens: burst, rateUpdatedAt: now)
        self.statistics.connections = self.connections.count
    }

    /// The uid a connection is bound to, if any.
    public func boundUID(of id: ConnectionID) -> String? {
        self.connections[id]?.uid
    }

    /// The live connections bound as `uid`, in bind order.
    public func connections(of uid: String) -> [ConnectionID] {
        self.users[uid]?.connections ?? []
    }

    /// Forgets a connection that closed, dropped or expired.
    ///
    /// `undelivered` are the chat messages the transport still held for it (not
    /// written to the socket, or not acknowledged over long-poll). Each goes back to the
    /// offline queue unless another live connection of the same user received it. When this
    /// was the user's last connection, everyone in the user's joined conversations gets an
    /// `exit` notice.
    public func disconnect(_ id: ConnectionID, undelivered: [StoredMessage] = []) -> RouterOutput
    {
        var output = RouterOutput()
        guard let connection = self.connections.removeValue(forKey: id) else { return output }
        self.statistics.connections = self.connections.count
        guard let uid = connection.uid else { return output }
        self.statistics.boundConnections -= 1

        self.users[uid, default: UserState()].connections.removeAll { $0 == id }
        self.requeue(undelivered + (connection.replay?.held ?? []), of: uid, into: &output)

        if let user = self.users[uid], user.connections.isEmpty {
            self.users[uid] = nil
            self.statistics.onlineUsers -= 1
            for partner in user.joined {
                self.notify(partner, type: "exit", from: uid, into: &output)
            }
        }
        return output
    }

    /// Puts back in the offline queue the messages no other live connection of `uid` got
    /// live, and replays them at once to those live connections that bound after them (and so
    /// never had them), unless such a connection is replaying already; it then gets them at
    /// its next bind.
    private func requeue(
        _ messages: [StoredMessage], of uid: String, into output: inout RouterOutput
    ) {
        guard !messages.isEmpty else { return }
        let others = self.connections(of: uid)
        let lost = messages.filter { message in
            message.recipient == uid
                && !others.contains { (self.connections[$0]?.boundAtMid ?? .max) < message.mid }
        }
        guard !lost.isEmpty else { return }
        self.store.requeue(lost.sorted { $0.mid < $1.mid })
        self.statistics.requeued += lost.count
        for other in others where self.connections[other]?.replay == nil {
            self.connections[other]?.replay = ReplayState(
                upperBound: self.store.lastAssignedMid, since: nil)
            let replay = self.nextReplay(for: other)
            output.deliveries += replay.deliveries
            output.replayPending += replay.replayPending
        }
    }

    // MARK: Envelopes

    /// Answers an envelope that could not be decoded (400/413, `type` "error" when unknown).
    public func reject(
        _ rejected: RejectedEnvelope, from id: ConnectionID, now: Int64
    ) -> RouterOutput {
        self.statistics.envelopes["error", default: 0] += 1
        if var connection = self.connections[id] {
            _ = self.takeRateToken(&connection, now: now)
            self.connections[id] = connection
        }
        return self.failure(ServerFrame(rejected: rejected))
    }

    /// Handles one decoded envelope from connection `id` at `now` (Unix milliseconds).
    public func receive(
        _ envelope: ClientEnvelope, from id: ConnectionID, now: Int64
    ) -> RouterOutput {
        self.statistics.envelopes[envelope.type.rawValue, default: 0] += 1
        guard var connection = self.connections[id] else {
            return self.error(500, "internal error", for: envelope)
        }
        guard self.takeRateToken(&connection, now: now) else {
            self.connections[id] = connection
            self.statistics.rateLimited += 1
            return self.error(429, "rate limit exceeded", for: envelope)
        }
        self.connections[id] = connection
        if envelope.type == .bind {
            return self.bind(envelope, from: id, now: now)
        }
        guard let uid = connection.uid else {
            return self.error(401, "not bound", for: envelope)
        }
        if let claimed = envelope.uid, claimed != uid {
            return self.error(403, "uid does not match the bound uid", for: envelope)
        }
        switch envelope.type {
        case .send:
            return self.send(envelope, from: id, as: uid, transport: connection.transport, now: now)
        case .join: return self.join(envelope, as: uid)
        case .exit: return self.exit(envelope, as: uid)
        case .bind: return self.bind(envelope, from: id, now: now)
        }
    }

    private func takeRateToken(_ connection: inout ConnectionState, now: Int64) -> Bool {
        let rate = Double(self.configuration.messagesPerSecond)
        guard rate > 0 else { return true }
        let elapsed = Double(max(0, now - connection.rateUpdatedAt)) / 1000
        connection.rateTokens = min(rate, connection.rateTokens + elapsed * rate)
        connection.rateUpdatedAt = now
        guard connection.rateTokens >= 1 else { return false }
        connection.rateTokens -= 1
        return true
    }

    private func bind(_ envelope: ClientEnvelope, from id: ConnectionID, now: Int64) -> RouterOutput
    {
        guard let uid = envelope.uid, var connection = self.connections[id] else {
            return self.error(400, "missing field uid", for: envelope)
        }
        if let authenticator = self.configuration.authenticator,
            !authenticator.allows(token: envelope.token, uid: uid, now: now)
        {
            return self.error(401, "invalid or expired token", for: envelope)
        }
        if let bound = connection.uid {
            guard bound == uid else {
                return self.error(409, "connection already bound to another uid", for: envelope)
            }
            guard let since = envelope.since else {
                return RouterOutput(
                    reply: ServerFrame(
                        type: "bind", msg: "ok", uid: uid, id: envelope.id, gap: false))
            }
            // Binding again changes nothing, but a `since` is still a question a client may
            // ask on a socket it kept (a resume after a token refresh): it gets the replay and
            // an honest `gap`, never a "nothing missed" it did not check. Messages held for
            // a replay under way are in the inbox below the new bound, so they come again
            // from there instead of twice.
            connection.replay = ReplayState(upperBound: self.store.lastAssignedMid, since: since)
            self.connections[id] = connection
            var output = self.nextReplay(for: id)
            output.reply = ServerFrame(
                type: "bind", msg: "ok", uid: uid, id: envelope.id,
                gap: self.store.hasGap(recipient: uid, since: since))
            return output
        }

        connection.uid = uid
        connection.boundAtMid = self.store.lastAssignedMid
        connection.replay = ReplayState(upperBound: connection.boundAtMid, since: envelope.since)
        self.connections[id] = connection
        if self.users[uid] == nil { self.statistics.onlineUsers += 1 }
        self.users[uid, default: UserState()].connections.append(id)
        self.statistics.boundConnections += 1

        let gap = envelope.since.map { self.store.hasGap(recipient: uid, since: $0) } ?? false
        var output = self.nextReplay(for: id)
        output.reply = ServerFrame(type: "bind", msg: "ok", uid: uid, id: envelope.id, gap: gap)
        return output
    }

    private func send(
        _ envelope: ClientEnvelope, from id: ConnectionID, as uid: String, transport: Transport,
        now: Int64
    ) -> RouterOutput {
        guard let recipient = envelope.touid, let text = envelope.msg else {
            return self.error(400, "missing field touid or msg", for: envelope)
        }
        if let requestID = envelope.id,
            let receipt = self.store.receipt(sender: uid, requestID: requestID, now: now)
        {
            self.statistics.deduplicated += 1
            return self.acknowledge(receipt, sender: uid, requestID: requestID)
        }
        let targets = self.connections(of: recipient)
        if targets.isEmpty && !self.configuration.offlineQueueEnabled {
            return self.error(404, "recipient offline", for: envelope)
        }

        let message = StoredMessage(
            mid: self.store.assignMid(), sender: uid, recipient: recipient, text: text,
            timestamp: now)
        do {
            try self.store.append(message, pending: targets.isEmpty, now: now)
        } catch .offlineQueueFull {
            return self.error(429, "offline queue full", for: envelope)
        } catch {
            return self.error(500, "internal error", for: envelope)
        }

        var output = RouterOutput()
        self.deliver(message, to: targets, into: &output)
        let receipt = SendReceipt(
            mid: message.mid, recipient: recipient, outcome: targets.isEmpty ? .queued : .delivered)
        if targets.isEmpty { self.statistics.queued += 1 } else { self.statistics.delivered += 1 }
        if let requestID = envelope.id {
            self.store.remember(receipt, sender: uid, requestID: requestID, now: now)
        }
        // Over WebSocket a send is acknowledged only when it carried an id; long-poll always
        // answers, since every HTTP request needs a response.
        if envelope.id != nil || transport == .longPoll {
            let acknowledgement = self.acknowledge(receipt, sender: uid, requestID: envelope.id)
            output.reply = acknowledgement.reply
        }
        return output
    }

    private func acknowledge(
        _ receipt: SendReceipt, sender: String, requestID: String?
    ) -> RouterOutput {
        RouterOutput(
            reply: ServerFrame(
                type: "send", msg: receipt.outcome.rawValue, uid: sender, touid: receipt.recipient,
                id: requestID, mid: receipt.mid))
    }

    /// Fans a message out; connections replaying older messages get it after their replay.
    private func deliver(
        _ message: StoredMessage, to targets: [ConnectionID], into output: inout RouterOutput
    ) {
        guard !targets.isEmpty else { return }
        let frame = Self.frame(for: message)
        var immediate: [ConnectionID] = []
        immediate.reserveCapacity(targets.count)
        for target in targets {
            guard self.connections[target]?.replay != nil else {
                immediate.append(target)
                continue
            }
            self.connections[target]!.replay!.held.append(message)
            self.connections[target]!.replay!.heldBytes += message.text.utf8.count + 128
            if self.connections[target]!.replay!.heldBytes > self.configuration.heldLiveLimitBytes {
                output.overflowed.append(target)
            }
        }
        if !immediate.isEmpty {
            output.deliveries.append(Delivery(targets: immediate, frame: frame, message: message))
        }
    }

    private static func frame(for message: StoredMessage) -> ServerFrame {
        ServerFrame(
            type: "send", msg: message.text, uid: message.sender, touid: message.recipient,
            mid: message.mid, ts: message.timestamp)
    }

    private static func replayDelivery(of message: StoredMessage, to id: ConnectionID) -> Delivery
    {
        Delivery(targets: [id], frame: Self.frame(for: message), isReplay: true, message: message)
    }

    private func join(_ envelope: ClientEnvelope, as uid: String) -> RouterOutput {
        guard let partner = envelope.touid else {
            return self.error(400, "missing field touid", for: envelope)
        }
        var output = RouterOutput()
        let online = !self.connections(of: partner).isEmpty
        if !self.users[uid, default: UserState()].joined.contains(partner) {
            self.users[uid, default: UserState()].joined.append(partner)
        }
        self.notify(partner, type: "join", from: uid, into: &output)
        output.reply = ServerFrame(
            type: "join", msg: online ? "online" : "offline", uid: uid, touid: partner,
            id: envelope.id)
        return output
    }

    private func exit(_ envelope: ClientEnvelope, as uid: String) -> RouterOutput {
        guard let partner = envelope.touid else {
            return self.error(400, "missing field touid", for: envelope)
        }
        var output = RouterOutput()
        self.users[uid]?.joined.removeAll { $0 == partner }
        self.notify(partner, type: "exit", from: uid, into: &output)
        output.reply = ServerFrame(
            type: "exit", msg: "ok", uid: uid, touid: partner, id: envelope.id)
        return output
    }

    private func notify(
        _ partner: String, type: String, from uid: String, into output: inout RouterOutput
    ) {
        let targets = self.connections(of: partner)
        guard !targets.isEmpty else { return }
        output.deliveries.append(
            Delivery(
                targets: targets, frame: ServerFrame(type: type, msg: "", uid: uid, touid: partner))
        )
    }

    // MARK: Replay

    /// The next step of a connection's replay: up to `replayChunkMessages` older messages (its
    /// offline queue, plus its inbox above `since`), then, once those run out, the live messages
    /// held back meanwhile. Empty when there is nothing (more) to replay.
    public func nextReplay(for id: ConnectionID) -> RouterOutput {
        var output = RouterOutput()
        guard var connection = self.connections[id], var replay = connection.replay,
            let uid = connection.uid
        else { return output }

        let limit = self.configuration.replayChunkMessages
        let messages = self.store.messages(
            for: uid, after: replay.cursor, through: replay.upperBound, since: replay.since,
            limit: limit)
        if !messages.isEmpty {
            self.store.markDelivered(recipient: uid, mids: messages.map(\.mid))
            self.statistics.replayed += messages.count
            for message in messages {
                output.deliveries.append(Self.replayDelivery(of: message, to: id))
            }
            replay.cursor = messages[messages.count - 1].mid
        }
        if messages.count < limit {
            for message in replay.held {
                output.deliveries.append(Self.replayDelivery(of: message, to: id))
            }
            connection.replay = nil
        } else {
            connection.replay = replay
            output.replayPending = [id]
        }
        self.connections[id] = connection
        return output
    }

    // MARK: Errors

    private func error(_ code: Int, _ reason: String, for envelope: ClientEnvelope) -> RouterOutput
    {
        self.failure(
            ServerFrame(
                type: envelope.type.rawValue, error: true, code: code, msg: reason,
                uid: envelope.uid, touid: envelope.touid, id: envelope.id))
    }

    private func failure(_ frame: ServerFrame) -> RouterOutput {
        self.statistics.errors[frame.code, default: 0] += 1
        return RouterOutput(reply: frame)
    }
}
