/// What a simulated user reports to the scenario driving it. All calls come from the loop.
protocol ChatUserObserver: AnyObject {
    /// The user is connected (and bound, where the protocol binds) and may send.
    func userReady(_ user: ChatUser)
    /// A message for this user arrived; `payload` is its text, valid during the call only.
    func user(_ user: ChatUser, received payload: UnsafeRawBufferPointer)
    /// The user can no longer take part (refused, disconnected).
    func user(_ user: ChatUser, failed reason: String)
    /// An answer to a ping arrived (WebSocket users only).
    func userReceivedPong(_ user: ChatUser)
    /// Something went wrong that the run should report, by kind (e.g. `v1 error 404`).
    func countError(_ kind: String)
}

/// One simulated chat user, on one transport and protocol, with a fixed peer to send to.
protocol ChatUser: AnyObject {
    /// The user's index in the scenario; also the sender field of its payloads.
    var index: Int { get }
    /// Whether `start` finished and `send` may be called.
    var isReady: Bool { get }
    /// Connects (and binds); the outcome is reported to the observer.
    func start(using factory: ConnectionFactory)
    /// Sends one message with text `payload` to the user's peer.
    func send(_ payload: UnsafeRawBufferPointer)
    /// Sends a WebSocket ping; long-poll users ignore it.
    func ping()
    /// Leaves: closes its connections.
    func close()
}

/// Which server protocol the users speak.
enum PeerProtocol: String {
    /// The V1 envelopes of SPEC.md, over `/v1/ws` and `/v1/poll` (Switchboard, and the Node and
    /// Python relays, which speak the WebSocket half).
    case v1
    /// nginx + nchan pub/sub: a user is a channel; WebSocket `/chat/<me>/<peer>` publishes to
    /// the peer's channel and receives its own, long-poll subscribes with `GET /sub/<me>` and
    /// publishes with `POST /pub/<peer>`.
    case nchan
}

/// One user's transport.
enum UserTransport: String {
    case webSocket = "ws"
    case longPoll = "lp"
    /// A WebSocket echo endpoint: the peer is the server itself.
    case echo
}

/// Builds the right user class for a protocol and transport.
enum ChatUserFactory {
    /// User `index` sending to user `peer` (nil: the user never sends), named by `factory`.
    static func make(
        index: Int, peer: Int?, transport: UserTransport, protocol peerProtocol: PeerProtocol,
        factory: ConnectionFactory, observer: ChatUserObserver, longPollSends: Bool = true
    ) -> ChatUser {
        let uid = factory.userName(index)
        let peerUID = peer.map { factory.userName($0) }
        let host = factory.hostHeader
        switch (peerProtocol, transport) {
        case (.v1, .webSocket):
            return V1WebSocketUser(
                index: index, uid: uid, peerUID: peerUID, host: host, seed: factory.makeSeed(),
                observer: observer)
        case (.v1, .longPoll):
            return V1LongPollUser(
                index: index, uid: uid, peerUID: peerUID, host: host,
                sends: longPollSends && peer != nil,
                observer: observer)
        case (.v1, .echo):
            return RawWebSocketUser(
                index: index, path: "/v1/echo", host: host, seed: factory.makeSeed(),
                observer: observer)
        case (.nchan, .webSocket):
            return RawWebSocketUser(
                index: index, path: "/chat/\(uid)/\(peerUID ?? "nobody")", host: host,
                seed: factory.makeSeed(), observer: observer)
        case (.nchan, .longPoll):
            return NchanLongPollUser(
                index: index, uid: uid, peerUID: peerUID, host: host, observer: observer)
        case (.nchan, .echo):
            return RawWebSocketUser(
                index: index, path: "/echo/\(uid)", host: host, seed: factory.makeSeed(),
                observer: observer)
        }
    }
}
