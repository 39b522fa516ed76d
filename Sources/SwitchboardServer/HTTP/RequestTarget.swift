/// Why a request target could not be parsed.
public enum RequestTargetError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A `%` not followed by two hex digits in the query.
    case malformedPercentEncoding
    /// A decoded query name or value is not valid UTF-8.
    case invalidUTF8
    /// More query parameters than `RequestTarget.maxQueryParameters`.
    case tooManyParameters
    /// Neither origin-form (`/path`) nor absolute-form (`http://host/path`).
    case unsupportedForm

    public var description: String {
        switch self {
        case .malformedPercentEncoding: "malformed percent-encoding in query"
        case .invalidUTF8: "query is not valid utf-8"
        case .tooManyParameters: "too many query parameters"
        case .unsupportedForm: "unsupported request target"
        }
    }
}

/// The request line's target, split into the raw path and decoded query parameters.
///
/// The path stays percent-encoded: each consumer decodes it with its own rules (static files
/// refuse encoded separators, API routes compare it literally). Query parameters are decoded
/// as `application/x-www-form-urlencoded` (`+` is a space), which is what browsers and
/// `curl --data-urlencode -G` produce.
public struct RequestTarget: Equatable, Sendable {
    /// At most this many query parameters are accepted; nothing legitimate needs more.
    public static let maxQueryParameters = 32

    /// The path, still percent-encoded, always starting with `/` (or `*` for `OPTIONS *`).
    public let path: String
    /// Query parameters in order of appearance, decoded.
    public let query: [(name: String, value: String)]

    /// Parses an origin-form or absolute-form request target; a fragment is dropped.
    ///
    /// Delimiters are found byte by byte, never by Character: a combining mark right after
    /// `?`, `&`, `=` or `#` would otherwise fuse with it into one grapheme and hide it.
    public init(parsing raw: String) throws(RequestTargetError) {
        let bytes = Array(raw.utf8)
        var target = bytes[...]
        if let hash = target.firstIndex(of: UInt8(ascii: "#")) { target = target[..<hash] }
        target = try Self.droppingSchemeAndAuthority(target)

        let question = target.firstIndex(of: UInt8(ascii: "?"))
        let rawPath = question.map { target[..<$0] } ?? target
        self.path = rawPath.isEmpty ? "/" : String(decoding: rawPath, as: UTF8.self)
        if let question {
            self.query = try Self.parseQuery(target[(question + 1)...])
        } else {
            self.query = []
        }
    }

    public static func == (lhs: RequestTarget, rhs: RequestTarget) -> Bool {
        lhs.path == rhs.path && lhs.query.elementsEqual(rhs.query) { $0 == $1 }
    }

    /// The first value of a query parameter, or nil.
    public func queryValue(_ name: String) -> String? {
        self.query.first { $0.name == name }?.value
    }

    private static func droppingSchemeAndAuthority(
        _ target: ArraySlice<UInt8>
    ) throws(RequestTargetError) -> ArraySlice<UInt8> {
        if target.first == UInt8(ascii: "/") || target.elementsEqual([UInt8(ascii: "*")]) {
            return target
        }
        let lowered = target.prefix(8).map(ASCII.lowercased)
        let schemeLength: Int
        if lowered.starts(with: Array("http://".utf8)) {
            schemeLength = 7
        } else if lowered.starts(with: Array("https://".utf8)) {
            schemeLength = 8
        } else {
            throw .unsupportedForm
        }
        let afterScheme = target.dropFirst(schemeLength)
        guard
            let slash = afterScheme.firstIndex(where: {
                $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?")
            })
        else {
            return Array("/".utf8)[...]
        }
        return afterScheme[slash...]
    }

    private static func parseQuery(
        _ query: ArraySlice<UInt8>
    ) throws(RequestTargetError) -> [(name: String, value: String)] {
        var parameters: [(name: String, value: String)] = []
        for pair in query.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            guard parameters.count < Self.maxQueryParameters else { throw .tooManyParameters }
            let equals = pair.firstIndex(of: UInt8(ascii: "="))
            let name = try Self.formDecode(equals.map { pair[..<$0] } ?? pair)
            let value =
                try equals.map { index throws(RequestTargetError) in
                    try Self.formDecode(pair[(index + 1)...])
                } ?? ""
            parameters.append((name, value))
        }
        return parameters
    }

    /// Decodes `+` and `%XX`; refuses malformed escapes instead of guessing.
    static func formDecode(_ text: ArraySlice<UInt8>) throws(RequestTargetError) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count)
        var iterator = text.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(ASCII.hexDigitValue),
                    let low = iterator.next().flatMap(ASCII.hexDigitValue)
                else { throw .malformedPercentEncoding }
                bytes.append(high << 4 | low)
            default:
                bytes.append(byte)
            }
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else { throw .invalidUTF8 }
        return decoded
    }
}
