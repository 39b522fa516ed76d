/// A V1 user over WebSocket (`/v1/ws`): binds as its uid, sends
/// `{"type":"send","touid":…,"msg":…}` envelopes, and reports every delivered `send` frame.
final class V1WebSocketUser: ChatUser, WebSocketClientDelegate {
    let index: Int
    private let uid: String
    private let client: WebSocketClient
    private let envelopePrefix: [UInt8]
    private var scratch: [UInt8] = []
    private unowned let observer: ChatUserObserver
    private(set) var isReady = false

    /// A user `uid` that sends to `peerUID` (nil: never sends).
    init(
        index: Int, uid: String, peerUID: String?, host: String, seed: UInt64,
        observer: ChatUserObserver
    ) {
        self.index = index
        self.uid = uid
        self.client = WebSocketClient(path: "/v1/ws", host: host, seed: seed)
        self.envelopePrefix = Array(#"{"type":"send","touid":"\#(peerUID ?? "")","msg":""#.utf8)
        self.observer = observer
        self.client.delegate = self
    }

    func start(using factory: ConnectionFactory) {
        self.client.open(using: factory)
    }

    func send(_ payload: UnsafeRawBufferPointer) {
        self.scratch.removeAll(keepingCapacity: true)
        self.scratch.append(contentsOf: self.envelopePrefix)
        self.scratch.append(contentsOf: payload)
        self.scratch.append(UInt8(ascii: "\""))
        self.scratch.append(UInt8(ascii: "}"))
        self.scratch.withUnsafeBytes { self.client.sendText($0) }
    }

    /// Sends one message with text `payload` to `uid`, whoever the user's peer is (the
    /// waker of the parked-poll scenario writes to every sleeper).
    func send(_ payload: UnsafeRawBufferPointer, to uid: String) {
        self.scratch.removeAll(keepingCapacity: true)
        self.scratch.append(contentsOf: #"{"type":"send","touid":""#.utf8)
        self.scratch.append(contentsOf: uid.utf8)
        self.scratch.append(contentsOf: #"","msg":""#.utf8)
        self.scratch.append(contentsOf: payload)
        self.scratch.append(contentsOf: #""}"#.utf8)
        self.scratch.withUnsafeBytes { self.client.sendText($0) }
    }

    func ping() {
        self.client.sendPing()
    }

    func close() {
        self.client.close()
    }

    // MARK: WebSocketClientDelegate

    func webSocketOpened(_ client: WebSocketClient) {
        let bind = Array(#"{"type":"bind","uid":"\#(self.uid)"}"#.utf8)
        bind.withUnsafeBytes { client.sendText($0) }
    }

    func webSocket(_ client: WebSocketClient, receivedText text: [UInt8]) {
        text.withUnsafeBytes { frame in
            if FrameScanner.boolValue("error", in: frame) == true {
                let code = FrameScanner.integerValue("code", in: frame) ?? 0
                self.observer.countError("v1 error \(code)")
                if !self.isReady { self.observer.user(self, failed: "bind refused with \(code)") }
                return
            }
            guard self.isReady else {
                if FrameScanner.string("type", in: frame, is: "bind") {
                    self.isReady = true
                    self.observer.userReady(self)
                }
                return
            }
            // Join and exit notifications, and acknowledgements, are not messages.
            guard FrameScanner.string("type", in: frame, is: "send"),
                let message = FrameScanner.stringValue("msg", in: frame)
            else { return }
            self.observer.user(self, received: message)
        }
    }

    func webSocketReceivedPong(_ client: WebSocketClient) {
        self.observer.userReceivedPong(self)
    }

    func webSocketClosed(_ client: WebSocketClient, error: String?) {
        self.isReady = false
        self.observer.user(self, failed: error ?? "closed")
    }
}

/// A user of a WebSocket that carries message texts as they are, with no envelope: an echo
/// endpoint (`/v1/echo`, nchan `/echo/<me>`) or nchan's pub/sub relay (`/chat/<me>/<peer>`).
final class RawWebSocketUser: ChatUser, WebSocketClientDelegate {
    let index: Int
    private let client: WebSocketClient
    private unowned let observer: ChatUserObserver
    private(set) var isReady = false

    /// A user of the WebSocket at `path`.
    init(index: Int, path: String, host: String, seed: UInt64, observer: ChatUserObserver) {
        self.index = index
        self.client = WebSocketClient(path: path, host: host, seed: seed)
        self.observer = observer
        self.client.delegate = self
    }

    func start(using factory: ConnectionFactory) {
        self.client.open(using: factory)
    }

    func send(_ payload: UnsafeRawBufferPointer) {
        self.client.sendText(payload)
    }

    func ping() {
        self.client.sendPing()
    }

    func close() {
        self.client.close()
    }

    func webSocketOpened(_ client: WebSocketClient) {
        self.isReady = true
        self.observer.userReady(self)
    }

    func webSocket(_ client: WebSocketClient, receivedText text: [UInt8]) {
        text.withUnsafeBytes { self.observer.user(self, received: $0) }
    }

    func webSocketReceivedPong(_ client: WebSocketClient) {
        self.observer.userReceivedPong(self)
    }

    func webSocketClosed(_ client: WebSocketClient, error: String?) {
        self.isReady = false
        self.observer.user(self, failed: error ?? "closed")
    }
}
