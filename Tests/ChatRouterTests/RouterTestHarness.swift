@testable import ChatRouter

/// Drives a router the way a transport does, recording what each connection would receive.
///
/// Every frame addressed to a connection is appended to its inbox here, replies first, so tests
/// read like a conversation: `harness.frames(of: alice)`.
final class RouterHarness {
    let store: MemoryStore
    let router: Router
    private(set) var received: [ConnectionID: [ServerFrame]] = [:]
    /// Every chat message handed to some connection, by mid, as a transport would keep it.
    private(set) var handedOver: [UInt64: StoredMessage] = [:]
    private var nextID: UInt64 = 1
    var now: Int64 = 1_700_000_000_000

    init(
        configuration: RouterConfiguration = RouterConfiguration(),
        store: MemoryStore = MemoryStore()
    ) {
        self.store = store
        self.router = Router(configuration: configuration, store: store)
    }

    /// Opens a connection on `transport`.
    func connect(_ transport: Transport = .webSocket) -> ConnectionID {
        let id = ConnectionID(self.nextID)
        self.nextID += 1
        self.router.connect(id, transport: transport, now: self.now)
        self.received[id] = []
        return id
    }

    /// Opens a connection and binds it; returns it with its inbox cleared of the bind reply.
    func bound(
        _ uid: String, _ transport: Transport = .webSocket, since: UInt64? = nil
    ) -> ConnectionID {
        let id = self.connect(transport)
        self.send(ClientEnvelope(type: .bind, uid: uid, since: since), from: id)
        return id
    }

    /// Sends an envelope and applies the whole output, pulling replay to the end.
    @discardableResult
    func send(_ envelope: ClientEnvelope, from id: ConnectionID) -> RouterOutput {
        let output = self.router.receive(envelope, from: id, now: self.now)
        self.apply(output, requester: id)
        return output
    }

    /// Closes a connection as a transport would, with the messages (named by mid) it never
    /// handed over.
    @discardableResult
    func close(_ id: ConnectionID, undelivered: [UInt64] = []) -> RouterOutput {
        let messages = undelivered.map { self.handedOver[$0]! }
        let output = self.router.disconnect(id, undelivered: messages)
        self.apply(output, requester: nil)
        return output
    }

    func apply(_ output: RouterOutput, requester: ConnectionID?) {
        if let requester, let reply = output.reply {
            self.received[requester, default: []].append(reply)
        }
        for delivery in output.deliveries {
            if let message = delivery.message {
                self.handedOver[message.mid] = message
            }
            for target in delivery.targets {
                self.received[target, default: []].append(delivery.frame)
            }
        }
        for id in output.replayPending {
            self.apply(self.router.nextReplay(for: id), requester: id)
        }
    }

    /// Everything `id` received so far.
    func frames(of id: ConnectionID) -> [ServerFrame] { self.received[id] ?? [] }

    /// Everything `id` received, and forgets it.
    @discardableResult
    func take(_ id: ConnectionID) -> [ServerFrame] {
        defer { self.received[id] = [] }
        return self.received[id] ?? []
    }
}

extension ServerFrame {
    /// A delivered chat message as SPEC.md describes it.
    static func message(
        _ text: String, from sender: String, to recipient: String, mid: UInt64, ts: Int64
    )
        -> ServerFrame
    {
        ServerFrame(type: "send", msg: text, uid: sender, touid: recipient, mid: mid, ts: ts)
    }
}
