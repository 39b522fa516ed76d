import ChatRouter
import Foundation
import Testing
import WebSocketCore

@testable import SwitchboardServer

/// A store whose commits fail on demand, as a full or broken disk would make SQLite's.
final class FailingCommitStore: MessageStore {
    private let inner = MemoryStore()
    nonisolated(unsafe) static var failCommits = false
    private var dirty = false

    var lastAssignedMid: UInt64 { self.inner.lastAssignedMid }
    func assignMid() -> UInt64 { self.inner.assignMid() }
    func append(_ message: StoredMessage, pending: Bool, now: Int64) throws(AppendRefusal) {
        self.dirty = true
        try self.inner.append(message, pending: pending, now: now)
    }
    func markDelivered(recipient: String, mids: [UInt64]) {
        self.inner.markDelivered(recipient: recipient, mids: mids)
    }
    func requeue(_ messages: [StoredMessage]) {
        self.inner.requeue(messages)
    }
    func messages(
        for recipient: String, after cursor: UInt64, through upperBound: UInt64, since: UInt64?,
        limit: Int
    )
        -> [StoredMessage]
    {
        self.inner.messages(
            for: recipient, after: cursor, through: upperBound, since: since, limit: limit)
    }
    func hasGap(recipient: String, since: UInt64) -> Bool {
        self.inner.hasGap(recipient: recipient, since: since)
    }
    func receipt(sender: String, requestID: String, now: Int64) -> SendReceipt? {
        self.inner.receipt(sender: sender, requestID: requestID, now: now)
    }
    func remember(_ receipt: SendReceipt, sender: String, requestID: String, now: Int64) {
        self.inner.remember(receipt, sender: sender, requestID: requestID, now: now)
    }
    func prune(now: Int64, budget: Int) -> Int { self.inner.prune(now: now, budget: budget) }
    func commit() throws(AppendRefusal) {
        self.dirty = false
        if Self.failCommits { throw .storageFailure }
    }
    var hasUncommittedWrites: Bool { self.dirty }
}

/// When the store cannot commit, no acknowledgement of the lost writes may reach a client.
@Suite(.serialized) struct StorageFailureTests {
    func server() throws -> TestServer {
        let directory = try TemporaryDirectory()
        try directory.write("index.html", "x")
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.publicDirectory = directory.path
        let logger = Logger(label: "test", threshold: .error, sink: MemoryLogSink())
        let server = try SwitchboardServer(
            configuration: configuration, logger: logger, store: FailingCommitStore())
        return try TestServer(wrapping: server, directory: directory)
    }

    @Test func longPollSendGets500InsteadOfQueued() throws {
        FailingCommitStore.failCommits = true
        defer { FailingCommitStore.failCommits = false }
        let server = try self.server()
        let client = LongPollChatClient(port: server.port)
        _ = try client.request(["type": "bind", "uid": "alice"])
        let reply = try client.request(["type": "send", "touid": "bob", "msg": "lost", "id": "1"])
        #expect(reply.code == 500)
        #expect(reply.error == true)
        #expect(reply.id == "1")
    }

    @Test func webSocketSenderIsClosedWith1011AndNeverAcknowledged() throws {
        let server = try self.server()
        let client = try WebSocketTestClient(port: server.port)
        try client.sendText(#"{"type":"bind","uid":"alice"}"#)
        _ = try client.nextText()
        FailingCommitStore.failCommits = true
        defer { FailingCommitStore.failCommits = false }
        try client.sendText(#"{"type":"send","touid":"bob","msg":"lost","id":"1"}"#)
        var acknowledged = false
        var code: CloseCode?
        reading: while true {
            switch try client.nextEvent() {
            case .text: acknowledged = true
            case .closeReceived(let received, _): code = received; break reading
            case .connectionLost: break reading
            default: continue
            }
        }
        #expect(!acknowledged)
        #expect(code == .internalError)
    }
}
