import Glibc

/// Conversions of C socket addresses for logs and per-client accounting.
enum SocketAddress {
    /// The numeric host of an IPv4 or IPv6 socket address, or nil for other families.
    static func numericHost(_ address: UnsafePointer<sockaddr>) -> String? {
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        let length: socklen_t
        switch Int32(address.pointee.sa_family) {
        case AF_INET: length = socklen_t(MemoryLayout<sockaddr_in>.size)
        case AF_INET6: length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        default: return nil
        }
        let status = getnameinfo(
            address, length, &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST)
        guard status == 0 else { return nil }
        let end = host.firstIndex(of: 0) ?? host.count
        return String(decoding: host[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Whether an address text names a loopback host (127.0.0.0/8 or ::1).
    static func isLoopback(_ host: String) -> Bool {
        host.hasPrefix("127.") || host == "::1" || host.hasPrefix("::ffff:127.")
    }
}
