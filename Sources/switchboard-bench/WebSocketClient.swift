import Glibc
import WebSocketCore

/// What a `WebSocketClient` tells its owner.
protocol WebSocketClientDelegate: AnyObject {
    /// The server accepted the upgrade; messages may be sent.
    func webSocketOpened(_ client: WebSocketClient)
    /// A whole text message arrived.
    func webSocket(_ client: WebSocketClient, receivedText text: [UInt8])
    /// A pong arrived (the answer to ``WebSocketClient/sendPing()``).
    func webSocketReceivedPong(_ client: WebSocketClient)
    /// The connection ended: `error` is nil after a clean close handshake.
    func webSocketClosed(_ client: WebSocketClient, error: String?)
}

/// A WebSocket client on the ``EventLoop``: the opening handshake, then the project's own
/// Sans-I/O ``WebSocketConnection`` in the client role (masked frames, no compression
/// offered, so every server is compared on the same plain frames).
final class WebSocketClient: TCPConnectionDelegate {
    private let path: String
    private let host: String
    private var connection: TCPConnection?
    private var key = ""
    private var handshakeBytes: [UInt8] = []
    private var protocolState: WebSocketConnection?
    private var events: [WebSocketEvent] = []
    private var seed: UInt64
    private var hasReportedClose = false
    /// The owner; weak because the owner holds the client.
    weak var delegate: WebSocketClientDelegate?

    /// A client for `path` (e.g. `/v1/ws`) on the server named `host` (the Host header).
    /// `seed` starts its masking-key sequence.
    init(path: String, host: String, seed: UInt64) {
        self.path = path
        self.host = host
        self.seed = seed
    }

    /// Whether the handshake completed and the connection is still open.
    var isOpen: Bool {
        self.protocolState?.state == .open && self.connection?.state == .open
    }

    /// Connects through `factory`; the outcome arrives through the delegate.
    func open(using factory: ConnectionFactory) {
        switch factory.connect(delegate: self) {
        case .success(let connection): self.connection = connection
        case .failure(let error): self.report(error.description)
        }
    }

    /// Sends one text message (ignored unless open).
    func sendText(_ utf8: UnsafeRawBufferPointer) {
        guard let state = self.protocolState, let connection = self.connection else { return }
        if state.hasPendingOutput { state.drainOutput(into: &connection.output) }
        do {
            try state.encodeText(utf8, into: &connection.output)
        } catch {
            return
        }
        connection.outputChanged()
    }

    /// Sends a ping; the pong is reported to the delegate.
    func sendPing() {
        guard let state = self.protocolState, let connection = self.connection else { return }
        guard (try? state.sendPing(Array("bench".utf8))) != nil else { return }
        state.drainOutput(into: &connection.output)
        connection.outputChanged()
    }

    /// Starts the close handshake (1000); the delegate hears `webSocketClosed` when it ends.
    func close() {
        guard let state = self.protocolState, let connection = self.connection else {
            self.abort()
            return
        }
        guard (try? state.close()) != nil else { return }
        state.drainOutput(into: &connection.output)
        connection.outputChanged()
    }

    /// Drops the connection at once, without telling the delegate.
    func abort() {
        self.hasReportedClose = true
        self.connection?.close()
    }

    // MARK: TCPConnectionDelegate

    func connectionEstablished(_ connection: TCPConnection) {
        var generator = FastRandom(seed: self.seed)
        self.key = ClientHandshake.makeKey(using: &generator)
        let request = ClientHandshake.requestText(path: self.path, host: self.host, key: self.key)
        connection.output.append(contentsOf: request.utf8)
        connection.outputChanged()
    }

    func connection(_ connection: TCPConnection, received bytes: UnsafeRawBufferPointer) {
        guard let state = self.protocolState else {
            self.continueHandshake(connection, bytes)
            return
        }
        state.receive(bytes, into: &self.events)
        self.dispatchEvents(state, connection)
    }

    func connectionClosed(_ connection: TCPConnection, error: String?) {
        if let state = self.protocolState {
            state.receiveEndOfStream(into: &self.events)
            self.events.removeAll()
            let clean = state.closeCode.map { $0 != .abnormalClosure } ?? false
            self.report(error ?? (clean ? nil : "connection lost"))
        } else {
            self.report(error ?? "closed during handshake")
        }
    }

    // MARK: Internals

    private func continueHandshake(_ connection: TCPConnection, _ bytes: UnsafeRawBufferPointer) {
        self.handshakeBytes.append(contentsOf: bytes)
        switch HTTPResponseHead.parse(self.handshakeBytes) {
        case .incomplete:
            return
        case .malformed:
            self.failHandshake(connection, "malformed handshake response")
        case .complete(let head, let byteCount):
            do {
                let deflate = try ClientHandshake.validateResponse(
                    head, key: self.key, offeredDeflate: nil)
                let state = WebSocketConnection(
                    role: .client, deflate: deflate,
                    maskingKeyGenerator: FastRandom(seed: self.seed &* 31))
                self.protocolState = state
                let rest = Array(self.handshakeBytes[byteCount...])
                self.handshakeBytes = []
                self.delegate?.webSocketOpened(self)
                if !rest.isEmpty, connection.state == .open {
                    state.receive(rest, into: &self.events)
                    self.dispatchEvents(state, connection)
                }
            } catch {
                self.failHandshake(connection, "handshake refused: HTTP \(head.status)")
            }
        }
    }

    private func failHandshake(_ connection: TCPConnection, _ reason: String) {
        connection.close()
        self.report(reason)
    }

    private func dispatchEvents(_ state: WebSocketConnection, _ connection: TCPConnection) {
        var events = self.events
        self.events.removeAll(keepingCapacity: true)
        for event in events {
            switch event {
            case .text(let text): self.delegate?.webSocket(self, receivedText: text)
            case .pong: self.delegate?.webSocketReceivedPong(self)
            case .binary, .ping, .closeReceived, .connectionLost: break
            case .protocolViolation(let violation):
                self.delegate?.webSocketClosed(self, error: "protocol violation: \(violation)")
                self.hasReportedClose = true
            }
        }
        events.removeAll(keepingCapacity: true)
        if self.events.isEmpty { self.events = events }
        if state.hasPendingOutput, connection.state == .open {
            state.drainOutput(into: &connection.output)
            connection.outputChanged()
        }
        if state.shouldCloseTransport, connection.state == .open {
            // RFC 6455 §7.1.1: the server closes TCP first; once the handshake is done, a
            // client that has nothing more to send may close its end too.
            connection.flush()
            connection.close()
            self.report(
                state.closeCode == .normalClosure
                    ? nil : "closed with \(String(describing: state.closeCode))")
        }
    }

    private func report(_ error: String?) {
        guard !self.hasReportedClose else { return }
        self.hasReportedClose = true
        self.delegate?.webSocketClosed(self, error: error)
    }
}
