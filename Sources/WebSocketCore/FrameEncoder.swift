/// Writes complete frames (RFC 6455 §5.2) onto the end of a caller's byte array.
///
/// Appending to the caller's buffer lets an event loop encode straight into a connection's
/// outbound queue: one header append and one payload copy per frame, masking in place when a
/// key is given. Nothing is validated beyond what the wire format itself needs; the
/// ``WebSocketConnection`` send methods enforce the protocol rules.
public enum FrameEncoder {
    /// Appends one frame carrying `payload`.
    ///
    /// - Parameters:
    ///   - opcode: the frame type.
    ///   - isFinal: FIN; false only for a data frame that a continuation frame will follow.
    ///   - isCompressed: RSV1, set on the first frame of a permessage-deflate compressed
    ///     message.
    ///   - payload: the payload bytes, unmasked; copied.
    ///   - maskingKey: required for frames a client sends, nil for frames a server sends.
    ///   - output: the frame is appended here.
    public static func appendFrame(
        opcode: Opcode, isFinal: Bool = true, isCompressed: Bool = false,
        payload: UnsafeRawBufferPointer, maskingKey: MaskingKey?, to output: inout [UInt8]
    ) {
        self.appendHeader(
            FrameHeader(
                isFinal: isFinal, isCompressed: isCompressed, opcode: opcode,
                maskingKey: maskingKey, payloadLength: payload.count),
            to: &output)
        guard !payload.isEmpty else { return }
        let payloadStart = output.count
        output.append(contentsOf: payload)
        if let maskingKey {
            maskingKey.apply(to: &output, in: payloadStart..<output.count)
        }
    }

    /// Appends one frame carrying `payload`; see
    /// the `UnsafeRawBufferPointer` overload.
    public static func appendFrame(
        opcode: Opcode, isFinal: Bool = true, isCompressed: Bool = false,
        payload: [UInt8], maskingKey: MaskingKey?, to output: inout [UInt8]
    ) {
        payload.withUnsafeBytes { bytes in
            self.appendFrame(
                opcode: opcode, isFinal: isFinal, isCompressed: isCompressed, payload: bytes,
                maskingKey: maskingKey, to: &output)
        }
    }

    /// Appends the 2–14 header bytes for `header`, choosing the shortest length encoding.
    public static func appendHeader(_ header: FrameHeader, to output: inout [UInt8]) {
        var bytes: (UInt64, UInt64) = (0, 0)
        let count = withUnsafeMutableBytes(of: &bytes) { raw -> Int in
            var first = header.opcode.rawValue
            if header.isFinal { first |= 0x80 }
            if header.isCompressed { first |= 0x40 }
            raw[0] = first
            let maskBit: UInt8 = header.maskingKey == nil ? 0 : 0x80
            let length = UInt64(max(0, header.payloadLength))
            var cursor = 2
            if length <= 125 {
                raw[1] = maskBit | UInt8(length)
            } else if length <= 0xFFFF {
                raw[1] = maskBit | 126
                Self.storeBigEndian(length, byteCount: 2, into: raw, at: &cursor)
            } else {
                raw[1] = maskBit | 127
                Self.storeBigEndian(length, byteCount: 8, into: raw, at: &cursor)
            }
            if let key = header.maskingKey {
                Self.storeBigEndian(UInt64(key.rawValue), byteCount: 4, into: raw, at: &cursor)
            }
            return cursor
        }
        withUnsafeBytes(of: &bytes) { raw in
            output.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[0..<count]))
        }
    }

    private static func storeBigEndian(
        _ value: UInt64, byteCount: Int, into raw: UnsafeMutableRawBufferPointer,
        at cursor: inout Int
    ) {
        for index in 0..<byteCount {
            let shift = UInt64(8 * (byteCount - 1 - index))
            raw[cursor + index] = UInt8(truncatingIfNeeded: value >> shift)
        }
        cursor += byteCount
    }
}
