import ChatRouter
import Foundation
import Glibc
import Testing

@testable import SQLiteStore

/// A folder under /tmp, removed with its contents on deinit.
final class TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/sqlite-store-test-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else { throw StoreTestError.system("mkdtemp") }
        self.path = String(cString: created)
    }

    deinit { try? FileManager.default.removeItem(atPath: self.path) }

    /// A path inside the folder.
    func file(_ name: String) -> String { self.path + "/" + name }
}

enum StoreTestError: Error {
    case system(String)
}

/// The store operations the conformance suite reads beyond the protocol.
protocol InspectableStore: MessageStore {
    func pendingCount(recipient: String) -> Int
}

extension MemoryStore: InspectableStore {}
extension SQLiteStore: InspectableStore {}

/// Which store a conformance test runs against.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    /// `MemoryStore`, the reference semantics.
    case memory
    /// `SQLiteStore`, kept open for the whole test.
    case sqlite
    /// `SQLiteStore`, committed, closed and reopened at every `restart()` of the test: the
    /// state must survive it unchanged.
    case sqliteReopened

    var testDescription: String { self.rawValue }
}

/// One store under test, with what it needs to be reopened.
final class StoreUnderTest {
    let kind: StoreKind
    private(set) var store: any InspectableStore
    private let directory: TemporaryDirectory?
    private let configuration: SQLiteStoreConfiguration

    init(_ kind: StoreKind, maxMessagesPerUser: Int = 1000, retentionSeconds: Int = 86_400) throws {
        self.kind = kind
        self.configuration = SQLiteStoreConfiguration(
            maxMessagesPerUser: maxMessagesPerUser, retentionSeconds: retentionSeconds)
        switch kind {
        case .memory:
            self.directory = nil
            self.store = MemoryStore(
                maxMessagesPerUser: maxMessagesPerUser, retentionSeconds: retentionSeconds)
        case .sqlite, .sqliteReopened:
            let directory = try TemporaryDirectory()
            self.directory = directory
            self.store = try SQLiteStore(
                path: directory.file("store.db"), configuration: self.configuration)
        }
    }

    /// For `.sqliteReopened`: commits, closes and reopens the file; otherwise nothing.
    func restart() throws {
        guard self.kind == .sqliteReopened, let directory = self.directory else { return }
        try self.store.commit()
        // The old store must be gone (its deinit closes the file and drops the lock) before
        // the new one opens it.
        self.store = MemoryStore()
        self.store = try SQLiteStore(
            path: directory.file("store.db"), configuration: self.configuration)
    }

    /// Assigns a mid and appends a message with it; returns the mid.
    @discardableResult
    func add(
        to recipient: String, from sender: String = "alice", text: String = "hi",
        pending: Bool, at now: Int64 = 1_000
    ) throws(AppendRefusal) -> UInt64 {
        let mid = self.store.assignMid()
        let message = StoredMessage(
            mid: mid, sender: sender, recipient: recipient, text: text, timestamp: now)
        try self.store.append(message, pending: pending, now: now)
        return mid
    }

    /// The mids `messages` returns, fetched whole.
    func mids(for recipient: String, since: UInt64? = nil) -> [UInt64] {
        self.store.messages(
            for: recipient, after: 0, through: UInt64.max, since: since, limit: Int.max
        ).map(\.mid)
    }
}
