import Testing

@testable import ChatRouter

@Suite struct PollRequestBodyTests {
    private func decode(
        _ text: String, limits: EnvelopeLimits = EnvelopeLimits()
    )
        -> PollRequestBody
    {
        PollRequestBody.decode(Array(text.utf8), limits: limits)
    }

    @Test func decodesTopLevelObjectAsOneEnvelope() {
        let body = self.decode(#" {"type":"bind","uid":"a"} "#)
        #expect(body == .envelope(.success(ClientEnvelope(type: .bind, uid: "a"))))
    }

    @Test func keepsEnvelopeErrorsOfTopLevelObject() {
        let body = self.decode(#"{"type":"nope","id":"r"}"#)
        let expected = RejectedEnvelope(reason: .unknownType, requestType: "nope", requestID: "r")
        #expect(body == .envelope(.failure(expected)))
    }

    @Test func decodesEachArrayElementInOrder() {
        let text = """
            [ {"type":"bind","uid":"a"}, 1, "x", null, [], {"type":"send","touid":"b","id":"q"},
              {"type":"send","touid":"b","msg":"hi"}, true, {} ]
            """
        let notAnObject = Result<ClientEnvelope, RejectedEnvelope>.failure(
            RejectedEnvelope(reason: .notAnObject))
        let expected: [Result<ClientEnvelope, RejectedEnvelope>] = [
            .success(ClientEnvelope(type: .bind, uid: "a")),
            notAnObject, notAnObject, notAnObject, notAnObject,
            .failure(
                RejectedEnvelope(
                    reason: .missingField(.msg), requestType: "send", requestID: "q",
                    requestToUID: "b")),
            .success(ClientEnvelope(type: .send, touid: "b", msg: "hi")),
            notAnObject,
            .failure(RejectedEnvelope(reason: .missingField(.type))),
        ]
        #expect(self.decode(text) == .batch(expected))
    }

    @Test(arguments: ["[]", " [ ] ", "\n[\t]\r\n"])
    func decodesEmptyArrayAsEmptyBatch(_ text: String) {
        #expect(self.decode(text) == .batch([]))
    }

    @Test(arguments: ["1", #""bind""#, "null", "true", "-0.5"])
    func rejectsScalarTopLevelAsNotAnObject(_ text: String) {
        #expect(self.decode(text) == .rejected(RejectedEnvelope(reason: .notAnObject)))
    }

    @Test(arguments: [
        ("", JSONSyntaxError.unexpectedEndOfInput), ("[", .unexpectedEndOfInput),
        (#"[{"type":"bind","uid":"a"}"#, .unexpectedEndOfInput),
        (#"[{"type":"bind","uid":"a"},]"#, .unexpectedCharacter),
        (#"[{"type":"bind","uid":"a"}, {"type":"send",}]"#, .unexpectedCharacter),
        (#"{"type":"bind","uid":"a"} []"#, .trailingCharacters),
        (#"[] {}"#, .trailingCharacters),
        ("[\"\u{1}\"]", .controlCharacterInString),
    ])
    func rejectsWholeBodyWhenAnyPartIsNotJSON(_ text: String, _ error: JSONSyntaxError) {
        #expect(self.decode(text) == .rejected(RejectedEnvelope(reason: .notJSON(error))))
    }

    @Test(arguments: [1023, 1024, 1025])
    func limitsEnvelopesPerBatch(_ count: Int) {
        let text =
            "["
            + Array(repeating: #"{"type":"join","touid":"b"}"#, count: count)
            .joined(separator: ",") + "]"
        let body = self.decode(text)
        if count <= 1024 {
            let one = Result<ClientEnvelope, RejectedEnvelope>.success(
                ClientEnvelope(type: .join, touid: "b"))
            #expect(body == .batch(Array(repeating: one, count: count)))
        } else {
            #expect(body == .rejected(RejectedEnvelope(reason: .batchTooLarge)))
            if case .rejected(let rejection) = body { #expect(rejection.code == 413) }
        }
    }

    @Test func reportsBrokenJSONBeforeBatchSize() {
        let limits = EnvelopeLimits(maxBatchEnvelopes: 1)
        #expect(self.decode("[1,2]", limits: limits) == .rejected(.init(reason: .batchTooLarge)))
        #expect(
            self.decode("[1,2", limits: limits)
                == .rejected(.init(reason: .notJSON(.unexpectedEndOfInput))))
        #expect(
            self.decode("[1]", limits: limits) == .batch([.failure(.init(reason: .notAnObject))]))
    }

    @Test(arguments: [64, 65])
    func countsBatchArrayTowardNestingDepth(_ depth: Int) {
        // The array is level 1 and the envelope level 2, so the unknown field gets depth - 2.
        let inner =
            String(repeating: "[", count: depth - 2) + String(repeating: "]", count: depth - 2)
        let text = #"[{"type":"join","touid":"b","x":"# + inner + "}]"
        let expected: PollRequestBody =
            depth <= 64
            ? .batch([.success(ClientEnvelope(type: .join, touid: "b"))])
            : .rejected(RejectedEnvelope(reason: .notJSON(.nestingTooDeep)))
        #expect(self.decode(text) == expected)
    }

    @Test func decodesIdenticallyFromEveryEntryPoint() {
        let bytes = Array(#"[{"type":"exit","touid":"z"},7]"#.utf8)
        let expected = PollRequestBody.decode(bytes)
        let padded = [0x20, 0x5B] + bytes + [0x5D]
        #expect(PollRequestBody.decode(padded[2..<(padded.count - 1)]) == expected)
        #expect(bytes.withUnsafeBytes { PollRequestBody.decode($0) } == expected)
        #expect(
            PollRequestBody.decode(UnsafeRawBufferPointer(start: nil, count: 0))
                == .rejected(.init(reason: .notJSON(.unexpectedEndOfInput))))
    }
}
