/// A V1 request from a client, decoded from JSON and validated against SPEC "V1 envelopes".
///
/// A value only exists once every rule has passed, so the router can rely on these facts:
/// - `bind` has `uid`; `send` has `touid` and `msg`; `join` and `exit` have `touid`;
/// - `uid` and `touid`, when present, are 1…`maxUIDBytes` bytes with no control characters;
/// - `msg` is at most `maxMessageBytes` bytes; `id` at most `maxRequestIDBytes` bytes;
/// - every other known field, when present, had the right JSON type.
///
/// Fields are checked whenever present, for every type: a `since` of `-1` on a `send` is a
/// 400 even though `send` ignores `since`. Unknown fields are validated as JSON and ignored;
/// `null` counts as absent; when a key repeats, the last occurrence wins.
public struct ClientEnvelope: Equatable, Hashable, Sendable {
    /// The request kinds of SPEC "Events".
    public enum Kind: String, CaseIterable, Equatable, Hashable, Sendable {
        case bind, send, join, exit
    }

    /// What the client asks for.
    public var type: Kind
    /// The sender; required for `bind`, optional elsewhere.
    public var uid: String?
    /// The other user; present for `send`, `join` and `exit`.
    public var touid: String?
    /// The message text; present for `send`.
    public var msg: String?
    /// The client's request id, echoed in replies.
    public var id: String?
    /// The credential for `bind` when the server checks tokens.
    public var token: String?
    /// On `bind`: the last `mid` this device has seen.
    public var since: UInt64?

    /// Builds an envelope as-is, without validation (for tests and for callers that construct
    /// requests themselves).
    public init(
        type: Kind, uid: String? = nil, touid: String? = nil, msg: String? = nil,
        id: String? = nil, token: String? = nil, since: UInt64? = nil
    ) {
        self.type = type
        self.uid = uid
        self.touid = touid
        self.msg = msg
        self.id = id
        self.token = token
        self.since = since
    }

    /// Decodes and validates one envelope, a JSON object in UTF-8.
    ///
    /// Checks run in SPEC order: a body that is not JSON (`.notJSON`), then not an object,
    /// then `type`, then each field, then required fields, and last the `msg` size (413).
    /// - Throws: `RejectedEnvelope` naming the broken rule and what the reply must echo.
    public static func decode(
        _ bytes: UnsafeRawBufferPointer, limits: EnvelopeLimits = EnvelopeLimits()
    ) throws(RejectedEnvelope) -> ClientEnvelope {
        var decoder = EnvelopeDecoder(bytes, limits: limits)
        return try decoder.decodeSingle()
    }

    /// Decodes and validates one envelope held in an array; see `decode(_:limits:)` for an
    /// `UnsafeRawBufferPointer`.
    public static func decode(
        _ bytes: [UInt8], limits: EnvelopeLimits = EnvelopeLimits()
    ) throws(RejectedEnvelope) -> ClientEnvelope {
        // `withUnsafeBytes` rethrows untyped errors, so the typed error rides in a Result.
        let result = bytes.withUnsafeBytes { buffer in
            var decoder = EnvelopeDecoder(buffer, limits: limits)
            return Result { () throws(RejectedEnvelope) in try decoder.decodeSingle() }
        }
        return try result.get()
    }

    /// Decodes and validates one envelope held in an array slice (any start index); see
    /// `decode(_:limits:)` for an `UnsafeRawBufferPointer`.
    public static func decode(
        _ bytes: ArraySlice<UInt8>, limits: EnvelopeLimits = EnvelopeLimits()
    ) throws(RejectedEnvelope) -> ClientEnvelope {
        // `withUnsafeBytes` rethrows untyped errors, so the typed error rides in a Result.
        let result = bytes.withUnsafeBytes { buffer in
            var decoder = EnvelopeDecoder(buffer, limits: limits)
            return Result { () throws(RejectedEnvelope) in try decoder.decodeSingle() }
        }
        return try result.get()
    }
}
