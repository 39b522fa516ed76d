/// Decodes envelopes in one pass: the JSON is read once, known fields are remembered as spans
/// of the input, and only after the whole body has proved to be JSON are the fields checked
/// and turned into strings (SPEC: "not JSON" outranks every field error).
struct EnvelopeDecoder {
    private var reader: JSONReader
    private let limits: EnvelopeLimits

    /// Prepares to decode `bytes`, which must stay valid while the decoder is used.
    init(_ bytes: UnsafeRawBufferPointer, limits: EnvelopeLimits) {
        self.reader = JSONReader(bytes, maxDepth: limits.maxNestingDepth)
        self.limits = limits
    }

    /// Decodes a body that must be exactly one envelope object.
    mutating func decodeSingle() throws(RejectedEnvelope) -> ClientEnvelope {
        var fields = EnvelopeFields()
        var isObject = false
        do throws(JSONSyntaxError) {
            if self.reader.peekAfterWhitespace() == ASCII.openBrace {
                try self.readEnvelopeFields(into: &fields)
                isObject = true
            } else {
                _ = try self.reader.readValue()
            }
            try self.reader.expectEndOfInput()
        } catch {
            throw RejectedEnvelope(reason: .notJSON(error))
        }
        guard isObject else { throw RejectedEnvelope(reason: .notAnObject) }
        return try self.validate(fields)
    }

    /// Decodes a long-poll body: one envelope object, or an array of them.
    mutating func decodePollBody() -> PollRequestBody {
        do throws(JSONSyntaxError) {
            switch self.reader.peekAfterWhitespace() {
            case ASCII.openBrace:
                var fields = EnvelopeFields()
                try self.readEnvelopeFields(into: &fields)
                try self.reader.expectEndOfInput()
                return .envelope(self.validationResult(fields))
            case ASCII.openBracket:
                return try self.readBatch()
            default:
                _ = try self.reader.readValue()
                try self.reader.expectEndOfInput()
                return .rejected(RejectedEnvelope(reason: .notAnObject))
            }
        } catch {
            return .rejected(RejectedEnvelope(reason: .notJSON(error)))
        }
    }

    // MARK: Reading

    private mutating func readBatch() throws(JSONSyntaxError) -> PollRequestBody {
        try self.reader.enterArray()
        var results: [Result<ClientEnvelope, RejectedEnvelope>] = []
        var elementCount = 0
        var isFirst = true

        while try self.reader.nextArrayElement(isFirst: &isFirst) {
            elementCount += 1
            // Past the limit the rest is still read, so that broken JSON stays a 400.
            if elementCount > self.limits.maxBatchEnvelopes {
                _ = try self.reader.readValue()
            } else if self.reader.peekAfterWhitespace() == ASCII.openBrace {
                var fields = EnvelopeFields()
                try self.readEnvelopeFields(into: &fields)
                results.append(self.validationResult(fields))
            } else {
                _ = try self.reader.readValue()
                results.append(.failure(RejectedEnvelope(reason: .notAnObject)))
            }
        }
        try self.reader.expectEndOfInput()

        if elementCount > self.limits.maxBatchEnvelopes {
            return .rejected(RejectedEnvelope(reason: .batchTooLarge))
        }
        return .batch(results)
    }

    /// Reads the object at the reader's position, remembering the last value of each known
    /// field and validating and skipping everything else.
    private mutating func readEnvelopeFields(
        into fields: inout EnvelopeFields
    ) throws(JSONSyntaxError) {
        try self.reader.enterObject()
        var isFirst = true

        while try self.reader.nextMember(isFirst: &isFirst) {
            let field: EnvelopeField?
            if let word = self.reader.wordAfterCurrentByte(),
                let (compactField, length) = Self.compactKnownKey(word)
            {
                // The opening quote, the name and its `":`, all checked by the match.
                self.reader.skipMatchedBytes(1 + length)
                field = compactField
            } else {
                field = self.knownField(named: try self.reader.readKeyAndColon())
            }

            // Envelope values are nearly always strings: read those without the dispatch.
            let value: JSONValueSummary =
                self.reader.peekAfterWhitespace() == ASCII.quote
                ? .string(try self.reader.readString()) : try self.reader.readValue()
            if let field {
                fields[field] = FieldValue(value)
            }
        }
    }

    /// Recognises a known key written compactly, `name":` right after the opening quote, from
    /// the eight bytes after that quote; returns the field and the bytes matched. Anything
    /// else (spaces before the colon, escapes, unknown keys) takes the general path.
    @inline(__always)
    private static func compactKnownKey(_ word: UInt64) -> (EnvelopeField, Int)? {
        @inline(__always)
        func matches(_ packedName: UInt64, nameLength: Int) -> Bool {
            let length = nameLength + 2
            let pattern = packedName | (0x3A22 &<< UInt64(8 * nameLength))
            let mask: UInt64 = length == 8 ? .max : (1 &<< UInt64(8 * length)) &- 1
            return word & mask == pattern
        }

        switch word & 0xFF {
        case 0x74:  // t
            if matches(PackedKey.type, nameLength: 4) { return (.type, 6) }
            if matches(PackedKey.touid, nameLength: 5) { return (.touid, 7) }
            if matches(PackedKey.token, nameLength: 5) { return (.token, 7) }
        case 0x75:  // u
            if matches(PackedKey.uid, nameLength: 3) { return (.uid, 5) }
        case 0x6D:  // m
            if matches(PackedKey.msg, nameLength: 3) { return (.msg, 5) }
        case 0x69:  // i
            if matches(PackedKey.id, nameLength: 2) { return (.id, 4) }
        case 0x73:  // s
            if matches(PackedKey.since, nameLength: 5) { return (.since, 7) }
        default:
            break
        }
        return nil
    }

    private func knownField(named key: JSONStringSpan) -> EnvelopeField? {
        if let packed = self.reader.packedKey(key) {
            switch packed {
            case PackedKey.type: return .type
            case PackedKey.uid: return .uid
            case PackedKey.touid: return .touid
            case PackedKey.msg: return .msg
            case PackedKey.id: return .id
            case PackedKey.token: return .token
            case PackedKey.since: return .since
            default: return nil
            }
        }
        // An escaped key such as "\u0074ype" still names `type`; each known name is at most
        // 5 characters, so at most 30 bytes when every character is a \uXXXX escape.
        guard key.hasEscapes, key.rawCount <= 30 else { return nil }
        return EnvelopeField(rawValue: self.reader.decodeString(key))
    }

    // MARK: Validation

    private func validationResult(
        _ fields: EnvelopeFields
    )
        -> Result<ClientEnvelope, RejectedEnvelope>
    {
        Result { () throws(RejectedEnvelope) in try self.validate(fields) }
    }

    private func validate(_ fields: EnvelopeFields) throws(RejectedEnvelope) -> ClientEnvelope {
        // The id is read first so every rejection below can echo it; the type string is only
        // built when a rejection needs it.
        let id = self.requestID(fields.id)
        func rejection(_ reason: EnvelopeError) -> RejectedEnvelope {
            var requestType: String?
            if case .string(let span) = fields.type {
                requestType = self.reader.decodeString(span)
            }
            return RejectedEnvelope(
                reason: reason, requestType: requestType, requestID: id.echo,
                requestUID: try? self.userID(fields.uid, field: .uid),
                requestToUID: try? self.userID(fields.touid, field: .touid))
        }

        let kind: ClientEnvelope.Kind
        switch fields.type {
        case .absent: throw rejection(.missingField(.type))
        case .number, .otherType: throw rejection(.invalidField(.type, .wrongType))
        case .string(let span):
            guard let known = self.kind(named: span) else { throw rejection(.unknownType) }
            kind = known
        }

        do throws(EnvelopeError) {
            return try self.checkedEnvelope(kind, fields, id: id)
        } catch {
            throw rejection(error)
        }
    }

    private func kind(named span: JSONStringSpan) -> ClientEnvelope.Kind? {
        guard let packed = self.reader.packedKey(span) else {
            return ClientEnvelope.Kind(rawValue: self.reader.decodeString(span))
        }
        switch packed {
        case PackedKey.bind: return .bind
        case PackedKey.send: return .send
        case PackedKey.join: return .join
        case PackedKey.exit: return .exit
        default: return nil
        }
    }

    private func checkedEnvelope(
        _ kind: ClientEnvelope.Kind, _ fields: EnvelopeFields, id: RequestID
    ) throws(EnvelopeError) -> ClientEnvelope {
        let uid = try self.userID(fields.uid, field: .uid)
        let touid = try self.userID(fields.touid, field: .touid)
        let msgSpan = try self.stringSpan(fields.msg, field: .msg)
        if let violation = id.violation { throw .invalidField(.id, violation) }
        let token = try self.stringSpan(fields.token, field: .token).map(self.reader.decodeString)
        let since = try self.since(fields.since)

        switch kind {
        case .bind:
            if uid == nil { throw .missingField(.uid) }
        case .send:
            if touid == nil { throw .missingField(.touid) }
            if msgSpan == nil { throw .missingField(.msg) }
        case .join, .exit:
            if touid == nil { throw .missingField(.touid) }
        }

        let msg = try msgSpan.map { span throws(EnvelopeError) in try self.message(span) }
        return ClientEnvelope(
            type: kind, uid: uid, touid: touid, msg: msg, id: id.echo, token: token,
            since: since)
    }

    /// The request id, read once: either echoable, or the rule it breaks.
    private struct RequestID {
        var echo: String?
        var violation: FieldViolation?
    }

    private func requestID(_ value: FieldValue) -> RequestID {
        switch value {
        case .absent:
            return RequestID()
        case .string(let span):
            guard let text = self.string(span, maxBytes: self.limits.maxRequestIDBytes) else {
                return RequestID(violation: .tooLong)
            }
            return RequestID(echo: text)
        case .number, .otherType:
            return RequestID(violation: .wrongType)
        }
    }

    private func stringSpan(
        _ value: FieldValue, field: EnvelopeField
    ) throws(EnvelopeError) -> JSONStringSpan? {
        switch value {
        case .absent: return nil
        case .string(let span): return span
        case .number, .otherType: throw .invalidField(field, .wrongType)
        }
    }

    private func userID(_ value: FieldValue, field: EnvelopeField) throws(EnvelopeError) -> String?
    {
        guard let span = try self.stringSpan(value, field: field) else { return nil }
        guard let text = self.string(span, maxBytes: self.limits.maxUIDBytes) else {
            throw .invalidField(field, .tooLong)
        }
        if text.utf8.isEmpty { throw .invalidField(field, .empty) }
        // Without escapes the input bytes are the text's bytes; checking them in place
        // avoids walking the String's UTF-8 view.
        let hasControl =
            span.hasEscapes
            ? Self.containsControlCharacter(text.utf8)
            : self.reader.containsControlCharacter(span)
        if hasControl { throw .invalidField(field, .controlCharacter) }
        return text
    }

    private func message(_ span: JSONStringSpan) throws(EnvelopeError) -> String {
        guard let text = self.string(span, maxBytes: self.limits.maxMessageBytes) else {
            throw .messageTooLong
        }
        return text
    }

    private func since(_ value: FieldValue) throws(EnvelopeError) -> UInt64? {
        switch value {
        case .absent: return nil
        case .number(let span):
            guard let since = self.reader.unsignedInteger(span) else {
                throw .invalidField(.since, .notUnsignedInteger)
            }
            return since
        case .string, .otherType: throw .invalidField(.since, .wrongType)
        }
    }

    /// The decoded string, or nil when it is longer than `maxBytes` bytes of UTF-8. An
    /// unescaped string's raw length is exact, so an oversized one is refused uncopied.
    private func string(_ span: JSONStringSpan, maxBytes: Int) -> String? {
        if !span.hasEscapes {
            return span.rawCount > maxBytes ? nil : self.reader.decodeString(span)
        }
        let text = self.reader.decodeString(span)
        return text.utf8.count > maxBytes ? nil : text
    }

    /// SPEC: a uid has no control characters: C0 (U+0000–U+001F), DEL (U+007F) and C1
    /// (U+0080–U+009F, encoded as 0xC2 0x80–0x9F).
    private static func containsControlCharacter(_ utf8: String.UTF8View) -> Bool {
        var previousWasC2 = false
        for byte in utf8 {
            if byte < 0x20 || byte == 0x7F || (previousWasC2 && byte <= 0x9F) { return true }
            previousWasC2 = byte == 0xC2
        }
        return false
    }
}

/// The value a known field last had, kept as a span of the input until it is validated.
enum FieldValue {
    case absent
    case string(JSONStringSpan)
    case number(JSONNumberSpan)
    /// `true`, `false`, an object or an array: never valid for any envelope field.
    case otherType

    /// Classifies a value; `null` counts as absent (SPEC: a field set to null is not given).
    init(_ summary: JSONValueSummary) {
        switch summary {
        case .null: self = .absent
        case .string(let span): self = .string(span)
        case .number(let span): self = .number(span)
        case .bool, .object, .array: self = .otherType
        }
    }
}

/// The known fields of one envelope object, as last seen while reading it.
struct EnvelopeFields {
    var type = FieldValue.absent
    var uid = FieldValue.absent
    var touid = FieldValue.absent
    var msg = FieldValue.absent
    var id = FieldValue.absent
    var token = FieldValue.absent
    var since = FieldValue.absent

    subscript(field: EnvelopeField) -> FieldValue {
        get {
            switch field {
            case .type: self.type
            case .uid: self.uid
            case .touid: self.touid
            case .msg: self.msg
            case .id: self.id
            case .token: self.token
            case .since: self.since
            }
        }
        set {
            switch field {
            case .type: self.type = newValue
            case .uid: self.uid = newValue
            case .touid: self.touid = newValue
            case .msg: self.msg = newValue
            case .id: self.id = newValue
            case .token: self.token = newValue
            case .since: self.since = newValue
            }
        }
    }
}

/// The bytes of each known key and type name packed little-endian into an integer, as
/// `JSONReader.packedKey` produces them, so a name is recognised with one comparison.
enum PackedKey {
    static let type: UInt64 = 0x6570_7974  // "type"
    static let uid: UInt64 = 0x64_6975  // "uid"
    static let touid: UInt64 = 0x64_6975_6F74  // "touid"
    static let msg: UInt64 = 0x67_736D  // "msg"
    static let id: UInt64 = 0x6469  // "id"
    static let token: UInt64 = 0x6E_656B_6F74  // "token"
    static let since: UInt64 = 0x65_636E_6973  // "since"
    static let bind: UInt64 = 0x646E_6962  // "bind"
    static let send: UInt64 = 0x646E_6573  // "send"
    static let join: UInt64 = 0x6E69_6F6A  // "join"
    static let exit: UInt64 = 0x7469_7865  // "exit"
}
