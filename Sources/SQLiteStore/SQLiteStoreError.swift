import CSQLite

/// Why a SQLite store file could not be opened. Each case's `description` is one line naming
/// the file, suitable as the executable's start-up error.
public enum SQLiteStoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file (or its folder) cannot be opened or created: missing folder, a directory,
    /// no permission.
    case cannotOpen(path: String, reason: String)
    /// The file cannot be written (permissions, read-only media); a store that cannot commit
    /// would acknowledge messages it cannot keep.
    case readOnly(path: String)
    /// The file is not an SQLite database, or its header is damaged.
    case notADatabase(path: String)
    /// SQLite found damaged pages while opening.
    case corrupt(path: String, reason: String)
    /// Another process (another switchboard, most likely) holds the database.
    case locked(path: String)
    /// An SQLite database of some other application.
    case foreignDatabase(path: String)
    /// Written by a newer switchboard whose schema this one does not know.
    case newerSchema(path: String, found: Int, supported: Int)
    /// Anything else SQLite reported while opening or migrating.
    case failed(path: String, reason: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason):
            "cannot open store \(path): \(reason)"
        case .readOnly(let path):
            "store \(path) is read-only; the server needs to write it"
        case .notADatabase(let path):
            "store \(path) is not an SQLite database (damaged, or some other file)"
        case .corrupt(let path, let reason):
            "store \(path) is damaged: \(reason)"
        case .locked(let path):
            "store \(path) is locked by another process (is another switchboard running on it?)"
        case .foreignDatabase(let path):
            "store \(path) is an SQLite database of another application"
        case .newerSchema(let path, let found, let supported):
            "store \(path) has schema version \(found), newer than the \(supported) this "
                + "switchboard supports; run a newer switchboard"
        case .failed(let path, let reason):
            "cannot use store \(path): \(reason)"
        }
    }

    /// Maps a failure seen while opening to the case an operator can act on.
    static func opening(_ path: String, _ failure: SQLiteFailure) -> SQLiteStoreError {
        switch failure.primaryCode {
        case SQLITE_BUSY, SQLITE_LOCKED: .locked(path: path)
        case SQLITE_NOTADB: .notADatabase(path: path)
        case SQLITE_CORRUPT: .corrupt(path: path, reason: failure.message)
        case SQLITE_CANTOPEN, SQLITE_PERM, SQLITE_AUTH:
            .cannotOpen(path: path, reason: failure.message)
        case SQLITE_READONLY: .readOnly(path: path)
        default: .failed(path: path, reason: failure.description)
        }
    }
}
