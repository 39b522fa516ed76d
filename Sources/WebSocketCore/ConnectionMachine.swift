/// The protocol logic behind ``WebSocketConnection``, kept in one struct so the connection
/// class pays for a single exclusive access per call instead of one per field touched on the
/// hot path.
struct ConnectionMachine {
    /// Our end of the connection; decides the masking rules.
    let role: WebSocketRole
    /// Limits and tuning.
    let configuration: WebSocketConfiguration
    /// The agreed permessage-deflate parameters, or nil without compression.
    let deflate: PerMessageDeflateParameters?
    /// Where the close handshake stands.
    private(set) var state: WebSocketConnection.State = .open
    /// Why the connection ended; see ``WebSocketConnection/closeCode``.
    private(set) var closeCode: CloseCode?
    /// Bytes waiting to be written: pongs, close frames and messages sent with `send…`.
    private(set) var pendingOutput: [UInt8] = []

    private var parser: FrameParser
    private var maskingKeyGenerator: any RandomNumberGenerator
    /// The header of the frame whose payload is being read.
    private var currentFrame: FrameHeader?
    /// Text or binary: the type of the data message being assembled.
    private var messageOpcode: Opcode = .text
    private var messageIsCompressed = false
    private var messageBytes: [UInt8] = []
    private var textValidator = UTF8Validator()
    private var controlPayload: [UInt8] = []
    /// Compressed payload after unmasking, before inflation.
    private var unmaskedCompressedBytes: [UInt8] = []
    private var compressor: DeflateCompressor?
    private var decompressor: DeflateDecompressor?

    /// The first reservation for a message, at most this: a header alone must not make us
    /// allocate up to the message limit; bigger messages grow geometrically.
    private static let initialMessageReservationBytes = 1 << 20
    /// Scratch buffers above this size are released after the message that grew them.
    private static let retainedScratchBytes = 64 * 1024

    /// Creates the machine; see the initializer of ``WebSocketConnection``.
    init(
        role: WebSocketRole, configuration: WebSocketConfiguration,
        deflate: PerMessageDeflateParameters?, maskingKeyGenerator: any RandomNumberGenerator
    ) {
        self.role = role
        self.configuration = configuration
        self.deflate = deflate
        self.maskingKeyGenerator = maskingKeyGenerator
        self.parser = FrameParser(
            role: role, maxMessageBytes: configuration.maxMessageBytes,
            allowsCompression: deflate != nil,
            acceptsBinaryMessages: configuration.acceptsBinaryMessages)
    }

    /// Hands over the pending output and forgets it.
    mutating func takeOutput() -> [UInt8] {
        let output = self.pendingOutput
        self.pendingOutput = []
        return output
    }

    /// Appends the pending output to `output`, keeping the internal capacity.
    mutating func drainOutput(into output: inout [UInt8]) {
        output.append(contentsOf: self.pendingOutput)
        let keepsCapacity = self.pendingOutput.capacity <= Self.retainedScratchBytes
        self.pendingOutput.removeAll(keepingCapacity: keepsCapacity)
    }
}

// MARK: - Receiving

extension ConnectionMachine {
    /// Parses `bytes` and appends the events they complete; see
    /// ``WebSocketConnection/receive(_:into:)``.
    mutating func receive(_ bytes: UnsafeRawBufferPointer, into events: inout [WebSocketEvent]) {
        var offset = 0
        while self.state != .closed {
            switch self.parser.parse(bytes, offset: &offset) {
            case .needMoreBytes:
                return
            case .header(let header):
                self.beginFrame(header)
            case .payload(let chunk, let phase, let endsFrame):
                guard let frame = self.currentFrame else { return }
                self.receivePayload(chunk, phase: phase, endsFrame: endsFrame, of: frame, &events)
            case .violation(let rule):
                self.fail(rule, &events)
            }
        }
    }

    /// Records that the transport ended: 1006 unless already closed.
    mutating func receiveEndOfStream(into events: inout [WebSocketEvent]) {
        guard self.state != .closed else { return }
        self.enterClosed(code: .abnormalClosure)
        events.append(.connectionLost)
    }

    private mutating func beginFrame(_ header: FrameHeader) {
        self.currentFrame = header
        switch header.opcode {
        case .text, .binary:
            self.messageOpcode = header.opcode
            self.messageIsCompressed = header.isCompressed
            self.textValidator.reset()
        case .continuation:
            break
        case .close, .ping, .pong:
            self.controlPayload.removeAll(keepingCapacity: true)
        }
    }

    private mutating func receivePayload(
        _ chunk: UnsafeRawBufferPointer, phase: Int, endsFrame: Bool, of frame: FrameHeader,
        _ events: inout [WebSocketEvent]
    ) {
        if frame.opcode.isControl {
            Self.appendUnmasked(
                chunk, key: frame.maskingKey, phase: phase, to: &self.controlPayload)
            if endsFrame {
                self.receiveControlFrame(frame.opcode, &events)
            }
            return
        }
        let endsMessage = endsFrame && frame.isFinal
        if self.messageIsCompressed {
            self.receiveCompressed(chunk, phase: phase, endsMessage: endsMessage, frame, &events)
        } else if endsMessage && self.messageBytes.isEmpty {
            // The whole message is in this chunk: build it with a single copy.
            let message = Self.unmaskedCopy(chunk, key: frame.maskingKey, phase: phase)
            if self.messageOpcode == .text && !UTF8Validator.isValid(message) {
                return self.fail(.invalidUTF8InTextMessage, &events)
            }
            self.deliver(message, &events)
        } else {
            if self.messageBytes.capacity == 0 {
                self.messageBytes.reserveCapacity(
                    min(frame.payloadLength, Self.initialMessageReservationBytes))
            }
            let start = self.messageBytes.count
            Self.appendUnmasked(chunk, key: frame.maskingKey, phase: phase, to: &self.messageBytes)
            self.continueMessage(validatingFrom: start, endsMessage: endsMessage, &events)
        }
    }

    /// Validates newly appended text (failing fast, RFC 6455 §8.1) and delivers the message
    /// when it is complete.
    private mutating func continueMessage(
        validatingFrom start: Int, endsMessage: Bool, _ events: inout [WebSocketEvent]
    ) {
        if self.messageOpcode == .text {
            var validator = self.textValidator
            let isValid = self.messageBytes.withUnsafeBytes { bytes in
                validator.validate(UnsafeRawBufferPointer(rebasing: bytes[start...]))
            }
            self.textValidator = validator
            if !isValid || (endsMessage && !validator.isAtCharacterBoundary) {
                return self.fail(.invalidUTF8InTextMessage, &events)
            }
        }
        if endsMessage {
            let message = self.messageBytes
            self.messageBytes = []
            self.deliver(message, &events)
        }
    }

    private mutating func receiveCompressed(
        _ chunk: UnsafeRawBufferPointer, phase: Int, endsMessage: Bool, _ frame: FrameHeader,
        _ events: inout [WebSocketEvent]
    ) {
        guard let decompressor = self.activeDecompressor() else {
            return self.fail(.compressionUnavailable, &events)
        }
        let start = self.messageBytes.count
        let limit = self.configuration.maxMessageBytes
        var failure: WebSocketProtocolError?
        do throws(WebSocketProtocolError) {
            if let key = frame.maskingKey {
                self.unmaskedCompressedBytes.removeAll(keepingCapacity: true)
                Self.appendUnmasked(
                    chunk, key: key, phase: phase, to: &self.unmaskedCompressedBytes)
                let unmasked = self.unmaskedCompressedBytes
                unmasked.withUnsafeBytes { compressed in
                    do throws(WebSocketProtocolError) {
                        try decompressor.inflate(compressed, onto: &self.messageBytes, limit: limit)
                    } catch {
                        failure = error
                    }
                }
                if let failure { throw failure }
            } else {
                try decompressor.inflate(chunk, onto: &self.messageBytes, limit: limit)
            }
            if endsMessage {
                try decompressor.finishMessage(onto: &self.messageBytes, limit: limit)
                self.trimScratch()
            }
        } catch {
            failure = error
        }
        if let failure {
            return self.fail(failure, &events)
        }
        self.continueMessage(validatingFrom: start, endsMessage: endsMessage, &events)
    }

    private mutating func receiveControlFrame(_ opcode: Opcode, _ events: inout [WebSocketEvent]) {
        switch opcode {
        case .ping:
            if self.state == .open && self.configuration.answersPingsAutomatically {
                // RFC 6455 §5.5.3: the pong carries the ping's payload.
                let key = self.nextMaskingKey()
                FrameEncoder.appendFrame(
                    opcode: .pong, payload: self.controlPayload, maskingKey: key,
                    to: &self.pendingOutput)
            }
            events.append(.ping(self.controlPayload))
        case .pong:
            events.append(.pong(self.controlPayload))
        default:
            self.receiveClose(&events)
        }
    }

    private mutating func receiveClose(_ events: inout [WebSocketEvent]) {
        let payload = self.controlPayload
        var code: CloseCode?
        var reason = ""
        if payload.count == 1 {
            return self.fail(.closePayloadTooShort, &events)
        }
        if payload.count >= 2 {
            let received = CloseCode(rawValue: UInt16(payload[0]) << 8 | UInt16(payload[1]))
            guard received.isAllowedInCloseFrame else {
                return self.fail(.invalidCloseCode, &events)
            }
            let reasonBytes = Array(payload[2...])
            guard UTF8Validator.isValid(reasonBytes) else {
                return self.fail(.invalidUTF8InCloseReason, &events)
            }
            code = received
            reason = String(decoding: reasonBytes, as: UTF8.self)
        }
        if self.state == .open {
            // RFC 6455 §5.5.1: answer with a Close frame that echoes the status code.
            let echoed: [UInt8] =
                code.map { [UInt8($0.rawValue >> 8), UInt8($0.rawValue & 0xFF)] } ?? []
            let key = self.nextMaskingKey()
            FrameEncoder.appendFrame(
                opcode: .close, payload: echoed, maskingKey: key, to: &self.pendingOutput)
        }
        self.enterClosed(code: code ?? .noStatusReceived)
        events.append(.closeReceived(code: code, reason: reason))
    }

    /// Fails the connection (RFC 6455 §7.1.7): queues a Close frame with the rule's code and
    /// reason unless one was already sent, and stops reading.
    // Limitation: messages completed earlier in the same `receive` call are still reported,
    // but can no longer be answered, because our Close frame is queued and sending now throws
    // `.closing`. An echo endpoint therefore drops the echo of a valid message that arrived in
    // the same read as a bad frame (Autobahn rates those cases NON-STRICT, not failed).
    private mutating func fail(_ rule: WebSocketProtocolError, _ events: inout [WebSocketEvent]) {
        if self.state == .open {
            var payload = [
                UInt8(rule.closeCode.rawValue >> 8), UInt8(rule.closeCode.rawValue & 0xFF),
            ]
            payload.append(contentsOf: rule.description.utf8)
            let key = self.nextMaskingKey()
            FrameEncoder.appendFrame(
                opcode: .close, payload: payload, maskingKey: key, to: &self.pendingOutput)
        }
        self.enterClosed(code: rule.closeCode)
        events.append(.protocolViolation(rule))
    }

    private func deliver(_ message: [UInt8], _ events: inout [WebSocketEvent]) {
        events.append(self.messageOpcode == .text ? .text(message) : .binary(message))
    }

    /// Closes and frees everything only an open connection needs, zlib state included.
    private mutating func enterClosed(code: CloseCode) {
        self.state = .closed
        self.closeCode = code
        self.currentFrame = nil
        self.messageBytes = []
        self.controlPayload = []
        self.unmaskedCompressedBytes = []
        self.compressor = nil
        self.decompressor = nil
    }

    private mutating func trimScratch() {
        if self.unmaskedCompressedBytes.capacity > Self.retainedScratchBytes {
            self.unmaskedCompressedBytes = []
        }
    }

    private mutating func activeDecompressor() -> DeflateDecompressor? {
        if let decompressor = self.decompressor { return decompressor }
        guard let deflate = self.deflate else { return nil }
        let peerResets =
            self.role == .server ? deflate.clientNoContextTakeover : deflate.serverNoContextTakeover
        let peerWindow =
            self.role == .server ? deflate.clientMaxWindowBits : deflate.serverMaxWindowBits
        self.decompressor = DeflateDecompressor(
            windowBits: peerWindow, resetsAfterEachMessage: peerResets)
        return self.decompressor
    }

    private static func unmaskedCopy(
        _ chunk: UnsafeRawBufferPointer, key: MaskingKey?, phase: Int
    )
        -> [UInt8]
    {
        guard let source = chunk.baseAddress, !chunk.isEmpty else { return [] }
        guard let key else { return Array(chunk) }
        return [UInt8](unsafeUninitializedCapacity: chunk.count) { buffer, initialized in
            if let destination = buffer.baseAddress {
                key.apply(from: source, to: destination, count: chunk.count, phase: phase)
                initialized = chunk.count
            }
        }
    }

    private static func appendUnmasked(
        _ chunk: UnsafeRawBufferPointer, key: MaskingKey?, phase: Int, to bytes: inout [UInt8]
    ) {
        guard !chunk.isEmpty else { return }
        let start = bytes.count
        bytes.append(contentsOf: chunk)
        key?.apply(to: &bytes, in: start..<bytes.count, phase: phase)
    }
}

// MARK: - Sending

extension ConnectionMachine {
    /// Queues a text message in the pending output.
    mutating func sendText(_ text: String) throws(WebSocketSendError) {
        var output = self.takeOutput()
        defer { self.pendingOutput = output }
        try self.encodeText(text, into: &output)
    }

    /// Queues a binary message in the pending output.
    mutating func sendBinary(_ bytes: [UInt8]) throws(WebSocketSendError) {
        var output = self.takeOutput()
        defer { self.pendingOutput = output }
        try self.encodeMessage(.binary, bytes, into: &output)
    }

    /// Queues a ping or pong of at most 125 bytes.
    mutating func sendControl(_ opcode: Opcode, _ payload: [UInt8]) throws(WebSocketSendError) {
        guard self.state == .open else { throw .closing }
        guard payload.count <= 125 else { throw .controlPayloadTooLong }
        let key = self.nextMaskingKey()
        FrameEncoder.appendFrame(
            opcode: opcode, payload: payload, maskingKey: key, to: &self.pendingOutput)
    }

    /// Appends a control frame to a caller's buffer instead of our own output.
    mutating func encodeControl(
        _ opcode: Opcode, _ payload: [UInt8], into output: inout [UInt8]
    ) throws(WebSocketSendError) {
        guard self.state == .open else { throw .closing }
        guard payload.count <= 125 else { throw .controlPayloadTooLong }
        let key = self.nextMaskingKey()
        FrameEncoder.appendFrame(opcode: opcode, payload: payload, maskingKey: key, to: &output)
    }

    /// Queues our Close frame and waits for the peer's.
    mutating func close(code: CloseCode, reason: String) throws(WebSocketSendError) {
        guard self.state == .open else { throw .closing }
        guard code.isAllowedInCloseFrame else { throw .closeCodeNotSendable }
        var payload = [UInt8(code.rawValue >> 8), UInt8(code.rawValue & 0xFF)]
        payload.append(contentsOf: Self.utf8Prefix(of: reason, maxBytes: 123))
        let key = self.nextMaskingKey()
        FrameEncoder.appendFrame(
            opcode: .close, payload: payload, maskingKey: key, to: &self.pendingOutput)
        self.state = .closing
    }

    /// Appends a text frame for `text` to `output`.
    mutating func encodeText(
        _ text: String, into output: inout [UInt8]
    )
        throws(WebSocketSendError)
    {
        guard self.state == .open else { throw .closing }
        var text = text
        text.withUTF8 { self.encodeOpenMessage(.text, UnsafeRawBufferPointer($0), into: &output) }
    }

    /// Appends one data frame carrying `bytes` to `output`.
    mutating func encodeMessage(
        _ opcode: Opcode, _ bytes: [UInt8], into output: inout [UInt8]
    )
        throws(WebSocketSendError)
    {
        guard self.state == .open else { throw .closing }
        bytes.withUnsafeBytes { self.encodeOpenMessage(opcode, $0, into: &output) }
    }

    /// Appends one data frame carrying `payload` to `output`.
    mutating func encodeMessage(
        _ opcode: Opcode, _ payload: UnsafeRawBufferPointer, into output: inout [UInt8]
    ) throws(WebSocketSendError) {
        guard self.state == .open else { throw .closing }
        self.encodeOpenMessage(opcode, payload, into: &output)
    }

    // Limitation: every message goes out as a single frame; there is no API to stream one
    // message in several fragments.
    private mutating func encodeOpenMessage(
        _ opcode: Opcode, _ payload: UnsafeRawBufferPointer, into output: inout [UInt8]
    ) {
        let key = self.nextMaskingKey()
        if let compressor = self.activeCompressor() {
            let compressed = compressor.compress(payload) { compressed in
                FrameEncoder.appendFrame(
                    opcode: opcode, isCompressed: true, payload: compressed, maskingKey: key,
                    to: &output)
            }
            if compressed { return }
            // RFC 7692 §6.1 lets any message go uncompressed; a fresh compressor takes over
            // next time.
            self.compressor = nil
        }
        FrameEncoder.appendFrame(opcode: opcode, payload: payload, maskingKey: key, to: &output)
    }

    /// A fresh key for a client frame, nil for a server (RFC 6455 §5.3).
    private mutating func nextMaskingKey() -> MaskingKey? {
        guard self.role == .client else { return nil }
        return MaskingKey.random(using: &self.maskingKeyGenerator)
    }

    /// The compressor, created on first use so connections that never send keep no zlib state;
    /// nil without deflate, or when zlib cannot allocate one (messages then go uncompressed).
    private mutating func activeCompressor() -> DeflateCompressor? {
        if let compressor = self.compressor { return compressor }
        guard let deflate = self.deflate else { return nil }
        let isServer = self.role == .server
        self.compressor = DeflateCompressor(
            windowBits: isServer ? deflate.serverMaxWindowBits : deflate.clientMaxWindowBits,
            level: self.configuration.compressionLevel,
            memoryLevel: self.configuration.compressionMemoryLevel,
            resetsAfterEachMessage: isServer
                ? deflate.serverNoContextTakeover : deflate.clientNoContextTakeover)
        return self.compressor
    }

    /// The longest prefix of `text` that fits `maxBytes` UTF-8 bytes without splitting a
    /// character's encoding.
    static func utf8Prefix(of text: String, maxBytes: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        for scalar in text.unicodeScalars {
            let encoded = Array(String(scalar).utf8)
            guard bytes.count + encoded.count <= maxBytes else { break }
            bytes.append(contentsOf: encoded)
        }
        return bytes
    }
}
