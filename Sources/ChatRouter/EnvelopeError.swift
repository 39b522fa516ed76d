/// A field of a V1 client envelope, named as it is spelled on the wire.
public enum EnvelopeField: String, CaseIterable, Equatable, Hashable, Sendable {
    case type, uid, touid, msg, id, token, since
}

/// Which rule a field's value broke.
public enum FieldViolation: CaseIterable, Equatable, Hashable, Sendable {
    /// The JSON type is wrong: every field is a string except `since`, an integer.
    case wrongType
    /// A uid or touid of zero bytes.
    case empty
    /// A uid, touid or id longer than its byte limit in `EnvelopeLimits`.
    case tooLong
    /// A uid or touid holding U+0000–U+001F, U+007F or U+0080–U+009F.
    case controlCharacter
    /// A `since` number that is negative, has a fraction or exponent, or exceeds `UInt64.max`.
    case notUnsignedInteger
}

/// Why a client envelope (or a long-poll body) was refused, one case per broken rule.
///
/// `v1Code` is the one mapping to the V1 reply code; `description` is the reply's `msg`. The
/// description never contains anything the client sent, so it is safe to log and to echo.
public enum EnvelopeError: Error, Equatable, Hashable, Sendable, CustomStringConvertible {
    /// The bytes are not one well-formed UTF-8 JSON text (RFC 8259).
    case notJSON(JSONSyntaxError)
    /// Valid JSON, but not an object (or, for a long-poll body, neither object nor array).
    case notAnObject
    /// `type` is a string other than `bind`, `send`, `join` or `exit`.
    case unknownType
    /// A field the request's type requires is absent or `null`; `type` itself included.
    case missingField(EnvelopeField)
    /// A field is present with a value that breaks its rule.
    case invalidField(EnvelopeField, FieldViolation)
    /// `msg` is longer than `EnvelopeLimits.maxMessageBytes` bytes of UTF-8.
    case messageTooLong
    /// A long-poll array holds more than `EnvelopeLimits.maxBatchEnvelopes` elements.
    case batchTooLarge

    /// The V1 code to reply with: 413 for what is over a size limit, 400 for the rest.
    public var v1Code: Int {
        switch self {
        case .messageTooLong, .batchTooLarge: 413
        case .notJSON, .notAnObject, .unknownType, .missingField, .invalidField: 400
        }
    }

    /// A short lowercase English phrase with no final period; the V1 error frame's `msg`.
    public var description: String {
        switch self {
        case .notJSON(let syntax): "invalid json: \(syntax)"
        case .notAnObject: "envelope is not a json object"
        case .unknownType: "unknown type"
        case .missingField(let field): "missing field \(field.rawValue)"
        case .invalidField(let field, let violation):
            Self.describe(violation, of: field)
        case .messageTooLong: "message too long"
        case .batchTooLarge: "too many envelopes in batch"
        }
    }

    private static func describe(_ violation: FieldViolation, of field: EnvelopeField) -> String {
        let name = field.rawValue
        switch violation {
        case .wrongType where field == .since: return "field since must be an integer"
        case .wrongType: return "field \(name) must be a string"
        case .empty: return "field \(name) is empty"
        case .tooLong: return "field \(name) is too long"
        case .controlCharacter: return "field \(name) contains a control character"
        case .notUnsignedInteger: return "field \(name) must be a non-negative 64-bit integer"
        }
    }
}

/// A refused envelope: the broken rule plus what the error reply must echo.
///
/// SPEC: an error frame's `type` echoes the request's type, or is `"error"` when the request
/// could not be parsed; it carries `id` when the request had one. So both are kept here
/// whenever they could be read, even when the envelope is otherwise invalid.
public struct RejectedEnvelope: Error, Equatable, Hashable, Sendable {
    /// The rule the envelope broke.
    public var reason: EnvelopeError
    /// The request's `type` when the body was a JSON object whose `type` is a string, even an
    /// unknown one; nil otherwise.
    public var requestType: String?
    /// The request's `id` when it was a string within `EnvelopeLimits.maxRequestIDBytes`;
    /// nil otherwise (an oversized id is not echoed).
    public var requestID: String?
    /// The request's `uid` and `touid` when each was itself valid, so a client that sent no
    /// `id` can still tell which conversation the error belongs to; nil otherwise.
    public var requestUID: String?
    public var requestToUID: String?

    /// Creates a rejection; every echoed field defaults to nothing to echo.
    public init(
        reason: EnvelopeError, requestType: String? = nil, requestID: String? = nil,
        requestUID: String? = nil, requestToUID: String? = nil
    ) {
        self.reason = reason
        self.requestType = requestType
        self.requestID = requestID
        self.requestUID = requestUID
        self.requestToUID = requestToUID
    }

    /// The V1 code of the error reply (400 or 413).
    public var code: Int { self.reason.v1Code }

    /// The error reply's `type`: the request's own when readable, else `"error"`.
    public var replyType: String { self.requestType ?? "error" }
}
