import Glibc

/// An exclusive `flock` on the store file, held for the store's life, so that a second
/// switchboard on the same file is refused at start-up instead of handing out the same mids.
///
/// SQLite's own locks cannot say this: the store keeps a second connection for checkpoints, so
/// the file is opened in SQLite's normal (shared) locking mode, which also lets the `sqlite3`
/// shell read the store while the server runs. `flock` locks are separate from the POSIX
/// record locks SQLite uses, on Linux, so the two never interfere; the descriptor is closed
/// only after SQLite's connections, because closing any descriptor of a file drops the
/// process's POSIX locks on it.
final class StoreFileLock {
    private var descriptor: Int32

    /// Takes the lock on the existing file at `path`, retrying for up to `timeoutMilliseconds`
    /// (a previous instance may be exiting).
    init(path: String, timeoutMilliseconds: Int) throws(SQLiteStoreError) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw .cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        var waited = 0
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let failure = errno
            guard failure == EWOULDBLOCK || failure == EINTR, waited < timeoutMilliseconds
            else {
                close(descriptor)
                if failure == EWOULDBLOCK { throw .locked(path: path) }
                throw .failed(path: path, reason: "flock: \(String(cString: strerror(failure)))")
            }
            usleep(10_000)
            waited += 10
        }
        self.descriptor = descriptor
    }

    deinit { self.release() }

    /// Drops the lock; safe to call twice.
    func release() {
        guard self.descriptor >= 0 else { return }
        close(self.descriptor)
        self.descriptor = -1
    }
}
