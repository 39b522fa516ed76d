import Foundation
import Glibc
import SQLiteStore
import Testing

/// The store flags as an operator meets them: where the file goes, what is logged, and a
/// one-line error with exit status 1 for a file the server cannot use.
@Suite struct StoreExecutableTests {
    let folder: TemporaryDirectory

    init() throws {
        self.folder = try TemporaryDirectory()
        try self.folder.write("public/index.html", "store test")
    }

    private func start(_ arguments: [String]) throws -> ChildProcess {
        try ChildProcess(
            executable: "switchboard",
            arguments: ["--port", "0", "--public", self.folder.path + "/public"] + arguments)
    }

    @Test func defaultStoreIsCreatedInsideANewDataDirectory() throws {
        let dataDirectory = self.folder.path + "/state/data"
        let child = try self.start(["--data-dir", dataDirectory])
        _ = try #require(child.waitForListeningPort())
        let log = child.errorText
        #expect(log.contains("store.kind=sqlite"))
        #expect(log.contains("store.path=\(dataDirectory)/switchboard.db"))
        #expect(log.contains("store.sync=normal"))
        #expect(FileManager.default.fileExists(atPath: dataDirectory + "/switchboard.db"))
    }

    @Test func memoryStoreAndFullSyncAreLogged() throws {
        let memory = try self.start(["--store", "memory"])
        _ = try #require(memory.waitForListeningPort())
        #expect(memory.errorText.contains("store.kind=memory"))
        let full = try self.start([
            "--store", "sqlite:\(self.folder.path)/full.db", "--sqlite-sync", "full",
        ])
        _ = try #require(full.waitForListeningPort())
        #expect(full.errorText.contains("store.sync=full"))
    }

    @Test func secondServerOnTheSameFileExitsOneNamingTheLock() throws {
        let store = "sqlite:\(self.folder.path)/shared.db"
        let first = try self.start(["--store", store])
        _ = try #require(first.waitForListeningPort())
        let second = try self.start(["--store", store])
        #expect(second.waitForExit() == 1)
        #expect(second.errorText.contains("is locked by another process"))
        #expect(second.errorText.split(separator: "\n").count == 1)
    }

    @Test func fileThatIsNotADatabaseExitsOne() throws {
        let path = self.folder.path + "/notes.db"
        try self.folder.write("notes.db", String(repeating: "not a database\n", count: 100))
        let child = try self.start(["--store", "sqlite:" + path])
        #expect(child.waitForExit() == 1)
        #expect(child.errorText.contains("store \(path) is not an SQLite database"))
    }

    @Test func fileFromANewerSchemaExitsOne() throws {
        let path = self.folder.path + "/newer.db"
        // Closing the store checkpoints its log into the file, so the header below is final.
        do { _ = try SQLiteStore(path: path) }
        // The schema version is the big-endian `user_version` at offset 60 of the header.
        var header = try Data(contentsOf: URL(fileURLWithPath: path))
        header.replaceSubrange(60..<64, with: [0, 0, 0x7F, 0x00])
        try header.write(to: URL(fileURLWithPath: path))

        let child = try self.start(["--store", "sqlite:" + path])
        #expect(child.waitForExit() == 1)
        #expect(child.errorText.contains("has schema version 32512, newer than"))
    }

    @Test func unusableDataDirectoryExitsOne() throws {
        try self.folder.write("occupied", "a file where a folder should be")
        let child = try self.start(["--data-dir", self.folder.path + "/occupied/data"])
        #expect(child.waitForExit() == 1)
        #expect(child.errorText.contains("cannot create data directory"))
    }

    @Test func queuedMessageSurvivesAGracefulRestart() throws {
        let store = "sqlite:\(self.folder.path)/graceful.db"
        let first = try self.start(["--store", store])
        let port = try #require(first.waitForListeningPort())
        let alice = try WebSocketChatClient(port: port)
        _ = try alice.request(["type": "bind", "uid": "alice", "id": "b"])
        let queued = try alice.request(["type": "send", "touid": "bob", "msg": "later", "id": "q"])
        #expect(queued.msg == "queued")
        first.send(signal: SIGTERM)
        #expect(first.waitForExit() == 0)
        // Closed cleanly: the log was copied into the file and removed, the lock released.
        #expect(!FileManager.default.fileExists(atPath: "\(self.folder.path)/graceful.db-wal"))

        let second = try self.start(["--store", store])
        let restartedPort = try #require(second.waitForListeningPort())
        let bob = try WebSocketChatClient(port: restartedPort)
        _ = try bob.request(["type": "bind", "uid": "bob", "id": "b"])
        let delivered = try bob.nextEvent()
        #expect(delivered.msg == "later")
        #expect(delivered.mid == queued.mid)
    }
}
