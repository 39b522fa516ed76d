import Glibc

/// Reads small text files (certificates, keys) without Foundation.
enum TextFile {
    /// The file's contents as UTF-8 text, or nil when it cannot be read. Files over 1 MiB are
    /// refused: nothing this server reads this way is that large.
    static func read(_ path: String) -> String? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count > 0 { bytes += chunk[..<count] }
            if count < chunk.count { break }
            if bytes.count > 1 << 20 { return nil }
        }
        return String(validating: bytes, as: UTF8.self)
    }
}
