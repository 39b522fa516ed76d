import Testing

@testable import ChatRouter

/// Builds tokens for the tests: any header and claims text, signed with the real HMAC, or with
/// a signature part supplied verbatim.
enum TokenFactory {
    static let secret = Array("switchboard-test-secret".utf8)
    /// 2023-11-14T22:13:20Z in Unix milliseconds: "now" for every test unless stated.
    static let now: Int64 = 1_700_000_000_000
    static let standardHeader = #"{"alg":"HS256","typ":"JWT"}"#

    static func part(_ text: String) -> String {
        JSONWebToken.Base64URL.encode(Array(text.utf8))
    }

    /// `header.claims.signature`, signed under `secret`.
    static func token(
        header: String = TokenFactory.standardHeader, claims: String,
        secret: [UInt8] = TokenFactory.secret
    ) -> String {
        let signingInput = "\(self.part(header)).\(self.part(claims))"
        let tag = JSONWebToken.hmacSHA256(key: secret, message: Array(signingInput.utf8)[...])
        return signingInput + "." + JSONWebToken.Base64URL.encode(tag ?? [])
    }

    static func claims(sub: String = "alice", extra: String = "") -> String {
        #"{"sub":"\#(sub)"\#(extra)}"#
    }
}

@Suite struct JSONWebTokenVectorTests {
    /// Minted by Python's `hmac`/`hashlib` (see README), secret `switchboard-test-secret`,
    /// claims `{"sub":"alice","exp":2000000000}`.
    static let pythonToken =
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSIsImV4cCI6MjAwMDAwMDAwMH0"
        + ".FWl8DAPOm2qN8psEo0uGOtlvYFbqnkCMPOWskzTgAJo"

    let verifier = JSONWebTokenVerifier(secret: "switchboard-test-secret")!

    @Test func acceptsTokenMintedByPython() throws {
        try self.verifier.verify(Self.pythonToken, uid: "alice", now: TokenFactory.now)
        #expect(self.verifier.allows(token: Self.pythonToken, uid: "alice", now: TokenFactory.now))
    }

    @Test func signingReproducesThePythonToken() {
        let minted = JSONWebToken.sign(
            subject: "alice", expiresAt: 2_000_000_000, secret: TokenFactory.secret)
        #expect(minted == Self.pythonToken)
    }

    /// RFC 4231 §4.3 (test case 2): HMAC-SHA256 with key "Jefe".
    @Test func hmacMatchesRFC4231() {
        let tag = JSONWebToken.hmacSHA256(
            key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8)[...])
        let hex = tag.map { $0.map { String($0, radix: 16).leftPadded(to: 2) }.joined() }
        #expect(hex == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    /// RFC 7515 §A.1: its HS256 example passes the signature check (checked with Python's
    /// `hmac` too) and then fails only because it carries `iss` instead of `sub`.
    @Test func rfc7515ExamplePassesSignatureThenLacksSubject() throws {
        let keyText =
            "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"
        let key = try #require(JSONWebToken.Base64URL.decode(Array(keyText.utf8)[...]))
        let verifier = try #require(JSONWebTokenVerifier(secret: key))
        let token =
            "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
            + ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19y"
            + "b290Ijp0cnVlfQ"
            + ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        #expect(throws: JSONWebTokenError.missingSubject) {
            try verifier.verify(token, uid: "joe", now: 1_300_819_379_000)
        }
        let tampered = String(token.dropLast()) + "g"
        #expect(throws: JSONWebTokenError.badSignature) {
            try verifier.verify(tampered, uid: "joe", now: 1_300_819_379_000)
        }
    }

    @Test func signRefusesEmptySecret() {
        #expect(JSONWebToken.sign(subject: "alice", expiresAt: nil, secret: []) == nil)
        #expect(JSONWebTokenVerifier(secret: "") == nil)
        #expect(JSONWebTokenVerifier(secret: [UInt8]()) == nil)
    }

    @Test func signEscapesTheSubject() throws {
        let token = try #require(
            JSONWebToken.sign(
                subject: "a\"b\\c\u{1}é", expiresAt: nil, secret: TokenFactory.secret))
        try self.verifier.verify(token, uid: "a\"b\\c\u{1}é", now: TokenFactory.now)
    }
}

@Suite struct JSONWebTokenBase64URLTests {
    /// RFC 4648 §10 vectors, without padding, plus the two characters base64url changes.
    @Test(arguments: [
        ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"),
        ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy"),
    ])
    func encodesAndDecodesRFC4648Vectors(_ plain: String, _ encoded: String) {
        #expect(JSONWebToken.Base64URL.encode(Array(plain.utf8)) == encoded)
        #expect(JSONWebToken.Base64URL.decode(Array(encoded.utf8)[...]) == Array(plain.utf8))
    }

    @Test func usesDashAndUnderscore() {
        #expect(JSONWebToken.Base64URL.encode([0xFB, 0xFF, 0xBF]) == "-_-_")
        #expect(JSONWebToken.Base64URL.decode(Array("-_-_".utf8)[...]) == [0xFB, 0xFF, 0xBF])
    }

    @Test func roundTripsEveryLengthAndByte() {
        for length in 0...70 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ length) }
            let encoded = JSONWebToken.Base64URL.encode(bytes)
            #expect(encoded.utf8.count == (length * 4 + 2) / 3)
            #expect(JSONWebToken.Base64URL.decode(Array(encoded.utf8)[...]) == bytes)
        }
        let everyByte = (0...255).map { UInt8($0) }
        let encoded = JSONWebToken.Base64URL.encode(everyByte)
        #expect(JSONWebToken.Base64URL.decode(Array(encoded.utf8)[...]) == everyByte)
    }

    @Test(arguments: [
        "Zg==", "Zm8=", "Z", "Zm9vY", "Zm+v", "Zm/v", "Zm9 v", "Zm9v\n", "Zm9v.", "Zm\u{0}v",
        "Zh", "Zm9", "Zm9vYh", "Zm9vYmF",
    ])
    func rejectsPaddingForeignCharactersBadLengthsAndNonCanonicalBits(_ text: String) {
        #expect(JSONWebToken.Base64URL.decode(Array(text.utf8)[...]) == nil)
    }

    @Test func constantTimeEqualsComparesWholeContent() {
        #expect(JSONWebToken.constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(JSONWebToken.constantTimeEquals([], []))
        #expect(!JSONWebToken.constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!JSONWebToken.constantTimeEquals([0, 2, 3], [1, 2, 3]))
        #expect(!JSONWebToken.constantTimeEquals([1, 2, 3], [1, 2]))
    }
}

@Suite struct JSONWebTokenVerifierTests {
    let verifier = JSONWebTokenVerifier(secret: TokenFactory.secret)!

    private func verify(
        _ token: String, uid: String = "alice", now: Int64 = TokenFactory.now
    )
        throws(JSONWebTokenError)
    {
        try self.verifier.verify(token, uid: uid, now: now)
    }

    private func expectRejected(
        _ token: String, _ error: JSONWebTokenError, uid: String = "alice",
        now: Int64 = TokenFactory.now, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(throws: error, sourceLocation: sourceLocation) {
            try self.verifier.verify(token, uid: uid, now: now)
        }
        #expect(
            !self.verifier.allows(token: token, uid: uid, now: now), sourceLocation: sourceLocation)
    }

    // MARK: Accepted

    @Test(arguments: [
        #"{"sub":"alice"}"#, #"{"sub":"alice","exp":1700000001}"#,
        #"{"sub":"alice","exp":1700000000.5}"#, #"{"sub":"alice","exp":1.8e9}"#,
        #"{"sub":"alice","exp":18E8,"nbf":1.7e9}"#, #"{"sub":"alice","nbf":1600000000}"#,
        #"{"sub":"\u0061lice","iat":1,"jti":"x","aud":["a"],"x":{"y":[null]}}"#,
        " {\n\"sub\" : \"alice\" } ",
    ])
    func acceptsValidClaims(_ claims: String) throws {
        try self.verify(TokenFactory.token(claims: claims))
    }

    @Test(arguments: [
        #"{"alg":"HS256"}"#, #"{"typ":"JWT","alg":"HS256"}"#, #"{"alg":"HS256","typ":"at+jwt"}"#,
        #"{"alg":"HS\u0032\u0035\u0036","kid":"k1"}"#,
    ])
    func acceptsHeadersWithHS256AndOptionalType(_ header: String) throws {
        try self.verify(TokenFactory.token(header: header, claims: TokenFactory.claims()))
    }

    @Test func acceptsNonASCIISubjectMatchedByBytes() throws {
        try self.verify(TokenFactory.token(claims: #"{"sub":"zoë 😀"}"#), uid: "zoë 😀")
    }

    // MARK: Shape

    @Test func missingTokenIsRefused() {
        #expect(!self.verifier.allows(token: nil, uid: "alice", now: TokenFactory.now))
    }

    @Test func tokenLengthBoundary() throws {
        var longestAccepted = ""
        var shortestRefused = ""
        for fillerLength in 2_900...3_100 {
            let filler = String(repeating: "x", count: fillerLength)
            let claims = TokenFactory.claims(extra: #","f":"\#(filler)""#)
            let token = TokenFactory.token(claims: claims)
            let length = token.utf8.count
            if length <= JSONWebTokenVerifier.maxTokenBytes, length > longestAccepted.utf8.count {
                longestAccepted = token
            }
            if length > JSONWebTokenVerifier.maxTokenBytes, shortestRefused.isEmpty {
                shortestRefused = token
            }
        }
        #expect(longestAccepted.utf8.count >= JSONWebTokenVerifier.maxTokenBytes - 2)
        #expect(shortestRefused.utf8.count <= JSONWebTokenVerifier.maxTokenBytes + 3)
        try self.verify(longestAccepted)
        self.expectRejected(shortestRefused, .tokenTooLong)
        self.expectRejected(String(repeating: "a", count: 1 << 20), .tokenTooLong)
    }

    @Test func wrongNumberOfPartsIsRefused() {
        let valid = TokenFactory.token(claims: TokenFactory.claims())
        let parts = valid.split(separator: ".", omittingEmptySubsequences: false)
        for broken in [
            "", "abc", "a.b", String(parts[0]), "\(parts[0]).\(parts[1])", "\(valid).",
            "\(valid).\(parts[2])", "\(parts[0])\(parts[1]).\(parts[2])", "...", "a.b.c.d.e",
        ] {
            self.expectRejected(broken, .wrongPartCount)
        }
    }

    @Test func emptyPartsAreRefused() {
        let valid = TokenFactory.token(claims: TokenFactory.claims())
        let parts = valid.split(separator: ".", omittingEmptySubsequences: false)
        self.expectRejected("..", .malformedHeader)
        self.expectRejected(".\(parts[1]).\(parts[2])", .malformedHeader)
        self.expectRejected("\(parts[0])..\(parts[2])", .badSignature)
        self.expectRejected("\(parts[0]).\(parts[1]).", .badSignature)
    }

    @Test func nonCanonicalBase64URLIsRefusedInEveryPart() {
        let valid = TokenFactory.token(claims: TokenFactory.claims())
        let parts = valid.split(separator: ".").map(String.init)
        for index in 0..<3 {
            for corrupt in [
                parts[index] + "=", parts[index] + "==", parts[index] + " ", " " + parts[index],
                parts[index].replacingFirst("_", or: "-", with: "/"),
                parts[index] + String(repeating: "A", count: (5 - parts[index].count % 4) % 4),
                String(parts[index].dropLast()) + "%",
            ] {
                var changed = parts
                changed[index] = corrupt
                self.expectRejected(changed.joined(separator: "."), .invalidBase64URL)
            }
        }
    }

    /// The signature is 43 characters: its last one carries 2 unused bits. Setting them
    /// spells the same 32 bytes differently; only the canonical spelling is accepted.
    @Test func signatureWithUnusedBitsSetIsRefused() throws {
        let valid = TokenFactory.token(claims: TokenFactory.claims())
        try self.verify(valid)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        let last = try #require(valid.last)
        let value = try #require(alphabet.firstIndex(of: last))
        #expect(value & 0b11 == 0)
        for lowBits in 1...3 {
            let respelled = String(valid.dropLast()) + String(alphabet[value | lowBits])
            self.expectRejected(respelled, .invalidBase64URL)
        }
    }

    // MARK: Header

    @Test(arguments: [
        #"{"alg":"none"}"#, #"{"alg":"HS512"}"#, #"{"alg":"HS384"}"#, #"{"alg":"RS256"}"#,
        #"{"alg":"hs256"}"#, #"{"alg":"Hs256"}"#, #"{"alg":"HS256 "}"#, #"{"alg":" HS256"}"#,
        #"{"alg":""}"#, #"{"alg":"HS2560"}"#, #"{"alg":"HS256\u0000"}"#, #"{"typ":"JWT"}"#, "{}",
        #"{"ALG":"HS256"}"#, #"{"alg ":"HS256"}"#,
    ])
    func refusesEveryAlgorithmButHS256(_ header: String) {
        let token = TokenFactory.token(header: header, claims: TokenFactory.claims())
        self.expectRejected(token, .unsupportedAlgorithm)
    }

    @Test func refusesUnsignedNoneTokens() {
        let claims = TokenFactory.part(TokenFactory.claims())
        for header in [#"{"alg":"none"}"#, #"{"alg":"none","typ":"JWT"}"#] {
            self.expectRejected("\(TokenFactory.part(header)).\(claims).", .unsupportedAlgorithm)
        }
        let forgedHS256 = "\(TokenFactory.part(#"{"alg":"HS256"}"#)).\(claims)."
        self.expectRejected(forgedHS256, .badSignature)
    }

    @Test(arguments: [
        "", " ", "null", "[]", #"["alg","HS256"]"#, #""HS256""#, "{", #"{"alg":"HS256""#,
        #"{"alg":"HS256"} x"#, #"{"alg":"HS256"}{}"#, #"{'alg':'HS256'}"#, #"{"alg":HS256}"#,
        #"{"alg":5}"#, #"{"alg":null}"#, #"{"alg":["HS256"]}"#, #"{"alg":{"v":"HS256"}}"#,
        #"{"alg":"HS256","typ":1}"#, #"{"alg":"HS256","typ":null}"#,
        #"{"alg":"HS256","alg":"HS256"}"#, #"{"alg":"none","alg":"HS256"}"#,
        #"{"alg":"HS256","\u0061lg":"none"}"#, #"{"alg":"HS256","typ":"JWT","typ":"JWT"}"#,
        "{\"alg\":\"HS256\",\"x\":\"\u{1}\"}", #"{"alg":"HS256","x":"\ud800"}"#,
        "\u{FEFF}{\"alg\":\"HS256\"}",
    ])
    func refusesMalformedHeaders(_ header: String) {
        let token = TokenFactory.token(header: header, claims: TokenFactory.claims())
        self.expectRejected(token, .malformedHeader)
    }

    @Test func refusesHeaderThatIsNotUTF8() {
        let headerBytes = Array(#"{"alg":"HS256","x":""#.utf8) + [0xFF, 0x22, 0x7D]
        let header = JSONWebToken.Base64URL.encode(headerBytes)
        let claims = TokenFactory.part(TokenFactory.claims())
        let tag =
            JSONWebToken.hmacSHA256(
                key: TokenFactory.secret, message: Array("\(header).\(claims)".utf8)[...]) ?? []
        let token = "\(header).\(claims).\(JSONWebToken.Base64URL.encode(tag))"
        self.expectRejected(token, .malformedHeader)
    }

    /// The header object counts as one level; `maxJSONDepth` (16) levels pass, one more fails,
    /// in the header and in the claims alike.
    @Test(arguments: [15, 16, 40])
    func nestingBeyondTheDepthLimitIsRefused(arrays: Int) throws {
        let nested = String(repeating: "[", count: arrays) + String(repeating: "]", count: arrays)
        let header = TokenFactory.token(
            header: #"{"alg":"HS256","x":\#(nested)}"#, claims: TokenFactory.claims())
        let claims = TokenFactory.token(claims: TokenFactory.claims(extra: #","x":\#(nested)"#))
        if 1 + arrays <= JSONWebTokenVerifier.maxJSONDepth {
            try self.verify(header)
            try self.verify(claims)
        } else {
            self.expectRejected(header, .malformedHeader)
            self.expectRejected(claims, .malformedClaims)
        }
    }

    @Test(arguments: [
        #"{"alg":"HS256","crit":["exp"]}"#, #"{"alg":"HS256","crit":[]}"#,
        #"{"alg":"HS256","crit":"b64"}"#,
    ])
    func refusesCriticalExtensions(_ header: String) {
        let token = TokenFactory.token(header: header, claims: TokenFactory.claims())
        self.expectRejected(token, .unsupportedCriticalHeader)
    }

    // MARK: Signature

    @Test func refusesTokenSignedWithAnotherSecret() {
        for secret in ["switchboard-test-secreT", "switchboard-test-secret ", "x", ""] {
            let token = TokenFactory.token(
                claims: TokenFactory.claims(), secret: Array(secret.utf8))
            self.expectRejected(token, .badSignature)
        }
    }

    @Test func refusesEverySingleBitFlipInTheSignature() throws {
        let valid = TokenFactory.token(claims: TokenFactory.claims())
        let parts = valid.split(separator: ".").map(String.init)
        let tag = try #require(JSONWebToken.Base64URL.decode(Array(parts[2].utf8)[...]))
        for bit in 0..<(tag.count * 8) {
            var flipped = tag
            flipped[bit / 8] ^= 1 << UInt8(bit % 8)
            let token = "\(parts[0]).\(parts[1]).\(JSONWebToken.Base64URL.encode(flipped))"
            self.expectRejected(token, .badSignature)
        }
    }

    @Test func refusesSignaturesOfTheWrongLength() throws {
        let valid = TokenFactory.token(claims: TokenFactory.claims())
        let parts = valid.split(separator: ".").map(String.init)
        let tag = try #require(JSONWebToken.Base64URL.decode(Array(parts[2].utf8)[...]))
        for signature in [Array(tag.prefix(31)), Array(tag.prefix(16)), tag + [0], tag + tag, []] {
            let token = "\(parts[0]).\(parts[1]).\(JSONWebToken.Base64URL.encode(signature))"
            self.expectRejected(token, .badSignature)
        }
    }

    @Test func refusesClaimsSwappedUnderAnotherTokensSignature() {
        let alice = TokenFactory.token(claims: TokenFactory.claims(sub: "alice"))
        let mallory = TokenFactory.token(claims: TokenFactory.claims(sub: "mallory"))
        let aliceParts = alice.split(separator: ".")
        let malloryParts = mallory.split(separator: ".")
        let spliced = "\(aliceParts[0]).\(malloryParts[1]).\(aliceParts[2])"
        self.expectRejected(spliced, .badSignature, uid: "mallory")
        let reencodedHeader = "\(TokenFactory.part(#"{"typ":"JWT","alg":"HS256"}"#))"
        self.expectRejected(
            "\(reencodedHeader).\(aliceParts[1]).\(aliceParts[2])", .badSignature)
    }

    // MARK: Claims

    @Test(arguments: [
        "", "null", "[]", #"["sub","alice"]"#, #""alice""#, "1", #"{"sub":"alice""#,
        #"{"sub":"alice"}x"#, #"{"sub":alice}"#, #"{"sub":1}"#, #"{"sub":null}"#,
        #"{"sub":["alice"]}"#, #"{"sub":"alice","sub":"alice"}"#, #"{"sub":"bob","sub":"alice"}"#,
        #"{"sub":"alice","exp":"2000000000"}"#, #"{"sub":"alice","exp":null}"#,
        #"{"sub":"alice","exp":true}"#, #"{"sub":"alice","exp":[1]}"#,
        #"{"sub":"alice","exp":1e400}"#,
        #"{"sub":"alice","exp":-1e400}"#, #"{"sub":"alice","exp":2e9,"exp":2e9}"#,
        #"{"sub":"alice","nbf":"1"}"#, #"{"sub":"alice","nbf":1,"nbf":1}"#,
        #"{"sub":"alice","exp":02000000000}"#, #"{"sub":"alice","exp":+2000000000}"#,
        #"{"sub":"alice","exp":2000000000.}"#, #"{"sub":"alice","exp":NaN}"#,
        #"{"sub":"alice","exp":Infinity}"#, "{\"sub\":\"al\u{0}ice\"}",
    ])
    func refusesMalformedClaims(_ claims: String) {
        self.expectRejected(TokenFactory.token(claims: claims), .malformedClaims)
    }

    @Test(arguments: ["{}", #"{"exp":2000000000}"#, #"{"iss":"alice"}"#, #"{"Sub":"alice"}"#])
    func refusesClaimsWithoutSubject(_ claims: String) {
        self.expectRejected(TokenFactory.token(claims: claims), .missingSubject)
    }

    @Test(arguments: [
        ("alice", "bob"), ("alice", "Alice"), ("alice", "alice "), ("alice", ""),
        ("café", "cafe\u{301}"), ("cafe\u{301}", "café"), ("alice", "alic"),
        ("alice\u{0}", "alice"),
    ])
    func refusesSubjectThatIsNotTheUID(_ uid: String, _ subject: String) {
        let token = JSONWebToken.sign(subject: subject, expiresAt: nil, secret: TokenFactory.secret)
        self.expectRejected(token ?? "", .subjectMismatch, uid: uid)
    }

    // MARK: Time

    /// `exp` is 1 700 000 000 s; now moves around it in milliseconds (RFC 7519 §4.1.4: on or
    /// after `exp` the token is refused).
    @Test(arguments: [
        (Int64(1_699_999_999_999), true), (1_700_000_000_000, false), (1_700_000_000_001, false),
        (1_600_000_000_000, true), (1_800_000_000_000, false),
    ])
    func expiresExactlyAtExp(_ now: Int64, _ accepted: Bool) {
        let token = TokenFactory.token(claims: TokenFactory.claims(extra: #","exp":1700000000"#))
        if accepted {
            #expect(throws: Never.self) { try self.verify(token, now: now) }
        } else {
            self.expectRejected(token, .expired, now: now)
        }
    }

    @Test(arguments: [
        (Int64(1_700_000_000_499), true), (1_700_000_000_500, false),
    ])
    func fractionalExpCountsInMilliseconds(_ now: Int64, _ accepted: Bool) {
        let token = TokenFactory.token(claims: TokenFactory.claims(extra: #","exp":1700000000.5"#))
        #expect(self.verifier.allows(token: token, uid: "alice", now: now) == accepted)
    }

    @Test(arguments: ["0", "-1", "-1e300", "1e-9", "0.0", "-0"])
    func longPastExpIsExpired(_ exp: String) {
        let token = TokenFactory.token(claims: TokenFactory.claims(extra: #","exp":\#(exp)"#))
        self.expectRejected(token, .expired)
    }

    @Test func farFutureExpIsAccepted() throws {
        let token = TokenFactory.token(claims: TokenFactory.claims(extra: #","exp":1e300"#))
        try self.verify(token)
    }

    @Test(arguments: [
        (Int64(1_699_999_999_999), false), (1_700_000_000_000, true), (1_700_000_000_001, true),
    ])
    func notBeforeBoundary(_ now: Int64, _ accepted: Bool) {
        let token = TokenFactory.token(claims: TokenFactory.claims(extra: #","nbf":1700000000"#))
        if accepted {
            #expect(throws: Never.self) { try self.verify(token, now: now) }
        } else {
            self.expectRejected(token, .notYetValid, now: now)
        }
    }

    @Test func leewayWidensBothBoundsAndIsClamped() throws {
        let lenient = try #require(
            JSONWebTokenVerifier(secret: TokenFactory.secret, leewaySeconds: 30))
        let expired = TokenFactory.token(claims: TokenFactory.claims(extra: #","exp":1699999971"#))
        let early = TokenFactory.token(claims: TokenFactory.claims(extra: #","nbf":1700000029"#))
        try lenient.verify(expired, uid: "alice", now: TokenFactory.now)
        try lenient.verify(early, uid: "alice", now: TokenFactory.now)
        #expect(throws: JSONWebTokenError.expired) {
            try lenient.verify(expired, uid: "alice", now: TokenFactory.now + 1_000)
        }
        #expect(throws: JSONWebTokenError.notYetValid) {
            try lenient.verify(early, uid: "alice", now: TokenFactory.now - 1_001)
        }
        self.expectRejected(expired, .expired)

        #expect(JSONWebTokenVerifier(secret: "s", leewaySeconds: -5)?.leewaySeconds == 0)
        #expect(JSONWebTokenVerifier(secret: "s", leewaySeconds: .max)?.leewaySeconds == 3600)
        #expect(JSONWebTokenVerifier(secret: "s")?.leewaySeconds == 0)
    }

    @Test func extremeClockValuesNeverTrap() {
        let token = TokenFactory.token(
            claims: TokenFactory.claims(extra: #","exp":1e308,"nbf":-1e308"#))
        for now in [Int64.min, -1, 0, Int64.max] {
            #expect(self.verifier.allows(token: token, uid: "alice", now: now))
        }
    }

    /// Checks run in the documented order, so a token with several faults reports the first.
    @Test func reportsTheFirstBrokenRule() {
        let expiredMismatch = TokenFactory.token(
            claims: TokenFactory.claims(sub: "bob", extra: #","exp":1"#))
        self.expectRejected(expiredMismatch, .subjectMismatch)
        let badAlgorithmAndSignature = TokenFactory.token(
            header: #"{"alg":"none"}"#, claims: TokenFactory.claims(), secret: Array("x".utf8))
        self.expectRejected(badAlgorithmAndSignature, .unsupportedAlgorithm)
        let badSignatureAndClaims = TokenFactory.token(claims: "[]", secret: Array("x".utf8))
        self.expectRejected(badSignatureAndClaims, .badSignature)
    }

    @Test func everyErrorHasAShortLowercaseDescription() {
        for error in JSONWebTokenError.allCases {
            let text = error.description
            #expect(!text.isEmpty && text.utf8.count <= 123)
            #expect(text.first?.isLowercase == true && text.last != ".")
        }
    }
}

/// The verifier plugged into the real router: SPEC "bind" with `--jwt-secret`.
@Suite struct JSONWebTokenRouterTests {
    private func harness() -> RouterHarness {
        var configuration = RouterConfiguration()
        configuration.authenticator = JSONWebTokenVerifier(secret: TokenFactory.secret)
        let harness = RouterHarness(configuration: configuration)
        harness.now = TokenFactory.now
        return harness
    }

    @Test func bindWithBadTokenIs401AndGoodTokenIs0() {
        let harness = self.harness()
        let connection = harness.connect()
        let forBob = TokenFactory.token(claims: TokenFactory.claims(sub: "bob"))
        let expired = TokenFactory.token(claims: TokenFactory.claims(extra: #","exp":1600000000"#))
        let otherSecret = TokenFactory.token(claims: TokenFactory.claims(), secret: [1, 2, 3])
        for token in [nil, "", "garbage", forBob, expired, otherSecret] {
            harness.send(ClientEnvelope(type: .bind, uid: "alice", token: token), from: connection)
        }
        let refusals = harness.take(connection)
        #expect(refusals.map(\.code) == [401, 401, 401, 401, 401, 401])
        #expect(refusals.allSatisfy { $0.type == "bind" && $0.error })
        #expect(harness.router.boundUID(of: connection) == nil)

        let good = TokenFactory.token(claims: TokenFactory.claims(extra: #","exp":1700003600"#))
        harness.send(
            ClientEnvelope(type: .bind, uid: "alice", id: "b1", token: good), from: connection)
        let reply = harness.take(connection)
        #expect(reply.map(\.code) == [0])
        #expect(reply.first?.uid == "alice" && reply.first?.id == "b1")
        #expect(harness.router.boundUID(of: connection) == "alice")
    }

    @Test func boundConnectionStillCannotActAsAnotherUID() {
        let harness = self.harness()
        let connection = harness.connect()
        let good = TokenFactory.token(claims: TokenFactory.claims())
        harness.send(ClientEnvelope(type: .bind, uid: "alice", token: good), from: connection)
        harness.send(
            ClientEnvelope(type: .send, uid: "bob", touid: "carol", msg: "hi"), from: connection)
        #expect(harness.take(connection).map(\.code) == [0, 403])
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - self.count)) + self
    }

    /// Replaces the first `_` or `-` with `replacement`, or appends it when there is neither.
    fileprivate func replacingFirst(
        _ first: Character, or second: Character, with replacement: Character
    ) -> String {
        guard let index = self.firstIndex(where: { $0 == first || $0 == second }) else {
            return self + String(replacement)
        }
        var copy = self
        copy.replaceSubrange(index...index, with: String(replacement))
        return copy
    }
}
