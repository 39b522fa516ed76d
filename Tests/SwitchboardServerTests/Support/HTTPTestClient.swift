import Foundation

/// A parsed HTTP/1.1 response, as a test sees it on the wire.
struct RawHTTPResponse {
    let status: Int
    let headers: [(name: String, value: String)]
    let body: [UInt8]

    /// The first header with this name, case-insensitive.
    func header(_ name: String) -> String? {
        self.headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    var text: String { String(decoding: self.body, as: UTF8.self) }
}

/// Sends raw HTTP requests over a fresh connection and parses exactly one response.
///
/// Deliberately minimal: Content-Length bodies only (libmicrohttpd answers our routes that
/// way), so a chunked answer shows up as a test failure rather than being hidden.
enum HTTPTestClient {
    /// Sends `request` verbatim and reads one response; `isHead` skips the body.
    static func exchange(
        port: UInt16, raw request: String, isHead: Bool = false
    ) throws
        -> RawHTTPResponse
    {
        let socket = try TestSocket(port: port)
        try socket.send(request)
        var reader = ResponseReader(socket: socket)
        return try reader.readResponse(isHead: isHead)
    }

    /// A GET-like request with `Host` and `Connection: close` added.
    static func request(
        port: UInt16, method: String = "GET", path: String,
        headers: [(String, String)] = [], body: [UInt8] = []
    ) throws -> RawHTTPResponse {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" { text += "Content-Length: \(body.count)\r\n" }
        text += "\r\n"
        let socket = try TestSocket(port: port)
        try socket.send(Array(text.utf8) + body)
        var reader = ResponseReader(socket: socket)
        return try reader.readResponse(isHead: method == "HEAD")
    }

    /// Waits (10 s at most) until `/metrics` has the line `metricLine`. Gauges settle after
    /// the event a test observes (the loop lowers queued bytes only once `send` has returned,
    /// by which time the client may already hold the bytes), so a test reads them this way.
    static func waitForMetric(_ metricLine: String, port: UInt16) throws {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            let metrics = try Self.request(port: port, path: "/metrics").text
            if metrics.split(separator: "\n").contains(where: { $0 == metricLine }) { return }
            Thread.sleep(forTimeInterval: 0.02)
        }
        throw TestSocketError.timedOut
    }
}

/// Reads HTTP responses from a socket, keeping leftover bytes for pipelined responses.
struct ResponseReader {
    let socket: TestSocket
    var buffered: [UInt8] = []

    init(socket: TestSocket) { self.socket = socket }

    mutating func readResponse(isHead: Bool = false) throws -> RawHTTPResponse {
        let headEnd = try self.fillUntilHeadEnd()
        let head = String(decoding: self.buffered[..<headEnd], as: UTF8.self)
        self.buffered.removeFirst(headEnd + 4)
        var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else {
            throw TestSocketError.malformed("status line \(head.prefix(40))")
        }
        let headers: [(name: String, value: String)] = lines.compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), String(line[line.index(after: colon)...]).trimmed())
        }
        let response = RawHTTPResponse(status: status, headers: headers, body: [])
        let length =
            isHead || status == 304 || status == 204 || status == 101
            ? 0 : Int(response.header("Content-Length") ?? "0") ?? 0
        while self.buffered.count < length {
            let chunk = try self.socket.receiveSome()
            guard !chunk.isEmpty else { throw TestSocketError.malformed("short body") }
            self.buffered += chunk
        }
        let body = Array(self.buffered.prefix(length))
        self.buffered.removeFirst(length)
        return RawHTTPResponse(status: status, headers: headers, body: body)
    }

    private mutating func fillUntilHeadEnd() throws -> Int {
        while true {
            if let end = self.buffered.firstRange(of: [13, 10, 13, 10]) { return end.lowerBound }
            let chunk = try self.socket.receiveSome()
            guard !chunk.isEmpty else { throw TestSocketError.malformed("closed before headers") }
            self.buffered += chunk
        }
    }
}

extension String {
    func trimmed() -> String {
        var text = Substring(self)
        while text.first == " " || text.first == "\t" { text.removeFirst() }
        while text.last == " " || text.last == "\t" { text.removeLast() }
        return String(text)
    }
}
