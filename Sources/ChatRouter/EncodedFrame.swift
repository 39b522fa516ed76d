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
        var output: [UInt8] = []
        frame.encode(to: &output, includingSeq: false)
        self.bytes = output
    }

    /// Appends the frame with `"seq":seq` as its last field.
    public func append(to output: inout [UInt8], seq: UInt64) {
        // `bytes` always ends with the closing brace, since only `init` builds it.
        output.append(contentsOf: self.bytes.dropLast())
        JSONWriter.appendRaw(#","seq":"#, to: &output)
        JSONWriter.appendInteger(seq, to: &output)
        output.append(ASCII.closeBrace)
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
        JSONWriter.appendRaw(#"{"events":["#, to: &output)
        var isFirst = true
        for event in events {
            if !isFirst { output.append(ASCII.comma) }
            isFirst = false
            event.frame.append(to: &output, seq: event.seq)
        }
        JSONWriter.appendRaw(#"],"last":"#, to: &output)
        JSONWriter.appendInteger(last, to: &output)
        output.append(ASCII.closeBrace)
    }
}
