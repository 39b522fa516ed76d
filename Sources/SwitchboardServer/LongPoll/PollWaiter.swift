import CMicroHTTPD
import Synchronization

/// A libmicrohttpd connection handle that crosses threads. Only `MHD_resume_connection` is
/// called on it from other threads, which libmicrohttpd documents as thread-safe.
struct ConnectionHandle: @unchecked Sendable {
    let raw: OpaquePointer
}

/// Why a parked long-poll GET was woken.
enum PollWakeReason: Sendable, Equatable {
    /// Events arrived for the session.
    case events
    /// Its timeout passed with nothing to deliver.
    case timeout
    /// A newer GET on the same session took its place; it is answered with no events.
    case superseded
    /// The session ended (expired, deleted, overflowed): answer 404.
    case sessionEnded
    /// The server is shutting down: answer 503.
    case shutdown
}

/// A GET parked on a session: its connection is suspended until `wake` resumes it once.
///
/// Resuming a connection that is not suspended is undefined behaviour in libmicrohttpd, and
/// the timeout sweep and a publisher can race, so waking is exactly-once under a mutex. The
/// waiter is published only after `MHD_suspend_connection` returned.
final class PollWaiter: Sendable {
    let connection: ConnectionHandle
    /// Events up to this sequence number are acknowledged; the answer holds those above it.
    let acknowledged: UInt64
    /// Monotonic deadline, seconds.
    let deadline: Double
    private let reason = Lock<PollWakeReason?>(nil)

    init(connection: ConnectionHandle, acknowledged: UInt64, deadline: Double) {
        self.connection = connection
        self.acknowledged = acknowledged
        self.deadline = deadline
    }

    /// Resumes the connection with `reason` unless it was already woken; returns whether this
    /// call did it.
    @discardableResult
    func wake(_ reason: PollWakeReason) -> Bool {
        let first = self.reason.withLock { current in
            guard current == nil else { return false }
            current = reason
            return true
        }
        if first { MHD_resume_connection(self.connection.raw) }
        return first
    }

    /// Marks the waiter finished without resuming: its request completed (the connection is
    /// gone), so a later `wake` must not touch the connection.
    func retire() {
        self.reason.withLock { current in
            if current == nil { current = .superseded }
        }
    }

    /// Why it was woken, once it has been.
    var wakeReason: PollWakeReason? { self.reason.withLock { $0 } }
}
