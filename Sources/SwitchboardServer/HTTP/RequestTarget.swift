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
    public init(parsing raw: String) throws(RequestTargetError) {
        var target = Substring(raw)
        if let hash = target.firstIndex(of: "#") { target = target[..<hash] }
        target = try Self.droppingSchemeAndAuthority(target)

        let question = target.firstIndex(of: "?")
        let rawPath = question.map { target[..<$0] } ?? target
        self.path = rawPath.isEmpty ? "/" : String(rawPath)
        if let question {
            self.query = try Self.parseQuery(target[target.index(after: question)...])
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
        _ target: Substring
    ) throws(RequestTargetError) -> Substring {
        if target.first == "/" || target == "*" { return target }
        let lowered = target.prefix(8).lowercased()
        let schemeLength: Int
        if lowered.hasPrefix("http://") {
            schemeLength = 7
        } else if lowered.hasPrefix("https://") {
            schemeLength = 8
        } else {
            throw .unsupportedForm
        }
        let afterScheme = target.dropFirst(schemeLength)
        guard let slash = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" }) else {
            return "/"
        }
        return afterScheme[slash...]
    }

    private static func parseQuery(
        _ query: Substring
    ) throws(RequestTargetError) -> [(name: String, value: String)] {
        var parameters: [(name: String, value: String)] = []
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            guard parameters.count < Self.maxQueryParameters else { throw .tooManyParameters }
            let equals = pair.firstIndex(of: "=")
            let name = try Self.formDecode(equals.map { pair[..<$0] } ?? pair)
            let value = try equals.map { index throws(RequestTargetError) in
                try Self.formDecode(pair[pair.index(after: index)...])
            } ?? ""
            parameters.append((name, value))
        }
        return parameters
    }

    /// Decodes `+` and `%XX`; refuses malformed escapes instead of guessing.
    static func formDecode(_ text: Substring) throws(RequestTargetError) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
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
