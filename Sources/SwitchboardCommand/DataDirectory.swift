import Glibc

/// Why the data directory could not be made ready.
public struct DataDirectoryError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The folder that could not be created.
    public let path: String
    /// The system's reason (`strerror`), or why an existing entry does not do.
    public let reason: String

    public var description: String { "cannot create data directory \(self.path): \(self.reason)" }
}

/// The folder that holds the default store (`--data-dir`).
public enum DataDirectory {
    /// Creates `path` and any missing parent folders (mode 0700: the store holds users'
    /// messages), like `mkdir -p`. An existing folder is left as it is.
    public static func create(_ path: String) throws(DataDirectoryError) {
        guard !path.isEmpty else { throw DataDirectoryError(path: path, reason: "empty path") }
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            try Self.createOne(prefix, reportingAs: path)
            prefix += "/"
        }
    }

    private static func createOne(
        _ folder: String, reportingAs path: String
    )
        throws(DataDirectoryError)
    {
        if mkdir(folder, 0o700) == 0 { return }
        let failure = errno
        var status = stat()
        if failure == EEXIST, stat(folder, &status) == 0 {
            guard status.st_mode & S_IFMT == S_IFDIR else {
                throw DataDirectoryError(
                    path: path, reason: "\(folder) exists and is not a directory")
            }
            return
        }
        throw DataDirectoryError(path: path, reason: String(cString: strerror(failure)))
    }
}
