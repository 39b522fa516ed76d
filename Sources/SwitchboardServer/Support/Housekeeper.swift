import CLinux
import Glibc
import Synchronization

/// Periodic chores on one thread: long-poll timeouts and expiry, store retention. Stopping
/// wakes it at once rather than waiting out the tick.
final class Housekeeper: Sendable {
    private let stopping = Atomic<Bool>(false)
    private let wakeDescriptor: Int32
    private let tickMilliseconds: Int32
    private let chore: @Sendable (Double) -> Void
    private let thread = Lock<BackgroundThread?>(nil)

    /// `chore` will run every `tickSeconds` with the monotonic time, once `start` is called.
    init(tickSeconds: Double, chore: @escaping @Sendable (Double) -> Void) {
        self.wakeDescriptor = eventfd(0, Int32(EFD_CLOEXEC))
        self.tickMilliseconds = Int32(tickSeconds * 1000)
        self.chore = chore
    }

    func start() {
        let thread = BackgroundThread(name: "housekeeping") { self.run() }
        self.thread.withLock { $0 = thread }
    }

    private func run() {
        var descriptor = pollfd(fd: self.wakeDescriptor, events: Int16(POLLIN), revents: 0)
        while !self.stopping.load(ordering: .acquiring) {
            _ = poll(&descriptor, 1, self.tickMilliseconds)
            if self.stopping.load(ordering: .acquiring) { break }
            self.chore(MonotonicClock.now())
        }
    }

    /// Stops the thread and waits for it.
    func stop() {
        self.stopping.store(true, ordering: .releasing)
        var one: UInt64 = 1
        _ = write(self.wakeDescriptor, &one, 8)
        self.thread.withLock { $0 }?.join()
        close(self.wakeDescriptor)
    }
}
