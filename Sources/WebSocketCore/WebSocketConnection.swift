/// The Sans-I/O WebSocket protocol state machine for one connection (RFC 6455, with
/// RFC 7692 permessage-deflate when negotiated), server or client side.
///
/// It never touches a socket, a clock or a thread. The owner:
/// 1. feeds every received byte to `receive(_:into:)` and acts on
///    the ``WebSocketEvent``s it appends;
/// 2. after each call, writes out what ``drainOutput(into:)`` or ``takeOutput()`` hands over
///    (pongs, close replies), before encoding anything else;
/// 3. sends with ``sendText(_:)`` and friends, or encodes straight into its own outbound queue
///    with `encodeText(_:into:)`;
/// 4. reports end of input with ``receiveEndOfStream(into:)``;
/// 5. closes the transport once ``shouldCloseTransport`` is true and the output is flushed.
///
/// A final class because it owns zlib streams that must be freed exactly once, when the
/// connection goes; all its state is confined to the one thread that owns the connection.
public final class WebSocketConnection {
    /// Where the close handshake stands.
    public enum State: Hashable, Sendable {
        /// Messages flow both ways.
        case open
        /// We sent a Close frame and await the peer's; received messages are still delivered,
        /// pings are no longer answered, nothing more can be sent.
        case closing
        /// The close handshake finished, the connection failed, or the transport ended;
        /// input is ignored.
        case closed
    }

    /// Our end of the connection; decides the masking rules.
    public var role: WebSocketRole { self.machine.role }
    /// Limits and tuning.
    public var configuration: WebSocketConfiguration { self.machine.configuration }
    /// The agreed permessage-deflate parameters, or nil when messages are not compressed.
    public var deflate: PerMessageDeflateParameters? { self.machine.deflate }
    /// Where the close handshake stands.
    public var state: State { self.machine.state }
    /// Why the connection ended, once ``state`` is ``State/closed``: the code of the peer's
    /// Close frame (1005 when it had none), the code we sent when the peer broke a rule, or
    /// 1006 when the transport ended first. Nil while not closed.
    public var closeCode: CloseCode? { self.machine.closeCode }

    private var machine: ConnectionMachine

    /// Creates the state machine for a freshly upgraded connection.
    ///
    /// - Parameters:
    ///   - role: `.server` expects masked frames and sends unmasked ones; `.client` the reverse.
    ///   - configuration: limits; the default accepts 1 MiB messages.
    ///   - deflate: the parameters agreed in the handshake, or nil for no compression.
    ///   - maskingKeyGenerator: the random source for client masking keys; inject a seeded
    ///     generator for deterministic tests. Unused by servers.
    public init(
        role: WebSocketRole, configuration: WebSocketConfiguration = WebSocketConfiguration(),
        deflate: PerMessageDeflateParameters? = nil,
        maskingKeyGenerator: any RandomNumberGenerator = SystemRandomNumberGenerator()
    ) {
        self.machine = ConnectionMachine(
            role: role, configuration: configuration, deflate: deflate,
            maskingKeyGenerator: maskingKeyGenerator)
    }

    /// Whether the owner should close the transport now (after writing any pending output):
    /// true once the close handshake is done, the connection failed, or the peer vanished.
    /// RFC 6455 §7.1.1 prefers that the server closes TCP first; a client may wait briefly for
    /// that before closing itself.
    public var shouldCloseTransport: Bool {
        self.machine.state == .closed
    }

    /// Whether bytes are waiting to be written.
    public var hasPendingOutput: Bool {
        !self.machine.pendingOutput.isEmpty
    }

    /// Hands over the bytes waiting to be written and forgets them.
    public func takeOutput() -> [UInt8] {
        self.machine.takeOutput()
    }

    /// Appends the bytes waiting to be written to `output` and forgets them, keeping the
    /// internal buffer's capacity (up to 64 KiB) for reuse.
    public func drainOutput(into output: inout [UInt8]) {
        self.machine.drainOutput(into: &output)
    }
}

// MARK: - Receiving

extension WebSocketConnection {
    /// Feeds bytes read from the transport, in order, in pieces of any size, and appends what
    /// they complete to `events`.
    ///
    /// Afterwards, write out the pending output (a pong or close reply may be queued) and close
    /// the transport if ``shouldCloseTransport``. Bytes after the close handshake, or after a
    /// violation, are ignored.
    public func receive(_ bytes: UnsafeRawBufferPointer, into events: inout [WebSocketEvent]) {
        self.machine.receive(bytes, into: &events)
    }

    /// Feeds bytes read from the transport; see the `UnsafeRawBufferPointer` overload.
    public func receive(_ bytes: [UInt8], into events: inout [WebSocketEvent]) {
        bytes.withUnsafeBytes { self.machine.receive($0, into: &events) }
    }

    /// Reports that the transport delivered end of input (or failed). Unless the connection
    /// was already closed, appends ``WebSocketEvent/connectionLost`` and closes with code 1006;
    /// nothing is queued for sending.
    public func receiveEndOfStream(into events: inout [WebSocketEvent]) {
        self.machine.receiveEndOfStream(into: &events)
    }
}

// MARK: - Sending

extension WebSocketConnection {
    /// Queues a text message (compressed when deflate was negotiated, masked for clients).
    /// - Throws: ``WebSocketSendError/closing`` once a Close frame was sent or the connection
    ///   closed.
    public func sendText(_ text: String) throws(WebSocketSendError) {
        try self.machine.sendText(text)
    }

    /// Queues a binary message; see ``sendText(_:)``.
    public func sendBinary(_ bytes: [UInt8]) throws(WebSocketSendError) {
        try self.machine.sendBinary(bytes)
    }

    /// Queues a ping carrying `payload` (at most 125 bytes); the peer answers with a pong
    /// carrying the same bytes, reported as ``WebSocketEvent/pong(_:)``.
    public func sendPing(_ payload: [UInt8] = []) throws(WebSocketSendError) {
        try self.machine.sendControl(.ping, payload)
    }

    /// Queues an unsolicited pong (a one-way heartbeat), at most 125 bytes.
    public func sendPong(_ payload: [UInt8] = []) throws(WebSocketSendError) {
        try self.machine.sendControl(.pong, payload)
    }

    /// Appends the pong answering a ping to `output`, the caller's own queue; for owners that
    /// turned off ``WebSocketConfiguration/answersPingsAutomatically`` to keep event order.
    /// - Throws: ``WebSocketSendError/closing`` once a Close frame was sent (RFC 6455 §5.5.1:
    ///   nothing follows it), ``WebSocketSendError/controlPayloadTooLong`` beyond 125 bytes.
    public func encodePong(
        _ payload: [UInt8], into output: inout [UInt8]
    )
        throws(WebSocketSendError)
    {
        try self.machine.encodeControl(.pong, payload, into: &output)
    }

    /// Starts the close handshake: queues a Close frame and waits for the peer's
    /// (``State/closing``).
    ///
    /// - Parameters:
    ///   - code: must satisfy ``CloseCode/isAllowedInCloseFrame``. Default 1000.
    ///   - reason: cut at a character boundary to fit the 123 bytes a control frame leaves.
    /// - Throws: ``WebSocketSendError/closing`` if a Close frame was already sent or the
    ///   connection is closed; ``WebSocketSendError/closeCodeNotSendable``.
    public func close(
        code: CloseCode = .normalClosure, reason: String = ""
    )
        throws(WebSocketSendError)
    {
        try self.machine.close(code: code, reason: reason)
    }

    /// Appends one complete text frame to `output` — the caller's own outbound queue —
    /// compressed when deflate was negotiated and masked for clients.
    ///
    /// Write out ``drainOutput(into:)`` first when it has bytes, so pongs and close replies
    /// keep their place in the stream.
    ///
    /// - Parameter utf8: the message; it must be valid UTF-8, which is not checked here
    ///   because the caller encodes text it produced itself.
    /// - Throws: ``WebSocketSendError/closing`` once a Close frame was sent or the connection
    ///   closed.
    public func encodeText(
        _ utf8: UnsafeRawBufferPointer, into output: inout [UInt8]
    )
        throws(WebSocketSendError)
    {
        try self.machine.encodeMessage(.text, utf8, into: &output)
    }

    /// Appends one complete text frame to `output`; see the `UnsafeRawBufferPointer` overload.
    public func encodeText(_ utf8: [UInt8], into output: inout [UInt8]) throws(WebSocketSendError) {
        try self.machine.encodeMessage(.text, utf8, into: &output)
    }

    /// Appends one complete text frame to `output`; see the `UnsafeRawBufferPointer` overload.
    public func encodeText(_ text: String, into output: inout [UInt8]) throws(WebSocketSendError) {
        try self.machine.encodeText(text, into: &output)
    }

    /// Appends one complete binary frame to `output`; see the `UnsafeRawBufferPointer`
    /// overload of `encodeText(_:into:)`.
    public func encodeBinary(
        _ bytes: UnsafeRawBufferPointer, into output: inout [UInt8]
    )
        throws(WebSocketSendError)
    {
        try self.machine.encodeMessage(.binary, bytes, into: &output)
    }

    /// Appends one complete binary frame to `output`; see the `UnsafeRawBufferPointer` overload.
    public func encodeBinary(
        _ bytes: [UInt8], into output: inout [UInt8]
    )
        throws(WebSocketSendError)
    {
        try self.machine.encodeMessage(.binary, bytes, into: &output)
    }
}
