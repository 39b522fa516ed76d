import CSQLite
import Glibc
import Synchronization

/// Copies the write-ahead log back into the database file on a thread and connection of its
/// own, so that the thread that commits (the server's routing thread, holding its lock) does
/// not wait for a checkpoint's page copies and fsyncs.
///
/// SQLite's automatic checkpoint runs inside the commit that grows the log past 1000 pages.
/// Those stalls set the tail latency: WebSocket relay among 1,000 clients at 10,000 msg/s,
/// p99 7.8–10.6 ms with them and 0.8–1.0 ms with this thread (bench/ANALYSIS.md). Here the
/// commit's WAL hook only wakes the thread, which runs a passive checkpoint (one that never
/// blocks the writer), every `thresholdFrames` new pages. Two fallbacks run on the committing
/// thread:
/// - When the thread has fallen `2 × thresholdFrames` behind (it got no CPU: one core, busy
///   with requests), the commit checkpoints itself, as SQLite's automatic checkpoint would.
/// - A passive checkpoint cannot restart the log while commits keep arriving, so the log only
///   grows; at `hardLimitFrames` the commit runs a restarting checkpoint, which bounds the
///   log file's size under any load.
final class WALCheckpointer: Sendable {
    /// New log pages (frames) since the last checkpoint that wake the thread.
    let thresholdFrames: Int32
    /// Log size at which the committing connection checkpoints and restarts the log itself.
    let hardLimitFrames: Int32

    /// The checkpoint thread's connection. Held locked while a checkpoint runs on either
    /// connection, so the two never contend inside SQLite.
    private let connection: Mutex<SQLiteDatabase>
    private let requested = Atomic<Bool>(false)
    /// The log's size when the last checkpoint ran; frames beyond it are what the next one
    /// has to copy (if the log has restarted since, all of it is new).
    private let checkpointedLogFrames = Atomic<Int32>(0)
    private let stopping = Atomic<Bool>(false)
    /// Posted to wake the thread; `sem_t` is safe to use from any thread.
    nonisolated(unsafe) private let wakeups: UnsafeMutablePointer<sem_t>
    private let thread = Mutex<pthread_t?>(nil)
    /// Checkpoints that failed (I/O error); the next one retries. For tests.
    let failures = Atomic<Int>(0)
    /// Checkpoints run by the thread.
    let threadRuns = Atomic<Int>(0)
    /// Times the committing connection had to checkpoint itself at the hard limit.
    let forcedRestarts = Atomic<Int>(0)
    /// Times the committing connection checkpointed because the thread fell behind.
    let inlineRuns = Atomic<Int>(0)

    /// The committing connection's busy timeout, restored after a restarting checkpoint.
    private let busyTimeoutMilliseconds: Int32

    /// Opens a second connection to `path` (already in WAL mode) and starts the thread.
    /// `busyTimeoutMilliseconds` is the busy timeout the committing connection runs with.
    init(
        path: String, thresholdFrames: Int32, hardLimitFrames: Int32,
        busyTimeoutMilliseconds: Int32
    ) throws(SQLiteFailure) {
        let database = try SQLiteDatabase(
            path: path, lockTimeoutMilliseconds: busyTimeoutMilliseconds)
        // This connection never writes, so it must never checkpoint on its own either.
        if let handle = database.connection { sqlite3_wal_autocheckpoint(handle, 0) }
        // A connection finds the file in WAL mode only when it first reads it; until then a
        // checkpoint does nothing.
        _ = try database.scalarInteger("SELECT count(*) FROM sqlite_master")
        self.connection = Mutex(database)
        self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        self.thresholdFrames = max(1, thresholdFrames)
        self.hardLimitFrames = max(self.thresholdFrames + 1, hardLimitFrames)
        self.wakeups = .allocate(capacity: 1)
        sem_init(self.wakeups, 0, 0)
        self.startThread()
    }

    deinit {
        self.stop()
        sem_destroy(self.wakeups)
        self.wakeups.deallocate()
    }

    /// Makes `database` report its commits here instead of checkpointing by itself.
    /// The checkpointer must outlive the hook: `detach` it before either is closed.
    func attach(to database: OpaquePointer) {
        let context = Unmanaged.passUnretained(self).toOpaque()
        sqlite3_wal_hook(
            database,
            { context, database, _, frames in
                guard let context, let database else { return SQLITE_OK }
                let checkpointer = Unmanaged<WALCheckpointer>.fromOpaque(context)
                    .takeUnretainedValue()
                checkpointer.logGrew(to: frames, on: database)
                return SQLITE_OK
            }, context)
    }

    /// Removes the hook `attach` set.
    func detach(from database: OpaquePointer) {
        sqlite3_wal_hook(database, nil, nil)
    }

    /// Called on the committing thread after each commit, with the log's size in frames.
    private func logGrew(to frames: Int32, on database: OpaquePointer) {
        let unchecked = frames - self.checkpointedFrames(below: frames)
        if frames >= self.hardLimitFrames {
            // Waits for the thread's checkpoint, if one runs, then copies what is left and
            // makes the next commit start the log from its beginning. A reader of another
            // process (the sqlite3 shell) may keep the log from restarting; that is not
            // waited for: the busy timeout is 0 meanwhile, and a later commit tries again.
            self.connection.withLock { _ in
                self.forcedRestarts.add(1, ordering: .relaxed)
                sqlite3_busy_timeout(database, 0)
                let status = sqlite3_wal_checkpoint_v2(
                    database, nil, SQLITE_CHECKPOINT_RESTART, nil, nil)
                sqlite3_busy_timeout(database, self.busyTimeoutMilliseconds)
                switch status {
                case SQLITE_OK: self.checkpointedLogFrames.store(0, ordering: .relaxed)
                case SQLITE_BUSY: break
                default: self.failures.add(1, ordering: .relaxed)
                }
            }
        } else if unchecked >= 2 * self.thresholdFrames {
            // The thread did not get to run (the routing thread has the only core): copy here,
            // as SQLite's automatic checkpoint would, rather than let the log grow to the hard
            // limit and copy all of it in one longer stall. Skipped while the thread copies.
            self.connection.withLockIfAvailable { _ in
                self.inlineRuns.add(1, ordering: .relaxed)
                var logFrames: Int32 = 0
                let status = sqlite3_wal_checkpoint_v2(
                    database, nil, SQLITE_CHECKPOINT_PASSIVE, &logFrames, nil)
                if status == SQLITE_OK {
                    self.checkpointedLogFrames.store(logFrames, ordering: .relaxed)
                } else if status != SQLITE_BUSY {
                    self.failures.add(1, ordering: .relaxed)
                }
            }
        } else if unchecked >= self.thresholdFrames {
            // Counted from the last checkpoint, so that a log that cannot restart under
            // steady commits is checkpointed every `thresholdFrames` new frames, not after
            // every commit.
            if !self.requested.exchange(true, ordering: .acquiringAndReleasing) {
                sem_post(self.wakeups)
            }
        }
    }

    /// The log's size at the last checkpoint, or 0 if the log is shorter now (it restarted).
    private func checkpointedFrames(below frames: Int32) -> Int32 {
        let checkpointed = self.checkpointedLogFrames.load(ordering: .relaxed)
        return checkpointed <= frames ? checkpointed : 0
    }

    /// Stops the thread, waits for it and closes its connection. Safe to call twice.
    func stop() {
        guard !self.stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        sem_post(self.wakeups)
        if let thread = self.thread.withLock({ $0 }) { pthread_join(thread, nil) }
        self.connection.withLock { $0.close() }
    }

    private func startThread() {
        let context = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(
            &thread, nil,
            { context in
                let checkpointer = Unmanaged<WALCheckpointer>.fromOpaque(context!)
                    .takeRetainedValue()
                checkpointer.run()
                return nil
            }, context)
        precondition(status == 0, "pthread_create failed: \(status)")
        self.thread.withLock { $0 = thread }
    }

    private func run() {
        // Background work: under a real-time policy (the benchmarks run the server so) this
        // thread must not hold the core while the routing thread has requests to serve.
        var normal = sched_param(sched_priority: 0)
        pthread_setschedparam(pthread_self(), SCHED_OTHER, &normal)
        while true {
            while sem_wait(self.wakeups) != 0 && errno == EINTR {}
            if self.stopping.load(ordering: .acquiring) { return }
            self.requested.store(false, ordering: .releasing)
            var logFrames: Int32 = 0
            let status = self.connection.withLock { database -> Int32 in
                guard let handle = database.connection else { return SQLITE_MISUSE }
                return sqlite3_wal_checkpoint_v2(
                    handle, nil, SQLITE_CHECKPOINT_PASSIVE, &logFrames, nil)
            }
            self.threadRuns.add(1, ordering: .relaxed)
            if status == SQLITE_OK {
                self.checkpointedLogFrames.store(logFrames, ordering: .relaxed)
            } else if status != SQLITE_BUSY {
                // Busy: another process checkpoints (the sqlite3 shell); nothing lost.
                self.failures.add(1, ordering: .relaxed)
            }
        }
    }
}
