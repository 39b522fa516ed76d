/// A command line or environment variable the server cannot accept.
public enum FlagError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A `--name` that no flag has.
    case unknownFlag(String)
    /// A flag that takes a value came last, with nothing after it.
    case missingValue(flag: String)
    /// A value of the wrong shape; `expected` says what would do.
    case invalidValue(flag: String, value: String, expected: String)
    /// A plain word where a flag was expected.
    case unexpectedArgument(String)
    /// Flags that only make sense together, given alone.
    case inconsistent(String)

    public var description: String {
        switch self {
        case .unknownFlag(let flag):
            "unknown flag \(flag) (see --help)"
        case .missingValue(let flag):
            "flag --\(flag) needs a value"
        case .invalidValue(let flag, let value, let expected):
            "invalid value \"\(value)\" for --\(flag): expected \(expected)"
        case .unexpectedArgument(let argument):
            "unexpected argument \"\(argument)\" (flags start with --)"
        case .inconsistent(let reason):
            reason
        }
    }
}
