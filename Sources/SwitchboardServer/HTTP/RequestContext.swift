import CMicroHTTPD
import Glibc

/// Per-request state that lives from the request line to the completion callback.
///
/// libmicrohttpd stores it in the connection's `req_cls` slot: created by the URI callback
/// (which sees the raw, undecoded request target), released in the completion callback. Only
/// libmicrohttpd's thread for that connection touches it, one callback at a time.
final class RequestContext {
    /// The request target exactly as received, percent-encoding intact.
    let rawTarget: String
    /// The parsed target, once the first access callback has parsed it.
    var target: RequestTarget?
    /// Set once the handler has looked at the headers (the first access callback).
    var hasStarted = false
    /// The request's body, when the route reads one.
    var body: [UInt8] = []
    /// The most body bytes the route accepts; beyond it the request gets 413.
    var bodyLimit = 0
    /// Set when the body went over `bodyLimit`; the rest is read and dropped.
    var bodyOverflowed = false
    /// What the route needs to finish the request after the body or a resume.
    var continuation: RequestContinuation?
    /// Set when a WebSocket handshake was accepted, read by the upgrade callback.
    var upgradePlan: UpgradePlan?

    init(rawTarget: String) {
        self.rawTarget = rawTarget
    }
}

/// A route's unfinished work on a request, resumed by a later access callback.
protocol RequestContinuation: AnyObject {
    /// Called for each later access callback with the request context.
    func resume(_ request: inout Exchange, context: RequestContext) -> MHD_Result
    /// Called from the completion callback: the request is over, normally or not.
    func requestCompleted()
}

/// A read-only view of a request during one access callback.
struct Exchange {
    /// The libmicrohttpd connection; valid only during the callback.
    let connection: OpaquePointer
    /// `GET`, `POST`, … as sent (libmicrohttpd checks it is a token).
    let method: String
    /// `HTTP/1.1` or `HTTP/1.0`.
    let version: String
    /// The parsed request target.
    let target: RequestTarget

    /// The first value of a request header (case-insensitive name), or nil.
    func header(_ name: String) -> String? {
        guard let value = MHD_lookup_connection_value(self.connection, .HEADER_KIND, name) else {
            return nil
        }
        return String(cString: value)
    }

    /// Every request header in order, names as sent.
    func allHeaders() -> [(name: String, value: String)] {
        let collector = HeaderCollector()
        let context = Unmanaged.passUnretained(collector).toOpaque()
        _ = MHD_get_connection_values(self.connection, .HEADER_KIND, collectHeader, context)
        return collector.headers
    }

    /// The client's IP address as text (`127.0.0.1`, `::1`), or `unknown`.
    func clientAddress() -> String {
        guard let address = sb_connection_client_address(self.connection) else { return "unknown" }
        return SocketAddress.numericHost(address) ?? "unknown"
    }

    /// The headers that decide how the body is framed, read in one pass without copying the
    /// others.
    func framingHeaders() -> FramingHeaders {
        let collector = FramingHeaders()
        let context = Unmanaged.passUnretained(collector).toOpaque()
        _ = MHD_get_connection_values(self.connection, .HEADER_KIND, collectFraming, context)
        return collector
    }

    /// Whether the request asks for the headers only.
    var isHead: Bool { self.method == "HEAD" }

    /// About how much of the connection's memory pool the parsed head takes: its bytes, a
    /// record per header and per cookie, and the copy libmicrohttpd makes of the Cookie value.
    /// Calibrated against libmicrohttpd 0.9.75, where it is within about 100 bytes.
    func headPoolEstimate(rawTarget: String) -> Int {
        let tally = HeadTally()
        let context = Unmanaged.passUnretained(tally).toOpaque()
        _ = MHD_get_connection_values(self.connection, .HEADER_KIND, tallyHead, context)
        _ = MHD_get_connection_values(self.connection, .COOKIE_KIND, tallyCookie, context)
        let requestLine = self.method.utf8.count + rawTarget.utf8.count + self.version.utf8.count
        return requestLine + tally.bytes + HeadTally.recordBytes * tally.records
    }
}

/// Bytes and records counted by `headPoolEstimate`.
private final class HeadTally {
    /// What one header or cookie record costs in the pool, measured (rounded up).
    /// libmicrohttpd grows its read buffer in steps, so its real use is a staircase around
    /// this line; the caller keeps a reserve for that.
    static let recordBytes = 64
    var bytes = 0
    var records = 0
}

private let tallyHead: MHD_KeyValueIterator = { context, _, key, value in
    guard let context, let key else { return .YES }
    let tally = Unmanaged<HeadTally>.fromOpaque(context).takeUnretainedValue()
    let valueBytes = value.map { strlen($0) } ?? 0
    tally.bytes += strlen(key) + valueBytes + 4
    // libmicrohttpd copies the Cookie value before splitting it into cookies.
    if strcasecmp(key, "cookie") == 0 { tally.bytes += valueBytes + 1 }
    tally.records += 1
    return .YES
}

private let tallyCookie: MHD_KeyValueIterator = { context, _, key, _ in
    guard let context, key != nil else { return .YES }
    Unmanaged<HeadTally>.fromOpaque(context).takeUnretainedValue().records += 1
    return .YES
}

private final class HeaderCollector {
    var headers: [(name: String, value: String)] = []
}

private let collectHeader: MHD_KeyValueIterator = { context, _, key, value in
    guard let context, let key else { return .YES }
    let collector = Unmanaged<HeaderCollector>.fromOpaque(context).takeUnretainedValue()
    collector.headers.append((String(cString: key), value.map { String(cString: $0) } ?? ""))
    return .YES
}

/// Host lines, Content-Length values and whether Transfer-Encoding is present: what a request
/// smuggler plays with (RFC 9112 §3.2, §6.1, §6.3).
final class FramingHeaders {
    fileprivate(set) var hostCount = 0
    fileprivate(set) var contentLengths: [String] = []
    fileprivate(set) var hasTransferEncoding = false
    /// A transfer coding other than `chunked` alone: libmicrohttpd cannot decode it and would
    /// wait for a body it cannot delimit, so it is refused with 501 (RFC 9112 §6.1).
    fileprivate(set) var hasUnsupportedTransferCoding = false
    /// `Expect: 100-continue`: the client waits for a go-ahead before sending the body.
    fileprivate(set) var expectsContinue = false

    /// Why the head cannot be trusted to frame the body, or nil when it can.
    var problem: String? {
        if self.hostCount > 1 { return "duplicate host" }
        if Set(self.contentLengths).count > 1 { return "conflicting content-length" }
        if self.hasTransferEncoding && !self.contentLengths.isEmpty {
            return "content-length with transfer-encoding"
        }
        return nil
    }

    /// The declared body length, when there is exactly one and it is a number.
    var declaredLength: UInt64? {
        guard let first = self.contentLengths.first, !self.hasTransferEncoding else { return nil }
        return UInt64(first)
    }
}

private let collectFraming: MHD_KeyValueIterator = { context, _, key, value in
    guard let context, let key else { return .YES }
    let framing = Unmanaged<FramingHeaders>.fromOpaque(context).takeUnretainedValue()
    if strcasecmp(key, "host") == 0 {
        framing.hostCount += 1
    } else if strcasecmp(key, "content-length") == 0 {
        let text = value.map { String(cString: $0) } ?? ""
        framing.contentLengths.append(String(Substring(text).trimmingSpaces()))
    } else if strcasecmp(key, "transfer-encoding") == 0 {
        framing.hasTransferEncoding = true
        let coding = Substring(value.map { String(cString: $0) } ?? "").trimmingSpaces()
        if coding.lowercased() != "chunked" { framing.hasUnsupportedTransferCoding = true }
    } else if strcasecmp(key, "expect") == 0, let value, strcasecmp(value, "100-continue") == 0 {
        framing.expectsContinue = true
    }
    return .YES
}
