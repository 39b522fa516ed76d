/// libFuzzer target: the server-role WebSocket state machine (frame parser, fragmentation,
/// control frames, UTF-8, close handshake, permessage-deflate inflation), compiled into the
/// WebSocketCore module by scripts/fuzz.sh.
///
/// Input layout: byte 0 picks the configuration (bit 0 deflate, bit 1 server no context
/// takeover, bit 2 client no context takeover, bit 3 binary messages accepted, bit 4 pings
/// answered automatically, bit 5 the server sends a message between reads, bits 6–7 the
/// message limit); byte 1 seeds how the rest is split into reads; the rest is what a client
/// sends. Beyond "no crash", each run checks what a transport relies on: exactly one ending
/// event, last; text events valid UTF-8 within the limit; and the output a well-formed server
/// stream with at most one Close frame, last.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWebSocketFrames(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let options = input.takeByte()
    var chunks = ChunkSizes(seed: input.takeByte())
    let limits = [125, 4_096, 65_536, 1 << 20]
    let maxMessageBytes = limits[Int(options >> 6)]
    let deflate =
        options & 1 == 0
        ? nil
        : PerMessageDeflateParameters(
            serverNoContextTakeover: options & 2 != 0, clientNoContextTakeover: options & 4 != 0)
    let connection = WebSocketConnection(
        role: .server,
        configuration: WebSocketConfiguration(
            maxMessageBytes: maxMessageBytes, acceptsBinaryMessages: options & 8 != 0,
            answersPingsAutomatically: options & 16 != 0),
        deflate: deflate)

    var events: [WebSocketEvent] = []
    var output: [UInt8] = []
    let wire = input.rest
    var offset = 0
    while offset < wire.count {
        let count = chunks.next(remaining: wire.count - offset)
        let chunk = UnsafeRawBufferPointer(rebasing: wire[offset..<(offset + count)])
        connection.receive(chunk, into: &events)
        offset += count
        connection.drainOutput(into: &output)
        if options & 32 != 0, connection.state == .open {
            try? connection.encodeText("reply \(offset)", into: &output)
        }
    }
    connection.receiveEndOfStream(into: &events)
    connection.drainOutput(into: &output)

    checkEvents(events, connection: connection, maxMessageBytes: maxMessageBytes)
    checkServerStream(output)
    return 0
}

private func checkEvents(
    _ events: [WebSocketEvent], connection: WebSocketConnection, maxMessageBytes: Int
) {
    fuzzCheck(connection.state == .closed, "not closed after end of stream")
    fuzzCheck(connection.closeCode != nil, "closed without a close code")
    var endings = 0
    for event in events {
        switch event {
        case .closeReceived, .protocolViolation, .connectionLost:
            endings += 1
        case .text(let bytes):
            var validator = UTF8Validator()
            let valid = bytes.withUnsafeBytes { validator.validate($0) }
            fuzzCheck(valid && validator.isAtCharacterBoundary, "text event is not UTF-8")
            fuzzCheck(bytes.count <= maxMessageBytes, "text over the limit: \(bytes.count)")
        case .binary(let bytes):
            fuzzCheck(connection.configuration.acceptsBinaryMessages, "binary delivered")
            fuzzCheck(bytes.count <= maxMessageBytes, "binary over the limit: \(bytes.count)")
        case .ping(let payload), .pong(let payload):
            fuzzCheck(payload.count <= 125, "control payload over 125 bytes")
        }
    }
    fuzzCheck(endings == 1, "\(endings) ending events")
    switch events.last {
    case .closeReceived?, .protocolViolation?, .connectionLost?: break
    default: fuzzCheck(false, "ending event is not last")
    }
}

/// Parses the server's output as a client would; any rule it breaks is a bug.
private func checkServerStream(_ output: [UInt8]) {
    var parser = FrameParser(role: .client, maxMessageBytes: 1 << 24, allowsCompression: true)
    var closes = 0
    var framesAfterClose = 0
    output.withUnsafeBytes { stream in
        var offset = 0
        while true {
            switch parser.parse(stream, offset: &offset) {
            case .needMoreBytes:
                return
            case .header(let header):
                if closes > 0 { framesAfterClose += 1 }
                if header.opcode == .close { closes += 1 }
            case .payload:
                continue
            case .violation(let rule):
                fuzzCheck(false, "server output breaks a rule: \(rule)")
            }
        }
    }
    fuzzCheck(parser.state == .awaitingHeaderStart, "server output ends inside a frame")
    fuzzCheck(
        closes <= 1 && framesAfterClose == 0,
        "close frames: \(closes), frames after the close: \(framesAfterClose)")
}
