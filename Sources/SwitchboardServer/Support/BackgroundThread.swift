import CLinux
import Glibc
import Synchronization

/// A named POSIX thread running a closure, joinable. The server's own threads (WebSocket
/// loops, housekeeping) are few and long-lived, so plain pthreads suit them better than a
/// task executor that could starve them.
final class BackgroundThread: Sendable {
    private final class Body {
        let name: String
        let work: @Sendable () -> Void
        init(name: String, work: @escaping @Sendable () -> Void) {
            self.name = name
            self.work = work
        }
    }

    private let handle: Lock<pthread_t?>

    /// Starts `work` on a new thread named `name` (at most 15 characters are kept).
    init(name: String, work: @escaping @Sendable () -> Void) {
        let body = Unmanaged.passRetained(Body(name: name, work: work)).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(
            &thread, nil,
            { argument in
                let body = Unmanaged<Body>.fromOpaque(argument!).takeRetainedValue()
                sb_name_this_thread(String(body.name.prefix(15)))
                body.work()
                return nil
            }, body)
        precondition(status == 0, "pthread_create failed: \(status)")
        self.handle = Lock(thread)
    }

    /// Waits for the thread to finish; later calls return at once.
    func join() {
        guard
            let thread = self.handle.withLock({ handle in
                defer { handle = nil }
                return handle
            })
        else { return }
        pthread_join(thread, nil)
    }
}
