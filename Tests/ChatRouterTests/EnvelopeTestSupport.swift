@testable import ChatRouter

/// Shorthand for decoding envelopes in tests.
enum EnvelopeTestSupport {
    /// Decodes one envelope from text.
    static func decode(
        _ text: String, limits: EnvelopeLimits = EnvelopeLimits()
    )
        -> Result<ClientEnvelope, RejectedEnvelope>
    {
        self.decode(Array(text.utf8), limits: limits)
    }

    /// Decodes one envelope from bytes.
    static func decode(
        _ bytes: [UInt8], limits: EnvelopeLimits = EnvelopeLimits()
    )
        -> Result<ClientEnvelope, RejectedEnvelope>
    {
        Result { () throws(RejectedEnvelope) in try ClientEnvelope.decode(bytes, limits: limits) }
    }

    /// The broken rule of a refused envelope, or nil when it was accepted.
    static func reason(
        _ text: String, limits: EnvelopeLimits = EnvelopeLimits()
    )
        -> EnvelopeError?
    {
        if case .failure(let rejected) = self.decode(text, limits: limits) {
            return rejected.reason
        }
        return nil
    }

    /// The accepted envelope, or nil when it was refused.
    static func envelope(
        _ text: String, limits: EnvelopeLimits = EnvelopeLimits()
    )
        -> ClientEnvelope?
    {
        try? self.decode(text, limits: limits).get()
    }

    /// The rejection, or nil when the envelope was accepted.
    static func rejection(
        _ text: String, limits: EnvelopeLimits = EnvelopeLimits()
    )
        -> RejectedEnvelope?
    {
        if case .failure(let rejected) = self.decode(text, limits: limits) { return rejected }
        return nil
    }

    /// Builds the text of a JSON object from members whose values are already JSON.
    static func object(_ members: [(String, String)]) -> String {
        "{" + members.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    /// A JSON string literal for `text`, escaped by Foundation (so independent of our writer).
    static func quoted(_ text: String) -> String {
        JSONTestSupport.literal(text)
    }
}
