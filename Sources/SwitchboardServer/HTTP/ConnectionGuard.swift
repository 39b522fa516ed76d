import Glibc
import Synchronization

/// Limits that libmicrohttpd cannot express for us: connections overall and per client address
/// (with loopback exempt unless asked), and a deadline for receiving a whole request, which
/// stops slowloris clients that trickle a byte at a time to dodge the idle timeout.
///
/// The overall limit is enforced here rather than by libmicrohttpd's own, which is set a little
/// higher: at its limit libmicrohttpd stops accepting, and new clients wait unanswered in the
/// listen backlog (for as long as the WebSockets holding the slots live), while a refusal here
/// closes them at once and is counted.
///
/// libmicrohttpd reports every connection's start and end (NOTIFY_CONNECTION) and asks
/// before accepting one (the accept-policy callback); the access handler and completion
/// callback tell when a request has fully arrived and when the next one may begin. A sweep
/// shuts down the socket of any connection stuck receiving past the deadline; libmicrohttpd
/// then sees the error and closes it itself (we never close its descriptors).
final class ConnectionGuard: Sendable {
    struct Settings: Sendable {
        /// Connections the server holds at once, WebSockets and parked polls included.
        var maxConnections = Int.max
        /// Connections one address may hold (0: unlimited).
        var maxConnectionsPerAddress = 0
        /// Whether loopback clients are limited too. Off by default: behind a reverse proxy
        /// every client arrives from loopback, and benchmarks open thousands from it.
        var limitLoopback = false
        /// Seconds a client has to send a complete request, counted from connection start or
        /// the end of the previous response (0: no deadline).
        var requestTimeoutSeconds: Double = 30
    }

    private struct Tracked {
        let socket: Int32
        let address: String
        var receivingSince: Double?
        var exempt = false
    }

    private struct State {
        var perAddress: [String: Int] = [:]
        var connections: [UInt: Tracked] = [:]
    }

    let settings: Settings
    private let state = Lock(State())
    private let metrics: ServerMetrics
    private let logger: Logger

    init(settings: Settings, metrics: ServerMetrics, logger: Logger) {
        self.settings = settings
        self.metrics = metrics
        self.logger = logger.named("limits")
    }

    private func isLimited(_ address: String) -> Bool {
        self.settings.maxConnectionsPerAddress > 0
            && (self.settings.limitLoopback || !SocketAddress.isLoopback(address))
    }

    /// Whether a new connection from `address` may be accepted.
    func admits(_ address: String) -> Bool {
        let (total, count) = self.state.withLock {
            ($0.connections.count, $0.perAddress[address] ?? 0)
        }
        guard total < self.settings.maxConnections else {
            self.metrics.connectionLimitRefusals.add(1, ordering: .relaxed)
            self.logger.debug("connection refused: server full", ["http.peer": address])
            return false
        }
        guard self.isLimited(address) else { return true }
        guard count < self.settings.maxConnectionsPerAddress else {
            self.metrics.perAddressRefusals.add(1, ordering: .relaxed)
            self.logger.debug("connection refused: per-address limit", ["http.peer": address])
            return false
        }
        return true
    }

    /// A connection was accepted: count it and start its request deadline.
    func started(_ connection: UInt, socket: Int32, address: String) {
        let now = MonotonicClock.now()
        self.state.withLock { state in
            state.perAddress[address, default: 0] += 1
            state.connections[connection] = Tracked(
                socket: socket, address: address, receivingSince: now)
        }
    }

    /// A connection is gone. libmicrohttpd calls this before it closes the socket, which is
    /// what makes the sweep's `shutdown` under the same lock safe from descriptor reuse.
    func closed(_ connection: UInt) {
        self.state.withLock { state in
            guard let tracked = state.connections.removeValue(forKey: connection) else { return }
            let remaining = (state.perAddress[tracked.address] ?? 1) - 1
            state.perAddress[tracked.address] = remaining > 0 ? remaining : nil
        }
    }

    /// The current request has fully arrived.
    func requestReceived(_ connection: UInt) {
        self.state.withLock { $0.connections[connection]?.receivingSince = nil }
    }

    /// The response is done; a keep-alive client now has the deadline to send its next one.
    func awaitingNextRequest(_ connection: UInt) {
        let now = MonotonicClock.now()
        self.state.withLock { state in
            guard state.connections[connection]?.exempt == false else { return }
            state.connections[connection]?.receivingSince = now
        }
    }

    /// The connection became a WebSocket: its own idle timeout applies from now on.
    func upgraded(_ connection: UInt) {
        self.state.withLock { state in
            state.connections[connection]?.exempt = true
            state.connections[connection]?.receivingSince = nil
        }
    }

    /// Ends reading on a connection's TCP socket (the client sees nothing; libmicrohttpd reads
    /// end-of-stream). Under the lock, and only while libmicrohttpd still has the connection,
    /// so the descriptor cannot have been reused.
    func endReading(_ connection: UInt) {
        self.state.withLock { state in
            guard let tracked = state.connections[connection] else { return }
            _ = shutdown(tracked.socket, Int32(SHUT_RD))
        }
    }

    /// Connections from `address` right now.
    func connections(from address: String) -> Int {
        self.state.withLock { $0.perAddress[address] ?? 0 }
    }

    /// Shuts down connections that have been receiving one request for too long.
    func sweep(now: Double) {
        let timeout = self.settings.requestTimeoutSeconds
        guard timeout > 0 else { return }
        let reaped: [String] = self.state.withLock { state in
            var addresses: [String] = []
            for key in Array(state.connections.keys) {
                guard let tracked = state.connections[key], !tracked.exempt,
                    let since = tracked.receivingSince, now - since > timeout
                else { continue }
                // Counted before the socket goes, so anyone who sees the close sees the count.
                self.metrics.slowRequestsClosed.add(1, ordering: .relaxed)
                shutdown(tracked.socket, Int32(SHUT_RDWR))
                state.connections[key]?.receivingSince = nil
                addresses.append(tracked.address)
            }
            return addresses
        }
        for address in reaped {
            self.logger.warning(
                "connection closed: request not received in time", ["http.peer": address])
        }
    }
}
