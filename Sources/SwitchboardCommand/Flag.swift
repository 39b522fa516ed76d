import SwitchboardServer

/// One command-line flag, its environment twin and how it changes the options.
struct Flag: Sendable {
    /// How a flag reads its value.
    enum Kind: Sendable {
        /// `--name VALUE` or `--name=VALUE`.
        case value(placeholder: String)
        /// `--name` alone means true; `--name=false` is accepted too.
        case toggle
        /// May be given many times; the environment twin takes a comma-separated list.
        case repeatable(placeholder: String)
    }

    /// The name without the leading dashes, e.g. `poll-expiry-seconds`.
    let name: String
    let kind: Kind
    /// The default as shown in `--help`.
    let defaultText: String
    /// One line for `--help`.
    let help: String
    /// Applies a raw value (for toggles: `"true"`/`"false"`).
    let apply: @Sendable (inout SwitchboardOptions, String) throws(FlagError) -> Void

    /// `SWITCHBOARD_` and the name in upper snake case.
    var environmentName: String {
        "SWITCHBOARD_" + self.name.uppercased().replacingDashes()
    }
}

extension String {
    fileprivate func replacingDashes() -> String {
        String(self.map { $0 == "-" ? "_" : $0 })
    }
}

/// Value parsers shared by the flag table; each throws `invalidValue` naming the flag.
enum FlagValue {
    static func integer(
        _ text: String, flag: String, range: ClosedRange<Int>
    ) throws(FlagError) -> Int {
        guard let value = Int(text), range.contains(value) else {
            throw .invalidValue(
                flag: flag, value: text,
                expected: "an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    static func boolean(_ text: String, flag: String) throws(FlagError) -> Bool {
        switch text.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw .invalidValue(flag: flag, value: text, expected: "true or false")
        }
    }

    static func nonEmpty(_ text: String, flag: String) throws(FlagError) -> String {
        guard !text.isEmpty else {
            throw .invalidValue(flag: flag, value: text, expected: "a non-empty value")
        }
        return text
    }
}
