/// Incremental frame parser: reads frame headers and hands out payload bytes as they arrive,
/// for any split of the byte stream, enforcing every framing rule of RFC 6455 §5 and RFC 7692 §6
/// as early as the bytes allow.
///
/// A value type that never allocates: header bytes split across reads are kept in a 14-byte
/// inline buffer, and payload is returned as slices of the caller's input (still masked). The
/// parser also follows the data-message sequence (which continuation frames are allowed, and
/// how many bytes the message has so far) so it can refuse a message as soon as a header shows
/// it would exceed the limit.
///
/// Drive it with ``parse(_:offset:)`` until it returns ``Step/needMoreBytes``. After a
/// ``Step/violation(_:)`` the parser is ``State/stopped`` and ignores further input.
public struct FrameParser: Sendable {
    /// What the parser waits for next.
    public enum State: Hashable, Sendable {
        /// The first two bytes of a frame header (some may already be buffered).
        case awaitingHeaderStart
        /// The rest of a header whose first two bytes passed every check: the extended length
        /// and/or masking key, `headerLength` bytes in total.
        case awaitingHeaderRemainder(headerLength: Int)
        /// `remaining` payload bytes of the frame described by `header`.
        case awaitingPayload(FrameHeader, remaining: Int)
        /// A rule was broken; nothing more is parsed.
        case stopped
    }

    /// One result of ``parse(_:offset:)``.
    public enum Step {
        /// The input is used up (or the parser is stopped); call again with more bytes.
        case needMoreBytes
        /// A complete, valid header. Its payload follows as one or more ``payload`` steps.
        case header(FrameHeader)
        /// Payload bytes of the current frame, still masked, as a slice of the input passed to
        /// ``parse(_:offset:)`` (valid only as long as that input). `phase` is the offset of the
        /// first byte within the frame payload, for unmasking. A frame always ends with exactly
        /// one step where `endsFrame` is true — an empty one for an empty payload.
        case payload(UnsafeRawBufferPointer, phase: Int, endsFrame: Bool)
        /// The peer broke `rule`; the connection must be failed.
        case violation(WebSocketProtocolError)
    }

    /// The data message whose continuation frames are awaited.
    private struct OpenMessage: Hashable, Sendable {
        var isCompressed: Bool
        var receivedBytes: Int
    }

    /// Which masking the parser demands: a server requires masked frames, a client unmasked.
    public let role: WebSocketRole
    /// Largest payload, in bytes, a message may have, summed over its fragments; larger fails
    /// with 1009 when the header is read.
    public let maxMessageBytes: Int
    /// Whether RSV1 may mark compressed messages (permessage-deflate was negotiated).
    public let allowsCompression: Bool
    /// Whether binary messages are accepted; if not, a binary frame fails with 1003 as soon as
    /// its header is read.
    public let acceptsBinaryMessages: Bool

    /// What the parser waits for next.
    public private(set) var state: State = .awaitingHeaderStart
    private var openMessage: OpenMessage?
    private var headerBuffer = HeaderBuffer()

    /// Creates a parser at the start of a stream.
    ///
    /// - Parameters:
    ///   - maxMessageBytes: message size limit, clamped to
    ///     0...``WebSocketConfiguration/maxMessageBytesLimit``.
    ///   - allowsCompression: true when permessage-deflate was negotiated.
    public init(
        role: WebSocketRole, maxMessageBytes: Int, allowsCompression: Bool = false,
        acceptsBinaryMessages: Bool = true
    ) {
        self.role = role
        self.maxMessageBytes = WebSocketConfiguration.clampedMessageLimit(maxMessageBytes)
        self.allowsCompression = allowsCompression
        self.acceptsBinaryMessages = acceptsBinaryMessages
    }

    /// Whether a fragmented data message awaits more continuation frames.
    public var isInsideFragmentedMessage: Bool {
        self.openMessage != nil
    }

    /// Largest wire size of a compressed message: deflate can grow incompressible data by a
    /// few bytes per block, so allow the limit plus 0.1 % and 64 bytes; the inflated size is
    /// still held to ``maxMessageBytes`` while inflating.
    public var maxCompressedMessageBytes: Int {
        self.maxMessageBytes + self.maxMessageBytes / 1024 + 64
    }

    /// Parses from `input[offset...]`, advancing `offset` past what it consumed, and returns
    /// the next step.
    public mutating func parse(_ input: UnsafeRawBufferPointer, offset: inout Int) -> Step {
        switch self.state {
        case .stopped:
            offset = input.count
            return .needMoreBytes
        case .awaitingPayload(let header, let remaining):
            return self.nextPayloadStep(header, remaining: remaining, input, &offset)
        case .awaitingHeaderStart, .awaitingHeaderRemainder:
            return self.nextHeaderStep(input, &offset)
        }
    }

    private mutating func nextPayloadStep(
        _ header: FrameHeader, remaining: Int, _ input: UnsafeRawBufferPointer, _ offset: inout Int
    ) -> Step {
        let available = input.count - offset
        if remaining > 0 && available <= 0 {
            return .needMoreBytes
        }
        let taken = min(available, remaining)
        let chunk = UnsafeRawBufferPointer(rebasing: input[offset..<(offset + taken)])
        let phase = header.payloadLength - remaining
        offset += taken
        let left = remaining - taken
        self.state = left == 0 ? .awaitingHeaderStart : .awaitingPayload(header, remaining: left)
        return .payload(chunk, phase: phase, endsFrame: left == 0)
    }

    private mutating func nextHeaderStep(
        _ input: UnsafeRawBufferPointer, _ offset: inout Int
    )
        -> Step
    {
        // Fast path: nothing buffered and the whole header is in the input, so it is decoded
        // in place without copying.
        if self.headerBuffer.count == 0, input.count - offset >= 2, let base = input.baseAddress {
            let start = base + offset
            let headerLength: Int
            switch self.checkFirstTwoBytes(start) {
            case .failure(let rule):
                return self.stop(rule, &offset, input)
            case .success(let length):
                headerLength = length
            }
            if input.count - offset >= headerLength {
                offset += headerLength
                let step = self.finishHeader(start)
                if case .violation(let rule) = step {
                    return self.stop(rule, &offset, input)
                }
                return step
            }
        }
        return self.bufferHeaderBytes(input, &offset)
    }

    /// The slow path: copies header bytes into the inline buffer until the header is whole.
    private mutating func bufferHeaderBytes(
        _ input: UnsafeRawBufferPointer, _ offset: inout Int
    )
        -> Step
    {
        while true {
            let needed: Int
            if case .awaitingHeaderRemainder(let headerLength) = self.state {
                needed = headerLength
            } else {
                needed = 2
            }
            let taken = min(needed - self.headerBuffer.count, input.count - offset)
            if taken > 0 {
                self.headerBuffer.append(
                    UnsafeRawBufferPointer(rebasing: input[offset..<(offset + taken)]))
                offset += taken
            }
            if self.headerBuffer.count < needed {
                return .needMoreBytes
            }
            let buffer = self.headerBuffer
            let step = buffer.withBytes { buffered -> Step? in
                if case .awaitingHeaderStart = self.state {
                    switch self.checkFirstTwoBytes(buffered) {
                    case .failure(let rule):
                        return .violation(rule)
                    case .success(let headerLength):
                        self.state = .awaitingHeaderRemainder(headerLength: headerLength)
                        return headerLength == 2 ? self.finishHeader(buffered) : nil
                    }
                }
                return self.finishHeader(buffered)
            }
            if let step {
                if case .violation(let rule) = step {
                    return self.stop(rule, &offset, input)
                }
                self.headerBuffer.count = 0
                return step
            }
        }
    }

    /// Applies every rule decidable from the first two header bytes and returns the full header
    /// length.
    private func checkFirstTwoBytes(
        _ bytes: UnsafeRawPointer
    )
        -> Result<Int, WebSocketProtocolError>
    {
        let first = bytes.load(as: UInt8.self)
        let second = bytes.load(fromByteOffset: 1, as: UInt8.self)
        let isFinal = first & 0x80 != 0
        let isCompressed = first & 0x40 != 0
        let isMasked = second & 0x80 != 0
        let shortLength = second & 0x7F
        if first & 0x30 != 0 {
            return .failure(.reservedBitsSet)
        }
        guard let opcode = Opcode(rawValue: first & 0x0F) else {
            return .failure(.reservedOpcode)
        }
        if let rule = self.compressionBitRule(isCompressed, opcode) {
            return .failure(rule)
        }
        if opcode.isControl && !isFinal {
            return .failure(.fragmentedControlFrame)
        }
        if opcode.isControl && shortLength > 125 {
            return .failure(.controlFrameTooLong)
        }
        if let rule = self.maskingRule(isMasked) ?? self.sequenceRule(opcode) {
            return .failure(rule)
        }
        let lengthBytes = shortLength == 126 ? 2 : (shortLength == 127 ? 8 : 0)
        return .success(2 + lengthBytes + (isMasked ? 4 : 0))
    }

    private func compressionBitRule(
        _ isCompressed: Bool, _ opcode: Opcode
    )
        -> WebSocketProtocolError?
    {
        guard isCompressed else { return nil }
        if !self.allowsCompression { return .compressionBitWithoutExtension }
        if opcode.isControl { return .compressionBitOnControlFrame }
        if opcode == .continuation { return .compressionBitOnContinuationFrame }
        return nil
    }

    private func maskingRule(_ isMasked: Bool) -> WebSocketProtocolError? {
        switch self.role {
        case .server: return isMasked ? nil : .unmaskedClientFrame
        case .client: return isMasked ? .maskedServerFrame : nil
        }
    }

    private func sequenceRule(_ opcode: Opcode) -> WebSocketProtocolError? {
        switch opcode {
        case .continuation where self.openMessage == nil:
            return .unexpectedContinuationFrame
        case .text where self.openMessage != nil, .binary where self.openMessage != nil:
            return .expectedContinuationFrame
        case .binary where !self.acceptsBinaryMessages:
            return .binaryMessageRefused
        default:
            return nil
        }
    }

    /// Decodes a header whose first two bytes already passed ``checkFirstTwoBytes(_:)`` and
    /// applies the length rules.
    private mutating func finishHeader(_ bytes: UnsafeRawPointer) -> Step {
        let first = bytes.load(as: UInt8.self)
        let second = bytes.load(fromByteOffset: 1, as: UInt8.self)
        let opcode = Opcode(rawValue: first & 0x0F) ?? .continuation
        var cursor = 2
        var declaredLength = UInt64(second & 0x7F)
        if declaredLength == 126 {
            declaredLength = UInt64(Self.loadBigEndian(bytes, at: cursor, byteCount: 2))
            cursor += 2
        } else if declaredLength == 127 {
            declaredLength = Self.loadBigEndian(bytes, at: cursor, byteCount: 8)
            cursor += 8
            if declaredLength & (1 << 63) != 0 {
                return .violation(.payloadLengthTopBitSet)
            }
        }
        var maskingKey: MaskingKey?
        if second & 0x80 != 0 {
            maskingKey = MaskingKey(
                rawValue: UInt32(
                    truncatingIfNeeded: Self.loadBigEndian(bytes, at: cursor, byteCount: 4)))
        }
        let header = FrameHeader(
            isFinal: first & 0x80 != 0, isCompressed: first & 0x40 != 0, opcode: opcode,
            maskingKey: maskingKey, payloadLength: 0)
        return self.admit(header, declaredLength: declaredLength)
    }

    /// Checks the size limit for the frame and its message, then updates the message sequence.
    private mutating func admit(_ partialHeader: FrameHeader, declaredLength: UInt64) -> Step {
        var header = partialHeader
        if header.opcode.isControl {
            header.payloadLength = Int(declaredLength)
            self.state = .awaitingPayload(header, remaining: header.payloadLength)
            return .header(header)
        }
        let isCompressed = self.openMessage?.isCompressed ?? header.isCompressed
        let limit = isCompressed ? self.maxCompressedMessageBytes : self.maxMessageBytes
        let alreadyReceived = self.openMessage?.receivedBytes ?? 0
        guard declaredLength <= UInt64(max(0, limit - alreadyReceived)) else {
            return .violation(.messageTooBig)
        }
        header.payloadLength = Int(declaredLength)
        if header.isFinal {
            self.openMessage = nil
        } else {
            self.openMessage = OpenMessage(
                isCompressed: isCompressed, receivedBytes: alreadyReceived + header.payloadLength)
        }
        self.state = .awaitingPayload(header, remaining: header.payloadLength)
        return .header(header)
    }

    private mutating func stop(
        _ rule: WebSocketProtocolError, _ offset: inout Int, _ input: UnsafeRawBufferPointer
    ) -> Step {
        self.state = .stopped
        self.openMessage = nil
        self.headerBuffer.count = 0
        offset = input.count
        return .violation(rule)
    }

    private static func loadBigEndian(
        _ bytes: UnsafeRawPointer, at offset: Int, byteCount: Int
    )
        -> UInt64
    {
        var value: UInt64 = 0
        for index in offset..<(offset + byteCount) {
            value = value << 8 | UInt64(bytes.load(fromByteOffset: index, as: UInt8.self))
        }
        return value
    }
}

/// Up to 14 header bytes kept inline while a header arrives in pieces.
private struct HeaderBuffer: Sendable {
    private var storage: (UInt64, UInt64) = (0, 0)
    var count = 0

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        let start = self.count
        withUnsafeMutableBytes(of: &self.storage) { raw in
            for (index, byte) in bytes.enumerated() where start + index < raw.count {
                raw[start + index] = byte
            }
        }
        self.count = min(start + bytes.count, 16)
    }

    func withBytes<Result>(_ body: (UnsafeRawPointer) -> Result) -> Result {
        var copy = self.storage
        return withUnsafeBytes(of: &copy) { raw in
            // A 16-byte tuple always has storage, so the address is never nil.
            body(raw.baseAddress.unsafelyUnwrapped)
        }
    }
}
