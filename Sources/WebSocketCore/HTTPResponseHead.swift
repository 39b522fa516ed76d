/// The status line and fields of an HTTP/1.1 response, as a WebSocket client reads the
/// server's answer to its upgrade request.
public struct HTTPResponseHead: Sendable {
    /// The status code, for example 101.
    public var status: Int
    /// The reason phrase, possibly empty.
    public var reason: String
    /// Every field in order, names as sent, values trimmed.
    public var headers: [(name: String, value: String)]

    /// Creates a response head.
    public init(status: Int, reason: String = "", headers: [(name: String, value: String)]) {
        self.status = status
        self.reason = reason
        self.headers = headers
    }

    /// The outcome of `parse(_:)`.
    public enum ParseResult: Sendable {
        /// The blank line ending the head has not arrived yet; read more and parse again.
        case incomplete
        /// The head, and how many bytes it took; bytes after it are WebSocket frames.
        case complete(HTTPResponseHead, byteCount: Int)
        /// Not an HTTP/1.x response head, or longer than ``maxHeadBytes``.
        case malformed
    }

    /// Largest response head accepted: 16 KiB, far above any upgrade response, so a hostile
    /// server cannot make a client buffer without end.
    public static let maxHeadBytes = 16 * 1024

    /// Parses a response head from the start of `bytes`.
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> ParseResult {
        guard let headLength = self.headLength(bytes) else {
            return bytes.count > self.maxHeadBytes ? .malformed : .incomplete
        }
        guard headLength <= self.maxHeadBytes else { return .malformed }
        let text = String(decoding: bytes[0..<(headLength - 4)], as: UTF8.self)
        let lines = text.split(separator: "\r\n", omittingEmptySubsequences: false)
        guard let statusLine = lines.first, let head = self.parseStatusLine(statusLine) else {
            return .malformed
        }
        var result = head
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { return .malformed }
            let name = line[line.startIndex..<colon]
            guard HTTPFieldSyntax.isToken(name) else { return .malformed }
            let value = HTTPFieldSyntax.trimmingWhitespace(line[line.index(after: colon)...])
            result.headers.append((name: String(name), value: String(value)))
        }
        return .complete(result, byteCount: headLength)
    }

    /// Parses a response head from the start of `bytes`.
    public static func parse(_ bytes: [UInt8]) -> ParseResult {
        bytes.withUnsafeBytes { self.parse($0) }
    }

    /// The offset just past the first CR LF CR LF, if present.
    private static func headLength(_ bytes: UnsafeRawBufferPointer) -> Int? {
        let terminator: [UInt8] = [13, 10, 13, 10]
        guard bytes.count >= 4 else { return nil }
        for start in 0...(bytes.count - 4) where bytes[start] == 13 {
            if bytes[start..<(start + 4)].elementsEqual(terminator) {
                return start + 4
            }
        }
        return nil
    }

    private static func parseStatusLine(_ line: Substring) -> HTTPResponseHead? {
        let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1].utf8.count == 3,
            parts[1].utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let status = Int(parts[1])
        else { return nil }
        let reason = parts.count == 3 ? String(parts[2]) : ""
        return HTTPResponseHead(status: status, reason: reason, headers: [])
    }
}
