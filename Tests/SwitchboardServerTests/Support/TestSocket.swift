import CLinux
import Glibc

/// A blocking TCP client socket on loopback with a receive deadline, for tests that must send
/// exact bytes (raw request lines, partial frames) rather than what a client library would.
final class TestSocket {
    let descriptor: Int32

    /// Connects to `127.0.0.1:port`; every read waits at most `timeoutSeconds`.
    init(port: UInt16, timeoutSeconds: Int = 5) throws {
        let descriptor = socket(
            AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw TestSocketError.system("socket", errno) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        _ = setsockopt(
            descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(
            descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let status = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard status == 0 else {
            let code = errno
            close(descriptor)
            throw TestSocketError.system("connect", code)
        }
        self.descriptor = descriptor
    }

    deinit { close(self.descriptor) }

    /// Sends every byte or throws.
    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { buffer in
                Glibc.send(self.descriptor, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL))
            }
            guard sent > 0 else { throw TestSocketError.system("send", errno) }
            offset += sent
        }
    }

    func send(_ text: String) throws { try self.send(Array(text.utf8)) }

    /// Reads what is available (waiting up to the timeout); empty at end of stream.
    func receiveSome(maximum: Int = 65_536) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: maximum)
        let count = buffer.withUnsafeMutableBytes {
            recv(self.descriptor, $0.baseAddress, maximum, 0)
        }
        if count < 0 {
            if errno == EAGAIN || errno == EWOULDBLOCK { throw TestSocketError.timedOut }
            if errno == ECONNRESET { return [] }
            throw TestSocketError.system("recv", errno)
        }
        return Array(buffer.prefix(count))
    }

    /// Reads until the peer closes (or the timeout passes, which throws).
    func receiveUntilClosed() throws -> [UInt8] {
        var all: [UInt8] = []
        while true {
            let chunk = try self.receiveSome()
            if chunk.isEmpty { return all }
            all += chunk
        }
    }

    /// Half-closes the sending side.
    func shutdownWrite() { shutdown(self.descriptor, Int32(SHUT_WR)) }
}

enum TestSocketError: Error, CustomStringConvertible {
    case system(String, Int32)
    case timedOut
    case malformed(String)

    var description: String {
        switch self {
        case .system(let call, let code): "\(call): \(String(cString: strerror(code)))"
        case .timedOut: "timed out waiting for data"
        case .malformed(let what): "malformed response: \(what)"
        }
    }
}
