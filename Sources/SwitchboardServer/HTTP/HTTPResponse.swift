import CMicroHTTPD

/// A response to queue on a libmicrohttpd connection.
struct HTTPResponse {
    /// What follows the headers.
    enum Body {
        /// No body (204, 304, or a HEAD-like answer).
        case empty
        /// Bytes copied into libmicrohttpd's buffer when queued.
        case bytes([UInt8])
        /// A file sent with `sendfile`, never read into memory; libmicrohttpd closes it.
        case file(OpenedFile)
    }

    var status: Int
    var headers: [(name: String, value: String)]
    var body: Body

    init(status: Int, headers: [(name: String, value: String)] = [], body: Body = .empty) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A small plain-text answer, e.g. `404 not found`. Error bodies stay short and never
    /// repeat what the client sent.
    static func text(
        _ status: Int, _ text: String, headers: [(name: String, value: String)] = []
    )
        -> HTTPResponse
    {
        HTTPResponse(
            status: status,
            headers: [("Content-Type", "text/plain; charset=utf-8")] + headers,
            body: .bytes(Array((text + "\n").utf8)))
    }

    /// A JSON answer; the bytes must already be JSON.
    static func json(
        _ status: Int, _ bytes: [UInt8], headers: [(name: String, value: String)] = []
    )
        -> HTTPResponse
    {
        HTTPResponse(
            status: status,
            headers: [("Content-Type", "application/json")] + headers,
            body: .bytes(bytes))
    }

    /// Appends a header.
    mutating func addHeader(_ name: String, _ value: String) {
        self.headers.append((name, value))
    }

    /// Creates the libmicrohttpd response, queues it and drops our reference (libmicrohttpd keeps
    /// its own until the response is sent). Returns `.NO` when the connection should be closed.
    ///
    /// Ownership: a file descriptor in the body passes to libmicrohttpd here, even on failure.
    func queue(on connection: OpaquePointer) -> MHD_Result {
        guard let response = self.makeMHDResponse() else { return .NO }
        defer { MHD_destroy_response(response) }
        for header in self.headers {
            guard MHD_add_response_header(response, header.name, header.value) == .YES else {
                return .NO
            }
        }
        return MHD_queue_response(connection, UInt32(self.status), response)
    }

    private func makeMHDResponse() -> OpaquePointer? {
        switch self.body {
        case .empty:
            return MHD_create_response_from_buffer(0, nil, .RESPMEM_PERSISTENT)
        case .bytes(let bytes):
            return bytes.withUnsafeBytes { buffer in
                MHD_create_response_from_buffer(
                    buffer.count, UnsafeMutableRawPointer(mutating: buffer.baseAddress),
                    .RESPMEM_MUST_COPY)
            }
        case .file(let file):
            let response = MHD_create_response_from_fd64(UInt64(file.size), file.descriptor)
            if response == nil { file.close() }
            return response
        }
    }
}
