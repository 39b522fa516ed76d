/// The fixed part of a frame (RFC 6455 §5.2): everything before the payload.
public struct FrameHeader: Hashable, Sendable {
    /// FIN: this frame ends its message (always true for control frames).
    public var isFinal: Bool
    /// RSV1: under permessage-deflate, the message this frame starts is compressed.
    public var isCompressed: Bool
    /// What the frame carries.
    public var opcode: Opcode
    /// The client's masking key, or nil for an unmasked (server) frame.
    public var maskingKey: MaskingKey?
    /// Payload bytes following the header; bounded by the parser's message limit.
    public var payloadLength: Int

    /// Describes a frame header; nothing is validated here.
    public init(
        isFinal: Bool, isCompressed: Bool = false, opcode: Opcode, maskingKey: MaskingKey?,
        payloadLength: Int
    ) {
        self.isFinal = isFinal
        self.isCompressed = isCompressed
        self.opcode = opcode
        self.maskingKey = maskingKey
        self.payloadLength = payloadLength
    }

    /// Bytes the encoded header occupies: 2, plus 2 or 8 for an extended length, plus 4 for a
    /// masking key.
    public var encodedLength: Int {
        Self.encodedLength(payloadLength: self.payloadLength, isMasked: self.maskingKey != nil)
    }

    /// Bytes a header occupies for this payload length and masking.
    public static func encodedLength(payloadLength: Int, isMasked: Bool) -> Int {
        let lengthBytes = payloadLength <= 125 ? 0 : (payloadLength <= 0xFFFF ? 2 : 8)
        return 2 + lengthBytes + (isMasked ? 4 : 0)
    }
}
