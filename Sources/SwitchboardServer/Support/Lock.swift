import Glibc

/// A value only reachable while holding a pthread mutex; the API of `Synchronization.Mutex`.
///
/// Why not `Mutex` itself: in Swift 6.3 on Linux it locks with futex calls inside the runtime,
/// which ThreadSanitizer does not see, so TSan reports every access made under it as a race
/// (a four-thread counter under `Mutex.withLock` gets two reports; under this lock, none), and
/// a real race would hide among them. TSan intercepts `pthread_mutex_lock`, which costs the same
/// when uncontended. The mutex is allocated once so that its address never moves.
public final class Lock<Value: ~Copyable>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    public init(_ initialValue: consuming sending Value) {
        self.mutex = .allocate(capacity: 1)
        self.mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(self.mutex, nil)
        self.value = initialValue
    }

    deinit {
        pthread_mutex_destroy(self.mutex)
        self.mutex.deallocate()
    }

    /// Runs `body` with exclusive access to the value.
    public func withLock<Result: ~Copyable, Failure: Error>(
        _ body: (inout sending Value) throws(Failure) -> sending Result
    ) throws(Failure) -> sending Result {
        pthread_mutex_lock(self.mutex)
        defer { pthread_mutex_unlock(self.mutex) }
        return try body(&self.value)
    }
}
