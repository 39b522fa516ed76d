import Foundation
import Glibc
import SwitchboardServer
import Testing

/// The SQLite store's promise tested end to end: a real `switchboard` under a steady send
/// load is killed with SIGKILL mid-stream and restarted on the same file; every message that
/// was acknowledged `queued` or `delivered` still reaches its recipient, none twice to the
/// same device cursor, mids keep increasing and `since` resumes.
@Suite struct CrashRecoveryTests {
    @Test func everyAcknowledgedMessageSurvivesAKillAndArrivesOnce() throws {
        let folder = try TemporaryDirectory()
        try folder.write("public/index.html", "crash test")
        let arguments = [
            "--store", "sqlite:\(folder.path)/x.db", "--port", "0",
            "--public", folder.path + "/public", "--inbox-max-messages", "1000000",
        ]
        let firstServer = try ChildProcess(executable: "switchboard", arguments: arguments)
        let port = try #require(firstServer.waitForListeningPort())

        let load = LoadRecord()
        let sender = BackgroundTask { SteadySender.run(port: port, load: load) }
        let recipient = BackgroundTask { IntermittentRecipient.run(port: port, load: load) }
        let started = Self.now()
        while Self.now() - started < 20 {
            let (queued, delivered) = load.outcomeCounts
            if queued >= 300 && delivered >= 300 && Self.now() - started >= 1.5 { break }
            usleep(10_000)
        }
        firstServer.send(signal: SIGKILL)
        #expect(firstServer.waitForExit() == 128 + SIGKILL)
        load.stop()
        #expect(sender.wait(seconds: 15), "the sender must notice the kill")
        #expect(recipient.wait(seconds: 15), "the recipient must notice the kill")

        let acknowledged = load.acknowledgements
        let seenBefore = load.seen
        let (queued, delivered) = load.outcomeCounts
        try #require(queued >= 300 && delivered >= 300, "both outcomes must be under test")
        #expect(load.errorReplies == 0)

        let secondServer = try ChildProcess(executable: "switchboard", arguments: arguments)
        let restartedPort = try #require(secondServer.waitForListeningPort())
        #expect(secondServer.errorText.contains("store.kind=sqlite"))

        // The same device resumes from the last mid it saw.
        let cursor = seenBefore.max() ?? 0
        let device = try WebSocketChatClient(port: restartedPort)
        let resumed = try device.request(["type": "bind", "uid": "bob", "since": cursor, "id": "r"])
        #expect(resumed.code == 0)
        #expect(resumed["gap"] as? Bool == false)
        let wanted = Set(acknowledged.map(\.mid))
        let seenAfter = try Self.collect(from: device, until: wanted.subtracting(seenBefore))

        let everything = seenBefore + seenAfter
        #expect(Set(everything).count == everything.count, "a mid arrived twice on one cursor")
        let missing = wanted.subtracting(everything).sorted()
        #expect(missing.isEmpty, "acknowledged but never delivered: \(missing.prefix(20))")

        // New mids lie above every mid handed out before the kill.
        let highestBefore = max(acknowledged.map(\.mid).max() ?? 0, everything.max() ?? 0)
        let alice = try WebSocketChatClient(port: restartedPort)
        #expect(try alice.request(["type": "bind", "uid": "alice", "id": "b"]).code == 0)
        var newMids: Set<UInt64> = []
        for index in 0..<5 {
            let reply = try alice.request(
                ["type": "send", "touid": "bob", "msg": "after \(index)", "id": "after\(index)"])
            let mid = try #require(reply.mid)
            #expect(mid > highestBefore)
            #expect(reply.msg == "delivered")
            newMids.insert(mid)
        }
        let live = try Self.collect(from: device, until: newMids)
        #expect(Set(live) == newMids)

        // A retry of a send acknowledged before the kill is answered from its receipt.
        if let first = acknowledged.first {
            let retry = try alice.request(
                ["type": "send", "touid": "bob", "msg": "retry", "id": first.requestID])
            #expect(retry.mid == first.mid)
            #expect(try device.pendingEvents(waitSeconds: 0.3).isEmpty)
        }

        // Another device resumes from a cursor before the kill: everything above it, once.
        // (Near the end, to keep the replay short.)
        let sortedAcknowledged = acknowledged.map(\.mid).sorted()
        let middle = sortedAcknowledged[sortedAcknowledged.count * 19 / 20]
        let other = try WebSocketChatClient(port: restartedPort)
        let otherBind = try other.request([
            "type": "bind", "uid": "bob", "since": middle, "id": "o",
        ])
        #expect(otherBind["gap"] as? Bool == false)
        let expectedAbove = Set(sortedAcknowledged.filter { $0 > middle }).union(newMids)
        let replayed = try Self.collect(from: other, until: expectedAbove)
        #expect(Set(replayed).count == replayed.count)
        #expect(expectedAbove.isSubset(of: Set(replayed)))
        #expect(replayed.allSatisfy { $0 > middle })
    }

    /// Reads chat messages until every mid in `wanted` arrived, then a little longer to catch
    /// duplicates; stops after 2 s of silence or 120 s in all.
    private static func collect(
        from client: WebSocketChatClient, until wanted: Set<UInt64>
    ) throws
        -> [UInt64]
    {
        var mids: [UInt64] = []
        var missing = wanted
        let deadline = Self.now() + 120
        var quietRounds = 0
        while Self.now() < deadline && quietRounds < 4 {
            let events = try client.pendingEvents(waitSeconds: 0.5)
            let arrived = events.filter { $0.type == "send" }.compactMap(\.mid)
            mids += arrived
            missing.subtract(arrived)
            quietRounds = arrived.isEmpty ? quietRounds + 1 : 0
            if missing.isEmpty && quietRounds >= 1 { break }
        }
        return mids
    }

    fileprivate static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}

/// What the load saw, shared between the load threads and the test.
private final class LoadRecord: Sendable {
    struct Acknowledgement {
        let requestID: String
        let mid: UInt64
        let outcome: String
    }

    private struct State {
        var acknowledgements: [Acknowledgement] = []
        var errorReplies = 0
        var seen: [UInt64] = []
        var stopped = false
    }

    private let state = Lock(State())

    func acknowledge(_ acknowledgement: Acknowledgement) {
        self.state.withLock { $0.acknowledgements.append(acknowledgement) }
    }

    func recordErrorReply() { self.state.withLock { $0.errorReplies += 1 } }
    func see(_ mid: UInt64) { self.state.withLock { $0.seen.append(mid) } }
    func stop() { self.state.withLock { $0.stopped = true } }

    var isStopped: Bool { self.state.withLock { $0.stopped } }
    var acknowledgements: [Acknowledgement] { self.state.withLock { $0.acknowledgements } }
    var errorReplies: Int { self.state.withLock { $0.errorReplies } }
    var seen: [UInt64] { self.state.withLock { $0.seen } }
    var lastSeen: UInt64? { self.state.withLock { $0.seen.max() } }

    var outcomeCounts: (queued: Int, delivered: Int) {
        self.state.withLock { state in
            let queued = state.acknowledgements.filter { $0.outcome == "queued" }.count
            return (queued, state.acknowledgements.count - queued)
        }
    }
}

/// A thread running `body`, which the test can wait for with a deadline.
private final class BackgroundTask: Sendable {
    private let finished = DispatchSemaphore(value: 0)

    init(_ body: @escaping @Sendable () -> Void) {
        let finished = self.finished
        Thread {
            body()
            finished.signal()
        }.start()
    }

    func wait(seconds: Double) -> Bool {
        self.finished.wait(timeout: .now() + seconds) == .success
    }
}

/// Alice sends to bob steadily, eight requests in flight, each with an `id`, and records
/// every acknowledgement until the connection dies (the kill) or the bounds are reached.
private enum SteadySender {
    static func run(port: UInt16, load: LoadRecord) {
        guard let client = try? WebSocketTestClient(port: port) else { return }
        let deadline = CrashRecoveryTests.now() + 40
        var next = 0
        do {
            try client.sendText(jsonText(["type": "bind", "uid": "alice"]))
            _ = try client.nextText()
            while !load.isStopped && CrashRecoveryTests.now() < deadline && next < 500_000 {
                for _ in 0..<8 {
                    let envelope: [String: Any] = [
                        "type": "send", "touid": "bob", "msg": "message \(next)", "id": "s\(next)",
                    ]
                    try client.sendText(jsonText(envelope))
                    next += 1
                }
                for _ in 0..<8 {
                    try self.record(try Frame(json: try client.nextText()), into: load)
                }
                // A steady few thousand messages a second: always sends in flight, yet short
                // replays after the restart.
                usleep(2_000)
            }
        } catch {
            return
        }
    }

    private static func record(_ reply: Frame, into load: LoadRecord) throws {
        guard reply.error == false, let mid = reply.mid, let id = reply.id, let outcome = reply.msg
        else {
            load.recordErrorReply()
            return
        }
        load.acknowledge(LoadRecord.Acknowledgement(requestID: id, mid: mid, outcome: outcome))
    }
}

/// Bob comes and goes: 200 ms online (binding with `since` = the last mid he saw, like a
/// device that resumes), 200 ms offline, until the server dies.
private enum IntermittentRecipient {
    static func run(port: UInt16, load: LoadRecord) {
        let deadline = CrashRecoveryTests.now() + 40
        while !load.isStopped && CrashRecoveryTests.now() < deadline {
            guard let client = try? WebSocketTestClient(port: port) else { return }
            do {
                var bind: [String: Any] = ["type": "bind", "uid": "bob"]
                if let last = load.lastSeen { bind["since"] = last }
                try client.sendText(jsonText(bind))
                let offlineAt = CrashRecoveryTests.now() + 0.2
                while CrashRecoveryTests.now() < offlineAt {
                    let remaining = max(0.01, offlineAt - CrashRecoveryTests.now())
                    guard let text = try client.nextTextWithin(seconds: remaining) else { break }
                    let frame = try Frame(json: text)
                    if frame.type == "send", let mid = frame.mid { load.see(mid) }
                }
                try client.close()
            } catch {
                return
            }
            usleep(200_000)
        }
    }
}
