/// A `ServerFrame` encoded once, without `seq`, ready for any transport.
///
/// WebSocket sends `bytes` as they are. Long-poll needs the same frame with the session's
/// `seq`; because the encoder writes `seq` last, `append(to:seq:)` produces exactly what
/// `ServerFrame.encode` would with `seq` set, by copying all but the closing brace.
public struct EncodedFrame: Equatable, Hashable, Sendable {
    /// The frame's compact JSON without `seq`, a WebSocket text payload.
    public let bytes: [UInt8]

    /// Encodes `frame`, leaving out its `seq` whatever it holds.
    public init(_ frame: ServerFrame) {
        var withoutSeq = frame
        withoutSeq.seq = nil
        self.bytes = JSONEncoding.bytes(of: withoutSeq)
    }

    /// Appends the frame with `"seq":seq` as its last field.
    public func append(to output: inout [UInt8], seq: UInt64) {
        JSONEncoding.append(SequencedJSON(frameBytes: self.bytes, seq: seq), to: &output)
    }
}

/// An encoded frame with `,"seq":N` spliced in before its closing brace.
private struct SequencedJSON: JSONEncodable {
    /// Output of `FrameJSON` without seq: always at least `{…}`, ending with the brace.
    let frameBytes: [UInt8]
    let seq: UInt64

    func write<Sink: JSONSink>(to sink: inout Sink) {
        self.frameBytes.withUnsafeBufferPointer { frame in
            sink.writeRaw(UnsafeBufferPointer(rebasing: frame.dropLast()))
        }
        sink.writeRaw(#","seq":"#)
        sink.writeInteger(self.seq)
        sink.writeByte(ASCII.closeBrace)
    }
}

/// An encoded frame waiting in a long-poll session, with the sequence number it was given.
public struct SequencedFrame: Equatable, Hashable, Sendable {
    /// The frame, encoded without `seq`.
    public var frame: EncodedFrame
    /// The session's sequence number for it.
    public var seq: UInt64

    /// Pairs a frame with its sequence number.
    public init(frame: EncodedFrame, seq: UInt64) {
        self.frame = frame
        self.seq = seq
    }
}

/// The body of a `GET /v1/poll` answer.
public enum LongPollResponse {
    /// Appends `{"events":[…],"last":L}`: each event with its `seq`, in the order given, and
    /// `last`, the highest sequence number the session has assigned (SPEC "Long-poll").
    public static func appendEvents(
        _ events: some Sequence<SequencedFrame>, last: UInt64, to output: inout [UInt8]
    ) {
        JSONEncoding.appendRaw(#"{"events":["#, to: &output)
        var isFirst = true
        for event in events {
            if !isFirst { output.append(ASCII.comma) }
            isFirst = false
            event.frame.append(to: &output, seq: event.seq)
        }
        JSONEncoding.append(LastJSON(last: last), to: &output)
    }
}

/// The tail of a long-poll answer: `],"last":L}`.
private struct LastJSON: JSONEncodable {
    let last: UInt64

    func write<Sink: JSONSink>(to sink: inout Sink) {
        sink.writeRaw(#"],"last":"#)
        sink.writeInteger(self.last)
        sink.writeByte(ASCII.closeBrace)
    }
}
