import Testing

@testable import ChatRouter

@Suite struct RouterBindTests {
    @Test func bindRepliesOkWithUidAndNoGap() {
        let harness = RouterHarness()
        let connection = harness.connect()
        harness.send(ClientEnvelope(type: .bind, uid: "alice", id: "r1"), from: connection)
        #expect(
            harness.take(connection) == [
                ServerFrame(type: "bind", msg: "ok", uid: "alice", id: "r1", gap: false)
            ])
        #expect(harness.router.boundUID(of: connection) == "alice")
    }

    @Test func bindingTheSameUidAgainIsANoOpSuccess() {
        let harness = RouterHarness()
        let connection = harness.bound("alice")
        harness.take(connection)
        harness.send(ClientEnvelope(type: .bind, uid: "alice"), from: connection)
        #expect(
            harness.take(connection) == [
                ServerFrame(type: "bind", msg: "ok", uid: "alice", gap: false)
            ])
        #expect(harness.router.connections(of: "alice") == [connection])
    }

    @Test func bindingAnotherUidIs409AndKeepsTheFirst() {
        let harness = RouterHarness()
        let connection = harness.bound("alice")
        harness.take(connection)
        harness.send(ClientEnvelope(type: .bind, uid: "mallory", id: "x"), from: connection)
        let reply = harness.take(connection)
        #expect(reply.count == 1)
        #expect(reply.first?.code == 409)
        #expect(reply.first?.error == true)
        #expect(reply.first?.type == "bind")
        #expect(reply.first?.id == "x")
        #expect(harness.router.boundUID(of: connection) == "alice")
        #expect(harness.router.connections(of: "mallory").isEmpty)
    }

    @Test func oneUidMayBindManyConnectionsOfAnyTransport() {
        let harness = RouterHarness()
        let tab = harness.bound("alice", .webSocket)
        let phone = harness.bound("alice", .longPoll)
        #expect(harness.router.connections(of: "alice") == [tab, phone])
        let bob = harness.bound("bob")
        harness.send(ClientEnvelope(type: .send, touid: "alice", msg: "hi"), from: bob)
        #expect(harness.frames(of: tab).last?.msg == "hi")
        #expect(harness.frames(of: phone).last?.msg == "hi")
    }
}

@Suite struct RouterAuthorizationTests {
    @Test(arguments: [ClientEnvelope.Kind.send, .join, .exit])
    func unboundConnectionGets401(kind: ClientEnvelope.Kind) {
        let harness = RouterHarness()
        let connection = harness.connect()
        harness.send(ClientEnvelope(type: kind, touid: "bob", msg: "hi", id: "7"), from: connection)
        let reply = harness.take(connection)
        #expect(
            reply == [
                ServerFrame(
                    type: kind.rawValue, error: true, code: 401, msg: "not bound", touid: "bob",
                    id: "7")
            ])
    }

    @Test(arguments: [ClientEnvelope.Kind.send, .join, .exit])
    func claimingAnotherUidGets403(kind: ClientEnvelope.Kind) {
        let harness = RouterHarness()
        let bob = harness.bound("bob")
        harness.take(bob)
        let connection = harness.bound("alice")
        harness.take(connection)
        harness.send(
            ClientEnvelope(type: kind, uid: "mallory", touid: "bob", msg: "hi"), from: connection)
        #expect(harness.take(connection).map(\.code) == [403])
        #expect(harness.take(bob).isEmpty, "nothing may reach bob")
    }

    @Test func matchingUidIsAccepted() {
        let harness = RouterHarness()
        let bob = harness.bound("bob")
        harness.take(bob)
        let alice = harness.bound("alice")
        harness.send(
            ClientEnvelope(type: .send, uid: "alice", touid: "bob", msg: "hi"), from: alice)
        #expect(harness.take(bob).map(\.msg) == ["hi"])
    }

    struct FixedAuthenticator: BindAuthenticator {
        func allows(token: String?, uid: String, now: Int64) -> Bool { token == "good-\(uid)" }
    }

    @Test func authenticatorDecidesBind() {
        var configuration = RouterConfiguration()
        configuration.authenticator = FixedAuthenticator()
        let harness = RouterHarness(configuration: configuration)
        let connection = harness.connect()
        harness.send(ClientEnvelope(type: .bind, uid: "alice"), from: connection)
        harness.send(ClientEnvelope(type: .bind, uid: "alice", token: "good-bob"), from: connection)
        #expect(harness.take(connection).map(\.code) == [401, 401])
        #expect(harness.router.boundUID(of: connection) == nil)
        harness.send(
            ClientEnvelope(type: .bind, uid: "alice", token: "good-alice"), from: connection)
        #expect(harness.take(connection).map(\.code) == [0])
    }

    @Test func tokensAreIgnoredWhenAuthenticationIsOff() {
        let harness = RouterHarness()
        let connection = harness.connect()
        harness.send(ClientEnvelope(type: .bind, uid: "alice", token: "anything"), from: connection)
        #expect(harness.take(connection).map(\.code) == [0])
    }
}

@Suite struct RouterSendTests {
    @Test func liveRecipientGetsTheMessageAndSenderNothingWithoutId() {
        let harness = RouterHarness()
        let bob = harness.bound("bob")
        let alice = harness.bound("alice")
        harness.take(bob)
        harness.take(alice)
        harness.send(ClientEnvelope(type: .send, touid: "bob", msg: "hello"), from: alice)
        #expect(
            harness.take(bob) == [
                .message("hello", from: "alice", to: "bob", mid: 1, ts: harness.now)
            ])
        #expect(harness.take(alice).isEmpty)
    }

    @Test func idGetsADeliveredAcknowledgement() {
        let harness = RouterHarness()
        _ = harness.bound("bob")
        let alice = harness.bound("alice")
        harness.take(alice)
        harness.send(ClientEnvelope(type: .send, touid: "bob", msg: "hello", id: "m1"), from: alice)
        #expect(
            harness.take(alice) == [
                ServerFrame(
                    type: "send", msg: "delivered", uid: "alice", touid: "bob", id: "m1", mid: 1)
            ])
    }

    @Test func offlineRecipientMeansQueuedAndDeliveryAtNextBind() {
        let harness = RouterHarness()
        let alice = harness.bound("alice")
        harness.take(alice)
        harness.send(ClientEnvelope(type: .send, touid: "bob", msg: "one", id: "a"), from: alice)
        harness.send(ClientEnvelope(type: .send, touid: "bob", msg: "two", id: "b"), from: alice)
        #expect(harness.take(alice).map(\.msg) == ["queued", "queued"])

        let bob = harness.bound("bob")
        #expect(
            harness.take(bob) == [
                ServerFrame(type: "bind", msg: "ok", uid: "bob", gap: false),
                .message("one", from: "alice", to: "bob", mid: 1, ts: harness.now),
                .message("two", from: "alice", to: "bob", mid: 2, ts: harness.now),
            ])
        // Delivered once: a second device binding later does not get them again.
        let tablet = harness.bound("bob")
        #expect(harness.take(tablet).count == 1)
    }

    @Test func longPollAlwaysGetsAReply() {
        let harness = RouterHarness()
        let alice = harness.bound("alice", .longPoll)
        harness.take(alice)
        harness.send(ClientEnvelope(type: .send, touid: "bob", msg: "x"), from: alice)
        #expect(
            harness.take(alice) == [
                ServerFrame(type: "send", msg: "queued", uid: "alice", touid: "bob", mid: 1)
            ])
    }

    @Test func offlineRecipientWithQueueingOffIs404AndNothingStored() {
        var configuration = RouterConfiguration()
        configuration.offlineQueueEnabled = false
        let harness = RouterHarness(configuration: configuration)
        let alice = harness.bound("alice")
        harness.take(alice)
        harness.send(ClientEnvelope(type: .send, touid: "bob", msg: "x", id: "q"), from: alice)
        #expect(harness.take(alice).map(\.code) == [404])
        #expect(harness.store.pendingCount(recipient: "bob") == 0)
    }

    @Test func fullOfflineQueueIs429() {
        let harness = RouterHarness(store: MemoryStore(maxMessagesPerUser: 2))
        let alice = harness.bound("alice")
        harness.take(alice)
        for text in ["1", "2", "3"] {
            harness.send(
                ClientEnvelope(type: .send, touid: "bob", msg: text, id: text), from: alice)
        }
        #expect(harness.take(alice).map(\.code) == [0, 0, 429])
        let bob = harness.bound("bob")
        #expect(harness.take(bob).dropFirst().map(\.msg) == ["1", "2"])
    }

    @Test func repeatedIdIsNotDeliveredTwiceAndGetsTheOriginalReply() {
        let harness = RouterHarness()
        let bob = harness.bound("bob")
        let alice = harness.bound("alice")
        harness.take(bob)
        harness.take(alice)
        harness.send(
            ClientEnvelope(type: .send, touid: "bob", msg: "once", id: "same"), from: alice)
        let first = harness.take(alice)
        harness.send(
            ClientEnvelope(type: .send, touid: "bob", msg: "once", id: "same"), from: alice)
        #expect(harness.take(alice) == first)
        #expect(harness.take(bob).count == 1)
        #expect(harness.router.statistics.deduplicated == 1)
    }

    @Test func dedupeSurvivesATransportSwitchButNotAnotherUser() {
        let harness = RouterHarness()
        let alice = harness.bound("alice", .webSocket)
        harness.send(ClientEnvelope(type: .send, touid: "bob", msg: "x", id: "7"), from: alice)
        harness.close(alice)
        let alicePoll = harness.bound("alice", .longPoll)
        harness.take(alicePoll)
        harness.send(ClientEnvelope(type: .send, touid: "bob", msg: "x", id: "7"), from: alicePoll)
        #expect(harness.take(alicePoll).map(\.mid) == [1])
        let carol = harness.bound("carol")
        harness.take(carol)
        harness.send(ClientEnvelope(type: .send, touid: "bob", msg: "x", id: "7"), from: carol)
        #expect(harness.take(carol).map(\.mid) == [2])
    }

    @Test func retryAfterAnErrorIsHandledAfresh() {
        let harness = RouterHarness(store: MemoryStore(maxMessagesPerUser: 1))
        let alice = harness.bound("alice")
        harness.take(alice)
        harness.send(ClientEnvelope(type: .send, touid: "bob", msg: "a", id: "1"), from: alice)
        harness.send(ClientEnvelope(type: .send, touid: "bob", msg: "b", id: "2"), from: alice)
        #expect(harness.take(alice).map(\.code) == [0, 429])
        _ = harness.bound("bob")
        harness.send(ClientEnvelope(type: .send, touid: "bob", msg: "b", id: "2"), from: alice)
        #expect(harness.take(alice).map(\.msg) == ["delivered"])
    }

    @Test func dedupeForgetsAfterRetention() {
        let harness = RouterHarness(store: MemoryStore(retentionSeconds: 60))
        let alice = harness.bound("alice")
        harness.take(alice)
        harness.send(ClientEnvelope(type: .send, touid: "bob", msg: "x", id: "7"), from: alice)
        harness.now += 61_000
        harness.store.prune(now: harness.now, budget: 100)
        harness.send(ClientEnvelope(type: .send, touid: "bob", msg: "x", id: "7"), from: alice)
        #expect(harness.take(alice).map(\.mid) == [1, 2])
    }

    @Test func midsIncreaseAndTimestampIsServerTime() {
        let harness = RouterHarness()
        let bob = harness.bound("bob")
        let alice = harness.bound("alice")
        harness.take(bob)
        for index in 0..<5 {
            harness.now += 10
            harness.send(ClientEnvelope(type: .send, touid: "bob", msg: "\(index)"), from: alice)
        }
        let frames = harness.take(bob)
        #expect(frames.compactMap(\.mid) == [1, 2, 3, 4, 5])
        #expect(frames.last?.ts == harness.now)
    }

    @Test func sendingToYourselfReachesYourConnections() {
        let harness = RouterHarness()
        let alice = harness.bound("alice")
        harness.take(alice)
        harness.send(ClientEnvelope(type: .send, touid: "alice", msg: "note", id: "n"), from: alice)
        #expect(harness.take(alice).map(\.msg) == ["delivered", "note"])
    }
}

@Suite struct RouterPresenceTests {
    @Test func joinNotifiesThePartnerAndRepliesWithPresence() {
        let harness = RouterHarness()
        let alice = harness.bound("alice")
        harness.take(alice)
        harness.send(ClientEnvelope(type: .join, touid: "bob", id: "j"), from: alice)
        #expect(
            harness.take(alice) == [
                ServerFrame(type: "join", msg: "offline", uid: "alice", touid: "bob", id: "j")
            ])
        let bob = harness.bound("bob")
        harness.take(bob)
        harness.send(ClientEnvelope(type: .join, touid: "bob"), from: alice)
        #expect(harness.take(alice).map(\.msg) == ["online"])
        #expect(
            harness.take(bob) == [ServerFrame(type: "join", msg: "", uid: "alice", touid: "bob")])
    }

    @Test func exitNotifiesAndReplies() {
        let harness = RouterHarness()
        let bob = harness.bound("bob")
        let alice = harness.bound("alice")
        harness.send(ClientEnvelope(type: .join, touid: "bob"), from: alice)
        harness.take(alice)
        harness.take(bob)
        harness.send(ClientEnvelope(type: .exit, touid: "bob"), from: alice)
        #expect(
            harness.take(alice) == [
                ServerFrame(type: "exit", msg: "ok", uid: "alice", touid: "bob")
            ])
        #expect(
            harness.take(bob) == [ServerFrame(type: "exit", msg: "", uid: "alice", touid: "bob")])
        // Having left, closing the connection sends no second notice.
        harness.close(alice)
        #expect(harness.take(bob).isEmpty)
    }

    @Test func lastConnectionGoingSendsExitForEveryJoinedConversation() {
        let harness = RouterHarness()
        let bob = harness.bound("bob")
        let carol = harness.bound("carol")
        let tab = harness.bound("alice")
        let phone = harness.bound("alice")
        harness.send(ClientEnvelope(type: .join, touid: "bob"), from: tab)
        harness.send(ClientEnvelope(type: .join, touid: "carol"), from: phone)
        harness.take(bob)
        harness.take(carol)

        harness.close(tab)
        #expect(harness.take(bob).isEmpty, "alice still has a connection")
        harness.close(phone)
        #expect(
            harness.take(bob) == [ServerFrame(type: "exit", msg: "", uid: "alice", touid: "bob")])
        #expect(
            harness.take(carol) == [
                ServerFrame(type: "exit", msg: "", uid: "alice", touid: "carol")
            ])

        // A new session starts with no joined conversations.
        let again = harness.bound("alice")
        harness.close(again)
        #expect(harness.take(bob).isEmpty)
    }

    @Test func closingAnUnboundConnectionNotifiesNobody() {
        let harness = RouterHarness()
        let connection = harness.connect()
        let output = harness.close(connection)
        #expect(output == RouterOutput())
        #expect(harness.router.statistics.connections == 0)
    }
}

@Suite struct RouterReplayTests {
    @Test func sinceReplaysInboxAboveItWithGapFalse() {
        let harness = RouterHarness()
        let bob = harness.bound("bob")
        let alice = harness.bound("alice")
        for text in ["a", "b", "c"] {
            harness.send(ClientEnvelope(type: .send, touid: "bob", msg: text), from: alice)
        }
        harness.close(bob)
        let resumed = harness.bound("bob", since: 1)
        #expect(
            harness.take(resumed) == [
                ServerFrame(type: "bind", msg: "ok", uid: "bob", gap: false),
                .message("b", from: "alice", to: "bob", mid: 2, ts: harness.now),
                .message("c", from: "alice", to: "bob", mid: 3, ts: harness.now),
            ])
    }

    @Test func sinceUnitesOfflineQueueAndInboxEachMidOnceInOrder() {
        let harness = RouterHarness()
        let bob = harness.bound("bob")
        let alice = harness.bound("alice")
        harness.send(ClientEnvelope(type: .send, touid: "bob", msg: "live1"), from: alice)
        harness.send(ClientEnvelope(type: .send, touid: "bob", msg: "live2"), from: alice)
        harness.close(bob)
        harness.send(ClientEnvelope(type: .send, touid: "bob", msg: "offline3"), from: alice)
        let resumed = harness.bound("bob", since: 1)
        #expect(harness.take(resumed).compactMap(\.mid) == [2, 3])
    }

    @Test func offlineMessagesBelowSinceStillArrive() {
        let harness = RouterHarness()
        let alice = harness.bound("alice")
        harness.send(ClientEnvelope(type: .send, touid: "bob", msg: "queued1"), from: alice)
        let resumed = harness.bound("bob", since: 5)
        #expect(harness.take(resumed).compactMap(\.mid) == [1])
    }

    /// Bob, bound, has received mids 1–4 from alice; the cap of 2 has evicted mids 1 and 2.
    private static func fourMessagesToBobWithACapOfTwo() -> (RouterHarness, ConnectionID) {
        let harness = RouterHarness(store: MemoryStore(maxMessagesPerUser: 2))
        let bob = harness.bound("bob")
        let alice = harness.bound("alice")
        for text in ["1", "2", "3", "4"] {
            harness.send(ClientEnvelope(type: .send, touid: "bob", msg: text), from: alice)
        }
        return (harness, bob)
    }

    @Test func gapIsTrueExactlyWhenRetentionDroppedAMessageAboveSince() {
        let (harness, bob) = Self.fourMessagesToBobWithACapOfTwo()
        harness.close(bob)
        // mids 1 and 2 were evicted by the cap of 2.
        let behind = harness.bound("bob", since: 1)
        #expect(harness.take(behind).first?.gap == true)
        let current = harness.bound("bob", since: 2)
        let frames = harness.take(current)
        #expect(frames.first?.gap == false)
        #expect(frames.compactMap(\.mid) == [3, 4])
    }

    @Test func bindingAgainWithSinceReplaysAndReportsTheGap() {
        let (harness, bob) = Self.fourMessagesToBobWithACapOfTwo()
        harness.take(bob)
        harness.send(ClientEnvelope(type: .bind, uid: "bob", id: "again", since: 0), from: bob)
        #expect(
            harness.take(bob) == [
                ServerFrame(type: "bind", msg: "ok", uid: "bob", id: "again", gap: true),
                .message("3", from: "alice", to: "bob", mid: 3, ts: harness.now),
                .message("4", from: "alice", to: "bob", mid: 4, ts: harness.now),
            ])
        harness.send(ClientEnvelope(type: .bind, uid: "bob", since: 3), from: bob)
        #expect(
            harness.take(bob) == [
                ServerFrame(type: "bind", msg: "ok", uid: "bob", gap: false),
                .message("4", from: "alice", to: "bob", mid: 4, ts: harness.now),
            ])
        #expect(harness.router.connections(of: "bob") == [bob])
    }

    @Test func bindingAgainDuringAReplayDeliversEachMessageOnce() {
        var configuration = RouterConfiguration()
        configuration.replayChunkMessages = 2
        let harness = RouterHarness(configuration: configuration)
        let alice = harness.bound("alice")
        for index in 1...5 {
            harness.send(ClientEnvelope(type: .send, touid: "bob", msg: "\(index)"), from: alice)
        }
        let bob = harness.connect()
        let first = harness.router.receive(
            ClientEnvelope(type: .bind, uid: "bob"), from: bob, now: harness.now)
        #expect(first.deliveries.compactMap(\.frame.mid) == [1, 2])
        // A live message arrives while the replay is under way: it is held for after it.
        let live = harness.router.receive(
            ClientEnvelope(type: .send, touid: "bob", msg: "6"), from: alice, now: harness.now)
        #expect(live.deliveries.isEmpty)
        let again = harness.router.receive(
            ClientEnvelope(type: .bind, uid: "bob", since: 2), from: bob, now: harness.now)
        var mids = again.deliveries.compactMap(\.frame.mid)
        var pending = again.replayPending
        var rounds = 0
        while !pending.isEmpty && rounds < 10 {
            let next = harness.router.nextReplay(for: bob)
            mids += next.deliveries.compactMap(\.frame.mid)
            pending = next.replayPending
            rounds += 1
        }
        #expect(mids == [3, 4, 5, 6])
    }

    @Test func retentionByAgeDropsDeliveredMessages() {
        let harness = RouterHarness(store: MemoryStore(retentionSeconds: 10))
        let bob = harness.bound("bob")
        let alice = harness.bound("alice")
        harness.send(ClientEnvelope(type: .send, touid: "bob", msg: "old"), from: alice)
        harness.now += 11_000
        harness.store.prune(now: harness.now, budget: 100)
        harness.send(ClientEnvelope(type: .send, touid: "bob", msg: "new"), from: alice)
        harness.close(bob)
        let resumed = harness.bound("bob", since: 0)
        let frames = harness.take(resumed)
        #expect(frames.first?.gap == true)
        #expect(frames.compactMap(\.msg).dropFirst() == ["new"])
    }

    @Test func largeOfflineQueueIsFedInChunks() {
        var configuration = RouterConfiguration()
        configuration.replayChunkMessages = 10
        let harness = RouterHarness(configuration: configuration)
        let alice = harness.bound("alice")
        for index in 0..<25 {
            harness.send(ClientEnvelope(type: .send, touid: "bob", msg: "\(index)"), from: alice)
        }
        let bob = harness.connect()
        let first = harness.router.receive(
            ClientEnvelope(type: .bind, uid: "bob"), from: bob, now: harness.now)
        #expect(first.deliveries.count == 10)
        #expect(first.replayPending == [bob])
        let second = harness.router.nextReplay(for: bob)
        #expect(second.deliveries.compactMap(\.frame.mid) == Array(11...20))
        let third = harness.router.nextReplay(for: bob)
        #expect(third.deliveries.compactMap(\.frame.mid) == Array(21...25))
        #expect(third.replayPending.isEmpty)
        #expect(harness.router.nextReplay(for: bob) == RouterOutput())
    }

    @Test func liveMessagesDuringReplayWaitUntilItEndsSoOrderHolds() {
        var configuration = RouterConfiguration()
        configuration.replayChunkMessages = 2
        let harness = RouterHarness(configuration: configuration)
        let alice = harness.bound("alice")
        for text in ["q1", "q2", "q3"] {
            harness.send(ClientEnvelope(type: .send, touid: "bob", msg: text), from: alice)
        }
        let bob = harness.connect()
        let bind = harness.router.receive(
            ClientEnvelope(type: .bind, uid: "bob"), from: bob, now: harness.now)
        #expect(bind.deliveries.compactMap(\.frame.mid) == [1, 2])
        let live = harness.router.receive(
            ClientEnvelope(type: .send, touid: "bob", msg: "live"), from: alice, now: harness.now)
        #expect(live.deliveries.isEmpty, "held while bob replays")
        let rest = harness.router.nextReplay(for: bob)
        #expect(rest.deliveries.compactMap(\.frame.mid) == [3, 4])
    }

    @Test func heldMessagesOverTheBoundOverflowTheConnection() {
        var configuration = RouterConfiguration()
        configuration.replayChunkMessages = 1
        configuration.heldLiveLimitBytes = 1100
        let harness = RouterHarness(configuration: configuration)
        let alice = harness.bound("alice")
        harness.send(ClientEnvelope(type: .send, touid: "bob", msg: "q1"), from: alice)
        harness.send(ClientEnvelope(type: .send, touid: "bob", msg: "q2"), from: alice)
        let bob = harness.connect()
        _ = harness.router.receive(
            ClientEnvelope(type: .bind, uid: "bob"), from: bob, now: harness.now)
        let big = String(repeating: "x", count: 900)
        let first = harness.router.receive(
            ClientEnvelope(type: .send, touid: "bob", msg: big), from: alice, now: harness.now)
        #expect(first.overflowed.isEmpty)
        let second = harness.router.receive(
            ClientEnvelope(type: .send, touid: "bob", msg: big), from: alice, now: harness.now)
        #expect(second.overflowed == [bob])
        // Closing it puts the held messages back in the queue for the next bind.
        let firstMessage = StoredMessage(
            mid: 1, sender: "alice", recipient: "bob", text: "q1", timestamp: harness.now)
        _ = harness.router.disconnect(bob, undelivered: [firstMessage])
        let again = harness.bound("bob")
        #expect(harness.take(again).compactMap(\.mid) == [1, 2, 3, 4])
    }
}

@Suite struct RouterRequeueTests {
    @Test func undeliveredMessagesReturnToTheOfflineQueue() {
        let harness = RouterHarness()
        let bob = harness.bound("bob")
        let alice = harness.bound("alice")
        harness.send(ClientEnvelope(type: .send, touid: "bob", msg: "lost", id: "1"), from: alice)
        harness.close(bob, undelivered: [1])
        #expect(harness.store.pendingCount(recipient: "bob") == 1)
        let again = harness.bound("bob")
        #expect(harness.take(again).compactMap(\.msg) == ["ok", "lost"])
    }

    @Test func messageAnotherDeviceReceivedIsNotRequeued() {
        let harness = RouterHarness()
        let slow = harness.bound("bob")
        let fast = harness.bound("bob")
        let alice = harness.bound("alice")
        harness.send(ClientEnvelope(type: .send, touid: "bob", msg: "m"), from: alice)
        harness.close(slow, undelivered: [1])
        #expect(harness.store.pendingCount(recipient: "bob") == 0)
        // ...but if that device then also loses it, it comes back.
        harness.close(fast, undelivered: [1])
        #expect(harness.store.pendingCount(recipient: "bob") == 1)
        _ = fast
    }

    @Test func deviceThatBoundAfterTheMessageGetsItWhenTheOtherLosesIt() {
        let harness = RouterHarness()
        let first = harness.bound("bob")
        let alice = harness.bound("alice")
        harness.send(ClientEnvelope(type: .send, touid: "bob", msg: "m"), from: alice)
        let late = harness.bound("bob")
        harness.take(late)
        harness.close(first, undelivered: [1])
        #expect(harness.take(late).map(\.msg) == ["m"])
        #expect(harness.store.pendingCount(recipient: "bob") == 0, "handed to the late device")
    }
}

@Suite struct RouterRateLimitTests {
    @Test func burstOfOneSecondThen429ThenRefill() {
        var configuration = RouterConfiguration()
        configuration.messagesPerSecond = 3
        let harness = RouterHarness(configuration: configuration)
        let alice = harness.bound("alice")
        harness.take(alice)
        for _ in 0..<3 {
            harness.send(ClientEnvelope(type: .join, touid: "bob"), from: alice)
        }
        #expect(harness.take(alice).map(\.code) == [0, 0, 429])
        harness.now += 1000
        harness.send(ClientEnvelope(type: .join, touid: "bob"), from: alice)
        #expect(harness.take(alice).map(\.code) == [0])
    }

    @Test func noLimitByDefault() {
        let harness = RouterHarness()
        let alice = harness.bound("alice")
        harness.take(alice)
        for _ in 0..<1000 {
            harness.send(ClientEnvelope(type: .join, touid: "bob"), from: alice)
        }
        #expect(harness.take(alice).allSatisfy { $0.code == 0 })
    }
}

@Suite struct RouterStatisticsTests {
    @Test func countsEnvelopesErrorsAndOutcomes() {
        let harness = RouterHarness()
        let bob = harness.bound("bob")
        let alice = harness.bound("alice")
        harness.send(ClientEnvelope(type: .send, touid: "bob", msg: "1"), from: alice)
        harness.send(ClientEnvelope(type: .send, touid: "carol", msg: "2"), from: alice)
        harness.send(ClientEnvelope(type: .send, uid: "x", touid: "bob", msg: "3"), from: alice)
        let statistics = harness.router.statistics
        #expect(statistics.envelopes["bind"] == 2)
        #expect(statistics.envelopes["send"] == 3)
        #expect(statistics.delivered == 1)
        #expect(statistics.queued == 1)
        #expect(statistics.errors[403] == 1)
        #expect(statistics.boundConnections == 2)
        #expect(statistics.onlineUsers == 2)
        harness.close(bob)
        #expect(harness.router.statistics.onlineUsers == 1)
    }
}
