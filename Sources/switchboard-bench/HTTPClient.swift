/// What an `HTTPClient` tells its owner.
protocol HTTPClientDelegate: AnyObject {
    /// The connection is up; requests may be sent.
    func httpConnected(_ client: HTTPClient)
    /// The response to the oldest outstanding request.
    func http(_ client: HTTPClient, received response: HTTPResponse)
    /// The connection ended (`error` nil for an orderly close by the server).
    func httpClosed(_ client: HTTPClient, error: String?)
}

/// One keep-alive HTTP/1.1 connection on the ``EventLoop``. The owner decides how many
/// requests are outstanding (the long-poll users keep one per connection); responses come back
/// in request order.
final class HTTPClient: TCPConnectionDelegate {
    private let host: String
    private var connection: TCPConnection?
    private var parser = HTTPResponseParser()
    private var hasReportedClose = false
    /// Requests written and not yet answered.
    private(set) var outstanding = 0
    /// The owner; weak because the owner holds the client.
    weak var delegate: HTTPClientDelegate?

    /// A client for the server named `host` (the Host header value).
    init(host: String) {
        self.host = host
    }

    /// Whether the connection is up.
    var isOpen: Bool { self.connection?.state == .open }

    /// Connects through `factory`; the outcome arrives through the delegate.
    func open(using factory: ConnectionFactory) {
        switch factory.connect(delegate: self) {
        case .success(let connection): self.connection = connection
        case .failure(let error): self.report(error.description)
        }
    }

    /// Writes one request. `target` is the path and query; `headers` are added after Host.
    func send(
        method: String, target: String, headers: [(String, String)] = [], body: [UInt8] = []
    ) {
        guard let connection = self.connection, connection.state == .open else { return }
        var head = "\(method) \(target) HTTP/1.1\r\nHost: \(self.host)\r\n"
        for (name, value) in headers {
            head += "\(name): \(value)\r\n"
        }
        if method == "POST" || method == "PUT" || !body.isEmpty {
            head += "Content-Length: \(body.count)\r\n"
        }
        head += "\r\n"
        connection.output.append(contentsOf: head.utf8)
        connection.output.append(contentsOf: body)
        connection.outputChanged()
        self.outstanding += 1
    }

    /// Closes the connection without telling the delegate.
    func close() {
        self.hasReportedClose = true
        self.connection?.close()
    }

    // MARK: TCPConnectionDelegate

    func connectionEstablished(_ connection: TCPConnection) {
        self.delegate?.httpConnected(self)
    }

    func connection(_ connection: TCPConnection, received bytes: UnsafeRawBufferPointer) {
        self.parser.feed(bytes)
        while connection.state == .open {
            switch self.parser.next() {
            case .needMore:
                return
            case .malformed:
                connection.close()
                self.report("malformed HTTP response")
                return
            case .response(let response):
                self.outstanding = max(0, self.outstanding - 1)
                self.delegate?.http(self, received: response)
            }
        }
    }

    func connectionClosed(_ connection: TCPConnection, error: String?) {
        self.report(
            error ?? (self.outstanding > 0 ? "connection closed with a request outstanding" : nil))
    }

    private func report(_ error: String?) {
        guard !self.hasReportedClose else { return }
        self.hasReportedClose = true
        self.delegate?.httpClosed(self, error: error)
    }
}
