import Foundation
import Testing

@testable import ChatRouter

@Suite struct ServerFrameTests {
    private func text(_ frame: ServerFrame) -> String {
        String(decoding: frame.jsonBytes, as: UTF8.self)
    }

    private func oracleObject(_ bytes: [UInt8]) -> [String: Any]? {
        JSONTestSupport.oracleValue(bytes) as? [String: Any]
    }

    // MARK: Shape

    @Test func encodesDeliveredMessageCompactly() {
        let frame = ServerFrame(
            type: "send", msg: "hello", uid: "u1", touid: "u2", mid: 42, ts: 1_700_000_000_000)
        let expected =
            #"{"type":"send","error":false,"code":0,"msg":"hello","uid":"u1","touid":"u2","#
            + #""mid":42,"ts":1700000000000}"#
        #expect(self.text(frame) == expected)
    }

    @Test func encodesOnlyRequiredFieldsWhenOthersAreNil() {
        let frame = ServerFrame(type: "bind", msg: "ok")
        #expect(self.text(frame) == #"{"type":"bind","error":false,"code":0,"msg":"ok"}"#)
    }

    @Test func writesEveryFieldInFixedOrder() {
        let frame = ServerFrame(
            type: "bind", error: true, code: 409, msg: "m", uid: "u", touid: "t", id: "i",
            mid: 1, ts: 2, gap: true, sid: "s", seq: 3)
        let expected =
            #"{"type":"bind","error":true,"code":409,"msg":"m","uid":"u","touid":"t","id":"i","#
            + #""mid":1,"ts":2,"gap":true,"sid":"s","seq":3}"#
        #expect(self.text(frame) == expected)
        let withoutGap = ServerFrame(type: "bind", msg: "ok", uid: "u", gap: false)
        #expect(
            self.text(withoutGap)
                == #"{"type":"bind","error":false,"code":0,"msg":"ok","uid":"u","gap":false}"#)
    }

    @Test func appendsAfterExistingBytes() {
        var output = Array("prefix".utf8)
        ServerFrame(type: "exit", msg: "").encode(to: &output)
        #expect(
            String(decoding: output, as: UTF8.self)
                == #"prefix{"type":"exit","error":false,"code":0,"msg":""}"#)
    }

    // MARK: Numbers

    @Test(arguments: [Int.min, -1, 0, 7, 10, 400, 413, Int.max])
    func writesCodeInDecimal(_ code: Int) {
        let frame = ServerFrame(type: "t", code: code, msg: "")
        #expect(self.text(frame).contains(#","code":\#(code),"#))
    }

    @Test(
        arguments: [0, 1, 9, 10, 99, 100, 12_345_678_901, UInt64.max - 1, UInt64.max] as [UInt64])
    func writesUnsignedFieldsInDecimal(_ value: UInt64) {
        let frame = ServerFrame(type: "t", msg: "", mid: value, seq: value)
        #expect(self.text(frame).hasSuffix(#""mid":\#(value),"seq":\#(value)}"#))
    }

    @Test(arguments: [Int64.min, Int64.min + 1, -10, -1, 0, 1_700_000_000_000, Int64.max])
    func writesTimestampInDecimal(_ value: Int64) {
        let frame = ServerFrame(type: "t", msg: "", ts: value)
        #expect(self.text(frame).hasSuffix(#""ts":\#(value)}"#))
    }

    // MARK: Escaping

    static let expectedEscapes: [(UInt32, String)] =
        (0x00...0x1F).map { scalar -> (UInt32, String) in
            switch scalar {
            case 0x08: (0x08, #"\b"#)
            case 0x09: (0x09, #"\t"#)
            case 0x0A: (0x0A, #"\n"#)
            case 0x0C: (0x0C, #"\f"#)
            case 0x0D: (0x0D, #"\r"#)
            default:
                (UInt32(scalar), #"\u00"# + (scalar < 0x10 ? "0" : "") + String(scalar, radix: 16))
            }
        } + [
            (0x22, #"\""#), (0x5C, #"\\"#), (0x2F, "/"), (0x7F, "\u{7F}"), (0x85, "\u{85}"),
            (0xE9, "é"), (0x2028, "\u{2028}"), (0xFEFF, "\u{FEFF}"), (0x1F600, "😀"),
        ]

    @Test(arguments: Self.expectedEscapes)
    func escapesOnlyWhatJSONRequires(_ scalar: UInt32, _ expected: String) {
        let character = String(Unicode.Scalar(scalar)!)
        let frame = ServerFrame(type: "t", msg: "a" + character + "b")
        #expect(self.text(frame).contains(#""msg":"a"# + expected + #"b""#))
    }

    /// Random strings drawn from the characters that stress escaping round-trip exactly
    /// through Foundation's parser and through our own reader.
    @Test func roundTripsRandomStringsThroughFoundationAndOurReader() throws {
        let pool: [Unicode.Scalar] =
            (0x00...0x1F).map { Unicode.Scalar(UInt8($0)) }
            + ["\"", "\\", "/", "a", "Z", " ", "\u{7F}", "\u{80}", "\u{9F}", "\u{A0}", "é", "€"]
            + ["\u{2028}", "\u{FEFF}", "\u{FFFD}", "\u{FFFF}", "😀", "𝄞", "\u{10FFFF}", "中"]
        var generator = SeededGenerator(seed: 0x5EED_0001)
        for round in 0..<2_000 {
            let length = Int.random(in: 0...40, using: &generator)
            var fields: [String] = []
            for _ in 0..<4 {
                var scalars = String.UnicodeScalarView()
                for _ in 0..<length { scalars.append(pool.randomElement(using: &generator)!) }
                fields.append(String(scalars))
            }
            let frame = ServerFrame(
                type: fields[0], msg: fields[1], uid: fields[2], touid: fields[3],
                mid: generator.next(), ts: Int64(bitPattern: generator.next()))
            let bytes = frame.jsonBytes

            // swift-corelibs-foundation drops some U+FEFF from parsed strings, so the oracle
            // comparison ignores that one scalar; our own reader below compares it exactly.
            let object = try #require(self.oracleObject(bytes), "round \(round)")
            for (key, expected) in zip(["type", "msg", "uid", "touid"], fields) {
                let parsed = (object[key] as? String).map(Self.withoutZeroWidthNoBreakSpace)
                #expect(parsed == Self.withoutZeroWidthNoBreakSpace(expected), "round \(round)")
            }
            #expect((object["error"] as? NSNumber)?.boolValue == false)
            #expect(JSONTestSupport.syntaxError(bytes) == nil)

            let envelope = EnvelopeTestSupport.envelope(
                #"{"type":"send","touid":"b","msg":"# + JSONTestSupport.literal(fields[1]) + "}")
            #expect(envelope?.msg == fields[1])
            let ours = bytes.withUnsafeBytes { buffer -> String? in
                var reader = JSONReader(buffer)
                var isFirst = true
                try? reader.enterObject()
                while let key = try? reader.nextObjectKey(isFirst: &isFirst) {
                    let value = try? reader.readValue()
                    if reader.string(key, equals: "msg"), case .string(let span)? = value {
                        return reader.decodeString(span)
                    }
                }
                return nil
            }
            #expect(ours == fields[1], "round \(round)")
        }
    }

    private static func withoutZeroWidthNoBreakSpace(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.filter { $0 != "\u{FEFF}" }))
    }

    // MARK: With and without seq

    @Test(arguments: [0, 1, 12_345, UInt64.max] as [UInt64])
    func addsSeqToEncodedFrameExactlyAsFullEncoding(_ seq: UInt64) {
        var frame = ServerFrame(
            type: "send", msg: "hé\"llo\n", uid: "u1", touid: "u2", mid: 9, ts: 10)
        let encoded = EncodedFrame(frame)
        #expect(encoded.bytes == frame.jsonBytes)

        var withSeq: [UInt8] = []
        encoded.append(to: &withSeq, seq: seq)
        frame.seq = seq
        #expect(withSeq == frame.jsonBytes)
        #expect(EncodedFrame(frame) == encoded, "EncodedFrame leaves seq out")
    }

    @Test func writesLongPollEventsResponse() throws {
        let first = EncodedFrame(ServerFrame(type: "send", msg: "a", uid: "x", mid: 1, ts: 5))
        let second = EncodedFrame(ServerFrame(type: "join", msg: "", uid: "x", touid: "y"))
        var output: [UInt8] = []
        LongPollResponse.appendEvents(
            [SequencedFrame(frame: first, seq: 7), SequencedFrame(frame: second, seq: 8)],
            last: 9, to: &output)

        let expected =
            #"{"events":[{"type":"send","error":false,"code":0,"msg":"a","uid":"x","mid":1,"#
            + #""ts":5,"seq":7},{"type":"join","error":false,"code":0,"msg":"","uid":"x","#
            + #""touid":"y","seq":8}],"last":9}"#
        #expect(String(decoding: output, as: UTF8.self) == expected)
        let object = try #require(self.oracleObject(output))
        #expect((object["events"] as? [Any])?.count == 2)
        #expect((object["last"] as? NSNumber)?.uint64Value == 9)
    }

    @Test func writesEmptyLongPollEventsResponse() {
        var output: [UInt8] = []
        LongPollResponse.appendEvents([], last: 0, to: &output)
        #expect(String(decoding: output, as: UTF8.self) == #"{"events":[],"last":0}"#)
    }

    @Test func writesBatchReplyAsArray() {
        var output: [UInt8] = []
        ServerFrame.encodeArray([], to: &output)
        #expect(output == Array("[]".utf8))

        output.removeAll()
        let frames = [ServerFrame(type: "bind", msg: "ok"), ServerFrame(type: "join", msg: "x")]
        ServerFrame.encodeArray(frames, to: &output)
        let expected =
            #"[{"type":"bind","error":false,"code":0,"msg":"ok"},"#
            + #"{"type":"join","error":false,"code":0,"msg":"x"}]"#
        #expect(String(decoding: output, as: UTF8.self) == expected)
    }

    // MARK: Error replies

    @Test func buildsErrorReplyFrameFromRejection() {
        let rejected = RejectedEnvelope(
            reason: .missingField(.touid), requestType: "send", requestID: "r1")
        let expected = ServerFrame(
            type: "send", error: true, code: 400, msg: "missing field touid", id: "r1")
        #expect(ServerFrame(rejected: rejected) == expected)

        let unparsed = ServerFrame(rejected: RejectedEnvelope(reason: .notJSON(.invalidUTF8)))
        let expectedText =
            #"{"type":"error","error":true,"code":400,"msg":"invalid json: invalid utf-8"}"#
        #expect(self.text(unparsed) == expectedText)
    }

    @Test func reportsMessageTooLongAs413WithEchoes() throws {
        let msg = String(repeating: "m", count: 65_537)
        let text = #"{"type":"send","uid":"a","touid":"b","id":"r9","msg":""# + msg + #""}"#
        let rejection = try #require(EnvelopeTestSupport.rejection(text))
        let expected = ServerFrame(
            type: "send", error: true, code: 413, msg: "message too long", uid: "a", touid: "b",
            id: "r9")
        #expect(ServerFrame(rejected: rejection) == expected)
    }

    /// A client that sends no `id` matches an error to its conversation by `uid`/`touid`; a
    /// field that is itself invalid is never echoed (it may be huge or hold control bytes).
    @Test(arguments: [
        (#"{"type":"send","touid":"b"}"#, nil, "b"),
        (#"{"type":"send","uid":"a","touid":"b","msg":7}"#, "a", "b"),
        (#"{"type":"join","uid":"a","touid":"\u0001"}"#, "a", nil),
        (#"{"type":"join","uid":"","touid":"b"}"#, nil, "b"),
        (#"{"type":"exit","uid":5,"touid":["b"]}"#, nil, nil),
    ] as [(String, String?, String?)])
    func echoesOnlyValidUIDsInErrorReplies(text: String, uid: String?, touid: String?) throws {
        let rejection = try #require(EnvelopeTestSupport.rejection(text))
        let frame = ServerFrame(rejected: rejection)
        #expect(frame.error)
        #expect(frame.uid == uid)
        #expect(frame.touid == touid)
    }

    @Test func doesNotEchoAUIDOverTheLimit() throws {
        let long = String(repeating: "u", count: 65)
        let text = #"{"type":"bind","uid":""# + long + #""}"#
        let frame = ServerFrame(rejected: try #require(EnvelopeTestSupport.rejection(text)))
        #expect(frame.code == 400)
        #expect(frame.uid == nil)
    }
}
