/// How hard a commit pushes data to stable storage (`PRAGMA synchronous` in WAL mode).
public enum SQLiteSynchronous: String, CaseIterable, Sendable {
    /// The default. A commit appends to the write-ahead log with `write(2)` and no fsync; the
    /// log is fsynced only at checkpoints. A committed message survives the process being
    /// killed (the kernel holds the written pages), but a power loss or kernel crash may drop
    /// the last commits before the next checkpoint. Chosen because the failure the server
    /// must survive is its own crash, and an fsync per commit would cap throughput at the
    /// disk's flush rate.
    case normal
    /// Every commit fsyncs the write-ahead log before it returns: committed messages survive
    /// a power loss too, at the cost of one fsync per group commit (not per message).
    case full

    /// The value for `PRAGMA synchronous`.
    var pragmaValue: String {
        switch self {
        case .normal: "NORMAL"
        case .full: "FULL"
        }
    }
}

/// The knobs of a `SQLiteStore`. The retention semantics match `MemoryStore`'s.
public struct SQLiteStoreConfiguration: Sendable {
    /// Most messages kept per recipient, which is also the size of the offline queue
    /// (pending messages are never evicted; a full queue refuses). Default 1000, as the
    /// server's `--inbox-max-messages`; values below 1 count as 1.
    public var maxMessagesPerUser = 1000
    /// How long delivered messages (for `since`) and send ids (for deduplication) are kept,
    /// in seconds. Default one day, as `--inbox-retention-seconds`.
    public var retentionSeconds = 86_400
    /// The durability of a commit; default `.normal` (see there why).
    public var synchronous = SQLiteSynchronous.normal
    /// How many mids one durable reservation covers. A restart skips what is left of the
    /// block, so mids stay unique and increasing but not dense. Default 1024: one extra
    /// commit per 1024 messages, and at most 1024 ids skipped per restart. At least 1.
    public var midReservationBlock = 1024
    /// How long opening waits for a lock held by another connection before reporting the
    /// file as locked, in milliseconds. Default 1000: long enough for a previous instance
    /// that is just exiting, short enough to fail fast at start-up.
    public var lockTimeoutMilliseconds = 1000
    /// Write-ahead log size, in pages, that wakes the checkpoint thread (SQLite's default).
    var checkpointThresholdFrames: Int32 = 1000
    /// Log size at which a commit checkpoints and restarts the log by itself, about 64 MB:
    /// the size the log file is truncated back to afterwards (`journal_size_limit`).
    var checkpointHardLimitFrames: Int32 = 16_000

    /// The defaults above, adjusted by the arguments.
    public init(
        maxMessagesPerUser: Int = 1000, retentionSeconds: Int = 86_400,
        synchronous: SQLiteSynchronous = .normal
    ) {
        self.maxMessagesPerUser = maxMessagesPerUser
        self.retentionSeconds = retentionSeconds
        self.synchronous = synchronous
    }
}
