/// Why a request path cannot name a file under the public folder.
public enum StaticPathError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The path does not start with `/`.
    case notAbsolute
    /// A `%` not followed by two hex digits.
    case malformedPercentEncoding
    /// `%2F` or `%5C`: a separator smuggled past segment splitting.
    case encodedSeparator
    /// A NUL byte, raw or encoded, which C APIs would read as the end of the path.
    case nulByte
    /// A backslash, which some file systems and proxies treat as a separator.
    case backslash
    /// A `..` segment, raw or encoded.
    case parentSegment
    /// The decoded path is not valid UTF-8.
    case invalidUTF8
    /// A segment starting with `.` (such as `.git` or `.env`): never served.
    case hiddenSegment

    /// The HTTP status to answer with: hidden files do not exist as far as clients know.
    public var httpStatus: Int {
        switch self {
        case .hiddenSegment: 404
        default: 400
        }
    }

    public var description: String {
        switch self {
        case .notAbsolute: "path must start with /"
        case .malformedPercentEncoding: "malformed percent-encoding"
        case .encodedSeparator: "encoded path separator"
        case .nulByte: "nul byte in path"
        case .backslash: "backslash in path"
        case .parentSegment: "parent segment in path"
        case .invalidUTF8: "path is not valid utf-8"
        case .hiddenSegment: "not found"
        }
    }
}

/// A request path decoded and checked so that it can only name something inside the public
/// folder. This is the lexical half of the guard; `PublicDirectory` adds the file-system half
/// (symbolic links that point outside).
public struct StaticPath: Equatable, Sendable {
    /// The decoded segments, none empty, `.` or `..`, and none starting with a dot.
    public let segments: [String]
    /// Whether the request path ended with `/` (a directory: serve its `index.html`).
    public let namesDirectory: Bool

    /// The path relative to the public folder, with `/` between segments (empty for the root).
    public var relativePath: String { self.segments.joined(separator: "/") }

    /// Decodes the path part of a request target (no query string) strictly.
    ///
    /// Percent-encoding is decoded once. Encoded separators and NUL are refused rather than
    /// decoded, because a path that means something different after decoding is an attack,
    /// not a file name. Empty segments (`//`) and `.` segments are dropped, as browsers do.
    public init(decoding rawPath: some StringProtocol) throws(StaticPathError) {
        let bytes = Array(rawPath.utf8)
        guard bytes.first == UInt8(ascii: "/") else { throw .notAbsolute }

        var segments: [String] = []
        var current: [UInt8] = []
        var index = 1
        while index <= bytes.count {
            if index == bytes.count || bytes[index] == UInt8(ascii: "/") {
                try Self.appendSegment(current, to: &segments)
                current.removeAll(keepingCapacity: true)
                index += 1
                continue
            }
            current.append(try Self.decodedByte(in: bytes, at: &index))
        }
        self.segments = segments
        self.namesDirectory = bytes.last == UInt8(ascii: "/")
    }

    private static func decodedByte(
        in bytes: [UInt8], at index: inout Int
    ) throws(StaticPathError) -> UInt8 {
        let byte = bytes[index]
        switch byte {
        case 0: throw .nulByte
        case UInt8(ascii: "\\"): throw .backslash
        case UInt8(ascii: "%"):
            guard index + 2 < bytes.count,
                let high = ASCII.hexDigitValue(bytes[index + 1]),
                let low = ASCII.hexDigitValue(bytes[index + 2])
            else { throw .malformedPercentEncoding }
            let decoded = high << 4 | low
            switch decoded {
            case 0: throw .nulByte
            case UInt8(ascii: "/"), UInt8(ascii: "\\"): throw .encodedSeparator
            default: break
            }
            index += 3
            return decoded
        default:
            index += 1
            return byte
        }
    }

    private static func appendSegment(
        _ bytes: [UInt8], to segments: inout [String]
    ) throws(StaticPathError) {
        if bytes.isEmpty || bytes == [UInt8(ascii: ".")] { return }
        if bytes == [UInt8(ascii: "."), UInt8(ascii: ".")] { throw .parentSegment }
        guard let segment = String(validating: bytes, as: UTF8.self) else { throw .invalidUTF8 }
        if bytes.first == UInt8(ascii: ".") { throw .hiddenSegment }
        segments.append(segment)
    }
}
