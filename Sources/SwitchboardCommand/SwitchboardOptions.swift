import SwitchboardServer

/// Everything the command line decides: the server's configuration plus what only the
/// executable needs.
public struct SwitchboardOptions: Sendable {
    /// What the invocation asks for.
    public enum Action: Equatable, Sendable {
        case serve
        case showHelp
        case showVersion
    }

    /// The file name of the default store inside the data directory.
    public static let defaultDatabaseName = "switchboard.db"

    public var action = Action.serve
    public var server = ServerConfiguration()
    /// The `--store` value as given; nil means the default, `switchboard.db` in
    /// `dataDirectory`.
    public var requestedStore: StoreLocation?
    /// `--data-dir`: the folder for the default store, created at start-up if missing.
    /// Default `./data`, relative to the working directory.
    public var dataDirectory = "./data"
    /// `--sqlite-sync`: the SQLite store's durability; default `.normal`.
    public var sqliteSync = SQLiteSyncMode.normal

    /// Creates the defaults.
    public init() {}

    /// Where the store lives once the default is applied.
    public var store: StoreLocation {
        self.requestedStore ?? .sqlite(path: self.defaultDatabasePath)
    }

    /// Whether the store lives in `dataDirectory`, which must then exist before it opens.
    public var storeUsesDataDirectory: Bool { self.requestedStore == nil }

    private var defaultDatabasePath: String {
        let folder =
            self.dataDirectory.hasSuffix("/")
            ? String(self.dataDirectory.dropLast()) : self.dataDirectory
        return folder + "/" + Self.defaultDatabaseName
    }
}
