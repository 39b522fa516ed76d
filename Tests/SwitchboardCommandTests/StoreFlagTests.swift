import Foundation
import Glibc
import Testing

@testable import SwitchboardCommand

/// `--store`, `--data-dir` and `--sqlite-sync`, and the data directory they create.
@Suite struct StoreFlagTests {
    @Test func defaultIsTheSQLiteFileInTheDefaultDataDirectory() throws {
        let options = try CommandLineParser.parse(arguments: [], environment: [:])
        #expect(options.requestedStore == nil)
        #expect(options.dataDirectory == "./data")
        #expect(options.store == .sqlite(path: "./data/switchboard.db"))
        #expect(options.storeUsesDataDirectory)
        #expect(options.sqliteSync == .normal)
    }

    @Test(arguments: [
        (["--store", "memory"], StoreLocation.memory),
        (["--store", "sqlite:/var/lib/sb/chat.db"], .sqlite(path: "/var/lib/sb/chat.db")),
        (["--store=sqlite:relative.db"], .sqlite(path: "relative.db")),
        (["--store", "sqlite:/x.db", "--data-dir", "/elsewhere"], .sqlite(path: "/x.db")),
        (["--data-dir", "/srv/switchboard/"], .sqlite(path: "/srv/switchboard/switchboard.db")),
        (["--data-dir", "state"], .sqlite(path: "state/switchboard.db")),
    ])
    func storeFlagsPickTheStore(arguments: [String], expected: StoreLocation) throws {
        let options = try CommandLineParser.parse(arguments: arguments, environment: [:])
        #expect(options.store == expected)
    }

    @Test func explicitStoreDoesNotUseTheDataDirectory() throws {
        for arguments in [["--store", "memory"], ["--store", "sqlite:a.db"]] {
            let options = try CommandLineParser.parse(arguments: arguments, environment: [:])
            #expect(!options.storeUsesDataDirectory)
        }
    }

    @Test(arguments: [("normal", SQLiteSyncMode.normal), ("full", .full), ("FULL", .full)])
    func sqliteSyncParses(value: String, expected: SQLiteSyncMode) throws {
        let options = try CommandLineParser.parse(
            arguments: ["--sqlite-sync", value], environment: [:])
        #expect(options.sqliteSync == expected)
    }

    @Test func environmentTwinsAreReadAndFlagsWin() throws {
        let environment = [
            "SWITCHBOARD_STORE": "memory", "SWITCHBOARD_DATA_DIR": "/env/dir",
            "SWITCHBOARD_SQLITE_SYNC": "full",
        ]
        let fromEnvironment = try CommandLineParser.parse(arguments: [], environment: environment)
        #expect(fromEnvironment.store == .memory)
        #expect(fromEnvironment.dataDirectory == "/env/dir")
        #expect(fromEnvironment.sqliteSync == .full)
        let overridden = try CommandLineParser.parse(
            arguments: ["--store", "sqlite:/flag.db", "--sqlite-sync", "normal"],
            environment: environment)
        #expect(overridden.store == .sqlite(path: "/flag.db"))
        #expect(overridden.sqliteSync == .normal)
    }

    @Test(arguments: [
        (
            ["--store", "sqlite:"],
            FlagError.invalidValue(
                flag: "store", value: "sqlite:", expected: "memory or sqlite:PATH")
        ),
        (
            ["--store", "postgres://x"],
            .invalidValue(flag: "store", value: "postgres://x", expected: "memory or sqlite:PATH")
        ),
        (
            ["--store", "Memory"],
            .invalidValue(flag: "store", value: "Memory", expected: "memory or sqlite:PATH")
        ),
        (
            ["--store", "/plain/path.db"],
            .invalidValue(flag: "store", value: "/plain/path.db", expected: "memory or sqlite:PATH")
        ),
        (
            ["--store", "sqlite::memory:"],
            .invalidValue(
                flag: "store", value: "sqlite::memory:",
                expected: "a file path (use --store memory for memory)")
        ),
        (["--store"], .missingValue(flag: "store")),
        (
            ["--data-dir", ""],
            .invalidValue(flag: "data-dir", value: "", expected: "a non-empty value")
        ),
        (
            ["--sqlite-sync", "off"],
            .invalidValue(flag: "sqlite-sync", value: "off", expected: "normal or full")
        ),
        (
            ["--sqlite-sync", "extra"],
            .invalidValue(flag: "sqlite-sync", value: "extra", expected: "normal or full")
        ),
    ])
    func badStoreValuesAreRejected(arguments: [String], expected: FlagError) {
        #expect(throws: expected) {
            try CommandLineParser.parse(arguments: arguments, environment: [:])
        }
    }

    @Test func dataDirectoryIsCreatedWithItsParentsAndAnExistingOneIsKept() throws {
        let root = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let nested = root + "/a/b/data"
        try DataDirectory.create(nested)
        var status = stat()
        #expect(stat(nested, &status) == 0)
        #expect(status.st_mode & S_IFMT == S_IFDIR)
        #expect(status.st_mode & 0o777 == 0o700)
        try DataDirectory.create(nested + "/")
    }

    @Test func dataDirectoryBlockedByAFileIsAClearError() throws {
        let root = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(FileManager.default.createFile(atPath: root + "/taken", contents: Data()))
        #expect(
            throws: DataDirectoryError(
                path: root + "/taken/data", reason: "\(root)/taken exists and is not a directory")
        ) {
            try DataDirectory.create(root + "/taken/data")
        }
    }

    private static func temporaryFolder() throws -> String {
        var template = Array("/tmp/switchboard-command-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        return String(cString: created)
    }
}
