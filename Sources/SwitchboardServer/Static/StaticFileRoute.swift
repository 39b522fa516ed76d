/// Serves the chat page and its assets from the public folder.
///
/// Only GET and HEAD; files go out through `sendfile` from an open descriptor, never copied into
/// memory; validators allow 304 answers. `Cache-Control: no-cache` makes browsers revalidate
/// every time: the page has no content-hashed file names, so an upgrade must never leave a
/// browser running stale scripts.
struct StaticFileRoute: Sendable {
    let directory: PublicDirectory

    /// The directory's URL with its slash, rebuilt from the decoded segments: the raw path
    /// might start with `//`, which a browser reads as another host (an open redirect).
    static func location(of path: StaticPath) -> String {
        var location = "/"
        for segment in path.segments {
            for byte in segment.utf8 {
                if Self.unreservedBytes.contains(byte) {
                    location.unicodeScalars.append(Unicode.Scalar(byte))
                } else {
                    location += "%" + String(byte >> 4, radix: 16, uppercase: true)
                        + String(byte & 0xF, radix: 16, uppercase: true)
                }
            }
            location += "/"
        }
        return location
    }

    private static let unreservedBytes = Set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)

    func handle(_ exchange: Exchange) -> HTTPResponse {
        guard exchange.method == "GET" || exchange.method == "HEAD" else {
            return HTTPResponse.text(405, "method not allowed", headers: [("Allow", "GET, HEAD")])
        }
        let path: StaticPath
        do {
            path = try StaticPath(decoding: exchange.target.path)
        } catch {
            return HTTPResponse.text(error.httpStatus, error.description)
        }
        switch self.directory.open(path) {
        case .success(let file):
            return self.answer(exchange, with: file)
        case .failure(.notFound):
            return HTTPResponse.text(404, "not found")
        case .failure(.directoryWithoutSlash):
            return HTTPResponse.text(
                301, "moved permanently", headers: [("Location", Self.location(of: path))])
        case .failure(.unreadable):
            return HTTPResponse.text(403, "forbidden")
        }
    }

    private func answer(_ exchange: Exchange, with file: OpenedFile) -> HTTPResponse {
        let validators = file.validators
        var headers: [(name: String, value: String)] = [
            ("ETag", validators.entityTag),
            ("Last-Modified", HTTPDate.format(secondsSinceEpoch: validators.lastModifiedSeconds)),
            ("Cache-Control", "no-cache"),
            ("X-Content-Type-Options", "nosniff"),
        ]
        let notModified = validators.isNotModified(
            ifNoneMatch: exchange.header("If-None-Match"),
            ifModifiedSince: exchange.header("If-Modified-Since"))
        if notModified {
            file.close()
            return HTTPResponse(status: 304, headers: headers)
        }
        headers.insert(("Content-Type", file.contentType), at: 0)
        return HTTPResponse(status: 200, headers: headers, body: .file(file))
    }
}
