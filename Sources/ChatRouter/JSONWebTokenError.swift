/// Why a `bind` token was refused; every case makes the bind a 401.
///
/// The cases exist for tests, logs and metrics on the server side. Clients only ever see the
/// router's fixed "invalid or expired token": telling an attacker which check failed would
/// help them forge. Descriptions never echo token content.
public enum JSONWebTokenError: Error, CaseIterable, Equatable, Hashable, Sendable,
    CustomStringConvertible
{
    /// The bind carried no `token`.
    case missingToken
    /// The token is longer than `JSONWebTokenVerifier.maxTokenBytes`.
    case tokenTooLong
    /// Not exactly three dot-separated parts (JWS compact serialization, RFC 7515 §7.1).
    case wrongPartCount
    /// A part that is not unpadded, canonical base64url (RFC 7515 §2, RFC 4648 §5): padding,
    /// a character outside the alphabet, an impossible length or non-zero trailing bits.
    case invalidBase64URL
    /// The header is not a JSON object, repeats a member, or has a member of the wrong type.
    case malformedHeader
    /// `alg` is missing or anything but exactly `HS256` (`none` and `HS512` included).
    case unsupportedAlgorithm
    /// The header has `crit`: no extension is understood, so RFC 7515 §4.1.11 says reject.
    case unsupportedCriticalHeader
    /// The signature is not 32 bytes or does not match.
    case badSignature
    /// The claims set is not a JSON object, repeats a member, or has a member of the wrong type.
    case malformedClaims
    /// `sub` is missing.
    case missingSubject
    /// `sub` differs from the uid being bound (compared byte for byte).
    case subjectMismatch
    /// `exp` is at or before now.
    case expired
    /// `nbf` is after now.
    case notYetValid
    /// GnuTLS could not compute the HMAC (should never happen on a working system).
    case hmacUnavailable

    /// A short lowercase phrase with no final period.
    public var description: String {
        switch self {
        case .missingToken: "missing token"
        case .tokenTooLong: "token too long"
        case .wrongPartCount: "token must have three parts"
        case .invalidBase64URL: "token part is not base64url"
        case .malformedHeader: "malformed token header"
        case .unsupportedAlgorithm: "token algorithm must be HS256"
        case .unsupportedCriticalHeader: "unsupported critical token header"
        case .badSignature: "bad token signature"
        case .malformedClaims: "malformed token claims"
        case .missingSubject: "token has no subject"
        case .subjectMismatch: "token subject differs from uid"
        case .expired: "token expired"
        case .notYetValid: "token not yet valid"
        case .hmacUnavailable: "hmac unavailable"
        }
    }
}
