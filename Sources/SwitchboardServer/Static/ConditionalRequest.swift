/// The validators of a file, and the RFC 9110 §13 decision whether a request's copy is current.
public struct FileValidators: Equatable, Sendable {
    /// A strong entity tag built from size and modification time, quoted as on the wire.
    public let entityTag: String
    /// Modification time, whole seconds since the Unix epoch.
    public let lastModifiedSeconds: Int

    /// Builds validators from a file's size and modification time (nanosecond precision, so an
    /// edit within the same second still changes the tag).
    public init(size: Int, modifiedSeconds: Int, modifiedNanoseconds: Int) {
        let size = String(size, radix: 16)
        let time = String(modifiedSeconds, radix: 16) + String(modifiedNanoseconds, radix: 16)
        self.entityTag = "\"\(size)-\(time)\""
        self.lastModifiedSeconds = modifiedSeconds
    }

    /// Whether a GET or HEAD with these conditional headers should get 304 Not Modified.
    ///
    /// `If-None-Match` wins when present (RFC 9110 §13.2.2): it matches `*` or any listed tag,
    /// compared weakly (a `W/` prefix is ignored). Only without it is `If-Modified-Since`
    /// consulted; an unparsable date is ignored, as the RFC requires.
    public func isNotModified(ifNoneMatch: String?, ifModifiedSince: String?) -> Bool {
        if let ifNoneMatch {
            return Self.entityTags(in: ifNoneMatch).contains { tag in
                tag == "*" || Self.weakComparable(tag) == Self.weakComparable(self.entityTag)
            }
        }
        if let ifModifiedSince, let since = HTTPDate.parse(ifModifiedSince) {
            return self.lastModifiedSeconds <= since
        }
        return false
    }

    private static func entityTags(in header: String) -> [Substring] {
        header.split(separator: ",").map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
    }

    private static func weakComparable(_ tag: some StringProtocol) -> Substring {
        let tag = Substring(tag)
        return tag.hasPrefix("W/") ? tag.dropFirst(2) : tag
    }
}

extension Substring {
    /// The substring without leading and trailing spaces and tabs (HTTP's optional whitespace).
    func trimmingSpaces() -> Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" { result.removeFirst() }
        while let last = result.last, last == " " || last == "\t" { result.removeLast() }
        return result
    }
}
