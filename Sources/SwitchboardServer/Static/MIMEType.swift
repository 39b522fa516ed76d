/// Content types for the files a chat page ships. Text types carry `charset=utf-8` so browsers
/// never guess; anything unknown is `application/octet-stream` (and `nosniff` stops guessing).
public enum MIMEType {
    private static let byExtension: [String: String] = [
        "html": "text/html; charset=utf-8",
        "htm": "text/html; charset=utf-8",
        "js": "text/javascript; charset=utf-8",
        "mjs": "text/javascript; charset=utf-8",
        "css": "text/css; charset=utf-8",
        "svg": "image/svg+xml",
        "png": "image/png",
        "ico": "image/x-icon",
        "json": "application/json",
        "webmanifest": "application/manifest+json",
        "woff2": "font/woff2",
        "txt": "text/plain; charset=utf-8",
        "md": "text/markdown; charset=utf-8",
        "map": "application/json",
    ]

    /// The fallback for unknown extensions.
    public static let fallback = "application/octet-stream"

    /// The content type for a file name, chosen by its extension, case-insensitively.
    public static func forFileName(_ name: some StringProtocol) -> String {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else {
            return Self.fallback
        }
        let fileExtension = name[name.index(after: dot)...].lowercased()
        return Self.byExtension[fileExtension] ?? Self.fallback
    }
}
