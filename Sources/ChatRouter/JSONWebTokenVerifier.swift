/// Checks `bind` tokens when the server runs with `--jwt-secret` (SPEC "bind"): a JWT in
/// compact form, signed with HS256 under the shared secret, whose `sub` is the uid.
///
/// Accepted, and only this:
/// - at most `maxTokenBytes` bytes, exactly three parts of canonical unpadded base64url;
/// - a header that is a JSON object whose `alg` is exactly `"HS256"`; `typ`, if present, is a
///   string and is otherwise ignored; any `crit` is refused (no extension is understood);
/// - a signature equal, in constant time, to HMAC-SHA256 of `header.payload` as sent;
/// - claims that are a JSON object with a string `sub` byte-equal to the uid, an `exp`
///   (NumericDate: seconds, integer or fractional) after now if present, and an `nbf` at or
///   before now if present. Both compare against `now` widened by `leewaySeconds`.
///
/// A member repeated inside the header or claims is refused, since two parsers could pick
/// different copies (RFC 7515 §5.2 allows either rejecting or taking the last; rejecting is
/// the one that cannot be misread). Other claims (`iat`, `jti`, private ones) are ignored.
/// The signature is checked before the claims are read, so unsigned input only ever reaches
/// the header parser.
///
/// Limitation: `iss` and `aud` are not checked; the one shared secret is the only issuer
/// and audience. A deployment that shares the secret with other services should give
/// Switchboard a secret of its own.
public struct JSONWebTokenVerifier: BindAuthenticator {
    /// The longest token accepted, in bytes. 4 KiB is several times any token carrying a
    /// 64-byte uid and the usual claims, and bounds the work an unauthenticated client can
    /// make the server do per bind.
    public static let maxTokenBytes = 4096

    /// The largest `leewaySeconds` accepted; larger values act as this (one hour). Clock skew
    /// between hosts is seconds; more than an hour would defeat `exp` altogether.
    public static let maxLeewaySeconds: Int64 = 3600

    /// Nesting allowed inside the header and claims: flat objects need 1, and real tokens
    /// carry at most a small object or array as a private claim.
    static let maxJSONDepth = 16

    private let secret: [UInt8]

    /// Seconds by which a token may be past `exp` or before `nbf` and still pass. Default 0:
    /// SPEC says `exp` "must be in the future", and the server's clock is the one that counts.
    /// A deployment minting tokens on hosts with skewed clocks may raise it a little.
    public let leewaySeconds: Int64

    /// A verifier for tokens signed with `secret`; nil when `secret` is empty, since an empty
    /// HMAC key would let anyone mint tokens. RFC 7518 §3.2 asks for at least 32 bytes of
    /// key; shorter secrets are accepted (operators choose them), but are weaker.
    /// - Parameter leewaySeconds: see ``leewaySeconds``; clamped to 0...``maxLeewaySeconds``.
    public init?(secret: [UInt8], leewaySeconds: Int64 = 0) {
        guard !secret.isEmpty else { return nil }
        self.secret = secret
        self.leewaySeconds = min(max(leewaySeconds, 0), Self.maxLeewaySeconds)
    }

    /// A verifier for the UTF-8 bytes of `secret` (the `--jwt-secret` value); nil when empty.
    public init?(secret: String, leewaySeconds: Int64 = 0) {
        self.init(secret: Array(secret.utf8), leewaySeconds: leewaySeconds)
    }

    /// Whether `token` is valid for `uid` at `now` (Unix milliseconds); a missing token is not.
    public func allows(token: String?, uid: String, now: Int64) -> Bool {
        guard let token else { return false }
        do {
            try self.verify(token, uid: uid, now: now)
            return true
        } catch {
            return false
        }
    }

    /// Checks `token` for `uid` at `now` (Unix milliseconds), in this order: size, parts,
    /// base64url, header, `alg`, `crit`, signature, claims, `sub`, `exp`, `nbf`.
    /// - Throws: the first rule the token breaks.
    public func verify(_ token: String, uid: String, now: Int64) throws(JSONWebTokenError) {
        guard token.utf8.count <= Self.maxTokenBytes else { throw .tokenTooLong }
        let bytes = Array(token.utf8)
        let dots = bytes.indices.filter { bytes[$0] == UInt8(ascii: ".") }
        guard dots.count == 2 else { throw .wrongPartCount }
        let signingInput = bytes[..<dots[1]]

        guard let header = JSONWebToken.Base64URL.decode(bytes[..<dots[0]]),
            let claims = JSONWebToken.Base64URL.decode(bytes[(dots[0] + 1)..<dots[1]]),
            let signature = JSONWebToken.Base64URL.decode(bytes[(dots[1] + 1)...])
        else { throw .invalidBase64URL }

        try Self.checkHeader(header)
        try self.checkSignature(signature, over: signingInput)
        let parsed = try Self.parseClaims(claims)
        try Self.check(parsed, uid: uid, now: now, leewaySeconds: self.leewaySeconds)
    }

    private func checkSignature(
        _ signature: [UInt8], over signingInput: ArraySlice<UInt8>
    ) throws(JSONWebTokenError) {
        guard let expected = JSONWebToken.hmacSHA256(key: self.secret, message: signingInput)
        else { throw .hmacUnavailable }
        guard JSONWebToken.constantTimeEquals(signature, expected) else { throw .badSignature }
    }
}

// MARK: - Header and claims

extension JSONWebTokenVerifier {
    /// The claims this verifier acts on, as read from the claims set.
    struct Claims {
        var subject: String?
        /// `exp` in seconds since the epoch.
        var expiresAt: Double?
        /// `nbf` in seconds since the epoch.
        var notBefore: Double?
    }

    /// One JSON object member: its key and value as the reader found them.
    private typealias Member = (key: JSONStringSpan, value: JSONValueSummary)

    /// Checks the decoded header: a JSON object with `alg` exactly `HS256`, a string `typ` if
    /// any, no `crit`, no repeated member among those three.
    static func checkHeader(_ header: [UInt8]) throws(JSONWebTokenError) {
        var algorithmIsHS256: Bool?
        var hasCritical = false
        let read = header.withUnsafeBytes { bytes in
            Self.forEachMember(of: bytes, names: ["alg", "typ", "crit"]) { reader, member in
                if reader.string(member.key, equals: "alg") {
                    guard case .string(let span) = member.value else { return false }
                    // Case-sensitive (RFC 7515 §4.1.1): "hs256" is not HS256.
                    algorithmIsHS256 = reader.string(span, equals: "HS256")
                } else if reader.string(member.key, equals: "typ") {
                    guard case .string = member.value else { return false }
                } else {
                    hasCritical = true
                }
                return true
            }
        }
        guard read else { throw .malformedHeader }
        guard algorithmIsHS256 == true else { throw .unsupportedAlgorithm }
        guard !hasCritical else { throw .unsupportedCriticalHeader }
    }

    /// Reads `sub`, `exp` and `nbf` from the decoded claims set, checking their types and
    /// that none repeats; other members are validated as JSON and ignored.
    static func parseClaims(_ claims: [UInt8]) throws(JSONWebTokenError) -> Claims {
        var parsed = Claims()
        let read = claims.withUnsafeBytes { bytes in
            Self.forEachMember(of: bytes, names: ["sub", "exp", "nbf"]) { reader, member in
                if reader.string(member.key, equals: "sub") {
                    guard case .string(let span) = member.value else { return false }
                    parsed.subject = reader.decodeString(span)
                    return true
                }
                guard case .number(let span) = member.value,
                    let seconds = Self.numericDate(span, in: bytes)
                else { return false }
                if reader.string(member.key, equals: "exp") {
                    parsed.expiresAt = seconds
                } else {
                    parsed.notBefore = seconds
                }
                return true
            }
        }
        guard read else { throw .malformedClaims }
        return parsed
    }

    /// Checks the claims against the uid being bound and the clock (Unix milliseconds).
    static func check(
        _ claims: Claims, uid: String, now: Int64, leewaySeconds: Int64
    ) throws(JSONWebTokenError) {
        guard let subject = claims.subject else { throw .missingSubject }
        // Bytes, not `==`: Swift's String equality treats canonically equivalent spellings
        // (a precomposed "é" and "e" + combining accent) as equal, but they are different uids.
        guard subject.utf8.elementsEqual(uid.utf8) else { throw .subjectMismatch }

        // Milliseconds as Double are exact far beyond any real clock (2^53 ms is year 287396).
        let nowMilliseconds = Double(now)
        let leewayMilliseconds = Double(leewaySeconds) * 1000
        if let expiresAt = claims.expiresAt {
            // RFC 7519 §4.1.4: the token must not be accepted on or after `exp`.
            guard nowMilliseconds < expiresAt * 1000 + leewayMilliseconds else { throw .expired }
        }
        if let notBefore = claims.notBefore {
            guard nowMilliseconds + leewayMilliseconds >= notBefore * 1000 else {
                throw .notYetValid
            }
        }
    }

    /// Reads `bytes` as one JSON object and calls `visit` for each member whose key is one of
    /// `names`, after checking that no such key appears twice. Returns false when the bytes
    /// are not a single JSON object, a watched key repeats, or `visit` returns false.
    private static func forEachMember(
        of bytes: UnsafeRawBufferPointer, names: [StaticString],
        _ visit: (JSONReader, Member) -> Bool
    ) -> Bool {
        var reader = JSONReader(bytes, maxDepth: self.maxJSONDepth)
        var seen = [Bool](repeating: false, count: names.count)
        do throws(JSONSyntaxError) {
            guard reader.peekAfterWhitespace() == ASCII.openBrace else { return false }
            try reader.enterObject()
            var isFirst = true
            while let key = try reader.nextObjectKey(isFirst: &isFirst) {
                let value = try reader.readValue()
                guard let position = names.firstIndex(where: { reader.string(key, equals: $0) })
                else { continue }
                if seen[position] { return false }
                seen[position] = true
                if !visit(reader, (key, value)) { return false }
            }
            try reader.expectEndOfInput()
            return true
        } catch {
            return false
        }
    }

    /// A NumericDate (RFC 7519 §2): seconds as any JSON number. Nil when the number does not
    /// fit a finite Double (such as `1e400`), which no real date needs.
    private static func numericDate(
        _ span: JSONNumberSpan, in bytes: UnsafeRawBufferPointer
    ) -> Double? {
        let text = String(decoding: bytes[span.start..<span.end], as: UTF8.self)
        guard let seconds = Double(text), seconds.isFinite else { return nil }
        return seconds
    }
}
