import CSQLite
import ChatRouter

/// The durable `MessageStore`: every inbox and offline queue in one SQLite file, so accepted
/// messages survive the process being killed and restarted. Semantics match `MemoryStore`
/// exactly (the conformance tests run the same suite against both).
///
/// Storage: WAL journal, an `flock` on the file for the store's whole life (a second
/// switchboard on the same file is refused at start-up instead of handing out the same mids,
/// see `StoreFileLock`), statements prepared once. Writes between two `commit` calls share
/// one open transaction, so a burst of messages costs one commit (group commit), not one per
/// message; with `synchronous=NORMAL` (the default) a commit costs no fsync at all, see
/// `SQLiteSynchronous`. Checkpoints run on a thread of their own (`WALCheckpointer`).
///
/// Mids: the store persists a high-water mark `mid_reserved_through` and commits it before
/// handing out any mid at or below it, a block of `midReservationBlock` at a time; a restart
/// continues above the mark. So a mid seen by anyone (a live recipient may get a message
/// before the sender's batch commits) is never reused, even after a kill.
///
/// Failures: an SQLite error during a write rolls the open batch back and is reported by the
/// next `commit` (`.storageFailure`); `append` reports it at once, so the sender gets 500.
///
/// Threading: like `MemoryStore`, not `Sendable`; the caller serializes every call (the
/// server holds its hub mutex), so one connection and no locking of its own suffice.
public final class SQLiteStore: MessageStore {
    /// What the store knows about one recipient without asking the file.
    struct InboxState {
        /// Messages in the inbox, pending and delivered, not counting those due for eviction.
        var count: Int
        /// How many of `count` are pending (the offline queue).
        var pending: Int
        /// The highest mid retention (cap or age) dropped for this recipient, not counting
        /// evictions still due.
        var droppedThroughMid: UInt64
        /// Oldest delivered messages the cap has evicted but which are still in the file.
        var evictionsDue = 0
    }

    private enum Insertion {
        case stored
        case skipped
        case refused
    }

    /// The database file.
    public let path: String
    /// The configuration the store was opened with.
    public let configuration: SQLiteStoreConfiguration
    /// The highest mid handed out; after a restart, the reserved high-water mark, so the
    /// next mid is above everything an earlier run may have handed out.
    public private(set) var lastAssignedMid: UInt64
    /// The highest mid whose reservation is durable; no message above it is ever stored.
    private(set) var reservedThroughMid: UInt64
    /// The last SQLite failure, for diagnostics and tests.
    private(set) var lastFailure: SQLiteFailure?

    /// The one connection, used only by the thread that currently owns the store.
    let database: SQLiteDatabase
    /// Everything the store runs, prepared at open.
    let statements: StoreStatements
    /// Keeps a second switchboard off the file.
    private let fileLock: StoreFileLock
    /// Checkpoints the write-ahead log off the committing thread.
    let checkpointer: WALCheckpointer
    /// Per-recipient counts read so far; cleared whenever a batch is rolled back, since
    /// they may then describe writes that no longer exist.
    var inboxes: [String: InboxState] = [:]
    /// Recipients whose `evictionsDue` is above zero.
    private var recipientsWithEvictionsDue: [String] = []
    /// Every row at or below this mid was, at the last pruning pass, pending or gone; the next
    /// pass starts above it. In memory only: after a restart pruning starts from the first row.
    var expiryCursor: Int64 = 0
    private var isTransactionOpen = false
    private var hasUnreportedFailure = false

    /// Most recipients whose counts are kept in memory; beyond it the cache starts over
    /// (counts are re-read from the file on demand), so memory stays bounded however many
    /// users exist.
    static let inboxCacheLimit = 65_536
    private static let midCeiling = UInt64(Int64.max / 2)

    /// The per-user cap, at least 1 (as `MemoryStore` clamps it).
    var maxMessagesPerUser: Int { max(1, self.configuration.maxMessagesPerUser) }
    /// The retention window in milliseconds, the unit of every timestamp here.
    var retentionMilliseconds: Int64 { Int64(max(0, self.configuration.retentionSeconds)) * 1000 }

    /// Opens the store at `path`, creating the file (not its folder) when missing, and
    /// migrating an older schema. Throws a `SQLiteStoreError` whose description names the
    /// file and the reason (locked, damaged, newer version, ...).
    public convenience init(
        path: String, configuration: SQLiteStoreConfiguration = SQLiteStoreConfiguration()
    ) throws(SQLiteStoreError) {
        try self.init(path: path, configuration: configuration, migrations: StoreSchema.migrations)
    }

    /// Opens with an explicit migration list (tests use it to exercise a schema upgrade).
    init(
        path: String, configuration: SQLiteStoreConfiguration, migrations: [SchemaMigration]
    ) throws(SQLiteStoreError) {
        let lockTimeout = Int32(clamping: max(0, configuration.lockTimeoutMilliseconds))
        let database: SQLiteDatabase
        do {
            database = try SQLiteDatabase(path: path, lockTimeoutMilliseconds: lockTimeout)
        } catch {
            throw .opening(path, error)
        }
        let fileLock = try Self.configure(
            database, path: path, synchronous: configuration.synchronous,
            lockTimeoutMilliseconds: Int(lockTimeout))
        try StoreSchema.migrate(database, path: path, migrations: migrations)

        let statements: StoreStatements
        var reserved: Int64?
        var highest: Int64 = 0
        do {
            statements = try StoreStatements(database)
            try database.query(statements.readReservedMids, []) { reserved = $0.integer(at: 0) }
            try database.query(statements.highestStoredMid, []) { highest = $0.integer(at: 0) }
        } catch {
            throw .opening(path, error)
        }
        guard let reserved, reserved >= 0, highest >= 0,
            UInt64(reserved) < Self.midCeiling, UInt64(highest) < Self.midCeiling
        else {
            throw .corrupt(path: path, reason: "the mid counter is missing or out of range")
        }
        let checkpointer: WALCheckpointer
        do {
            checkpointer = try WALCheckpointer(
                path: path, thresholdFrames: configuration.checkpointThresholdFrames,
                hardLimitFrames: configuration.checkpointHardLimitFrames,
                busyTimeoutMilliseconds: lockTimeout)
        } catch {
            throw .opening(path, error)
        }
        if let connection = database.connection { checkpointer.attach(to: connection) }

        self.path = path
        self.configuration = configuration
        self.database = database
        self.statements = statements
        self.fileLock = fileLock
        self.checkpointer = checkpointer
        // Everything up to the reserved mark may have been handed out before the last stop.
        self.reservedThroughMid = UInt64(max(reserved, highest))
        self.lastAssignedMid = self.reservedThroughMid
    }

    /// Takes the file for this process and sets the journal and durability.
    private static func configure(
        _ database: SQLiteDatabase, path: String, synchronous: SQLiteSynchronous,
        lockTimeoutMilliseconds: Int
    ) throws(SQLiteStoreError) -> StoreFileLock {
        guard !database.isReadOnly else { throw .readOnly(path: path) }
        // Before anything is read: a file another switchboard holds is not ours to look at.
        let fileLock = try StoreFileLock(path: path, timeoutMilliseconds: lockTimeoutMilliseconds)
        do {
            let journal = try database.scalarText("PRAGMA journal_mode = WAL")
            guard journal?.lowercased() == "wal" else {
                throw SQLiteStoreError.failed(
                    path: path, reason: "the file system does not support write-ahead logging")
            }
            try database.execute("PRAGMA synchronous = \(synchronous.pragmaValue)")
            // After a checkpoint the log is truncated to this size instead of keeping its
            // largest size forever.
            try database.execute("PRAGMA journal_size_limit = 67108864")
            // Limitation: opening reads only the header, schema and counters; damage in
            // other pages is not looked for (a full check would take seconds on a large
            // file) and surfaces later as a failed write (500 to the sender) or read.
        } catch let failure as SQLiteFailure {
            throw .opening(path, failure)
        } catch let error as SQLiteStoreError {
            throw error
        } catch {
            throw .failed(path: path, reason: "\(error)")
        }
        return fileLock
    }

    deinit { self.close() }

    public func close() {
        guard let connection = self.database.connection else { return }
        // A clean close keeps the batch; a crash would lose only what `commit` never covered.
        _ = self.attempt { () throws(SQLiteFailure) -> Void in try self.commitTransaction() }
        self.checkpointer.detach(from: connection)
        self.checkpointer.stop()
        // The last connection to close checkpoints the whole log and removes it.
        self.database.close()
        self.fileLock.release()
    }

    // MARK: Mids

    public func assignMid() -> UInt64 {
        self.lastAssignedMid += 1
        if self.lastAssignedMid > self.reservedThroughMid {
            // On failure the mid is still returned (the protocol cannot refuse), but `append`
            // refuses to store it, so it never reaches anyone.
            _ = self.reserveMids(through: self.lastAssignedMid)
        }
        return self.lastAssignedMid
    }

    /// Durably raises the reservation to cover `mid` and a block beyond it.
    private func reserveMids(through mid: UInt64) -> Bool {
        let block = UInt64(min(max(1, self.configuration.midReservationBlock), 1 << 20))
        let target = min(mid, Self.midCeiling) + block - 1
        return self.attempt { () throws(SQLiteFailure) -> Void in
            let changed = try self.write(
                self.statements.reserveMids, [.integer(Int64(sqliteClamping: target))])
            guard changed == 1 else {
                throw SQLiteFailure(code: SQLITE_CORRUPT, message: "the mid counter row is missing")
            }
            // The block must be durable before its first mid reaches anyone, so this commits
            // now, taking the batch's earlier writes along (committing early is always safe).
            try self.commitTransaction()
            self.reservedThroughMid = target
        } != nil
    }

    // MARK: Inbox

    public func append(_ message: StoredMessage, pending: Bool, now: Int64) throws(AppendRefusal) {
        if message.mid > self.reservedThroughMid {
            guard self.reserveMids(through: message.mid) else { throw .storageFailure }
        }
        let insertion = self.attempt { () throws(SQLiteFailure) -> Insertion in
            try self.insert(message, pending: pending, now: now)
        }
        switch insertion {
        case nil: throw .storageFailure
        case .refused: throw .offlineQueueFull
        case .stored, .skipped: return
        }
    }

    private func insert(
        _ message: StoredMessage, pending: Bool, now: Int64
    ) throws(SQLiteFailure) -> Insertion {
        let recipient = message.recipient
        var inbox = try self.inboxState(of: recipient)
        if inbox.count >= self.maxMessagesPerUser {
            // Make room by dropping the oldest delivered message; pending ones are never dropped.
            // The delete waits for the next read or commit, so that a recipient receiving many
            // messages in one batch costs one query, one delete pass and one `inboxes` write
            // per batch instead of one of each per message.
            if inbox.count > inbox.pending {
                self.scheduleEviction(of: recipient, in: &inbox)
            } else if pending {
                return .refused
            } else {
                // Delivered live with nothing evictable: the inbox skips it and a later
                // `since` learns about it through the gap flag.
                try self.raiseDroppedThrough(
                    of: recipient, to: Int64(sqliteClamping: message.mid), in: &inbox)
                self.inboxes[recipient] = inbox
                return .skipped
            }
        }
        try self.write(
            self.statements.insertMessage,
            [
                .integer(Int64(sqliteClamping: message.mid)), .text(recipient),
                .text(message.sender), .text(message.text), .integer(message.timestamp),
                .integer(now), .integer(pending ? 1 : 0),
            ])
        inbox.count += 1
        if pending { inbox.pending += 1 }
        self.inboxes[recipient] = inbox
        return .stored
    }

    private func scheduleEviction(of recipient: String, in inbox: inout InboxState) {
        if inbox.evictionsDue == 0 { self.recipientsWithEvictionsDue.append(recipient) }
        inbox.evictionsDue += 1
        inbox.count -= 1
    }

    /// Deletes every eviction the cap scheduled. Runs before anything reads the inbox table,
    /// before pruning and before every commit, so that what the store answers and what a
    /// commit makes durable are exactly as if each eviction had happened at its insert.
    func applyDueEvictions() throws(SQLiteFailure) {
        guard !self.recipientsWithEvictionsDue.isEmpty else { return }
        for recipient in self.recipientsWithEvictionsDue {
            guard var inbox = self.inboxes[recipient], inbox.evictionsDue > 0 else { continue }
            var oldest: [Int64] = []
            try self.database.query(
                self.statements.oldestDelivered,
                [.text(recipient), .integer(Int64(inbox.evictionsDue))]
            ) { oldest.append($0.integer(at: 0)) }
            for mid in oldest {
                try self.write(self.statements.deleteMessage, [.integer(mid)])
            }
            // Fewer than due only if the file changed under the counts; keep them truthful.
            inbox.count += inbox.evictionsDue - oldest.count
            inbox.evictionsDue = 0
            if let highest = oldest.last {
                try self.raiseDroppedThrough(of: recipient, to: highest, in: &inbox)
            }
            self.inboxes[recipient] = inbox
        }
        self.recipientsWithEvictionsDue.removeAll(keepingCapacity: true)
    }

    /// The recipient's state with every due eviction carried out, for reads of the inbox:
    /// reading the state may itself find an excess over the cap (a lower cap than the last
    /// run's), and due evictions count as dropped.
    private func settledInboxState(of recipient: String) throws(SQLiteFailure) -> InboxState {
        _ = try self.inboxState(of: recipient)
        try self.applyDueEvictions()
        return try self.inboxState(of: recipient)
    }

    /// The recipient's counts, read from the file the first time it is needed.
    func inboxState(of recipient: String) throws(SQLiteFailure) -> InboxState {
        if let cached = self.inboxes[recipient] { return cached }
        var count: Int64 = 0
        var pending: Int64 = 0
        var dropped: Int64 = 0
        try self.database.query(self.statements.countInbox, [.text(recipient)]) {
            count = $0.integer(at: 0)
        }
        try self.database.query(self.statements.countPending, [.text(recipient)]) {
            pending = $0.integer(at: 0)
        }
        try self.database.query(self.statements.droppedThrough, [.text(recipient)]) {
            dropped = $0.integer(at: 0)
        }
        var state = InboxState(
            count: Int(clamping: count), pending: Int(clamping: pending),
            droppedThroughMid: UInt64(clamping: dropped))
        if self.inboxes.count >= Self.inboxCacheLimit {
            // Due evictions live in the cache; carry them out before forgetting it.
            try self.applyDueEvictions()
            self.inboxes.removeAll()
        }
        // Over the cap (a lower --inbox-max-messages than the last run's): the next batch
        // evicts the excess of delivered messages, as inserts would have.
        let excess = min(state.count - self.maxMessagesPerUser, state.count - state.pending)
        if excess > 0 {
            self.recipientsWithEvictionsDue.append(recipient)
            state.evictionsDue = excess
            state.count -= excess
        }
        self.inboxes[recipient] = state
        return state
    }

    /// Records that retention dropped `mid` for `recipient` (the gap flag's memory).
    func raiseDroppedThrough(
        of recipient: String, to mid: Int64, in inbox: inout InboxState
    ) throws(SQLiteFailure) {
        try self.write(self.statements.raiseDroppedThrough, [.text(recipient), .integer(mid)])
        inbox.droppedThroughMid = max(inbox.droppedThroughMid, UInt64(clamping: mid))
    }

    public func markDelivered(recipient: String, mids: [UInt64]) {
        self.setPending(false, recipient: recipient, mids: mids)
    }

    public func requeue(_ messages: [StoredMessage]) {
        guard !messages.isEmpty else { return }
        _ = self.attempt { () throws(SQLiteFailure) -> Void in
            try self.applyDueEvictions()
            for message in messages {
                try self.write(
                    self.statements.requeueMessage,
                    [
                        .integer(Int64(sqliteClamping: message.mid)), .text(message.recipient),
                        .text(message.sender), .text(message.text), .integer(message.timestamp),
                        .integer(message.timestamp),
                    ])
                // A restored row changes the count; the next use reads it afresh.
                self.inboxes[message.recipient] = nil
            }
        }
    }

    private func setPending(_ pending: Bool, recipient: String, mids: [UInt64]) {
        guard !mids.isEmpty else { return }
        _ = self.attempt { () throws(SQLiteFailure) -> Void in
            try self.applyDueEvictions()
            var changed = 0
            var lowestChanged = Int64.max
            for mid in mids {
                let row = Int64(sqliteClamping: mid)
                let count = try self.write(
                    self.statements.setPending,
                    [.integer(row), .text(recipient), .integer(pending ? 1 : 0)])
                changed += count
                if count > 0 { lowestChanged = min(lowestChanged, row) }
            }
            self.inboxes[recipient]?.pending += pending ? changed : -changed
            // A message that stops being pending may lie below where pruning got to; it ages
            // from its acceptance like any other, so pruning looks at it again.
            if !pending && lowestChanged <= self.expiryCursor {
                self.expiryCursor = lowestChanged - 1
            }
        }
    }

    public func messages(
        for recipient: String, after cursor: UInt64, through upperBound: UInt64,
        since: UInt64?, limit: Int
    ) -> [StoredMessage] {
        guard limit > 0, upperBound > cursor else { return [] }
        let merged = self.attempt { () throws(SQLiteFailure) -> [StoredMessage] in
            _ = try self.settledInboxState(of: recipient)
            let queued = try self.range(
                of: recipient, pending: true, after: cursor, through: upperBound, limit: limit)
            guard let since else { return queued }
            let seen = try self.range(
                of: recipient, pending: false, after: max(cursor, since), through: upperBound,
                limit: limit)
            return Self.merge(queued, seen, limit: limit)
        }
        return merged ?? []
    }

    private func range(
        of recipient: String, pending: Bool, after lower: UInt64, through upper: UInt64,
        limit: Int
    ) throws(SQLiteFailure) -> [StoredMessage] {
        guard upper > lower else { return [] }
        var result: [StoredMessage] = []
        let values: [SQLiteValue] = [
            .text(recipient), .integer(pending ? 1 : 0), .integer(Int64(sqliteClamping: lower)),
            .integer(Int64(sqliteClamping: upper)), .integer(Int64(limit)),
        ]
        try self.database.query(self.statements.inboxRange, values) { row in
            result.append(
                StoredMessage(
                    mid: row.mid(at: 0), sender: row.text(at: 1), recipient: recipient,
                    text: row.text(at: 2), timestamp: row.integer(at: 3)))
        }
        return result
    }

    /// Merges two mid-ordered lists with distinct mids, keeping the first `limit`.
    private static func merge(
        _ left: [StoredMessage], _ right: [StoredMessage], limit: Int
    ) -> [StoredMessage] {
        var merged: [StoredMessage] = []
        merged.reserveCapacity(min(limit, left.count + right.count))
        var leftIndex = 0
        var rightIndex = 0
        while merged.count < limit && (leftIndex < left.count || rightIndex < right.count) {
            let takeLeft =
                rightIndex == right.count
                || (leftIndex < left.count && left[leftIndex].mid < right[rightIndex].mid)
            if takeLeft {
                merged.append(left[leftIndex])
                leftIndex += 1
            } else {
                merged.append(right[rightIndex])
                rightIndex += 1
            }
        }
        return merged
    }

    public func hasGap(recipient: String, since: UInt64) -> Bool {
        let dropped = self.attempt { () throws(SQLiteFailure) -> UInt64 in
            try self.settledInboxState(of: recipient).droppedThroughMid
        }
        // Unreadable: claim a gap, the safe answer (the client then knows it may have missed
        // something).
        guard let dropped else { return true }
        return dropped > since
    }

    /// How many messages wait in `recipient`'s offline queue (0 when it cannot be read).
    public func pendingCount(recipient: String) -> Int {
        let state = self.attempt { () throws(SQLiteFailure) -> InboxState in
            try self.inboxState(of: recipient)
        }
        return state?.pending ?? 0
    }

    // MARK: Receipts

    public func receipt(sender: String, requestID: String, now: Int64) -> SendReceipt? {
        var found: (receipt: SendReceipt, rememberedAt: Int64)?
        _ = self.attempt { () throws(SQLiteFailure) -> Void in
            try self.database.query(
                self.statements.findReceipt, [.text(sender), .text(requestID)]
            ) { row in
                guard let outcome = SendReceipt.Outcome(rawValue: row.text(at: 2)) else { return }
                let receipt = SendReceipt(
                    mid: row.mid(at: 0), recipient: row.text(at: 1), outcome: outcome)
                found = (receipt, row.integer(at: 3))
            }
        }
        guard let found else { return nil }
        let (age, overflow) = now.subtractingReportingOverflow(found.rememberedAt)
        guard !overflow, age <= self.retentionMilliseconds else { return nil }
        return found.receipt
    }

    public func remember(_ receipt: SendReceipt, sender: String, requestID: String, now: Int64) {
        _ = self.attempt { () throws(SQLiteFailure) -> Void in
            try self.write(
                self.statements.saveReceipt,
                [
                    .text(sender), .text(requestID), .integer(Int64(sqliteClamping: receipt.mid)),
                    .text(receipt.recipient), .text(receipt.outcome.rawValue), .integer(now),
                ])
        }
    }

    // MARK: Transactions

    /// Commits the open batch. Also reports (once) a failure that rolled a batch back since
    /// the last commit, so the caller learns that writes it relied on were lost.
    ///
    /// Limitation: the server logs a failed commit but still sends the replies it was about
    /// to send, so on a failing disk a sender may see `queued` for a message that is gone.
    public func commit() throws(AppendRefusal) {
        _ = self.attempt { () throws(SQLiteFailure) -> Void in try self.commitTransaction() }
        if self.hasUnreportedFailure {
            self.hasUnreportedFailure = false
            throw .storageFailure
        }
    }

    public var hasUncommittedWrites: Bool {
        self.isTransactionOpen || self.hasUnreportedFailure
            || !self.recipientsWithEvictionsDue.isEmpty
    }

    /// Runs a write statement inside the batch's transaction, opening it if needed.
    @discardableResult
    func write(_ statement: SQLiteStatement, _ values: [SQLiteValue]) throws(SQLiteFailure) -> Int {
        if !self.isTransactionOpen {
            try self.database.run(self.statements.begin)
            self.isTransactionOpen = true
        }
        return try self.database.run(statement, values)
    }

    /// Ends the batch: carries out due evictions, then commits.
    private func commitTransaction() throws(SQLiteFailure) {
        try self.applyDueEvictions()
        guard self.isTransactionOpen else { return }
        try self.database.run(self.statements.commit)
        self.isTransactionOpen = false
    }

    /// Runs `body`, which reads or writes; on an SQLite failure, rolls the whole batch back
    /// (a half-applied batch could contradict the counts cached here, and a failed read means
    /// the file is in trouble), forgets the cache, remembers the failure for the next
    /// `commit`, and returns nil.
    func attempt<Result>(_ body: () throws(SQLiteFailure) -> Result) -> Result? {
        do {
            return try body()
        } catch {
            self.lastFailure = error
            self.hasUnreportedFailure = true
            if self.database.isInTransaction {
                _ = try? self.database.run(self.statements.rollback)
            }
            self.isTransactionOpen = false
            self.inboxes.removeAll()
            self.recipientsWithEvictionsDue.removeAll()
            self.expiryCursor = 0
            return nil
        }
    }
}
