import CLinux
import Glibc

/// A thin wrapper over one epoll instance and an eventfd to wake it from other threads.
///
/// Ownership: the loop thread owns the epoll descriptor; `wake()` is the only call other
/// threads make (a write to the eventfd, which is thread-safe).
struct Epoll: @unchecked Sendable {
    /// The token reported for the wake eventfd.
    static let wakeToken: UInt64 = .max

    let descriptor: Int32
    let wakeDescriptor: Int32

    init() {
        self.descriptor = epoll_create1(Int32(EPOLL_CLOEXEC))
        self.wakeDescriptor = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        precondition(self.descriptor >= 0 && self.wakeDescriptor >= 0, "epoll/eventfd: \(errno)")
        _ = self.add(self.wakeDescriptor, events: UInt32(EPOLLIN.rawValue), token: Self.wakeToken)
    }

    /// Watches `descriptor` for `events`, reporting `token`. Returns false on failure.
    func add(_ descriptor: Int32, events: UInt32, token: UInt64) -> Bool {
        var event = sb_epoll_event(events, token)
        return epoll_ctl(self.descriptor, EPOLL_CTL_ADD, descriptor, &event) == 0
    }

    /// Changes the events watched for `descriptor`.
    func modify(_ descriptor: Int32, events: UInt32, token: UInt64) {
        var event = sb_epoll_event(events, token)
        _ = epoll_ctl(self.descriptor, EPOLL_CTL_MOD, descriptor, &event)
    }

    /// Stops watching `descriptor`. Must happen before the descriptor is closed (by us or by
    /// libmicrohttpd), because its number can be reused at once.
    func remove(_ descriptor: Int32) {
        var event = sb_epoll_event(0, 0)
        _ = epoll_ctl(self.descriptor, EPOLL_CTL_DEL, descriptor, &event)
    }

    /// Waits up to `timeoutMilliseconds` (-1: forever); fills `events`, returns how many.
    func wait(
        into events: UnsafeMutableBufferPointer<epoll_event>, timeoutMilliseconds: Int32
    ) -> Int {
        let count = epoll_wait(
            self.descriptor, events.baseAddress, Int32(events.count), timeoutMilliseconds)
        return count < 0 ? 0 : Int(count)
    }

    /// Wakes a thread blocked in `wait`.
    func wake() {
        var one: UInt64 = 1
        _ = write(self.wakeDescriptor, &one, 8)
    }

    /// Consumes pending wakes (called by the loop when the wake token fires).
    func drainWakes() {
        var value: UInt64 = 0
        _ = read(self.wakeDescriptor, &value, 8)
    }

    func close() {
        Glibc.close(self.wakeDescriptor)
        Glibc.close(self.descriptor)
    }
}
