import Glibc

/// A file opened for sending: the descriptor, its size and validators.
///
/// Ownership: the descriptor belongs to whoever holds this value until it is handed to
/// libmicrohttpd (`MHD_create_response_from_fd64` takes it over) or closed with `close()`.
public struct OpenedFile: Sendable {
    /// The open descriptor, read-only.
    public let descriptor: Int32
    /// Size in bytes at the time it was opened.
    public let size: Int
    /// ETag and Last-Modified for conditional requests.
    public let validators: FileValidators
    /// The content type from the file's extension.
    public let contentType: String

    /// Closes the descriptor when the file will not be sent after all (e.g. a 304 answer).
    public func close() { _ = Glibc.close(self.descriptor) }
}

/// What can go wrong looking up a file, with the HTTP status to answer.
public enum PublicFileError: Error, Equatable, Sendable {
    /// No such file, a hidden one, or one outside the folder: all look the same from outside,
    /// so a client cannot probe for files it may not read.
    case notFound
    /// A directory asked for without a trailing slash: redirect so relative links work.
    case directoryWithoutSlash
    /// The file exists but could not be opened (permissions, too many open files).
    case unreadable(errno: Int32)
}

/// The folder of static files, resolved once at start-up.
///
/// The lexical checks live in `StaticPath`; this type adds the file-system half: after
/// resolving symbolic links the file must still be inside the folder, and it is opened with
/// `O_NOFOLLOW` so the last component cannot be swapped for a link between check and open.
public struct PublicDirectory: Sendable {
    /// The folder's canonical absolute path, without a trailing slash.
    public let root: String

    /// Resolves `path` to its canonical form; throws when it is not an existing directory.
    public init(path: String) throws(PublicDirectoryError) {
        guard let resolved = Self.canonicalPath(path) else { throw .missing(path) }
        var info = stat()
        guard stat(resolved, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw .notADirectory(path)
        }
        self.root = resolved
    }

    /// Opens the file a request path names, or the `index.html` of a directory.
    public func open(_ path: StaticPath) -> Result<OpenedFile, PublicFileError> {
        var candidate = path.segments.isEmpty ? self.root : self.root + "/" + path.relativePath
        if path.namesDirectory || path.segments.isEmpty { candidate += "/index.html" }

        guard let resolved = Self.canonicalPath(candidate), self.contains(resolved) else {
            return .failure(.notFound)
        }
        let descriptor = Glibc.open(resolved, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else {
            return .failure(errno == ENOENT ? .notFound : .unreadable(errno: errno))
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            _ = Glibc.close(descriptor)
            return .failure(.unreadable(errno: errno))
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            return .success(Self.openedFile(descriptor, info, name: resolved))
        case S_IFDIR:
            _ = Glibc.close(descriptor)
            return .failure(.directoryWithoutSlash)
        default:
            _ = Glibc.close(descriptor)
            return .failure(.notFound)
        }
    }

    private func contains(_ resolved: String) -> Bool {
        resolved.hasPrefix(self.root + "/")
    }

    private static func openedFile(_ descriptor: Int32, _ info: stat, name: String) -> OpenedFile {
        OpenedFile(
            descriptor: descriptor,
            size: Int(info.st_size),
            validators: FileValidators(
                size: Int(info.st_size), modifiedSeconds: Int(info.st_mtim.tv_sec),
                modifiedNanoseconds: Int(info.st_mtim.tv_nsec)),
            contentType: MIMEType.forFileName(name))
    }

    private static func canonicalPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

/// Why the public folder cannot be used.
public enum PublicDirectoryError: Error, Equatable, Sendable, CustomStringConvertible {
    case missing(String)
    case notADirectory(String)

    public var description: String {
        switch self {
        case .missing(let path): "public folder \(path) does not exist"
        case .notADirectory(let path): "public folder \(path) is not a directory"
        }
    }
}
