import Testing

@testable import ChatRouter

private typealias Support = EnvelopeTestSupport

/// A JSON value for one field and the rule it should break (nil: accepted).
struct FieldCase: Sendable, CustomTestStringConvertible {
    let json: String
    let expected: EnvelopeError?
    var testDescription: String { String(self.json.prefix(60)) }

    init(_ json: String, _ expected: EnvelopeError?) {
        self.json = json
        self.expected = expected
    }
}

@Suite struct ClientEnvelopeTests {
    // MARK: Accepted envelopes

    @Test func decodesTypicalSendWithEveryField() {
        let text = #"{"type":"send","uid":"u1","touid":"u2","msg":"hello","id":"7"}"#
        let expected = ClientEnvelope(type: .send, uid: "u1", touid: "u2", msg: "hello", id: "7")
        #expect(Support.decode(text) == .success(expected))
    }

    @Test(arguments: [
        (#"{"type":"bind","uid":"alice"}"#, ClientEnvelope(type: .bind, uid: "alice")),
        (
            #"{"type":"bind","uid":"a","token":"x.y.z","since":42}"#,
            ClientEnvelope(type: .bind, uid: "a", token: "x.y.z", since: 42)
        ),
        (
            #"{"type":"send","touid":"b","msg":""}"#,
            ClientEnvelope(type: .send, touid: "b", msg: "")
        ),
        (#"{"type":"join","touid":"b"}"#, ClientEnvelope(type: .join, touid: "b")),
        (
            #"{"type":"exit","touid":"b","uid":"a"}"#,
            ClientEnvelope(type: .exit, uid: "a", touid: "b")
        ),
        (
            " \n{ \"msg\" : \"m\" ,\t\"touid\":\"b\",\r\n\"type\":\"send\" } \n",
            ClientEnvelope(type: .send, touid: "b", msg: "m")
        ),
    ])
    func acceptsMinimalEnvelopeOfEachType(_ text: String, _ expected: ClientEnvelope) {
        #expect(Support.decode(text) == .success(expected))
    }

    @Test func decodesEscapesInValues() {
        let text = #"{"type":"b\u0069nd","uid":"\u00e9\ud83d\ude00","token":"a\"b\\c\/d\n"}"#
        let expected = ClientEnvelope(type: .bind, uid: "é😀", token: "a\"b\\c/d\n")
        #expect(Support.decode(text) == .success(expected))
    }

    @Test(arguments: [
        #"{"\u0074ype":"bind","\u0075id":"a"}"#,
        #"{"t\u0079pe":"bind","ui\u0064":"a"}"#,
        #"{"\u0074\u0079\u0070\u0065":"bind","\u0075\u0069\u0064":"a"}"#,
    ])
    func recognisesEscapedKeyNames(_ text: String) {
        #expect(Support.decode(text) == .success(ClientEnvelope(type: .bind, uid: "a")))
    }

    /// Known keys are matched with one eight-byte load when written compactly and enough
    /// input follows; near the end of input, or spaced out, they take the general path. Every
    /// spelling must name the same field.
    @Test(arguments: EnvelopeField.allCases)
    func recognisesKnownKeyWhateverItsSpellingOrPosition(_ field: EnvelopeField) {
        let key = field.rawValue
        let expected: EnvelopeError? =
            switch field {
            case .since: nil
            case .type: .invalidField(.type, .wrongType)
            default: .invalidField(field, .wrongType)
            }
        let prefix = #"{"type":"bind","uid":"a","#
        for member in [
            #""\#(key)":true}"#, #""\#(key)":true          }"#, #""\#(key)" : true}"#,
            #""\#(key)"   :true          }"#, "\"\(key)\"\n:\ttrue}",
        ] {
            let value = field == .since ? member.replacing("true", with: "1") : member
            let text = prefix + value
            #expect(Support.reason(text) == expected, "\(text)")
        }
    }

    @Test func acceptsAnyTextInMessage() {
        let text =
            #"{"type":"send","touid":"b","#
            + #""msg":"\u0000\u0001\n\u007f\u0085 \"q\" \\ ✓ 😀"}"#
        let envelope = Support.envelope(text)
        #expect(envelope?.msg == "\u{0}\u{1}\n\u{7F}\u{85} \"q\" \\ ✓ 😀")
    }

    // MARK: Type

    @Test(arguments: [
        FieldCase("{}", .missingField(.type)),
        FieldCase(#"{"uid":"a"}"#, .missingField(.type)),
        FieldCase(#"{"type":null,"uid":"a"}"#, .missingField(.type)),
        FieldCase(#"{"type":"BIND","uid":"a"}"#, .unknownType),
        FieldCase(#"{"type":"","uid":"a"}"#, .unknownType),
        FieldCase(#"{"type":"bind ","uid":"a"}"#, .unknownType),
        FieldCase(#"{"type":"ping"}"#, .unknownType),
        FieldCase(#"{"type":1,"uid":"a"}"#, .invalidField(.type, .wrongType)),
        FieldCase(#"{"type":true,"uid":"a"}"#, .invalidField(.type, .wrongType)),
        FieldCase(#"{"type":["bind"],"uid":"a"}"#, .invalidField(.type, .wrongType)),
        FieldCase(#"{"type":{"v":"bind"},"uid":"a"}"#, .invalidField(.type, .wrongType)),
    ])
    func checksType(_ testCase: FieldCase) {
        #expect(Support.reason(testCase.json) == testCase.expected)
    }

    // MARK: Required fields

    @Test(arguments: [
        FieldCase(#"{"type":"bind"}"#, .missingField(.uid)),
        FieldCase(#"{"type":"bind","touid":"b","uid":null}"#, .missingField(.uid)),
        FieldCase(#"{"type":"send"}"#, .missingField(.touid)),
        FieldCase(#"{"type":"send","msg":"m"}"#, .missingField(.touid)),
        FieldCase(#"{"type":"send","touid":"b"}"#, .missingField(.msg)),
        FieldCase(#"{"type":"send","touid":"b","msg":null}"#, .missingField(.msg)),
        FieldCase(#"{"type":"send","uid":"a","touid":null,"msg":"m"}"#, .missingField(.touid)),
        FieldCase(#"{"type":"join"}"#, .missingField(.touid)),
        FieldCase(#"{"type":"join","uid":"a"}"#, .missingField(.touid)),
        FieldCase(#"{"type":"exit","uid":"a","msg":"m"}"#, .missingField(.touid)),
        FieldCase(#"{"type":"join","touid":"b"}"#, nil),
        FieldCase(#"{"type":"send","touid":"b","msg":"m"}"#, nil),
        FieldCase(#"{"type":"bind","uid":"a"}"#, nil),
    ])
    func requiresFieldsPerType(_ testCase: FieldCase) {
        #expect(Support.reason(testCase.json) == testCase.expected)
    }

    // MARK: uid and touid

    @Test(arguments: [0, 1, 63, 64, 65, 1000])
    func limitsUserIDBytes(_ length: Int) {
        let value = Support.quoted(String(repeating: "u", count: length))
        let expected: FieldViolation? = length == 0 ? .empty : length > 64 ? .tooLong : nil
        for field in ["uid", "touid"] {
            let text = Support.object([("type", #""join""#), ("touid", #""b""#), (field, value)])
            let fieldName = EnvelopeField(rawValue: field)!
            #expect(Support.reason(text) == expected.map { .invalidField(fieldName, $0) })
        }
    }

    @Test(arguments: [
        (String(repeating: "😀", count: 16), true),
        (String(repeating: "😀", count: 16) + "a", false),
        (String(repeating: "€", count: 21) + "a", true),
        (String(repeating: "€", count: 21) + "é", false),
        (String(repeating: "é", count: 32), true),
        (String(repeating: "é", count: 31) + "€", false),
    ])
    func limitsMultibyteUserIDByBytesNotCharacters(_ uid: String, _ accepted: Bool) {
        let text = Support.object([("type", #""bind""#), ("uid", Support.quoted(uid))])
        #expect(Support.reason(text) == (accepted ? nil : .invalidField(.uid, .tooLong)))
        #expect(Support.envelope(text)?.uid == (accepted ? uid : nil))
    }

    @Test(arguments: [32, 33])
    func limitsEscapedUserIDByDecodedBytes(_ count: Int) {
        // 32 × "\u00e9" spells 192 bytes on the wire but decodes to exactly 64.
        let uid = "\"" + String(repeating: #"\u00e9"#, count: count) + "\""
        let text = Support.object([("type", #""bind""#), ("uid", uid)])
        #expect(Support.reason(text) == (count == 32 ? nil : .invalidField(.uid, .tooLong)))
    }

    static let controlScalars: [UInt32] = Array(0x00...0x1F) + [0x7F] + Array(0x80...0x9F)

    @Test(arguments: Self.controlScalars)
    func refusesControlCharacterInUserID(_ scalar: UInt32) {
        let escaped = "\\u" + hex4(scalar)
        let rawOrEscaped = scalar >= 0x7F ? String(Unicode.Scalar(scalar)!) : escaped
        for spelling in [escaped, rawOrEscaped] {
            for field in [EnvelopeField.uid, .touid] {
                let value = "\"ab" + spelling + "cd\""
                let text = Support.object([
                    ("type", #""join""#), ("uid", #""a""#), ("touid", #""b""#),
                    (field.rawValue, value),
                ])
                #expect(Support.reason(text) == .invalidField(field, .controlCharacter))
            }
        }
    }

    @Test(arguments: [0x20, 0x7E, 0xA0, 0xA1, 0xFF, 0x100, 0x2028, 0xFEFF, 0x1F600] as [UInt32])
    func acceptsNeighboursOfControlCharactersInUserID(_ scalar: UInt32) {
        let uid = "a" + String(Unicode.Scalar(scalar)!) + "b"
        let text = Support.object([("type", #""bind""#), ("uid", Support.quoted(uid))])
        #expect(Support.envelope(text)?.uid == uid)
    }

    // MARK: msg

    @Test(arguments: [0, 1, 65_535, 65_536, 65_537, 200_000])
    func limitsMessageBytes(_ length: Int) {
        let msg = Support.quoted(String(repeating: "m", count: length))
        let text = Support.object([("type", #""send""#), ("touid", #""b""#), ("msg", msg)])
        let rejection = Support.rejection(text)
        #expect(rejection?.reason == (length > 65_536 ? .messageTooLong : nil))
        #expect(rejection.map(\.code) == (length > 65_536 ? 413 : nil))
        #expect(Support.envelope(text)?.msg?.utf8.count == (length > 65_536 ? nil : length))
    }

    @Test(arguments: [
        (String(repeating: "€", count: 21_845) + "a", true),
        (String(repeating: "€", count: 21_845) + "é", false),
        (String(repeating: "😀", count: 16_384), true),
        (String(repeating: "😀", count: 16_384) + "a", false),
    ])
    func limitsMultibyteMessageByBytes(_ msg: String, _ accepted: Bool) {
        let text = Support.object([
            ("type", #""send""#), ("touid", #""b""#), ("msg", Support.quoted(msg)),
        ])
        #expect(Support.reason(text) == (accepted ? nil : .messageTooLong))
    }

    @Test(arguments: [65_536, 65_537])
    func limitsEscapedMessageByDecodedBytes(_ count: Int) {
        let msg = "\"" + String(repeating: #"\n"#, count: count) + "\""
        let text = Support.object([("type", #""send""#), ("touid", #""b""#), ("msg", msg)])
        #expect(Support.reason(text) == (count == 65_536 ? nil : .messageTooLong))
    }

    // MARK: id, token, since

    @Test(arguments: [0, 1, 64, 65])
    func limitsRequestIDBytes(_ length: Int) {
        let id = String(repeating: "i", count: length)
        let text = Support.object([
            ("type", #""bind""#), ("uid", #""a""#), ("id", Support.quoted(id)),
        ])
        if length <= 64 {
            #expect(Support.envelope(text)?.id == id)
        } else {
            let rejection = Support.rejection(text)
            #expect(rejection?.reason == .invalidField(.id, .tooLong))
            #expect(rejection?.requestID == nil)
            #expect(rejection?.requestType == "bind")
        }
    }

    @Test func acceptsLongToken() {
        let token = String(repeating: "t", count: 10_000)
        let text = Support.object([
            ("type", #""bind""#), ("uid", #""a""#), ("token", Support.quoted(token)),
        ])
        #expect(Support.envelope(text)?.token == token)
    }

    @Test(
        arguments: [
            ("0", UInt64(0)), ("-0", 0), ("1", 1), ("18446744073709551615", .max),
            ("null", nil),
        ] as [(String, UInt64?)])
    func acceptsSinceInUInt64Range(_ json: String, _ expected: UInt64?) {
        let text = Support.object([("type", #""bind""#), ("uid", #""a""#), ("since", json)])
        let envelope = Support.envelope(text)
        #expect(envelope != nil)
        #expect(envelope?.since == expected)
    }

    @Test(arguments: [
        FieldCase("18446744073709551616", .invalidField(.since, .notUnsignedInteger)),
        FieldCase("99999999999999999999999", .invalidField(.since, .notUnsignedInteger)),
        FieldCase("-1", .invalidField(.since, .notUnsignedInteger)),
        FieldCase("-18446744073709551615", .invalidField(.since, .notUnsignedInteger)),
        FieldCase("5.0", .invalidField(.since, .notUnsignedInteger)),
        FieldCase("0.5", .invalidField(.since, .notUnsignedInteger)),
        FieldCase("1e3", .invalidField(.since, .notUnsignedInteger)),
        FieldCase("1E0", .invalidField(.since, .notUnsignedInteger)),
        FieldCase(#""5""#, .invalidField(.since, .wrongType)),
        FieldCase("true", .invalidField(.since, .wrongType)),
        FieldCase("[5]", .invalidField(.since, .wrongType)),
        FieldCase(#"{"v":5}"#, .invalidField(.since, .wrongType)),
    ])
    func refusesSinceOutsideUInt64(_ testCase: FieldCase) {
        let text = Support.object([
            ("type", #""bind""#), ("uid", #""a""#), ("since", testCase.json),
        ])
        #expect(Support.reason(text) == testCase.expected)
    }

    // MARK: Wrong JSON types

    static let nonStringValues = [
        "0", "-1.5e3", "true", "false", "{}", "[]", #"{"a":"b"}"#, #"["a"]"#,
    ]

    @Test(arguments: [EnvelopeField.uid, .touid, .msg, .id, .token], Self.nonStringValues)
    func refusesNonStringForStringField(_ field: EnvelopeField, _ value: String) {
        var members = [
            ("type", #""send""#), ("uid", #""a""#), ("touid", #""b""#), ("msg", #""m""#),
        ]
        members.removeAll { $0.0 == field.rawValue }
        members.append((field.rawValue, value))
        #expect(Support.reason(Support.object(members)) == .invalidField(field, .wrongType))
    }

    // MARK: Unknown, null and repeated fields

    static let unknownValues = [
        #""x""#, #""""#, "0", "-1.5e300", "1e999", "true", "false", "null", "{}", "[]",
        #"{"type":"nope","uid":"","msg":1}"#, #"[{"msg":1},[],{}]"#,
        String(repeating: "[", count: 60) + String(repeating: "]", count: 60),
        #""\ud83d\ude00\u0000""#,
    ]

    @Test(arguments: Self.unknownValues)
    func ignoresUnknownFieldOfAnyType(_ value: String) {
        let expected = ClientEnvelope(type: .send, touid: "b", msg: "m")
        for key in ["extra", "Type", "UID", "uid ", "ui", "touid2", "types", "", "messages"] {
            let members = [
                ("type", #""send""#), (key, value), ("touid", #""b""#), ("msg", #""m""#),
            ]
            #expect(Support.decode(Support.object(members)) == .success(expected), "key \(key)")
        }
    }

    @Test func treatsNullAsAbsentForOptionalFields() {
        let text =
            #"{"type":"send","uid":null,"touid":"b","msg":"m","id":null,"token":null,"since":null}"#
        #expect(Support.decode(text) == .success(ClientEnvelope(type: .send, touid: "b", msg: "m")))
    }

    @Test(arguments: [
        (#"{"type":"bind","uid":"a","uid":"b"}"#, ClientEnvelope(type: .bind, uid: "b")),
        (#"{"type":"bind","uid":1,"uid":"b"}"#, ClientEnvelope(type: .bind, uid: "b")),
        (#"{"type":"bind","uid":"","uid":"b"}"#, ClientEnvelope(type: .bind, uid: "b")),
        (#"{"type":"send","type":"bind","uid":"a"}"#, ClientEnvelope(type: .bind, uid: "a")),
        (
            #"{"type":"bind","since":-1,"uid":"a","since":3}"#,
            ClientEnvelope(type: .bind, uid: "a", since: 3)
        ),
    ])
    func letsLastDuplicateKeyWin(_ text: String, _ expected: ClientEnvelope) {
        #expect(Support.decode(text) == .success(expected))
    }

    @Test(arguments: [
        FieldCase(#"{"type":"bind","uid":"a","uid":null}"#, .missingField(.uid)),
        FieldCase(#"{"type":"bind","uid":"a","uid":""}"#, .invalidField(.uid, .empty)),
        FieldCase(#"{"type":"bind","uid":"a","type":"nope"}"#, .unknownType),
        FieldCase(#"{"type":"bind","uid":"a","type":null}"#, .missingField(.type)),
    ])
    func letsLastDuplicateKeyWinEvenWhenInvalid(_ testCase: FieldCase) {
        #expect(Support.reason(testCase.json) == testCase.expected)
    }

    // MARK: Precedence and what errors echo

    @Test(arguments: [
        FieldCase(#"{"type":"nope","uid":""}"#, .unknownType),
        FieldCase(#"{"type":"send","uid":""}"#, .invalidField(.uid, .empty)),
        FieldCase(
            #"{"type":"send","touid":"b","msg":"m","since":-1}"#,
            .invalidField(.since, .notUnsignedInteger)),
        FieldCase(#"{"type":"bind","uid":"a","msg":1}"#, .invalidField(.msg, .wrongType)),
        FieldCase(#"{"type":"bind","uid":"a","id":[]}"#, .invalidField(.id, .wrongType)),
        FieldCase(#"{"type":"send","uid":"","id":7}"#, .invalidField(.uid, .empty)),
        FieldCase(#"{"type":"send","uid":"","#, .notJSON(.unexpectedEndOfInput)),
        FieldCase(#"{"type":"nope"} {"#, .notJSON(.trailingCharacters)),
        FieldCase(#"[{"type":"bind","uid":"a"}]"#, .notAnObject),
        FieldCase(#""bind""#, .notAnObject),
        FieldCase("null", .notAnObject),
        FieldCase("", .notJSON(.unexpectedEndOfInput)),
    ])
    func checksRulesInSpecOrder(_ testCase: FieldCase) {
        #expect(Support.reason(testCase.json) == testCase.expected)
    }

    @Test func reportsBadFieldsBeforeOversizedMessage() {
        let msg = Support.quoted(String(repeating: "m", count: 70_000))
        let missingTouid = Support.object([("type", #""send""#), ("msg", msg)])
        #expect(Support.reason(missingTouid) == .missingField(.touid))
        let badSince = Support.object([
            ("type", #""send""#), ("touid", #""b""#), ("msg", msg), ("since", "-1"),
        ])
        #expect(Support.reason(badSince) == .invalidField(.since, .notUnsignedInteger))
    }

    @Test(
        arguments: [
            (#"{"type":"nope","id":"r1"}"#, "nope", "r1"),
            (#"{"id":"r1"}"#, nil, "r1"),
            (#"{"type":5,"id":"r1"}"#, nil, "r1"),
            (#"{"type":"send","id":7}"#, "send", nil),
            (#"{"type":"send","id":"r\"1"}"#, "send", "r\"1"),
            (#"{"type":"send","touid":"","id":"r1"}"#, "send", "r1"),
            (#"{"type":"b\u0069nd","id":"r\u0031"}"#, "bind", "r1"),
            (#"{"type":"send","touid":"b","msg":"m","id":"r1""#, nil, nil),
            (#"[{"type":"send","id":"r1"}]"#, nil, nil),
        ] as [(String, String?, String?)])
    func echoesReadableTypeAndID(_ text: String, _ type: String?, _ id: String?) {
        let rejection = Support.rejection(text)
        #expect(rejection != nil)
        #expect(rejection?.requestType == type)
        #expect(rejection?.requestID == id)
        #expect(rejection?.replyType == (type ?? "error"))
    }

    // MARK: Limits and entry points

    @Test func appliesCustomLimits() {
        let limits = EnvelopeLimits(maxUIDBytes: 3, maxMessageBytes: 0, maxRequestIDBytes: 0)
        let accepted = #"{"type":"send","uid":"abc","touid":"xyz","msg":"","id":""}"#
        #expect(Support.reason(accepted, limits: limits) == nil)
        let longUID = #"{"type":"bind","uid":"abcd"}"#
        #expect(Support.reason(longUID, limits: limits) == .invalidField(.uid, .tooLong))
        let longMsg = #"{"type":"send","touid":"x","msg":"m"}"#
        #expect(Support.reason(longMsg, limits: limits) == .messageTooLong)
        let longID = #"{"type":"bind","uid":"a","id":"i"}"#
        #expect(Support.reason(longID, limits: limits) == .invalidField(.id, .tooLong))
    }

    @Test func survivesNonsensicalLimits() {
        let limits = EnvelopeLimits(
            maxUIDBytes: -1, maxMessageBytes: .min, maxRequestIDBytes: .min,
            maxBatchEnvelopes: -1, maxNestingDepth: .min)
        #expect(
            Support.reason(#"{"type":"bind","uid":"a"}"#, limits: limits)
                == .notJSON(.nestingTooDeep))
        let flat = EnvelopeLimits(maxUIDBytes: -1, maxMessageBytes: .min, maxRequestIDBytes: .min)
        #expect(
            Support.reason(#"{"type":"bind","uid":"a"}"#, limits: flat)
                == .invalidField(.uid, .tooLong))
        #expect(
            Support.reason(#"{"type":"send","touid":"a","msg":""}"#, limits: flat)
                == .invalidField(.touid, .tooLong))
    }

    @Test func decodesIdenticallyFromEveryEntryPoint() throws {
        let text = #"{"type":"send","uid":"u1","touid":"u2","msg":"hé\n","id":"7"}"#
        let bytes = Array(text.utf8)
        let expected = try ClientEnvelope.decode(bytes)

        let padded = Array("xx".utf8) + bytes + Array("yy".utf8)
        let slice = padded[2..<(padded.count - 2)]
        #expect(try ClientEnvelope.decode(slice) == expected)
        let fromPointer = try bytes.withUnsafeBytes { buffer in try ClientEnvelope.decode(buffer) }
        #expect(fromPointer == expected)
    }

    @Test func refusesEmptyBufferWithoutBaseAddress() {
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        #expect(throws: RejectedEnvelope(reason: .notJSON(.unexpectedEndOfInput))) {
            try ClientEnvelope.decode(empty)
        }
    }
}

/// Four lowercase hex digits, zero-padded, for building `\uXXXX` escapes.
private func hex4(_ value: UInt32) -> String {
    let hex = String(value, radix: 16)
    return String(repeating: "0", count: max(0, 4 - hex.count)) + hex
}
