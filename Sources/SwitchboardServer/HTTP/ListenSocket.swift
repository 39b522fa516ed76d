import Glibc

/// Why the server could not start listening.
public enum ListenError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The host name did not resolve.
    case unresolvableHost(String)
    /// `bind` failed, most often because the port is in use (`EADDRINUSE`).
    case bindFailed(host: String, port: UInt16, errno: Int32)
    /// Another socket call failed.
    case systemCall(String, errno: Int32)

    public var description: String {
        switch self {
        case .unresolvableHost(let host):
            return "cannot resolve host \(host)"
        case .bindFailed(let host, let port, let code):
            let reason = code == EADDRINUSE ? "address already in use" : Self.describe(code)
            return "cannot listen on \(host):\(port): \(reason)"
        case .systemCall(let call, let code):
            return "\(call): \(Self.describe(code))"
        }
    }

    private static func describe(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}

/// A bound, listening TCP socket created by us rather than by libmicrohttpd, so that a busy
/// port gives a precise error and port 0 reveals the port the kernel picked.
struct ListenSocket {
    /// The listening descriptor; libmicrohttpd takes it over, we close it after quiescing.
    let descriptor: Int32
    /// The port actually bound.
    let port: UInt16

    /// The kernel's queue of accepted-but-not-yet-served connections. Large, because bursts of
    /// thousands of clients (benchmarks, reconnect storms) otherwise see refused connections.
    static let backlog: Int32 = 4096

    static func open(host: String, port: UInt16) throws(ListenError) -> ListenSocket {
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var results: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &results) == 0, let first = results else {
            throw .unresolvableHost(host)
        }
        defer { freeaddrinfo(results) }
        return try Self.bind(first.pointee, host: host, port: port)
    }

    private static func bind(
        _ info: addrinfo, host: String, port: UInt16
    ) throws(ListenError)
        -> ListenSocket
    {
        let descriptor = socket(info.ai_family, info.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw .systemCall("socket", errno: errno) }
        var enable: Int32 = 1
        _ = setsockopt(
            descriptor, SOL_SOCKET, SO_REUSEADDR, &enable, socklen_t(MemoryLayout<Int32>.size))
        guard Glibc.bind(descriptor, info.ai_addr, info.ai_addrlen) == 0 else {
            let code = errno
            close(descriptor)
            throw .bindFailed(host: host, port: port, errno: code)
        }
        guard listen(descriptor, Self.backlog) == 0 else {
            let code = errno
            close(descriptor)
            throw .systemCall("listen", errno: code)
        }
        return ListenSocket(descriptor: descriptor, port: Self.boundPort(descriptor) ?? port)
    }

    private static func boundPort(_ descriptor: Int32) -> UInt16? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getsockname(descriptor, $0, &length)
            }
        }
        guard status == 0 else { return nil }
        let family = Int32(storage.ss_family)
        return withUnsafePointer(to: &storage) { pointer in
            switch family {
            case AF_INET:
                pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                    UInt16(bigEndian: $0.pointee.sin_port)
                }
            case AF_INET6:
                pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                    UInt16(bigEndian: $0.pointee.sin6_port)
                }
            default: nil
            }
        }
    }
}
