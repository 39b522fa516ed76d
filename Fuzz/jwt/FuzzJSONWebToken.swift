/// libFuzzer target: the HS256 bind-token verifier and its base64url codec, compiled into the
/// ChatRouter module.
///
/// Input layout: byte 0 picks the mode. Even: the rest is a token, verified as sent (this
/// exercises the shape, base64url and header checks; the committed seeds hold tokens signed
/// with the harness secret so mutations also reach the claims). Odd: the rest is split at
/// the first 0x00 byte into header JSON and claims JSON, which the harness signs with the
/// secret before verifying, so every mutation of the JSON reaches the claim checks.
/// Beyond "no crash", each run checks that:
/// - base64url decoding is canonical: every decodable part re-encodes to itself;
/// - an accepted token is within the size limit and is refused under any other secret, for
///   another uid, and once its `exp` (if any) has passed.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONWebToken(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let mode = input.takeByte()
    let rest = Array(input.rest)
    let token: String
    if mode & 1 == 0 {
        token = String(decoding: rest, as: UTF8.self)
    } else {
        let split = rest.firstIndex(of: 0) ?? rest.endIndex
        token = signedToken(header: rest[..<split], claims: rest[min(split + 1, rest.endIndex)...])
    }

    let parts = Array(token.utf8).split(
        separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
    for part in parts {
        guard let decoded = JSONWebToken.Base64URL.decode(part) else { continue }
        fuzzCheck(
            Array(JSONWebToken.Base64URL.encode(decoded).utf8) == Array(part),
            "base64url decoding is not canonical")
    }

    let now: Int64 = 1_700_000_000_000
    guard FuzzSecrets.verifier.allows(token: token, uid: FuzzSecrets.uid, now: now) else {
        return 0
    }
    fuzzCheck(token.utf8.count <= JSONWebTokenVerifier.maxTokenBytes, "oversized token accepted")
    fuzzCheck(
        !FuzzSecrets.otherVerifier.allows(token: token, uid: FuzzSecrets.uid, now: now),
        "token accepted under a different secret")
    fuzzCheck(
        !FuzzSecrets.verifier.allows(token: token, uid: FuzzSecrets.uid + "x", now: now),
        "token accepted for another uid")
    checkRefusedFromExpiry(token)
    return 0
}

/// An accepted token with `exp` must be refused at the first millisecond on or after it.
private func checkRefusedFromExpiry(_ token: String) {
    let parts = Array(token.utf8).split(separator: UInt8(ascii: "."))
    guard parts.count == 3, let claimsBytes = JSONWebToken.Base64URL.decode(parts[1]),
        let claims = try? JSONWebTokenVerifier.parseClaims(claimsBytes),
        let expiresAt = claims.expiresAt
    else { return }
    let expiry = (expiresAt * 1000).rounded(.up)
    guard abs(expiry) < 9e18 else { return }
    let atExpiry = Int64(expiry)
    fuzzCheck(
        !FuzzSecrets.verifier.allows(token: token, uid: FuzzSecrets.uid, now: atExpiry),
        "token accepted at its exp")
}

/// The secret the committed seeds are signed with, a second one that must never accept them,
/// and the uid they name.
enum FuzzSecrets {
    static let secret = Array("switchboard-fuzz-secret".utf8)
    static let uid = "alice"
    static let verifier = JSONWebTokenVerifier(secret: secret).unsafelyUnwrapped
    static let otherVerifier = JSONWebTokenVerifier(secret: "another-secret").unsafelyUnwrapped
}

private func signedToken(header: ArraySlice<UInt8>, claims: ArraySlice<UInt8>) -> String {
    let signingInput =
        JSONWebToken.Base64URL.encode(header) + "." + JSONWebToken.Base64URL.encode(claims)
    let tag = JSONWebToken.hmacSHA256(
        key: FuzzSecrets.secret, message: Array(signingInput.utf8)[...])
    return signingInput + "." + JSONWebToken.Base64URL.encode(tag ?? [])
}
