/// What to make of a request's `Origin` header.
enum OriginDecision: Equatable, Sendable {
    /// No `Origin` header: not a browser cross-site request (curl, programs). Accepted.
    case absent
    /// The server's own origin or one named by `--allow-origin`. Carries the origin to echo.
    case accepted(String)
    /// Any other origin: WebSocket upgrades get 403, long-poll gets no CORS headers.
    case refused
}

/// SPEC.md's origin rule: the server's own origin (same scheme, host and port as the request's
/// `Host`) plus those allowed by flag. Comparison is on the serialised origin, lowercased, with
/// default ports removed, so `http://Example.com:80` and `http://example.com` are the same.
struct OriginPolicy: Sendable {
    private let allowed: Set<String>

    /// `allowedOrigins` as given to `--allow-origin`, e.g. `https://chat.example.com`.
    init(allowedOrigins: [String]) {
        self.allowed = Set(allowedOrigins.compactMap(Self.normalize))
    }

    func evaluate(origin: String?, host: String?, isTLS: Bool) -> OriginDecision {
        guard let origin else { return .absent }
        guard let normalized = Self.normalize(origin) else { return .refused }
        if self.allowed.contains(normalized) { return .accepted(origin) }
        if let host, let own = Self.normalize((isTLS ? "https://" : "http://") + host),
            own == normalized
        {
            return .accepted(origin)
        }
        return .refused
    }

    /// `scheme://host[:port]` lowercased without a default port, or nil when not an origin
    /// (`null`, a path, another scheme).
    static func normalize(_ text: String) -> String? {
        let lowered = text.lowercased()
        let scheme: String
        if lowered.hasPrefix("http://") {
            scheme = "http"
        } else if lowered.hasPrefix("https://") {
            scheme = "https"
        } else {
            return nil
        }
        var authority = Substring(lowered.dropFirst(scheme.count + 3))
        if authority.hasSuffix("/") { authority = authority.dropLast() }
        guard !authority.isEmpty, !authority.contains("/"), !authority.contains("@") else {
            return nil
        }
        let defaultPort = scheme == "http" ? ":80" : ":443"
        if authority.hasSuffix(defaultPort) && !authority.hasSuffix("]" + defaultPort.dropFirst()) {
            authority = authority.dropLast(defaultPort.count)
        }
        return "\(scheme)://\(authority)"
    }
}
