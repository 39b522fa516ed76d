import WebSocketCore

/// One complete HTTP/1.1 response as a client sees it.
struct HTTPResponse {
    /// The status code.
    var status: Int
    /// Every header field in order, names as sent.
    var headers: [(name: String, value: String)]
    /// The body, de-chunked.
    var body: [UInt8]

    /// The first value of the field `name` (compared without regard to case).
    func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return self.headers.first { $0.name.lowercased() == wanted }?.value
    }

    /// Whether the server said it closes the connection after this response.
    var closesConnection: Bool {
        self.header("Connection")?.lowercased().contains("close") ?? false
    }
}

/// An incremental HTTP/1.1 response parser for keep-alive connections: feed it bytes as they
/// arrive, take responses out one at a time. Bodies may be sized by `Content-Length` or sent
/// chunked; 1xx, 204 and 304 responses have none. A response delimited only by the end of
/// the connection is refused as malformed: every server benchmarked here sizes its bodies.
struct HTTPResponseParser {
    /// What `next()` found.
    enum Outcome {
        /// A whole response.
        case response(HTTPResponse)
        /// Not enough bytes yet; feed more.
        case needMore
        /// The bytes are not an HTTP/1.1 response this parser understands.
        case malformed
    }

    private enum Stage {
        case head
        case fixedBody(HTTPResponseHead, remaining: Int)
        case chunkSize(HTTPResponseHead)
        case chunkData(HTTPResponseHead, remaining: Int)
        case chunkDataEnd(HTTPResponseHead)
        case trailers(HTTPResponseHead)
    }

    /// Largest body accepted, so a broken peer cannot make the generator buffer without end.
    static let maxBodyBytes = 64 << 20

    private var buffer: [UInt8] = []
    private var offset = 0
    private var stage = Stage.head
    private var body: [UInt8] = []

    /// An empty parser, expecting a status line.
    init() {}

    /// Appends received bytes.
    mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        if self.offset == self.buffer.count {
            self.buffer.removeAll(keepingCapacity: true)
            self.offset = 0
        } else if self.offset > 65536 {
            self.buffer.removeFirst(self.offset)
            self.offset = 0
        }
        self.buffer.append(contentsOf: bytes)
    }

    /// Parses as far as the fed bytes allow.
    mutating func next() -> Outcome {
        while true {
            switch self.stage {
            case .head:
                let parsed = self.buffer.withUnsafeBytes { all in
                    HTTPResponseHead.parse(UnsafeRawBufferPointer(rebasing: all[self.offset...]))
                }
                switch parsed {
                case .incomplete: return .needMore
                case .malformed: return .malformed
                case .complete(let head, let byteCount):
                    self.offset += byteCount
                    guard let next = Self.bodyStage(for: head) else { return .malformed }
                    self.stage = next
                }
            case .fixedBody(let head, let remaining):
                let available = min(remaining, self.buffer.count - self.offset)
                self.body.append(contentsOf: self.buffer[self.offset..<(self.offset + available)])
                self.offset += available
                guard available == remaining else {
                    self.stage = .fixedBody(head, remaining: remaining - available)
                    return .needMore
                }
                return .response(self.finish(head))
            case .chunkSize(let head):
                guard let line = self.takeLine() else { return .needMore }
                guard let size = Self.chunkSize(line), self.body.count + size <= Self.maxBodyBytes
                else { return .malformed }
                self.stage = size == 0 ? .trailers(head) : .chunkData(head, remaining: size)
            case .chunkData(let head, let remaining):
                let available = min(remaining, self.buffer.count - self.offset)
                self.body.append(contentsOf: self.buffer[self.offset..<(self.offset + available)])
                self.offset += available
                guard available == remaining else {
                    self.stage = .chunkData(head, remaining: remaining - available)
                    return .needMore
                }
                self.stage = .chunkDataEnd(head)
            case .chunkDataEnd(let head):
                guard let line = self.takeLine() else { return .needMore }
                guard line.isEmpty else { return .malformed }
                self.stage = .chunkSize(head)
            case .trailers(let head):
                guard let line = self.takeLine() else { return .needMore }
                if line.isEmpty { return .response(self.finish(head)) }
            }
        }
    }

    private mutating func finish(_ head: HTTPResponseHead) -> HTTPResponse {
        let response = HTTPResponse(status: head.status, headers: head.headers, body: self.body)
        self.body = []
        self.stage = .head
        return response
    }

    /// The next CRLF-terminated line without its terminator, consumed; nil if incomplete.
    private mutating func takeLine() -> ArraySlice<UInt8>? {
        var index = self.offset
        while index + 1 < self.buffer.count {
            if self.buffer[index] == 13 && self.buffer[index + 1] == 10 {
                let line = self.buffer[self.offset..<index]
                self.offset = index + 2
                return line
            }
            index += 1
        }
        return nil
    }

    private static func bodyStage(for head: HTTPResponseHead) -> Stage? {
        if head.status < 200 || head.status == 204 || head.status == 304 {
            return .fixedBody(head, remaining: 0)
        }
        let response = HTTPResponse(status: head.status, headers: head.headers, body: [])
        if let encoding = response.header("Transfer-Encoding") {
            return encoding.lowercased().contains("chunked") ? .chunkSize(head) : nil
        }
        guard let lengthText = response.header("Content-Length"), let length = Int(lengthText),
            length >= 0, length <= self.maxBodyBytes
        else { return nil }
        return .fixedBody(head, remaining: length)
    }

    /// The size of a chunk-size line (hex digits, optional `;extensions`).
    private static func chunkSize(_ line: ArraySlice<UInt8>) -> Int? {
        var size = 0
        var digits = 0
        for byte in line {
            let digit: Int
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = Int(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = Int(byte - UInt8(ascii: "a")) + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = Int(byte - UInt8(ascii: "A")) + 10
            case UInt8(ascii: ";"), UInt8(ascii: " "), UInt8(ascii: "\t"):
                return digits > 0 ? size : nil
            default: return nil
            }
            digits += 1
            guard digits <= 8 else { return nil }
            size = size << 4 | digit
        }
        return digits > 0 ? size : nil
    }
}
