import Glibc

/// Opens client sockets to one server, spreading their source addresses over 127.0.0.2…
/// so that more connections fit than one address has ephemeral ports (about 28,000 here).
final class ConnectionFactory {
    /// The loop every connection runs on.
    let loop: EventLoop
    /// The server's Host header value, `host:port`.
    let hostHeader: String
    private let address: sockaddr_in
    private let sourceCount: Int
    private var nextSource = 0
    private var nextSeed: UInt64 = 0x5EED
    /// Starts every uid and channel name of this run, so that state a server still holds from
    /// an earlier run against it (sessions not yet expired, queued messages) cannot mix in.
    let namePrefix = "b\(getpid())x"

    /// A factory for `host:port` (an IPv4 literal). `sourceCount` loopback source addresses
    /// are used in turn (0: let the kernel choose, which only works for 127.0.0.1 servers too).
    init?(loop: EventLoop, host: String, port: UInt16, sourceCount: Int) {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { return nil }
        self.loop = loop
        self.address = address
        self.hostHeader = "\(host):\(port)"
        self.sourceCount = max(0, min(sourceCount, 250))
    }

    /// Starts a connection from the next source address.
    func connect(delegate: TCPConnectionDelegate) -> Result<TCPConnection, ConnectError> {
        var source: UInt32?
        if self.sourceCount > 0 {
            source = (127 << 24) | UInt32(2 + self.nextSource)
            self.nextSource = (self.nextSource + 1) % self.sourceCount
        }
        return TCPConnection.connect(
            to: self.address, from: source, loop: self.loop, delegate: delegate)
    }

    /// The uid (or nchan channel) of user `index`.
    func userName(_ index: Int) -> String {
        "\(self.namePrefix)\(index)"
    }

    /// A fresh seed for a client's masking keys and handshake key.
    func makeSeed() -> UInt64 {
        self.nextSeed &+= 0x9E37_79B9_7F4A_7C15
        return self.nextSeed
    }
}
