/// Why a byte sequence is not a JSON text as RFC 8259 defines it (UTF-8 only, RFC 8259 §8.1).
///
/// Cases carry no offsets or input bytes: the `description` becomes part of a V1 error `msg`
/// sent back to the client, and must never echo what the client sent.
public enum JSONSyntaxError: Error, CaseIterable, Equatable, Hashable, Sendable,
    CustomStringConvertible
{
    /// The input ended inside a value, or held no value at all (empty or only whitespace).
    case unexpectedEndOfInput
    /// A byte that cannot start or continue a value here (for example `+`, `'`, a stray `}`
    /// or a byte-order mark).
    case unexpectedCharacter
    /// A bare word that is not exactly `true`, `false` or `null`.
    case invalidLiteral
    /// A number that breaks the RFC 8259 §6 grammar: a leading zero, `+`, `.5`, `1.`, `1e`.
    case invalidNumber
    /// A backslash not followed by one of `" \ / b f n r t` or by `u` and four hex digits.
    case invalidEscape
    /// A `\uD800`–`\uDFFF` escape that is not part of a high-then-low pair: it names no
    /// Unicode scalar, so it cannot be represented in UTF-8.
    case unpairedSurrogate
    /// A raw byte below 0x20 inside a string; RFC 8259 §7 requires it to be escaped.
    case controlCharacterInString
    /// Bytes that are not well-formed UTF-8 (RFC 3629): overlong forms, encoded surrogates,
    /// scalars above U+10FFFF, stray continuation bytes or a truncated sequence.
    case invalidUTF8
    /// Arrays and objects nested deeper than the reader's limit.
    case nestingTooDeep
    /// Something other than whitespace after the complete top-level value.
    case trailingCharacters

    /// A short lowercase phrase with no final period, safe to send to the client.
    public var description: String {
        switch self {
        case .unexpectedEndOfInput: "unexpected end of input"
        case .unexpectedCharacter: "unexpected character"
        case .invalidLiteral: "invalid literal"
        case .invalidNumber: "invalid number"
        case .invalidEscape: "invalid escape sequence"
        case .unpairedSurrogate: "unpaired surrogate escape"
        case .controlCharacterInString: "unescaped control character in string"
        case .invalidUTF8: "invalid utf-8"
        case .nestingTooDeep: "nesting too deep"
        case .trailingCharacters: "trailing characters after value"
        }
    }
}
