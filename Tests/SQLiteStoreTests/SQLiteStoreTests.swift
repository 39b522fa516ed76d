import ChatRouter
import Foundation
import Glibc
import Testing

@testable import SQLiteStore

/// What only the SQLite store promises: the file outlives the process, mids never repeat
/// even after a crash, and bad files are refused with a clear reason.
@Suite struct SQLiteStoreTests {
    let directory: TemporaryDirectory
    let path: String

    init() throws {
        self.directory = try TemporaryDirectory()
        self.path = self.directory.file("store.db")
    }

    private func open(
        _ path: String? = nil, block: Int = 1024, synchronous: SQLiteSynchronous = .normal,
        maxMessagesPerUser: Int = 1000, retentionSeconds: Int = 86_400
    ) throws -> SQLiteStore {
        var configuration = SQLiteStoreConfiguration(
            maxMessagesPerUser: maxMessagesPerUser, retentionSeconds: retentionSeconds,
            synchronous: synchronous)
        configuration.midReservationBlock = block
        configuration.lockTimeoutMilliseconds = 50
        return try SQLiteStore(path: path ?? self.path, configuration: configuration)
    }

    private func message(
        _ mid: UInt64, to recipient: String = "bob", at now: Int64 = 1_000
    )
        -> StoredMessage
    {
        StoredMessage(
            mid: mid, sender: "alice", recipient: recipient, text: "m\(mid)", timestamp: now)
    }

    /// What a `kill -9` leaves on disk: the database and its write-ahead log as they are now,
    /// uncommitted pages included, copied under a new name. Opening the copy runs SQLite's
    /// crash recovery exactly as a restart after the kill would.
    private func crashImage(of path: String? = nil, named name: String) throws -> String {
        let image = self.directory.file(name)
        for suffix in ["", "-wal"] {
            let source = (path ?? self.path) + suffix
            guard FileManager.default.fileExists(atPath: source) else { continue }
            let bytes = try Data(contentsOf: URL(fileURLWithPath: source))
            try bytes.write(to: URL(fileURLWithPath: image + suffix))
        }
        return image
    }

    // MARK: Persistence

    @Test func everythingSurvivesCloseAndReopen() throws {
        var mids: [UInt64] = []
        do {
            let store = try self.open(maxMessagesPerUser: 2)
            for pending in [false, false, true] {
                let mid = store.assignMid()
                try store.append(self.message(mid), pending: pending, now: 1_000)
                mids.append(mid)
            }
            store.remember(
                SendReceipt(mid: mids[2], recipient: "bob", outcome: .queued), sender: "alice",
                requestID: "r1", now: 1_000)
            // Dropped without an explicit commit: a clean close keeps the batch.
        }
        let reopened = try self.open(maxMessagesPerUser: 2)
        #expect(reopened.lastAssignedMid >= mids[2])
        let inbox = reopened.messages(for: "bob", after: 0, through: .max, since: 0, limit: 10)
        #expect(inbox == [self.message(mids[1]), self.message(mids[2])])
        #expect(reopened.pendingCount(recipient: "bob") == 1)
        #expect(reopened.hasGap(recipient: "bob", since: 0))
        #expect(!reopened.hasGap(recipient: "bob", since: mids[0]))
        #expect(
            reopened.receipt(sender: "alice", requestID: "r1", now: 2_000)
                == SendReceipt(mid: mids[2], recipient: "bob", outcome: .queued))
    }

    @Test func crashKeepsCommittedWritesAndLosesOnlyTheOpenBatch() throws {
        let store = try self.open()
        let committed = store.assignMid()
        try store.append(self.message(committed), pending: true, now: 1_000)
        try store.commit()
        let uncommitted = store.assignMid()
        try store.append(self.message(uncommitted), pending: true, now: 1_000)
        store.markDelivered(recipient: "bob", mids: [committed])
        #expect(store.hasUncommittedWrites)

        let recovered = try self.open(try self.crashImage(named: "crash.db"))
        #expect(
            recovered.messages(for: "bob", after: 0, through: .max, since: nil, limit: 10) == [
                self.message(committed)
            ])
        #expect(recovered.assignMid() > uncommitted)
    }

    @Test(arguments: [1, 2, 3, 1024])
    func midsNeverRepeatAcrossCrashesWithoutCommit(block: Int) throws {
        var everHandedOut: UInt64 = 0
        var currentPath = self.path
        var current = try self.open(block: block)
        for crash in 0..<6 {
            for step in 0..<(crash + 2) {
                let mid = current.assignMid()
                #expect(mid > everHandedOut, "crash \(crash), step \(step)")
                everHandedOut = mid
                if step % 2 == 0 {
                    try current.append(self.message(mid), pending: true, now: 1_000)
                }
            }
            // No commit: the process "dies" here, with the batch open.
            let image = try self.crashImage(of: currentPath, named: "crash\(crash).db")
            current = try self.open(image, block: block)
            currentPath = image
            #expect(current.lastAssignedMid >= everHandedOut)
        }
    }

    @Test func sinceResumesAfterReopen() throws {
        var mids: [UInt64] = []
        do {
            let store = try self.open()
            for _ in 0..<5 {
                let mid = store.assignMid()
                try store.append(self.message(mid), pending: false, now: 1_000)
                mids.append(mid)
            }
            try store.commit()
        }
        let reopened = try self.open()
        let resumed = reopened.messages(
            for: "bob", after: 0, through: .max, since: mids[1], limit: 10)
        #expect(resumed.map(\.mid) == Array(mids[2...]))
        let next = reopened.assignMid()
        #expect(next > mids[4])
        try reopened.append(self.message(next), pending: false, now: 2_000)
        #expect(
            reopened.messages(for: "bob", after: 0, through: .max, since: mids[4], limit: 10).map(
                \.mid) == [next])
    }

    @Test func uncommittedWritesAreTrackedAndIdlePruningOpensNoTransaction() throws {
        let store = try self.open(block: 4)
        #expect(!store.hasUncommittedWrites)
        let mid = store.assignMid()
        // The reservation was committed on the spot, so nothing waits yet.
        #expect(!store.hasUncommittedWrites)
        try store.append(self.message(mid), pending: true, now: 1_000)
        #expect(store.hasUncommittedWrites)
        try store.commit()
        #expect(!store.hasUncommittedWrites)
        #expect(store.prune(now: 5_000, budget: 100) == 0)
        #expect(!store.hasUncommittedWrites)
    }

    @Test func largeBatchesCommitAsOneTransaction() throws {
        let store = try self.open()
        for _ in 0..<5_000 {
            let mid = store.assignMid()
            try store.append(self.message(mid, to: "user\(mid % 50)"), pending: true, now: 1_000)
        }
        try store.commit()
        let reopened = try self.open(try self.crashImage(named: "after-batch.db"))
        let total = (0..<50).reduce(0) { $0 + reopened.pendingCount(recipient: "user\($1)") }
        #expect(total == 5_000)
    }

    // MARK: Settings

    @Test(arguments: [(SQLiteSynchronous.normal, Int64(1)), (.full, 2)])
    func journalLockingAndSynchronousAreSet(synchronous: SQLiteSynchronous, pragma: Int64) throws {
        let store = try self.open(synchronous: synchronous)
        #expect(try store.database.scalarText("PRAGMA journal_mode") == "wal")
        #expect(try store.database.scalarText("PRAGMA locking_mode") == "normal")
        #expect(try store.database.scalarInteger("PRAGMA synchronous") == pragma)
        #expect(
            try store.database.scalarInteger("PRAGMA user_version")
                == Int64(StoreSchema.migrations.count))
        #expect(try store.database.scalarInteger("PRAGMA wal_autocheckpoint") == 0)
    }

    @Test func closeKeepsTheBatchRemovesTheLogAndLaterCallsFailCleanly() throws {
        let store = try self.open()
        let mid = store.assignMid()
        try store.append(self.message(mid), pending: true, now: 1_000)
        store.close()
        store.close()
        #expect(!FileManager.default.fileExists(atPath: self.path + "-wal"))
        #expect(throws: AppendRefusal.storageFailure) {
            try store.append(self.message(store.assignMid()), pending: true, now: 1_000)
        }
        #expect(store.messages(for: "bob", after: 0, through: .max, since: nil, limit: 9) == [])
        let reopened = try self.open()
        #expect(
            reopened.messages(for: "bob", after: 0, through: .max, since: nil, limit: 9)
                == [self.message(mid)])
    }

    @Test func anotherConnectionCanReadTheStoreWhileTheServerHasIt() throws {
        let store = try self.open()
        try store.append(self.message(store.assignMid()), pending: true, now: 1_000)
        try store.commit()
        // What the sqlite3 shell does: its own connection, reading.
        let shell = try SQLiteDatabase(path: self.path, lockTimeoutMilliseconds: 50)
        #expect(try shell.scalarInteger("SELECT count(*) FROM messages") == 1)
        shell.close()
        try store.append(self.message(store.assignMid()), pending: true, now: 1_000)
        try store.commit()
        #expect(store.pendingCount(recipient: "bob") == 2)
    }

    /// Writes `batches` commits of 40 messages of 2 KB to 20 users (about 20 log pages each)
    /// and returns the largest size the write-ahead log file had after a commit.
    private func writeLoad(_ store: SQLiteStore, batches: Int) throws -> Int {
        let text = String(repeating: "x", count: 2_000)
        var largest = 0
        for _ in 0..<batches {
            for index in 0..<40 {
                let message = StoredMessage(
                    mid: store.assignMid(), sender: "alice", recipient: "user\(index % 20)",
                    text: text, timestamp: 1_000)
                try store.append(message, pending: false, now: 1_000)
            }
            try store.commit()
            var status = stat()
            if stat(self.path + "-wal", &status) == 0 {
                largest = max(largest, Int(status.st_size))
            }
        }
        return largest
    }

    @Test func checkpointsRunOnTheirOwnThread() throws {
        var configuration = SQLiteStoreConfiguration(maxMessagesPerUser: 100)
        configuration.checkpointThresholdFrames = 50
        configuration.checkpointHardLimitFrames = 1_000_000
        let store = try SQLiteStore(path: self.path, configuration: configuration)
        _ = try self.writeLoad(store, batches: 100)
        let deadline = ContinuousClock.now + .seconds(5)
        while store.checkpointer.threadRuns.load(ordering: .relaxed) == 0
            && ContinuousClock.now < deadline
        {
            try? Task.checkCancellation()
            usleep(10_000)
        }
        #expect(store.checkpointer.threadRuns.load(ordering: .relaxed) > 0)
        #expect(store.checkpointer.forcedRestarts.load(ordering: .relaxed) == 0)
        #expect(store.checkpointer.failures.load(ordering: .relaxed) == 0)
    }

    @Test func theLogStaysBoundedWhateverTheCheckpointThreadManages() throws {
        var configuration = SQLiteStoreConfiguration(maxMessagesPerUser: 100)
        configuration.checkpointThresholdFrames = 20
        configuration.checkpointHardLimitFrames = 200
        let store = try SQLiteStore(path: self.path, configuration: configuration)
        let largest = try self.writeLoad(store, batches: 300)
        // A commit may start just under the limit: the limit plus one commit, with headers.
        let frame = 4096 + 24
        #expect(largest <= 32 + (200 + 60) * frame)
        #expect(largest >= 20 * frame)
        #expect(store.checkpointer.failures.load(ordering: .relaxed) == 0)
        #expect(
            store.messages(for: "user3", after: 0, through: .max, since: 0, limit: 1_000).count
                == 100)
    }

    // MARK: Refusals

    @Test func secondOpenOfALockedFileIsRefusedUntilTheFirstCloses() throws {
        var first: SQLiteStore? = try self.open()
        #expect(first != nil)
        #expect(throws: SQLiteStoreError.locked(path: self.path)) { try self.open() }
        first = nil
        #expect(throws: Never.self) { _ = try self.open() }
    }

    @Test func newerSchemaIsRefused() throws {
        do { _ = try self.open() }
        let raw = try SQLiteDatabase(path: self.path, lockTimeoutMilliseconds: 50)
        let newer = StoreSchema.migrations.count + 1
        try raw.execute("PRAGMA user_version = \(newer)")
        raw.close()
        let expected = SQLiteStoreError.newerSchema(
            path: self.path, found: newer, supported: StoreSchema.migrations.count)
        #expect(throws: expected) { try self.open() }
        #expect(expected.description.contains("newer"))
    }

    @Test(arguments: [
        "CREATE TABLE accounts (id INTEGER)",
        "PRAGMA application_id = 1234",
        "PRAGMA user_version = 1",
    ])
    func otherApplicationsDatabaseIsRefused(setup: String) throws {
        let raw = try SQLiteDatabase(path: self.path, lockTimeoutMilliseconds: 50)
        try raw.execute(setup)
        raw.close()
        #expect(throws: SQLiteStoreError.foreignDatabase(path: self.path)) { try self.open() }
    }

    @Test(arguments: [
        Array("this is a text file, not a database\n".utf8),
        [UInt8](repeating: 0xA5, count: 8192),
    ])
    func fileThatIsNotADatabaseIsRefused(content: [UInt8]) throws {
        try Data(content).write(to: URL(fileURLWithPath: self.path))
        #expect(throws: SQLiteStoreError.notADatabase(path: self.path)) { try self.open() }
    }

    @Test func damagedHeaderIsRefused() throws {
        do {
            let store = try self.open()
            let mid = store.assignMid()
            try store.append(self.message(mid), pending: true, now: 1)
        }
        var bytes = try Data(contentsOf: URL(fileURLWithPath: self.path))
        bytes.replaceSubrange(0..<16, with: Data(repeating: 0x42, count: 16))
        try bytes.write(to: URL(fileURLWithPath: self.path))
        #expect(throws: SQLiteStoreError.notADatabase(path: self.path)) { try self.open() }
    }

    @Test func unopenablePathsAreRefusedWithTheReason() throws {
        let missingFolder = self.directory.file("no/such/folder/store.db")
        #expect {
            try self.open(missingFolder)
        } throws: { error in
            guard case .cannotOpen(let path, _) = error as? SQLiteStoreError else { return false }
            return path == missingFolder
        }
        #expect {
            try self.open(self.directory.path)
        } throws: { error in
            guard let error = error as? SQLiteStoreError else { return false }
            return error.description.contains(self.directory.path)
                && !error.description.contains("\n")
        }
    }

    // MARK: Migrations

    @Test func olderSchemaIsMigratedKeepingItsData() throws {
        let base = StoreSchema.migrations
        var mid: UInt64 = 0
        do {
            let store = try SQLiteStore(path: self.path, configuration: .init(), migrations: base)
            mid = store.assignMid()
            try store.append(self.message(mid), pending: true, now: 1_000)
        }
        let next = SchemaMigration(
            version: base.count + 1, sql: "CREATE TABLE later_feature (x INTEGER)")
        let upgraded = try SQLiteStore(
            path: self.path, configuration: .init(), migrations: base + [next])
        #expect(try upgraded.database.scalarInteger("PRAGMA user_version") == Int64(base.count + 1))
        #expect(try upgraded.database.scalarInteger("SELECT count(*) FROM later_feature") == 0)
        #expect(upgraded.pendingCount(recipient: "bob") == 1)
        #expect(upgraded.assignMid() > mid)
    }

    @Test func versionOneFileLosesTheAgeIndexAndStillPrunesByAge() throws {
        var mids: [UInt64] = []
        do {
            let store = try SQLiteStore(
                path: self.path, configuration: .init(retentionSeconds: 60),
                migrations: [StoreSchema.migrations[0]])
            for (pending, now) in [(false, Int64(1_000)), (true, 1_500), (false, 2_000)] {
                let mid = store.assignMid()
                try store.append(self.message(mid, at: now), pending: pending, now: now)
                mids.append(mid)
            }
            #expect(
                try store.database.scalarInteger(
                    "SELECT count(*) FROM sqlite_master WHERE name = 'delivered_messages_by_age'")
                    == 1)
        }
        let store = try self.open(retentionSeconds: 60)
        #expect(try store.database.scalarInteger("PRAGMA user_version") == 2)
        #expect(
            try store.database.scalarInteger(
                "SELECT count(*) FROM sqlite_master WHERE name = 'delivered_messages_by_age'")
                == 0)
        #expect(store.prune(now: 61_001, budget: 10) == 1)
        #expect(store.prune(now: 62_001, budget: 10) == 1)
        #expect(
            store.messages(for: "bob", after: 0, through: .max, since: 0, limit: 10).map(\.mid)
                == [mids[1]])
        #expect(store.hasGap(recipient: "bob", since: mids[2] - 1))
    }

    @Test func failedMigrationLeavesTheOlderVersionIntact() throws {
        let base = StoreSchema.migrations
        do { _ = try SQLiteStore(path: self.path, configuration: .init(), migrations: base) }
        let broken = SchemaMigration(
            version: base.count + 1, sql: "CREATE TABLE half_done (x); THIS IS NOT SQL")
        #expect {
            try SQLiteStore(path: self.path, configuration: .init(), migrations: base + [broken])
        } throws: { error in
            guard case .failed(_, let reason) = error as? SQLiteStoreError else { return false }
            return reason.contains("migration to schema version \(base.count + 1)")
        }
        let reopened = try SQLiteStore(path: self.path, configuration: .init(), migrations: base)
        #expect(try reopened.database.scalarInteger("PRAGMA user_version") == Int64(base.count))
        #expect(
            try reopened.database.scalarInteger(
                "SELECT count(*) FROM sqlite_master WHERE name = 'half_done'") == 0)
    }

    // MARK: Retention

    @Test func pruningWorksInBoundedBatchesAndKeepsTheGapRight() throws {
        let store = try self.open(retentionSeconds: 10)
        var lastByUser: [String: UInt64] = [:]
        for index in 0..<3_000 {
            let recipient = "user\(index % 30)"
            let mid = store.assignMid()
            try store.append(
                self.message(mid, to: recipient, at: Int64(index)), pending: false,
                now: Int64(index))
            store.remember(
                SendReceipt(mid: mid, recipient: recipient, outcome: .delivered), sender: "alice",
                requestID: "id\(index)", now: Int64(index))
            lastByUser[recipient] = mid
        }
        let keptMid = store.assignMid()
        try store.append(
            self.message(keptMid, to: "user0", at: 100_000), pending: true, now: 100_000)
        try store.commit()

        var calls = 0
        var dropped = 0
        while calls < 50 {
            let batch = store.prune(now: 100_000, budget: 500)
            #expect(batch <= 500)
            try store.commit()
            if batch == 0 { break }
            dropped += batch
            calls += 1
        }
        #expect(dropped == 6_000)
        #expect(calls == 12)
        for (user, last) in lastByUser {
            #expect(store.hasGap(recipient: user, since: last - 1))
            #expect(!store.hasGap(recipient: user, since: last))
        }
        #expect(
            store.messages(for: "user0", after: 0, through: .max, since: 0, limit: 10).map(\.mid)
                == [keptMid])
        #expect(store.receipt(sender: "alice", requestID: "id0", now: 0) == nil)
    }

    @Test func aQueuedMessageDeliveredAfterPruningWentPastItStillAgesOut() throws {
        let store = try self.open(retentionSeconds: 60)
        var mids: [UInt64] = []
        for (pending, now) in [(true, Int64(0)), (false, 0), (false, 100_000)] {
            let mid = store.assignMid()
            try store.append(self.message(mid, at: now), pending: pending, now: now)
            mids.append(mid)
        }
        // The pass walks past the queued message, which cannot expire yet.
        #expect(store.prune(now: 70_000, budget: 10) == 1)
        #expect(store.prune(now: 70_000, budget: 10) == 0)
        store.markDelivered(recipient: "bob", mids: [mids[0]])
        #expect(store.prune(now: 70_000, budget: 10) == 1)
        #expect(
            store.messages(for: "bob", after: 0, through: .max, since: 0, limit: 10).map(\.mid)
                == [mids[2]])
    }

    // MARK: The per-user cap

    @Test func capEvictionsCommitTogetherWithTheMessagesThatCausedThem() throws {
        let store = try self.open(maxMessagesPerUser: 3)
        var bob: [UInt64] = []
        for index in 0..<12 {
            let recipient = index % 4 == 3 ? "carol" : "bob"
            let mid = store.assignMid()
            try store.append(self.message(mid, to: recipient), pending: false, now: 1_000)
            if recipient == "bob" { bob.append(mid) }
        }
        try store.commit()
        // A later batch that never commits must not take evictions with it either.
        for _ in 0..<5 {
            try store.append(self.message(store.assignMid()), pending: false, now: 1_000)
        }
        let recovered = try self.open(
            try self.crashImage(named: "crash.db"), maxMessagesPerUser: 3)
        let rows = "SELECT count(*) FROM messages WHERE recipient = 'bob'"
        #expect(try recovered.database.scalarInteger(rows) == 3)
        #expect(
            recovered.messages(for: "bob", after: 0, through: .max, since: 0, limit: 10)
                .map(\.mid) == Array(bob.suffix(3)))
        #expect(recovered.hasGap(recipient: "bob", since: bob[5] - 1))
        #expect(!recovered.hasGap(recipient: "bob", since: bob[5]))
        #expect(
            recovered.messages(for: "carol", after: 0, through: .max, since: 0, limit: 9).count
                == 3)
    }

    @Test func aLowerCapAtRestartEvictsTheExcessOfDeliveredMessages() throws {
        var mids: [UInt64] = []
        do {
            let store = try self.open(maxMessagesPerUser: 10)
            for pending in [false, true, false, false, true, false, false, false] {
                let mid = store.assignMid()
                try store.append(self.message(mid), pending: pending, now: 1_000)
                mids.append(mid)
            }
        }
        let store = try self.open(maxMessagesPerUser: 3)
        // Five of the six delivered messages go; the two queued ones are never evicted.
        #expect(
            store.messages(for: "bob", after: 0, through: .max, since: 0, limit: 10).map(\.mid)
                == [mids[1], mids[4], mids[7]])
        #expect(store.hasGap(recipient: "bob", since: mids[6] - 1))
        #expect(!store.hasGap(recipient: "bob", since: mids[6]))
        try store.commit()
        let rows = "SELECT count(*) FROM messages WHERE recipient = 'bob'"
        #expect(try store.database.scalarInteger(rows) == 3)
    }

    // MARK: Failures

    @Test func fullDiskRefusesAppendsReportsOnceAndRecovers() throws {
        let store = try self.open(block: 1)
        let pages = try #require(try store.database.scalarInteger("PRAGMA page_count"))
        try store.database.execute("PRAGMA max_page_count = \(pages + 2)")
        let big = String(repeating: "x", count: 4_000)
        var refused = false
        var accepted: [UInt64] = []
        for _ in 0..<40 {
            let mid = store.assignMid()
            do {
                try store.append(
                    StoredMessage(mid: mid, sender: "a", recipient: "bob", text: big, timestamp: 1),
                    pending: true, now: 1)
                accepted.append(mid)
                try store.commit()
            } catch {
                #expect(error == .storageFailure)
                refused = true
                break
            }
        }
        #expect(refused)
        #expect(store.hasUncommittedWrites)
        #expect(throws: AppendRefusal.storageFailure) { try store.commit() }
        #expect(!store.hasUncommittedWrites)

        try store.database.execute("PRAGMA max_page_count = 1073741823")
        let later = store.assignMid()
        #expect(later > (accepted.last ?? 0))
        try store.append(self.message(later), pending: true, now: 1)
        try store.commit()
        #expect(store.pendingCount(recipient: "bob") == accepted.count + 1)
    }
}
