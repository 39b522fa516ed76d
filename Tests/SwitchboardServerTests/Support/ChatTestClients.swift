import Foundation

/// A V1 frame as a test reads it: parsed JSON.
struct Frame: CustomStringConvertible {
    let fields: [String: Any]

    init(json: String) throws {
        guard let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        else {
            throw TestSocketError.malformed("frame is not an object: \(json.prefix(80))")
        }
        self.fields = object
    }

    init(fields: [String: Any]) { self.fields = fields }

    subscript(_ key: String) -> Any? { self.fields[key] }
    var type: String? { self.fields["type"] as? String }
    var code: Int? { self.fields["code"] as? Int }
    var msg: String? { self.fields["msg"] as? String }
    var id: String? { self.fields["id"] as? String }
    var mid: UInt64? { (self.fields["mid"] as? NSNumber)?.uint64Value }
    var uid: String? { self.fields["uid"] as? String }
    var touid: String? { self.fields["touid"] as? String }
    var error: Bool? { self.fields["error"] as? Bool }

    /// The frame with server-chosen values (`mid`, `ts`) blanked and the long-poll envelope
    /// fields (`seq`, `sid`) removed, keys sorted: two transports are equivalent when these
    /// strings match.
    var normalized: String {
        var copy = self.fields
        for key in ["mid", "ts"] where copy[key] != nil { copy[key] = "*" }
        copy["seq"] = nil
        copy["sid"] = nil
        let data = try? JSONSerialization.data(withJSONObject: copy, options: [.sortedKeys])
        return data.map { String(decoding: $0, as: UTF8.self) } ?? "?"
    }

    var description: String { self.normalized }
}

/// One V1 client over either transport, as tests drive it.
protocol ChatTestClient: AnyObject {
    /// Sends an envelope that carries an `id` and returns the server's reply to it.
    func request(_ envelope: [String: Any]) throws -> Frame
    /// The next frame that is not a reply to a request of ours (a delivery or notice).
    func nextEvent() throws -> Frame
    /// Asserts nothing arrives for a short while; returns what did arrive, if anything.
    func pendingEvents(waitSeconds: Double) throws -> [Frame]
    /// Leaves: closes the socket or deletes the session.
    func disconnect() throws
}

func jsonText(_ object: [String: Any]) -> String {
    let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    return String(decoding: data, as: UTF8.self)
}

/// The WebSocket flavour: one socket, replies and events interleaved on it.
final class WebSocketChatClient: ChatTestClient {
    let socket: WebSocketTestClient
    private var buffered: [Frame] = []

    init(port: UInt16) throws {
        self.socket = try WebSocketTestClient(port: port)
    }

    func request(_ envelope: [String: Any]) throws -> Frame {
        let id = envelope["id"] as? String
        try self.socket.sendText(jsonText(envelope))
        while true {
            let frame = try Frame(json: try self.socket.nextText())
            if frame.id == id && frame.type == (envelope["type"] as? String) { return frame }
            self.buffered.append(frame)
        }
    }

    func nextEvent() throws -> Frame {
        if !self.buffered.isEmpty { return self.buffered.removeFirst() }
        return try Frame(json: try self.socket.nextText())
    }

    func pendingEvents(waitSeconds: Double) throws -> [Frame] {
        var result = self.buffered
        self.buffered = []
        let deadline = Date().addingTimeInterval(waitSeconds)
        while Date() < deadline {
            guard let text = try? self.socket.nextTextWithin(seconds: deadline.timeIntervalSinceNow)
            else { break }
            result.append(try Frame(json: text))
        }
        return result
    }

    func disconnect() throws {
        try self.socket.close()
        _ = try? self.socket.awaitClose()
    }
}

/// The long-poll flavour: POST for requests, GET with `ack` for events.
final class LongPollChatClient: ChatTestClient {
    let port: UInt16
    private(set) var sid: String?
    private var acknowledged: UInt64 = 0
    private var buffered: [Frame] = []

    init(port: UInt16) { self.port = port }

    /// POSTs a body and returns the status and parsed JSON.
    func post(_ body: String, sid: String? = nil) throws -> (status: Int, json: Any) {
        var path = "/v1/poll"
        if let sid = sid ?? self.sid { path += "?sid=\(sid)" }
        let response = try HTTPTestClient.request(
            port: self.port, method: "POST", path: path, body: Array(body.utf8))
        return (response.status, try JSONSerialization.jsonObject(with: Data(response.body)))
    }

    func request(_ envelope: [String: Any]) throws -> Frame {
        let (_, json) = try self.post(jsonText(envelope))
        let frame = Frame(fields: json as? [String: Any] ?? [:])
        if let sid = frame["sid"] as? String { self.sid = sid }
        return frame
    }

    /// One GET; returns status and the events, advancing `ack` past them.
    func poll(timeout: Int = 5) throws -> (status: Int, events: [Frame], last: UInt64) {
        let path = "/v1/poll?sid=\(self.sid ?? "")&ack=\(self.acknowledged)&timeout=\(timeout)"
        let response = try HTTPTestClient.request(port: self.port, path: path)
        guard response.status == 200,
            let object = try JSONSerialization.jsonObject(with: Data(response.body))
                as? [String: Any],
            let events = object["events"] as? [[String: Any]]
        else { return (response.status, [], 0) }
        let frames = events.map(Frame.init(fields:))
        if let last = frames.last?["seq"] as? NSNumber { self.acknowledged = last.uint64Value }
        return (200, frames, (object["last"] as? NSNumber)?.uint64Value ?? 0)
    }

    func nextEvent() throws -> Frame {
        while self.buffered.isEmpty {
            let (status, events, _) = try self.poll()
            guard status == 200 else { throw TestSocketError.malformed("poll status \(status)") }
            if events.isEmpty { throw TestSocketError.timedOut }
            self.buffered += events
        }
        return self.buffered.removeFirst()
    }

    func pendingEvents(waitSeconds: Double) throws -> [Frame] {
        var result = self.buffered
        self.buffered = []
        result += try self.poll(timeout: max(1, Int(waitSeconds.rounded(.up)))).events
        return result
    }

    func disconnect() throws {
        _ = try HTTPTestClient.request(
            port: self.port, method: "DELETE", path: "/v1/poll?sid=\(self.sid ?? "")")
    }
}

extension WebSocketTestClient {
    /// The next text message if one arrives within `seconds`, else nil.
    func nextTextWithin(seconds: Double) throws -> String? {
        var timeout = timeval(
            tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1e6))
        setsockopt(
            self.socket.descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout,
            socklen_t(MemoryLayout<timeval>.size))
        defer {
            var restore = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(
                self.socket.descriptor, SOL_SOCKET, SO_RCVTIMEO, &restore,
                socklen_t(MemoryLayout<timeval>.size))
        }
        do {
            return try self.nextText()
        } catch TestSocketError.timedOut {
            return nil
        }
    }
}
