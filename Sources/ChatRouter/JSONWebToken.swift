import CGnuTLS

/// HS256 JSON Web Tokens (RFC 7519, signed as a JWS per RFC 7515 with HMAC-SHA256 per
/// RFC 7518 §3.2): minting, for tests and tools. Verification is `JSONWebTokenVerifier`.
///
/// The HMAC comes from GnuTLS, which the server already links through libmicrohttpd.
public enum JSONWebToken {
    /// The protected header every minted token carries.
    static let headerJSON: StaticString = #"{"alg":"HS256","typ":"JWT"}"#

    /// Bytes in an HMAC-SHA256 tag, so in every valid HS256 signature.
    static let signatureBytes = 32

    /// Mints a token whose claims set is `claimsJSON`, taken as is (the caller vouches that it
    /// is a JSON object). Nil when `secret` is empty or GnuTLS cannot compute the HMAC.
    public static func sign(claimsJSON: [UInt8], secret: [UInt8]) -> String? {
        guard !secret.isEmpty else { return nil }
        let header = self.headerJSON.withUTF8Buffer { Base64URL.encode($0) }
        let signingInput = Array("\(header).\(Base64URL.encode(claimsJSON))".utf8)
        guard let tag = self.hmacSHA256(key: secret, message: signingInput[...]) else {
            return nil
        }
        return String(decoding: signingInput, as: UTF8.self) + "." + Base64URL.encode(tag)
    }

    /// Mints a token for `subject`, expiring at `expiresAt` (Unix seconds) when given.
    /// Nil when `secret` is empty or GnuTLS cannot compute the HMAC.
    public static func sign(subject: String, expiresAt: Int64?, secret: [UInt8]) -> String? {
        let claims = SubjectClaims(subject: subject, expiresAt: expiresAt)
        return self.sign(claimsJSON: JSONEncoding.bytes(of: claims), secret: secret)
    }

    /// `{"sub":…,"exp":…}`, the claims set `sign(subject:expiresAt:secret:)` mints.
    private struct SubjectClaims: JSONEncodable {
        let subject: String
        let expiresAt: Int64?

        func write<Sink: JSONSink>(to sink: inout Sink) {
            sink.writeRaw(#"{"sub":"#)
            sink.writeString(self.subject)
            if let expiresAt = self.expiresAt {
                sink.writeRaw(#","exp":"#)
                sink.writeInteger(expiresAt)
            }
            sink.writeByte(ASCII.closeBrace)
        }
    }

    /// HMAC-SHA256 of `message` under `key`; nil if GnuTLS reports a failure.
    static func hmacSHA256(key: [UInt8], message: ArraySlice<UInt8>) -> [UInt8]? {
        var tag = [UInt8](repeating: 0, count: self.signatureBytes)
        let status = key.withUnsafeBytes { keyBytes in
            message.withUnsafeBytes { messageBytes in
                tag.withUnsafeMutableBytes { tagBytes in
                    gnutls_hmac_fast(
                        GNUTLS_MAC_SHA256, keyBytes.baseAddress, keyBytes.count,
                        messageBytes.baseAddress, messageBytes.count, tagBytes.baseAddress)
                }
            }
        }
        return status == 0 ? tag : nil
    }

    /// Whether two byte strings are equal, taking the same time wherever they differ, so that
    /// response timing cannot reveal how much of a forged signature was right. Only the
    /// lengths, which are public, may end the comparison early.
    static func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in 0..<lhs.count {
            difference |= lhs[index] ^ rhs[index]
        }
        return difference == 0
    }
}
