/// libFuzzer target: the V1 envelope decoder (`ClientEnvelope.decode`,
/// `PollRequestBody.decode`) and the JSON reader under it, compiled into the ChatRouter module.
///
/// Input layout: byte 0 picks the limits (bits 0–1: SPEC defaults, tiny limits that every
/// field can cross, a nesting limit above the reader's ceiling, or a batch limit of 1); the
/// rest is the request body. Beyond "no crash", each run checks that:
/// - an accepted envelope obeys every documented limit and field rule;
/// - writing an accepted envelope back as JSON and decoding it gives the same envelope;
/// - the body is "not JSON" exactly when the plain JSON reader refuses it;
/// - a long-poll body that is one object decodes exactly as a single envelope does.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEnvelope(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let limits: EnvelopeLimits
    switch input.takeByte() & 3 {
    case 0: limits = EnvelopeLimits()
    case 1:
        limits = EnvelopeLimits(
            maxUIDBytes: 4, maxMessageBytes: 8, maxRequestIDBytes: 4, maxBatchEnvelopes: 3,
            maxNestingDepth: 3)
    case 2: limits = EnvelopeLimits(maxNestingDepth: 100_000)
    default: limits = EnvelopeLimits(maxBatchEnvelopes: 1)
    }
    let body = input.rest

    let single = Result { () throws(RejectedEnvelope) in
        try ClientEnvelope.decode(body, limits: limits)
    }
    let poll = PollRequestBody.decode(body, limits: limits)
    checkAgreesWithJSONReader(single, body: body, limits: limits)
    checkPollBody(poll, single: single, body: body, limits: limits)
    if case .success(let envelope) = single {
        checkEnvelope(envelope, limits: limits)
        checkRoundTrip(envelope, limits: limits)
    }
    return 0
}

private func checkAgreesWithJSONReader(
    _ single: Result<ClientEnvelope, RejectedEnvelope>, body: UnsafeRawBufferPointer,
    limits: EnvelopeLimits
) {
    let readerAccepts = (try? JSONReader.validate(body, maxDepth: limits.maxNestingDepth)) != nil
    var decoderSaysNotJSON = false
    if case .failure(let rejection) = single, case .notJSON = rejection.reason {
        decoderSaysNotJSON = true
    }
    fuzzCheck(
        readerAccepts != decoderSaysNotJSON,
        "reader accepts: \(readerAccepts), decoder says not JSON: \(decoderSaysNotJSON)")
}

private func checkPollBody(
    _ poll: PollRequestBody, single: Result<ClientEnvelope, RejectedEnvelope>,
    body: UnsafeRawBufferPointer, limits: EnvelopeLimits
) {
    switch poll {
    case .envelope(let result):
        fuzzCheck(result == single, "long-poll object decodes differently from an envelope")
    case .batch(let results):
        fuzzCheck(results.count <= limits.maxBatchEnvelopes, "batch over the limit")
        for case .success(let envelope) in results {
            checkEnvelope(envelope, limits: limits)
        }
    case .rejected(let rejection):
        fuzzCheck(rejection.requestType == nil, "request-level rejection echoes a type")
        switch rejection.reason {
        case .notJSON, .notAnObject, .batchTooLarge: break
        default: fuzzCheck(false, "request-level rejection for \(rejection.reason)")
        }
    }
}

private func checkEnvelope(_ envelope: ClientEnvelope, limits: EnvelopeLimits) {
    for uid in [envelope.uid, envelope.touid].compactMap({ $0 }) {
        fuzzCheck((1...limits.maxUIDBytes).contains(uid.utf8.count), "uid length out of range")
        let hasControl = uid.unicodeScalars.contains {
            $0.value < 0x20 || (0x7F...0x9F).contains($0.value)
        }
        fuzzCheck(!hasControl, "uid with a control character")
    }
    fuzzCheck((envelope.msg?.utf8.count ?? 0) <= limits.maxMessageBytes, "msg over the limit")
    fuzzCheck((envelope.id?.utf8.count ?? 0) <= limits.maxRequestIDBytes, "id over the limit")
    switch envelope.type {
    case .bind: fuzzCheck(envelope.uid != nil, "bind without uid")
    case .send: fuzzCheck(envelope.touid != nil && envelope.msg != nil, "send without touid/msg")
    case .join, .exit: fuzzCheck(envelope.touid != nil, "\(envelope.type) without touid")
    }
}

/// Writes the envelope as JSON with the module's writer and decodes it again.
private func checkRoundTrip(_ envelope: ClientEnvelope, limits: EnvelopeLimits) {
    let json = JSONEncoding.bytes(of: EnvelopeJSON(envelope: envelope))
    let again = try? ClientEnvelope.decode(json, limits: limits)
    fuzzCheck(again == envelope, "envelope does not survive a JSON round trip")
}

/// A client envelope as a client would write it, every present field included.
private struct EnvelopeJSON: JSONEncodable {
    let envelope: ClientEnvelope

    func write<Sink: JSONSink>(to sink: inout Sink) {
        sink.writeRaw(#"{"type":"#)
        sink.writeString(self.envelope.type.rawValue)
        let strings: [(StaticString, String?)] = [
            (#","uid":"#, self.envelope.uid), (#","touid":"#, self.envelope.touid),
            (#","msg":"#, self.envelope.msg), (#","id":"#, self.envelope.id),
            (#","token":"#, self.envelope.token),
        ]
        for case (let key, let value?) in strings {
            sink.writeRaw(key)
            sink.writeString(value)
        }
        if let since = self.envelope.since {
            sink.writeRaw(#","since":"#)
            sink.writeInteger(since)
        }
        sink.writeByte(ASCII.closeBrace)
    }
}
