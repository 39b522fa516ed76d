/// Where the server keeps inboxes and offline queues (`--store`).
public enum StoreLocation: Equatable, Sendable {
    /// In process memory, lost when the process ends: `--store memory`, for throwaway runs
    /// and tests.
    case memory
    /// A durable SQLite file: `--store sqlite:PATH`. A relative path is relative to the
    /// working directory.
    case sqlite(path: String)

    /// Parses a `--store` value: `memory` or `sqlite:PATH` with a non-empty PATH.
    static func parse(_ text: String) throws(FlagError) -> StoreLocation {
        if text == "memory" { return .memory }
        let prefix = "sqlite:"
        guard text.hasPrefix(prefix), text.count > prefix.count else {
            throw .invalidValue(flag: "store", value: text, expected: "memory or sqlite:PATH")
        }
        let path = String(text.dropFirst(prefix.count))
        // SQLite reads ":memory:" (and other names starting with a colon) as a private
        // in-memory database: it would look durable and lose everything on exit.
        guard !path.hasPrefix(":") else {
            throw .invalidValue(
                flag: "store", value: text, expected: "a file path (use --store memory for memory)")
        }
        return .sqlite(path: path)
    }
}

/// How hard the SQLite store pushes each commit to disk (`--sqlite-sync`).
public enum SQLiteSyncMode: String, CaseIterable, Equatable, Sendable {
    /// Survives the process being killed; a power loss may drop the last commits. Default.
    case normal
    /// Survives a power loss too, at one fsync per group commit.
    case full

    /// Parses a `--sqlite-sync` value, ignoring case.
    static func parse(_ text: String) throws(FlagError) -> SQLiteSyncMode {
        guard let mode = SQLiteSyncMode(rawValue: text.lowercased()) else {
            throw .invalidValue(flag: "sqlite-sync", value: text, expected: "normal or full")
        }
        return mode
    }
}
