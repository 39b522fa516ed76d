/// The few pieces of HTTP field syntax (RFC 9110 §5.6) the handshakes need: case-insensitive
/// names, comma-separated lists spread over repeated fields, tokens and quoted strings.
enum HTTPFieldSyntax {
    /// The values of every field called `name` (ASCII case-insensitive), in order.
    static func values(
        named name: String, in headers: [(name: String, value: String)]
    )
        -> [String]
    {
        headers.compactMap { self.equalsIgnoringASCIICase($0.name, name) ? $0.value : nil }
    }

    /// The elements of a comma-separated list spread over `values`, trimmed, empty elements
    /// dropped (RFC 9110 §5.6.1).
    static func listElements(_ values: [String]) -> [Substring] {
        values.flatMap { value in
            value.split(separator: ",", omittingEmptySubsequences: false)
                .map { self.trimmingWhitespace($0) }
                .filter { !$0.isEmpty }
        }
    }

    /// Whether the list spread over `values` contains `token`, compared ignoring ASCII case.
    static func listContains(_ values: [String], token: String) -> Bool {
        self.listElements(values).contains { self.equalsIgnoringASCIICase($0, token) }
    }

    /// Whether two field names or tokens are equal ignoring ASCII case.
    static func equalsIgnoringASCIICase(
        _ lhs: some StringProtocol, _ rhs: some StringProtocol
    )
        -> Bool
    {
        lhs.utf8.count == rhs.utf8.count
            && zip(lhs.utf8, rhs.utf8).allSatisfy { self.lowercased($0) == self.lowercased($1) }
    }

    /// `text` without leading and trailing spaces and tabs (RFC 9110 OWS).
    static func trimmingWhitespace(_ text: Substring) -> Substring {
        var trimmed = text
        while let first = trimmed.utf8.first, first == 0x20 || first == 0x09 {
            trimmed = trimmed.dropFirst()
        }
        while let last = trimmed.utf8.last, last == 0x20 || last == 0x09 {
            trimmed = trimmed.dropLast()
        }
        return trimmed
    }

    /// Whether `text` is a non-empty RFC 9110 token (letters, digits and ``!#$%&'*+-.^_`|~``).
    static func isToken(_ text: some StringProtocol) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy(self.isTokenCharacter)
    }

    /// Whether `byte` may appear in a token (RFC 9110 §5.6.2 tchar).
    static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    /// Splits `text` at `separator` where it is not inside a quoted string; nil when a quoted
    /// string is left open.
    static func split(_ text: Substring, outsideQuotesAt separator: Character) -> [Substring]? {
        var parts: [Substring] = []
        var partStart = text.startIndex
        var isQuoted = false
        var isEscaped = false
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if isEscaped {
                isEscaped = false
            } else if isQuoted && character == "\\" {
                isEscaped = true
            } else if character == "\"" {
                isQuoted.toggle()
            } else if !isQuoted && character == separator {
                parts.append(text[partStart..<index])
                partStart = text.index(after: index)
            }
            index = text.index(after: index)
        }
        guard !isQuoted else { return nil }
        parts.append(text[partStart..<text.endIndex])
        return parts
    }

    /// The content of a quoted string with its escapes removed, or nil when `text` is not
    /// exactly one quoted string.
    static func unquoted(_ text: Substring) -> String? {
        guard text.count >= 2, text.first == "\"", text.last == "\"" else { return nil }
        var content = ""
        var isEscaped = false
        for character in text.dropFirst().dropLast() {
            if isEscaped {
                content.append(character)
                isEscaped = false
            } else if character == "\\" {
                isEscaped = true
            } else if character == "\"" {
                return nil
            } else {
                content.append(character)
            }
        }
        return isEscaped ? nil : content
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
    }
}

/// One element of a Sec-WebSocket-Extensions list (RFC 6455 §9.1): an extension name and its
/// parameters, values unquoted.
struct ExtensionElement: Hashable, Sendable {
    /// One `name[=value]` parameter.
    struct Parameter: Hashable, Sendable {
        /// The parameter token, as sent.
        var name: String
        /// The value, unquoted; nil for a parameter without `=`.
        var value: String?
    }

    /// The extension token, as sent.
    var name: String
    /// The parameters in order.
    var parameters: [Parameter]

    /// Parses every element of the lists in `values`, in order. An element that breaks the
    /// grammar comes back as nil, so a caller can decline just that offer and keep the rest.
    static func parseList(_ values: [String]) -> [ExtensionElement?] {
        var elements: [ExtensionElement?] = []
        for value in values {
            guard let parts = HTTPFieldSyntax.split(value[...], outsideQuotesAt: ",") else {
                elements.append(nil)
                continue
            }
            for part in parts where !HTTPFieldSyntax.trimmingWhitespace(part).isEmpty {
                elements.append(self.parseElement(part))
            }
        }
        return elements
    }

    private static func parseElement(_ text: Substring) -> ExtensionElement? {
        guard let pieces = HTTPFieldSyntax.split(text, outsideQuotesAt: ";"),
            let namePiece = pieces.first
        else { return nil }
        let name = HTTPFieldSyntax.trimmingWhitespace(namePiece)
        guard HTTPFieldSyntax.isToken(name) else { return nil }
        var parameters: [Parameter] = []
        for piece in pieces.dropFirst() {
            guard let parameter = self.parseParameter(piece) else { return nil }
            parameters.append(parameter)
        }
        return ExtensionElement(name: String(name), parameters: parameters)
    }

    private static func parseParameter(_ text: Substring) -> Parameter? {
        let pair = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let name = HTTPFieldSyntax.trimmingWhitespace(pair[0])
        guard HTTPFieldSyntax.isToken(name) else { return nil }
        guard pair.count == 2 else { return Parameter(name: String(name), value: nil) }
        let rawValue = HTTPFieldSyntax.trimmingWhitespace(pair[1])
        // RFC 6455 §9.1: a quoted value must still be a token once unquoted.
        let value = rawValue.first == "\"" ? HTTPFieldSyntax.unquoted(rawValue) : String(rawValue)
        guard let value, HTTPFieldSyntax.isToken(value) else { return nil }
        return Parameter(name: String(name), value: value)
    }
}
