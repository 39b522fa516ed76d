import ChatRouter
import Testing

/// The `MessageStore` contract, run against every store: `MemoryStore` is the reference, and
/// `SQLiteStore` must behave identically, also when closed and reopened between steps.
@Suite struct MessageStoreConformanceTests {
    private static let minute: Int64 = 60_000

    @Test(arguments: StoreKind.allCases)
    func midsStrictlyIncreaseFromAboveZero(kind: StoreKind) throws {
        let subject = try StoreUnderTest(kind)
        var previous = subject.store.lastAssignedMid
        for round in 0..<50 {
            let mid = subject.store.assignMid()
            #expect(mid > previous)
            #expect(subject.store.lastAssignedMid == mid)
            previous = mid
            if round % 10 == 0 { try subject.restart() }
        }
    }

    @Test(arguments: StoreKind.allCases)
    func pendingMessageWaitsUntilMarkedDelivered(kind: StoreKind) throws {
        let subject = try StoreUnderTest(kind)
        let mid = try subject.add(to: "bob", text: "hello", pending: true, at: 5_000)
        try subject.restart()
        let queued = subject.store.messages(
            for: "bob", after: 0, through: mid, since: nil, limit: 10)
        #expect(
            queued == [
                StoredMessage(
                    mid: mid, sender: "alice", recipient: "bob", text: "hello", timestamp: 5_000)
            ])
        #expect(subject.store.pendingCount(recipient: "bob") == 1)

        subject.store.markDelivered(recipient: "bob", mids: [mid])
        try subject.restart()
        #expect(subject.mids(for: "bob").isEmpty)
        #expect(subject.store.pendingCount(recipient: "bob") == 0)
        #expect(subject.mids(for: "bob", since: mid - 1) == [mid])
        #expect(subject.mids(for: "bob", since: mid).isEmpty)
    }

    @Test(arguments: StoreKind.allCases)
    func cursorIsExclusiveUpperBoundInclusiveAndLimitHonoured(kind: StoreKind) throws {
        let subject = try StoreUnderTest(kind)
        var mids: [UInt64] = []
        for _ in 0..<6 { mids.append(try subject.add(to: "bob", pending: true)) }
        try subject.restart()
        let page = subject.store.messages(
            for: "bob", after: mids[1], through: mids[4], since: nil, limit: 10
        ).map(\.mid)
        #expect(page == Array(mids[2...4]))
        let limited = subject.store.messages(
            for: "bob", after: 0, through: UInt64.max, since: nil, limit: 2
        ).map(\.mid)
        #expect(limited == Array(mids[0...1]))
        #expect(
            subject.store.messages(for: "bob", after: 0, through: UInt64.max, since: nil, limit: 0)
                .isEmpty)
        #expect(
            subject.store.messages(for: "bob", after: mids[5], through: mids[5], since: 0, limit: 9)
                .isEmpty)
    }

    @Test(arguments: StoreKind.allCases)
    func sinceGivesTheUnionOfQueueAndInboxAboveItInMidOrder(kind: StoreKind) throws {
        let subject = try StoreUnderTest(kind)
        let old1 = try subject.add(to: "bob", pending: false)
        let oldQueued = try subject.add(to: "bob", pending: true)
        let old2 = try subject.add(to: "bob", pending: false)
        let new1 = try subject.add(to: "bob", pending: false)
        let newQueued = try subject.add(to: "bob", pending: true)
        try subject.add(to: "carol", pending: true)
        try subject.restart()
        #expect(subject.mids(for: "bob") == [oldQueued, newQueued])
        #expect(subject.mids(for: "bob", since: old2) == [oldQueued, new1, newQueued])
        #expect(subject.mids(for: "bob", since: 0) == [old1, oldQueued, old2, new1, newQueued])
        #expect(subject.mids(for: "bob", since: UInt64.max) == [oldQueued, newQueued])
        let paged = subject.store.messages(
            for: "bob", after: oldQueued, through: UInt64.max, since: old1, limit: 2
        ).map(\.mid)
        #expect(paged == [old2, new1])
    }

    @Test(arguments: StoreKind.allCases)
    func requeuePutsDeliveredMessagesBack(kind: StoreKind) throws {
        let subject = try StoreUnderTest(kind)
        try subject.add(to: "bob", pending: false)
        let second = try subject.add(to: "bob", pending: false)
        subject.store.requeue([Self.message(second, to: "bob")])
        try subject.restart()
        #expect(subject.mids(for: "bob") == [second])
        #expect(subject.store.pendingCount(recipient: "bob") == 1)
        subject.store.requeue([Self.message(second, to: "bob")])
        #expect(subject.store.pendingCount(recipient: "bob") == 1)
    }

    @Test(arguments: StoreKind.allCases)
    func requeueRestoresWhatTheCapEvictedInMidOrderBeyondTheCap(kind: StoreKind) throws {
        let subject = try StoreUnderTest(kind, maxMessagesPerUser: 2)
        var mids: [UInt64] = []
        for index in 0..<5 {
            mids.append(try subject.add(to: "bob", text: "text \(index)", pending: false))
        }
        // The cap of 2 kept only the last two; a connection that never got any of them dies.
        #expect(subject.mids(for: "bob", since: 0) == Array(mids.suffix(2)))
        subject.store.requeue(
            mids.enumerated().map { Self.message($1, to: "bob", text: "text \($0)") })
        try subject.restart()
        let queued = subject.store.messages(
            for: "bob", after: 0, through: UInt64.max, since: nil, limit: 100)
        #expect(queued.map(\.mid) == mids)
        #expect(queued.map(\.text) == (0..<5).map { "text \($0)" })
        #expect(queued.map(\.timestamp) == Array(repeating: 1_000, count: 5))
        #expect(subject.store.pendingCount(recipient: "bob") == 5)
        // Delivered again, they are ordinary inbox messages under the cap once more.
        subject.store.markDelivered(recipient: "bob", mids: mids)
        try subject.add(to: "bob", pending: false)
        #expect(subject.store.pendingCount(recipient: "bob") == 0)
    }

    static func message(_ mid: UInt64, to recipient: String, text: String = "hi") -> StoredMessage
    {
        StoredMessage(mid: mid, sender: "alice", recipient: recipient, text: text, timestamp: 1_000)
    }

    @Test(arguments: StoreKind.allCases)
    func fullOfflineQueueRefusesAndNeverEvictsPending(kind: StoreKind) throws {
        let subject = try StoreUnderTest(kind, maxMessagesPerUser: 3)
        var queued: [UInt64] = []
        for _ in 0..<3 { queued.append(try subject.add(to: "bob", pending: true)) }
        try subject.restart()
        #expect(throws: AppendRefusal.offlineQueueFull) {
            try subject.add(to: "bob", pending: true)
        }
        #expect(subject.mids(for: "bob") == queued)
        // Another user's queue is separate.
        #expect(throws: Never.self) { try subject.add(to: "carol", pending: true) }
    }

    @Test(arguments: StoreKind.allCases)
    func liveMessageIntoAFullQueueIsSkippedAndReportedAsGap(kind: StoreKind) throws {
        let subject = try StoreUnderTest(kind, maxMessagesPerUser: 2)
        let queued = [
            try subject.add(to: "bob", pending: true), try subject.add(to: "bob", pending: true),
        ]
        let live = try subject.add(to: "bob", pending: false)
        try subject.restart()
        #expect(subject.mids(for: "bob", since: 0) == queued)
        #expect(subject.store.hasGap(recipient: "bob", since: live - 1))
        #expect(!subject.store.hasGap(recipient: "bob", since: live))
    }

    @Test(arguments: StoreKind.allCases)
    func capEvictsTheOldestDeliveredMessageAndReportsTheGap(kind: StoreKind) throws {
        let subject = try StoreUnderTest(kind, maxMessagesPerUser: 3)
        let delivered1 = try subject.add(to: "bob", pending: false)
        let queued = try subject.add(to: "bob", pending: true)
        let delivered2 = try subject.add(to: "bob", pending: false)
        #expect(!subject.store.hasGap(recipient: "bob", since: 0))
        try subject.restart()
        let newest = try subject.add(to: "bob", pending: false)
        try subject.restart()
        #expect(subject.mids(for: "bob", since: 0) == [queued, delivered2, newest])
        #expect(subject.store.hasGap(recipient: "bob", since: 0))
        #expect(subject.store.hasGap(recipient: "bob", since: delivered1 - 1))
        #expect(!subject.store.hasGap(recipient: "bob", since: delivered1))
        let pending = try subject.add(to: "bob", pending: true)
        #expect(subject.mids(for: "bob", since: 0) == [queued, newest, pending])
        #expect(subject.store.hasGap(recipient: "bob", since: delivered2 - 1))
    }

    @Test(arguments: StoreKind.allCases)
    func ageRetentionDropsDeliveredButKeepsPending(kind: StoreKind) throws {
        let subject = try StoreUnderTest(kind, retentionSeconds: 60)
        let start: Int64 = 10_000_000
        let oldDelivered = try subject.add(to: "bob", pending: false, at: start)
        let oldQueued = try subject.add(to: "bob", pending: true, at: start)
        let recent = try subject.add(to: "bob", pending: false, at: start + Self.minute)
        try subject.restart()

        #expect(subject.store.prune(now: start + Self.minute, budget: 100) == 0)
        #expect(subject.store.prune(now: start + Self.minute + 1, budget: 100) == 1)
        try subject.restart()
        #expect(subject.mids(for: "bob", since: 0) == [oldQueued, recent])
        #expect(subject.store.hasGap(recipient: "bob", since: 0))
        #expect(subject.store.hasGap(recipient: "bob", since: oldDelivered - 1))
        #expect(!subject.store.hasGap(recipient: "bob", since: oldDelivered))
        #expect(!subject.store.hasGap(recipient: "carol", since: 0))

        // Delivered at last, the old queued message ages out like any other.
        subject.store.markDelivered(recipient: "bob", mids: [oldQueued])
        #expect(subject.store.prune(now: start + 3 * Self.minute, budget: 100) == 2)
        #expect(subject.mids(for: "bob", since: 0).isEmpty)
        #expect(subject.store.hasGap(recipient: "bob", since: recent - 1))
    }

    @Test(arguments: StoreKind.allCases)
    func pruneNeverExceedsItsBudgetAndEventuallyDropsEverythingExpired(kind: StoreKind) throws {
        let subject = try StoreUnderTest(kind, retentionSeconds: 1)
        for index in 0..<250 {
            try subject.add(to: "user\(index % 7)", pending: index % 5 == 0, at: Int64(index))
        }
        try subject.restart()
        var total = 0
        var calls = 0
        while calls < 100 {
            let dropped = subject.store.prune(now: 1_000_000, budget: 30)
            #expect(dropped <= 30)
            if dropped == 0 { break }
            total += dropped
            calls += 1
        }
        #expect(total == 200)
        let remaining = (0..<7).reduce(0) { $0 + subject.mids(for: "user\($1)", since: 0).count }
        #expect(remaining == 50)
        #expect(subject.store.prune(now: 1_000_000, budget: 0) == 0)
    }

    @Test(arguments: StoreKind.allCases)
    func receiptsAnswerWithinRetentionAndExpireAfterIt(kind: StoreKind) throws {
        let subject = try StoreUnderTest(kind, retentionSeconds: 60)
        let receipt = SendReceipt(mid: 42, recipient: "bob", outcome: .queued)
        subject.store.remember(receipt, sender: "alice", requestID: "r1", now: 1_000)
        try subject.restart()
        #expect(subject.store.receipt(sender: "alice", requestID: "r1", now: 1_000) == receipt)
        #expect(subject.store.receipt(sender: "alice", requestID: "r1", now: 61_000) == receipt)
        #expect(subject.store.receipt(sender: "alice", requestID: "r1", now: 61_001) == nil)
        #expect(subject.store.receipt(sender: "mallory", requestID: "r1", now: 1_000) == nil)
        #expect(subject.store.receipt(sender: "alice", requestID: "r2", now: 1_000) == nil)

        let replaced = SendReceipt(mid: 43, recipient: "carol", outcome: .delivered)
        subject.store.remember(replaced, sender: "alice", requestID: "r1", now: 2_000)
        #expect(subject.store.receipt(sender: "alice", requestID: "r1", now: 2_000) == replaced)

        #expect(subject.store.prune(now: 62_000, budget: 10) == 0)
        #expect(subject.store.prune(now: 62_001, budget: 10) == 1)
        try subject.restart()
        #expect(subject.store.receipt(sender: "alice", requestID: "r1", now: 2_000) == nil)
    }

    @Test(arguments: StoreKind.allCases)
    func textRoundTripsExactly(kind: StoreKind) throws {
        let subject = try StoreUnderTest(kind)
        let texts = [
            "", "plain", "ünïcødé 中文 🎉", "nul\u{0}inside",
            String(repeating: "x", count: 70_000),
        ]
        var mids: [UInt64] = []
        for text in texts {
            mids.append(try subject.add(to: "bob", from: "éve", text: text, pending: true))
        }
        try subject.restart()
        let stored = subject.store.messages(
            for: "bob", after: 0, through: UInt64.max, since: nil, limit: 100)
        #expect(stored.map(\.text) == texts)
        #expect(stored.map(\.sender) == Array(repeating: "éve", count: texts.count))
        #expect(stored.map(\.mid) == mids)
    }

    @Test(arguments: StoreKind.allCases)
    func usersNeverSeeEachOthersMessages(kind: StoreKind) throws {
        let subject = try StoreUnderTest(kind, maxMessagesPerUser: 2)
        let forBob = try subject.add(to: "bob", pending: true)
        let forCarol = try subject.add(to: "carol", pending: false)
        subject.store.markDelivered(recipient: "carol", mids: [forBob])
        // A message addressed to carol never lands in bob's queue, whoever asks.
        subject.store.requeue([Self.message(forCarol, to: "carol")])
        try subject.restart()
        #expect(subject.mids(for: "bob", since: 0) == [forBob])
        #expect(subject.mids(for: "carol", since: 0) == [forCarol])
        #expect(subject.store.pendingCount(recipient: "bob") == 1)
        #expect(subject.store.pendingCount(recipient: "carol") == 1)
    }

    @Test(arguments: StoreKind.allCases)
    func gapFlagBoundaryIsTheHighestDroppedMid(kind: StoreKind) throws {
        let subject = try StoreUnderTest(kind, maxMessagesPerUser: 1)
        let first = try subject.add(to: "bob", pending: false)
        let second = try subject.add(to: "bob", pending: false)
        try subject.restart()
        for since in [0, first - 1] {
            #expect(subject.store.hasGap(recipient: "bob", since: since))
        }
        for since in [first, second, UInt64.max] {
            #expect(!subject.store.hasGap(recipient: "bob", since: since))
        }
    }
}
