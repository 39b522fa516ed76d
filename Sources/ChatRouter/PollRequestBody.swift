/// A decoded `POST /v1/poll` body: SPEC allows one envelope or an array of envelopes.
///
/// The top level decides the HTTP answer: `.envelope` mirrors its one result's code in the
/// status; `.batch` is answered 200 with one reply per element, in order; `.rejected` is a
/// request-level failure (400, or 413 for too many elements) answered with one error frame
/// of type `"error"`.
public enum PollRequestBody: Equatable, Sendable {
    /// The top level was an object, decoded as one envelope.
    case envelope(Result<ClientEnvelope, RejectedEnvelope>)
    /// The top level was an array; one result per element, in order. An element that is not
    /// an object is its own `.notAnObject` failure. An empty array gives no results.
    case batch([Result<ClientEnvelope, RejectedEnvelope>])
    /// Not JSON, JSON that is neither object nor array, or an array over
    /// `EnvelopeLimits.maxBatchEnvelopes`.
    case rejected(RejectedEnvelope)

    /// Decodes a long-poll body from bytes the caller keeps alive during the call.
    public static func decode(
        _ bytes: UnsafeRawBufferPointer, limits: EnvelopeLimits = EnvelopeLimits()
    ) -> PollRequestBody {
        var decoder = EnvelopeDecoder(bytes, limits: limits)
        return decoder.decodePollBody()
    }

    /// Decodes a long-poll body held in an array.
    public static func decode(
        _ bytes: [UInt8], limits: EnvelopeLimits = EnvelopeLimits()
    ) -> PollRequestBody {
        bytes.withUnsafeBytes { buffer in
            var decoder = EnvelopeDecoder(buffer, limits: limits)
            return decoder.decodePollBody()
        }
    }

    /// Decodes a long-poll body held in an array slice (any start index).
    public static func decode(
        _ bytes: ArraySlice<UInt8>, limits: EnvelopeLimits = EnvelopeLimits()
    ) -> PollRequestBody {
        bytes.withUnsafeBytes { buffer in
            var decoder = EnvelopeDecoder(buffer, limits: limits)
            return decoder.decodePollBody()
        }
    }
}
