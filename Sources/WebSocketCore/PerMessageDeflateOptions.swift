/// What this endpoint asks for and allows when negotiating permessage-deflate (RFC 7692).
///
/// A server uses it to answer offers (``ServerHandshake``); a client uses it to build its offer
/// and to check the server's answer (``ClientHandshake``). Window sizes are base-2 logarithms
/// of the LZ77 window.
///
/// Window size 8 cannot be honoured by this module's compressor: zlib's raw deflate refuses a
/// 256-byte window (it silently uses 512 in zlib mode, which the peer could not decode). So a
/// server declines any offer that limits *its* window to 8 (`server_max_window_bits=8`) and
/// moves on to the next offer, and a client fails the handshake when the server limits the
/// client's window to 8. Receiving data compressed with a window of 8 is fine: the inflater
/// always uses a 32 KiB window, which decodes every smaller one.
public struct PerMessageDeflateOptions: Hashable, Sendable {
    /// Server: always answer with `server_no_context_takeover`, so the server resets its
    /// compressor after every message (less memory per idle connection, worse ratio).
    /// Client: ask for it in the offer. Default false, because context takeover compresses
    /// chat traffic much better.
    public var serverNoContextTakeover: Bool
    /// Server: answer with `client_no_context_takeover`, so clients reset their compressor after
    /// every message. Client: offer it (and reset the own compressor). Default false.
    public var clientNoContextTakeover: Bool
    /// The largest window the server's compressor uses, 9...15 (values outside are clamped).
    /// Server: the smaller of this and the offer's `server_max_window_bits` is used, and the
    /// answer states it only when the offer named the parameter. Client: values below 15 are
    /// offered as `server_max_window_bits`. Default 15 (32 KiB).
    public var serverMaxWindowBits: Int
    /// The largest window the client's compressor uses, 9...15 (clamped). Client: offered as
    /// `client_max_window_bits` (without a value at 15). Server: when below 15 and the offer
    /// allows it, the answer asks clients for it. Default 15.
    public var clientMaxWindowBits: Int

    /// Creates options; the defaults take context over and allow full 32 KiB windows.
    public init(
        serverNoContextTakeover: Bool = false, clientNoContextTakeover: Bool = false,
        serverMaxWindowBits: Int = 15, clientMaxWindowBits: Int = 15
    ) {
        self.serverNoContextTakeover = serverNoContextTakeover
        self.clientNoContextTakeover = clientNoContextTakeover
        self.serverMaxWindowBits = serverMaxWindowBits
        self.clientMaxWindowBits = clientMaxWindowBits
    }

    /// The smallest window zlib's raw deflate can compress with.
    static let smallestCompressorWindowBits = 9
    /// The largest window RFC 7692 allows.
    static let largestWindowBits = 15

    /// `bits` clamped to what zlib's raw deflate can compress with, 9...15.
    static func clampedCompressorWindow(_ bits: Int) -> Int {
        min(max(bits, self.smallestCompressorWindowBits), self.largestWindowBits)
    }
}

/// The permessage-deflate settings both ends agreed on in the handshake (RFC 7692 §7).
///
/// Produced by ``ServerHandshake`` (server side) or ``ClientHandshake`` (client side) and
/// handed to ``WebSocketConnection``, which picks its own and its peer's half by role.
public struct PerMessageDeflateParameters: Hashable, Sendable {
    /// The server resets its compressor after every message.
    public var serverNoContextTakeover: Bool
    /// The client resets its compressor after every message.
    public var clientNoContextTakeover: Bool
    /// The window the server compresses with, 9...15.
    public var serverMaxWindowBits: Int
    /// The largest window the client may compress with, 8...15 (the server never compresses
    /// with it, so 8 is possible here).
    public var clientMaxWindowBits: Int
    /// The Sec-WebSocket-Extensions value of the server's 101 response.
    public var responseHeaderValue: String

    /// Creates agreed parameters; ``ServerHandshake`` and ``ClientHandshake`` normally do.
    public init(
        serverNoContextTakeover: Bool = false, clientNoContextTakeover: Bool = false,
        serverMaxWindowBits: Int = 15, clientMaxWindowBits: Int = 15,
        responseHeaderValue: String = "permessage-deflate"
    ) {
        self.serverNoContextTakeover = serverNoContextTakeover
        self.clientNoContextTakeover = clientNoContextTakeover
        self.serverMaxWindowBits = serverMaxWindowBits
        self.clientMaxWindowBits = clientMaxWindowBits
        self.responseHeaderValue = responseHeaderValue
    }
}
