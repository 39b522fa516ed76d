import Glibc
import WebSocketCore

/// A blocking WebSocket client for tests: our own client-role state machine over a real
/// socket, so tests can also send exactly the bytes they want (bad frames, split frames).
final class WebSocketTestClient {
    let socket: TestSocket
    let connection: WebSocketConnection
    private var events: [WebSocketEvent] = []
    private(set) var isClosed = false

    /// Why the handshake did not produce a WebSocket: the server's status and body.
    struct Refused: Error {
        let status: Int
        let headers: [(name: String, value: String)]
    }

    /// Connects and performs the opening handshake; throws `Refused` for a non-101 answer.
    init(
        port: UInt16, path: String = "/v1/ws", origin: String? = nil,
        deflate: PerMessageDeflateOptions? = nil,
        extraHeaders: [(name: String, value: String)] = [],
        pipelined: [UInt8] = [], timeoutSeconds: Int = 5
    ) throws {
        self.socket = try TestSocket(port: port, timeoutSeconds: timeoutSeconds)
        let key = ClientHandshake.makeKey()
        let request = ClientHandshake.requestText(
            path: path, host: "127.0.0.1:\(port)", key: key, origin: origin, deflate: deflate,
            additionalHeaders: extraHeaders)
        try self.socket.send(Array(request.utf8) + pipelined)
        var buffered: [UInt8] = []
        var head: HTTPResponseHead?
        var headLength = 0
        while head == nil {
            let chunk = try self.socket.receiveSome()
            guard !chunk.isEmpty else { throw TestSocketError.malformed("closed during handshake") }
            buffered += chunk
            switch HTTPResponseHead.parse(buffered) {
            case .incomplete: continue
            case .malformed: throw TestSocketError.malformed("handshake response")
            case .complete(let parsed, let count): (head, headLength) = (parsed, count)
            }
        }
        guard let head, head.status == 101 else {
            throw Refused(status: head?.status ?? 0, headers: head?.headers ?? [])
        }
        let agreed = try ClientHandshake.validateResponse(head, key: key, offeredDeflate: deflate)
        self.connection = WebSocketConnection(
            role: .client, configuration: WebSocketConfiguration(maxMessageBytes: 64 << 20),
            deflate: agreed)
        let rest = Array(buffered[headLength...])
        if !rest.isEmpty { self.connection.receive(rest, into: &self.events) }
    }

    /// Whether permessage-deflate was agreed.
    var isCompressed: Bool { self.connection.deflate != nil }

    func sendText(_ text: String) throws {
        try self.connection.sendText(text)
        try self.flush()
    }

    func sendBinary(_ bytes: [UInt8]) throws {
        try self.connection.sendBinary(bytes)
        try self.flush()
    }

    func sendPing(_ payload: [UInt8]) throws {
        try self.connection.sendPing(payload)
        try self.flush()
    }

    /// Writes raw bytes, bypassing the state machine (for malformed frames).
    func sendRaw(_ bytes: [UInt8]) throws { try self.socket.send(bytes) }

    func close(code: CloseCode = .normalClosure, reason: String = "") throws {
        try self.connection.close(code: code, reason: reason)
        try self.flush()
    }

    private func flush() throws {
        if self.connection.hasPendingOutput { try self.socket.send(self.connection.takeOutput()) }
    }

    /// The next event, reading as needed; throws `TestSocketError.timedOut` after the timeout.
    func nextEvent() throws -> WebSocketEvent {
        while self.events.isEmpty {
            let chunk = try self.socket.receiveSome()
            if chunk.isEmpty {
                self.connection.receiveEndOfStream(into: &self.events)
                if self.events.isEmpty { throw TestSocketError.malformed("stream ended") }
            } else {
                self.connection.receive(chunk, into: &self.events)
            }
            try self.flush()
        }
        let event = self.events.removeFirst()
        if case .closeReceived = event { self.isClosed = true }
        if case .connectionLost = event { self.isClosed = true }
        return event
    }

    /// The next text message, skipping pings and pongs; throws on close.
    func nextText() throws -> String {
        while true {
            switch try self.nextEvent() {
            case .text(let bytes): return String(decoding: bytes, as: UTF8.self)
            case .ping, .pong: continue
            case let other: throw UnexpectedEvent(event: other)
            }
        }
    }

    /// Waits for the server's Close frame (skipping messages); returns its code.
    func awaitClose() throws -> (code: CloseCode?, reason: String) {
        while true {
            switch try self.nextEvent() {
            case .closeReceived(let code, let reason): return (code, reason)
            case .connectionLost: return (.abnormalClosure, "")
            default: continue
            }
        }
    }

    /// Whether the server closed the TCP connection (EOF) within the socket timeout.
    func awaitEndOfStream() -> Bool {
        while true {
            guard let chunk = try? self.socket.receiveSome() else { return false }
            if chunk.isEmpty { return true }
        }
    }

    struct UnexpectedEvent: Error, CustomStringConvertible {
        let event: WebSocketEvent
        var description: String { "unexpected event \(self.event)" }
    }
}

/// Encodes one client frame exactly as given, for tests of malformed input.
enum RawFrame {
    /// A frame with explicit FIN/RSV/opcode bits, masked with a fixed key unless `masked` is
    /// false; `declaredLength` may lie about the payload length.
    static func bytes(
        fin: Bool = true, rsv: UInt8 = 0, opcode: UInt8, payload: [UInt8], masked: Bool = true,
        declaredLength: UInt64? = nil
    ) -> [UInt8] {
        var frame: [UInt8] = [(fin ? 0x80 : 0) | (rsv << 4) | opcode]
        let length = declaredLength ?? UInt64(payload.count)
        let maskBit: UInt8 = masked ? 0x80 : 0
        if length < 126 {
            frame.append(maskBit | UInt8(length))
        } else if length <= 0xFFFF {
            frame.append(maskBit | 126)
            frame += [UInt8(length >> 8), UInt8(length & 0xFF)]
        } else {
            frame.append(maskBit | 127)
            for shift in stride(from: 56, through: 0, by: -8) {
                frame.append(UInt8((length >> UInt64(shift)) & 0xFF))
            }
        }
        guard masked else { return frame + payload }
        let key: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]
        frame += key
        for (index, byte) in payload.enumerated() { frame.append(byte ^ key[index % 4]) }
        return frame
    }
}
