import CLinux
import Glibc

/// What a `TCPConnection` tells its owner.
protocol TCPConnectionDelegate: AnyObject {
    /// The non-blocking connect finished; bytes may now be sent.
    func connectionEstablished(_ connection: TCPConnection)
    /// Bytes arrived; they are only valid during the call.
    func connection(_ connection: TCPConnection, received bytes: UnsafeRawBufferPointer)
    /// The connection is gone: `error` is nil for an orderly end of stream from the peer.
    /// Not called for a `close()` the owner made itself.
    func connectionClosed(_ connection: TCPConnection, error: String?)
}

/// A non-blocking IPv4 TCP client socket on the ``EventLoop``.
///
/// Owners append to ``output`` and call ``outputChanged()``; the loop writes everything queued
/// in one `send` at the end of the iteration, and keeps `EPOLLOUT` armed only while the kernel
/// buffer is full.
final class TCPConnection: LoopHandler {
    /// Where the connection stands.
    enum State {
        case connecting, open, closed
    }

    /// Linux's `IP_BIND_ADDRESS_NO_PORT` (<linux/in.h>, not exported by Glibc): binding a source
    /// address with it leaves port choice to `connect`, so ports are unique per four-tuple and
    /// not per source address.
    private static let bindAddressNoPort: Int32 = 24

    private let descriptor: Int32
    private unowned let loop: EventLoop
    private var token = -1
    private var writeArmed = false
    private var outputOffset = 0
    /// The loop's flag: already in its dirty list this iteration.
    var isDirty = false
    /// Where the connection stands.
    private(set) var state = State.connecting
    /// Bytes queued for sending; append, then call ``outputChanged()``.
    @exclusivity(unchecked) var output: [UInt8] = []
    /// The owner; weak because the owner holds the connection.
    weak var delegate: TCPConnectionDelegate?

    private init(descriptor: Int32, loop: EventLoop) {
        self.descriptor = descriptor
        self.loop = loop
    }

    /// Starts connecting to `address` from the loopback address `source` (host byte order,
    /// e.g. 127.0.0.2), with Nagle off. Returns the connection or the failed call's error.
    static func connect(
        to address: sockaddr_in, from source: UInt32?, loop: EventLoop,
        delegate: TCPConnectionDelegate
    ) -> Result<TCPConnection, ConnectError> {
        let descriptor = socket(
            AF_INET,
            Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
                | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return .failure(ConnectError(call: "socket", code: errno)) }
        var one: Int32 = 1
        let size = socklen_t(MemoryLayout<Int32>.size)
        _ = setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, size)
        if let source {
            _ = setsockopt(descriptor, Int32(IPPROTO_IP), Self.bindAddressNoPort, &one, size)
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            local.sin_addr.s_addr = source.bigEndian
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard bound == 0 else {
                let code = errno
                Glibc.close(descriptor)
                return .failure(ConnectError(call: "bind", code: code))
            }
        }
        var remote = address
        let started = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard started == 0 || errno == EINPROGRESS else {
            let code = errno
            Glibc.close(descriptor)
            return .failure(ConnectError(call: "connect", code: code))
        }
        let connection = TCPConnection(descriptor: descriptor, loop: loop)
        connection.delegate = delegate
        let interest = UInt32(EPOLLOUT.rawValue | EPOLLIN.rawValue | EPOLLRDHUP.rawValue)
        guard let token = loop.register(descriptor, events: interest, handler: connection) else {
            let code = errno
            Glibc.close(descriptor)
            return .failure(ConnectError(call: "epoll_ctl", code: code))
        }
        connection.token = token
        connection.writeArmed = true
        return .success(connection)
    }

    /// Call after appending to ``output``: the bytes go out at the end of the loop iteration.
    func outputChanged() {
        if self.state == .open { self.loop.markDirty(self) }
    }

    /// Closes the socket now, without telling the delegate. Unsent output is dropped.
    func close() {
        guard self.state != .closed else { return }
        self.state = .closed
        self.loop.deregister(self.descriptor, token: self.token)
        Glibc.close(self.descriptor)
        self.output = []
    }

    func handle(events: UInt32) {
        if self.state == .connecting {
            self.finishConnecting(events)
            return
        }
        if events & UInt32(EPOLLOUT.rawValue) != 0 {
            self.flush()
        }
        let readable = UInt32(
            EPOLLIN.rawValue | EPOLLRDHUP.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue)
        if events & readable != 0 && self.state == .open {
            self.readAvailable()
        }
    }

    /// Writes as much of ``output`` as the kernel takes; arms `EPOLLOUT` for the rest.
    func flush() {
        guard self.state == .open else { return }
        while self.outputOffset < self.output.count {
            let sent = self.output.withUnsafeBytes { bytes in
                send(
                    self.descriptor, bytes.baseAddress! + self.outputOffset,
                    bytes.count - self.outputOffset, Int32(MSG_NOSIGNAL))
            }
            if sent > 0 {
                self.outputOffset += sent
            } else if sent < 0 && errno == EINTR {
                continue
            } else if sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                break
            } else {
                self.fail(ConnectError(call: "send", code: errno).description)
                return
            }
        }
        if self.outputOffset == self.output.count {
            self.output.removeAll(keepingCapacity: self.output.capacity <= 1 << 20)
            self.outputOffset = 0
        }
        self.setWriteInterest(self.outputOffset < self.output.count)
    }

    private func finishConnecting(_ events: UInt32) {
        var code: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        _ = getsockopt(self.descriptor, SOL_SOCKET, SO_ERROR, &code, &length)
        guard code == 0 else {
            self.fail(ConnectError(call: "connect", code: code).description)
            return
        }
        guard events & UInt32(EPOLLOUT.rawValue) != 0 else { return }
        self.state = .open
        self.setWriteInterest(false)
        self.delegate?.connectionEstablished(self)
        if self.state == .open && !self.output.isEmpty { self.loop.markDirty(self) }
    }

    private func readAvailable() {
        let buffer = self.loop.readBuffer
        while self.state == .open {
            let received = recv(self.descriptor, buffer.baseAddress, buffer.count, 0)
            if received > 0 {
                self.delegate?.connection(
                    self, received: UnsafeRawBufferPointer(rebasing: buffer[..<received]))
                if received < buffer.count { return }
            } else if received == 0 {
                self.fail(nil)
                return
            } else if errno == EINTR {
                continue
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                return
            } else {
                self.fail(ConnectError(call: "recv", code: errno).description)
                return
            }
        }
    }

    private func setWriteInterest(_ wanted: Bool) {
        guard wanted != self.writeArmed, self.state == .open else { return }
        self.writeArmed = wanted
        var interest = UInt32(EPOLLIN.rawValue | EPOLLRDHUP.rawValue)
        if wanted { interest |= UInt32(EPOLLOUT.rawValue) }
        self.loop.modify(self.descriptor, token: self.token, events: interest)
    }

    private func fail(_ error: String?) {
        guard self.state != .closed else { return }
        self.close()
        self.delegate?.connectionClosed(self, error: error)
    }
}

/// A socket call that failed, with its errno.
struct ConnectError: Error, CustomStringConvertible {
    /// The system call, e.g. `connect`.
    var call: String
    /// Its errno.
    var code: Int32

    /// `call: strerror`, e.g. `connect: Connection refused`.
    var description: String {
        "\(self.call): \(String(cString: strerror(self.code)))"
    }
}
