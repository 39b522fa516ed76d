/// A rule of RFC 6455 or RFC 7692 that the peer broke, or a local fault that ends the
/// connection while frames are being read.
///
/// Each case is named after the broken rule. ``closeCode`` is the one place that maps a case to
/// the status code sent in the Close frame, and ``description`` is the short lowercase reason
/// sent with it (at most 123 bytes, never containing peer data).
public enum WebSocketProtocolError: Error, Hashable, Sendable, CaseIterable,
    CustomStringConvertible
{
    /// RSV2 or RSV3 was set; no negotiated extension defines them (RFC 6455 §5.2).
    case reservedBitsSet
    /// RSV1 was set but permessage-deflate was not negotiated.
    case compressionBitWithoutExtension
    /// RSV1 was set on a continuation frame; only a message's first frame carries it
    /// (RFC 7692 §6).
    case compressionBitOnContinuationFrame
    /// RSV1 was set on a control frame; control frames are never compressed (RFC 7692 §6).
    case compressionBitOnControlFrame
    /// The opcode is one of the reserved values 3–7 or 11–15.
    case reservedOpcode
    /// A client sent an unmasked frame (RFC 6455 §5.1).
    case unmaskedClientFrame
    /// A server sent a masked frame (RFC 6455 §5.1).
    case maskedServerFrame
    /// A control frame had FIN clear (RFC 6455 §5.5).
    case fragmentedControlFrame
    /// A control frame declared more than 125 payload bytes (RFC 6455 §5.5).
    case controlFrameTooLong
    /// A continuation frame arrived with no fragmented message in progress.
    case unexpectedContinuationFrame
    /// A text or binary frame arrived while a fragmented message still awaited its final
    /// continuation frame.
    case expectedContinuationFrame
    /// A 64-bit payload length had its most significant bit set (RFC 6455 §5.2).
    case payloadLengthTopBitSet
    /// A frame, or the fragments of a message together, exceeded the message size limit; for
    /// compressed messages this includes the inflated size.
    case messageTooBig
    /// A binary message arrived on an endpoint configured to accept text only.
    case binaryMessageRefused
    /// A text message was not valid UTF-8 (RFC 6455 §8.1).
    case invalidUTF8InTextMessage
    /// A Close frame's reason was not valid UTF-8 (RFC 6455 §5.5.1).
    case invalidUTF8InCloseReason
    /// A Close frame carried a 1-byte payload, too short for a status code.
    case closePayloadTooShort
    /// A Close frame carried a status code that may not appear on the wire.
    case invalidCloseCode
    /// A compressed message could not be inflated (RFC 7692 §7.2.2).
    case invalidCompressedData
    /// zlib could not set up or run its stream (out of memory); not the peer's fault.
    case compressionUnavailable

    /// The status code to send in the Close frame that fails the connection: 1002 for framing
    /// rules, 1003 for a refused data type, 1007 for inconsistent data, 1009 for size limits
    /// and 1011 for local faults.
    public var closeCode: CloseCode {
        switch self {
        case .reservedBitsSet, .compressionBitWithoutExtension,
            .compressionBitOnContinuationFrame, .compressionBitOnControlFrame, .reservedOpcode,
            .unmaskedClientFrame, .maskedServerFrame, .fragmentedControlFrame,
            .controlFrameTooLong, .unexpectedContinuationFrame, .expectedContinuationFrame,
            .payloadLengthTopBitSet, .closePayloadTooShort, .invalidCloseCode:
            return .protocolError
        case .binaryMessageRefused:
            return .unsupportedData
        case .invalidUTF8InTextMessage, .invalidUTF8InCloseReason, .invalidCompressedData:
            return .invalidPayloadData
        case .messageTooBig:
            return .messageTooBig
        case .compressionUnavailable:
            return .internalError
        }
    }

    /// A short lowercase phrase with no final period, used as the close reason.
    public var description: String {
        switch self {
        case .reservedBitsSet: return "reserved bits set"
        case .compressionBitWithoutExtension: return "compression bit set without extension"
        case .compressionBitOnContinuationFrame: return "compression bit set on continuation frame"
        case .compressionBitOnControlFrame: return "compression bit set on control frame"
        case .reservedOpcode: return "reserved opcode"
        case .unmaskedClientFrame: return "client frame not masked"
        case .maskedServerFrame: return "server frame masked"
        case .fragmentedControlFrame: return "fragmented control frame"
        case .controlFrameTooLong: return "control frame too long"
        case .unexpectedContinuationFrame: return "unexpected continuation frame"
        case .expectedContinuationFrame: return "expected continuation frame"
        case .payloadLengthTopBitSet: return "invalid payload length"
        case .messageTooBig: return "message too big"
        case .binaryMessageRefused: return "binary messages not accepted"
        case .invalidUTF8InTextMessage: return "invalid utf-8 in text message"
        case .invalidUTF8InCloseReason: return "invalid utf-8 in close reason"
        case .closePayloadTooShort: return "close payload too short"
        case .invalidCloseCode: return "invalid close code"
        case .invalidCompressedData: return "invalid compressed data"
        case .compressionUnavailable: return "internal error"
        }
    }
}
