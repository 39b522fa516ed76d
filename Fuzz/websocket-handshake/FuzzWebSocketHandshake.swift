/// libFuzzer target: `ServerHandshake.accept`, the upgrade-request validator and the
/// permessage-deflate negotiation behind it, compiled into the WebSocketCore module.
///
/// Input layout: byte 0 picks the server's deflate options (bits 0–1: none, defaults, no
/// context takeover both ways, small windows); the rest is a request head as text, one field
/// per line: the first line is `METHOD VERSION`, each later line `Name: value` (split at the
/// first colon; a line without one is a field with an empty value). Beyond "no crash", an
/// accepted request must have produced an answer that is safe to put on the wire: response
/// header values without CR, LF or NUL, the accept value that RFC 6455 §4.2.2 computes from
/// the key, and agreed window sizes in range.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWebSocketHandshake(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let choice = input.takeByte()
    let deflate: PerMessageDeflateOptions?
    switch choice & 3 {
    case 0: deflate = nil
    case 1: deflate = PerMessageDeflateOptions()
    case 2:
        deflate = PerMessageDeflateOptions(
            serverNoContextTakeover: true, clientNoContextTakeover: true)
    default:
        deflate = PerMessageDeflateOptions(serverMaxWindowBits: 9, clientMaxWindowBits: 10)
    }

    let text = String(decoding: input.rest, as: UTF8.self)
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
        line.last == "\r" ? line.dropLast() : line
    }
    let requestLine = lines.isEmpty ? [] : lines.removeFirst().split(separator: " ")
    let method = requestLine.first.map(String.init) ?? ""
    let version = requestLine.count > 1 ? String(requestLine[1]) : ""
    let headers = lines.map { line -> (name: String, value: String) in
        guard let colon = line.firstIndex(of: ":") else { return (String(line), "") }
        return (String(line[..<colon]), String(line[line.index(after: colon)...]))
    }

    guard
        let acceptance = try? ServerHandshake.accept(
            method: method, httpVersion: version, headers: headers, deflate: deflate)
    else { return 0 }
    checkAcceptance(acceptance, headers: headers, offeredDeflate: deflate != nil)
    return 0
}

private func checkAcceptance(
    _ acceptance: ServerHandshakeAcceptance, headers: [(name: String, value: String)],
    offeredDeflate: Bool
) {
    for (name, value) in acceptance.responseHeaders {
        let unsafe = value.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0 }
        fuzzCheck(!unsafe, "response header \(name) carries CR, LF or NUL")
    }
    let keys = headers.filter {
        HTTPFieldSyntax.equalsIgnoringASCIICase($0.name, "Sec-WebSocket-Key")
    }
    fuzzCheck(keys.count == 1, "accepted with \(keys.count) keys")
    let key = String(HTTPFieldSyntax.trimmingWhitespace(keys[0].value[...]))
    fuzzCheck(
        acceptance.acceptValue == ServerHandshake.acceptValue(forKey: key),
        "accept value does not match the key")
    fuzzCheck(acceptance.acceptValue.utf8.count == 28, "accept value is not 20 bytes in base64")
    if let agreed = acceptance.deflate {
        fuzzCheck(offeredDeflate, "deflate agreed though the server disabled it")
        fuzzCheck((9...15).contains(agreed.serverMaxWindowBits), "server window out of range")
        fuzzCheck((8...15).contains(agreed.clientMaxWindowBits), "client window out of range")
        fuzzCheck(
            agreed.responseHeaderValue.hasPrefix("permessage-deflate"),
            "extension answer names another extension")
    }
}
