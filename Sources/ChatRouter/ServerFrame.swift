/// A V1 frame from the server to a client: a reply to a request, or an event.
///
/// SPEC: every frame has `type`, `error`, `code` and `msg`; the optional fields are written
/// only when set. Encoding is compact JSON with the fields always in this order: type, error,
/// code, msg, uid, touid, id, mid, ts, gap, sid, seq. Keeping `seq` last is what lets
/// `EncodedFrame` add it to an already encoded frame without re-encoding.
public struct ServerFrame: Equatable, Hashable, Sendable {
    /// The request type echoed (`bind`, `send`, `join`, `exit`), or `"error"` for a request
    /// that could not be parsed.
    public var type: String
    /// Whether this frame reports a failure.
    public var error: Bool
    /// The V1 code: 0 for success, else one of SPEC "Codes".
    public var code: Int
    /// Message text on delivery; a status word (`ok`, `delivered`…) or error reason otherwise.
    public var msg: String
    /// The acting user, where it applies.
    public var uid: String?
    /// The other user, where it applies.
    public var touid: String?
    /// The request's id, when the request had one.
    public var id: String?
    /// The server-assigned message id of a delivered or accepted message.
    public var mid: UInt64?
    /// Server time of a delivered message, in Unix milliseconds.
    public var ts: Int64?
    /// On a bind reply with `since`: whether retention already dropped a message above it.
    public var gap: Bool?
    /// On the bind reply that created a long-poll session: the session id.
    public var sid: String?
    /// The long-poll sequence number; WebSocket frames leave it nil.
    public var seq: UInt64?

    /// Creates a frame; `error` defaults to false and `code` to 0 (success).
    public init(
        type: String, error: Bool = false, code: Int = 0, msg: String,
        uid: String? = nil, touid: String? = nil, id: String? = nil, mid: UInt64? = nil,
        ts: Int64? = nil, gap: Bool? = nil, sid: String? = nil, seq: UInt64? = nil
    ) {
        self.type = type
        self.error = error
        self.code = code
        self.msg = msg
        self.uid = uid
        self.touid = touid
        self.id = id
        self.mid = mid
        self.ts = ts
        self.gap = gap
        self.sid = sid
        self.seq = seq
    }

    /// The error reply to a refused envelope: its echoed type (or `"error"`), `error: true`,
    /// the rule's V1 code, the rule's description as `msg`, and the echoed `id`, `uid` and
    /// `touid` when they were valid.
    public init(rejected: RejectedEnvelope) {
        self.init(
            type: rejected.replyType, error: true, code: rejected.code,
            msg: rejected.reason.description, uid: rejected.requestUID,
            touid: rejected.requestToUID, id: rejected.requestID)
    }

    /// Appends the frame as compact JSON, `seq` included when set.
    public func encode(to output: inout [UInt8]) {
        JSONEncoding.append(self, to: &output)
    }

    /// The frame as compact JSON, `seq` included when set.
    public var jsonBytes: [UInt8] {
        JSONEncoding.bytes(of: self)
    }

    /// Appends `frames` as one JSON array, for a long-poll POST batch reply.
    public static func encodeArray(_ frames: some Sequence<ServerFrame>, to output: inout [UInt8]) {
        output.append(ASCII.openBracket)
        var isFirst = true
        for frame in frames {
            if !isFirst { output.append(ASCII.comma) }
            isFirst = false
            frame.encode(to: &output)
        }
        output.append(ASCII.closeBracket)
    }
}

extension ServerFrame: JSONEncodable {
    /// Writes the frame; `seq` goes last so `EncodedFrame` can splice it in.
    func write<Sink: JSONSink>(to sink: inout Sink) {
        let frame = self
        sink.writeRaw(#"{"type":"#)
        sink.writeString(frame.type)
        sink.writeRaw(#","error":"#)
        sink.writeBool(frame.error)
        sink.writeRaw(#","code":"#)
        sink.writeInteger(Int64(frame.code))
        sink.writeRaw(#","msg":"#)
        sink.writeString(frame.msg)

        if let uid = frame.uid {
            sink.writeRaw(#","uid":"#)
            sink.writeString(uid)
        }
        if let touid = frame.touid {
            sink.writeRaw(#","touid":"#)
            sink.writeString(touid)
        }
        if let id = frame.id {
            sink.writeRaw(#","id":"#)
            sink.writeString(id)
        }
        if let mid = frame.mid {
            sink.writeRaw(#","mid":"#)
            sink.writeInteger(mid)
        }
        if let ts = frame.ts {
            sink.writeRaw(#","ts":"#)
            sink.writeInteger(ts)
        }
        if let gap = frame.gap {
            sink.writeRaw(#","gap":"#)
            sink.writeBool(gap)
        }
        if let sid = frame.sid {
            sink.writeRaw(#","sid":"#)
            sink.writeString(sid)
        }
        if let seq = frame.seq {
            sink.writeRaw(#","seq":"#)
            sink.writeInteger(seq)
        }
        sink.writeByte(ASCII.closeBrace)
    }
}
