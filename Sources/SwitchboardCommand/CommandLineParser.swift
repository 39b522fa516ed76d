import SwitchboardServer

/// Turns arguments and environment variables into `SwitchboardOptions`.
///
/// Environment variables are read first and flags override them, so a deployment can set
/// defaults in the environment and a person can still override one on the command line. A
/// repeatable flag given on the command line replaces its environment list rather than adding
/// to it: an operator narrowing `--allow-origin` by hand must not keep the wider list.
public enum CommandLineParser {
    /// Parses `arguments` (without the program name) over `environment`.
    public static func parse(
        arguments: [String], environment: [String: String]
    ) throws(FlagError) -> SwitchboardOptions {
        var options = SwitchboardOptions()
        for flag in FlagTable.all {
            if case .repeatable = flag.kind { continue }
            guard let value = environment[flag.environmentName] else { continue }
            try Self.applyEnvironment(flag, value, to: &options)
        }
        var remaining = arguments[...]
        var given: Set<String> = []
        while let argument = remaining.popFirst() {
            if let name = try Self.applyArgument(argument, remaining: &remaining, to: &options) {
                given.insert(name)
            }
        }
        for flag in FlagTable.all where !given.contains(flag.name) {
            guard case .repeatable = flag.kind, let value = environment[flag.environmentName]
            else { continue }
            try Self.applyEnvironment(flag, value, to: &options)
        }
        return options
    }

    private static func applyEnvironment(
        _ flag: Flag, _ value: String, to options: inout SwitchboardOptions
    ) throws(FlagError) {
        switch flag.kind {
        case .repeatable:
            for item in value.split(separator: ",") {
                let trimmed = String(item.trimmingCharacters(in: " "))
                if !trimmed.isEmpty { try flag.apply(&options, trimmed) }
            }
        case .toggle:
            let enabled = try FlagValue.boolean(value, flag: flag.name)
            try flag.apply(&options, enabled ? "true" : "false")
        case .value:
            try flag.apply(&options, value)
        }
    }

    /// Applies one argument; returns the flag's name, if it was one.
    private static func applyArgument(
        _ argument: String, remaining: inout ArraySlice<String>,
        to options: inout SwitchboardOptions
    ) throws(FlagError) -> String? {
        switch argument {
        case "-h", "--help":
            options.action = .showHelp
            return nil
        case "--version":
            options.action = .showVersion
            return nil
        default:
            break
        }
        guard argument.hasPrefix("--"), argument.count > 2 else {
            throw .unexpectedArgument(argument)
        }
        let body = argument.dropFirst(2)
        let name = String(body.prefix { $0 != "=" })
        let inlineValue = body.firstIndex(of: "=").map { String(body[body.index(after: $0)...]) }
        guard let flag = FlagTable.all.first(where: { $0.name == name }) else {
            throw .unknownFlag("--" + name)
        }
        switch flag.kind {
        case .toggle:
            let enabled =
                try inlineValue.map { value throws(FlagError) in
                    try FlagValue.boolean(value, flag: name)
                } ?? true
            try flag.apply(&options, enabled ? "true" : "false")
        case .value, .repeatable:
            // `--jwt-secret --ws-echo` forgot the secret; taking the next flag as the value
            // would start a server configured otherwise than intended. A value that really
            // starts with two dashes can be given as `--name=--value`.
            if inlineValue == nil, remaining.first?.hasPrefix("--") == true {
                throw .missingValue(flag: name)
            }
            guard let value = inlineValue ?? remaining.popFirst() else {
                throw .missingValue(flag: name)
            }
            try flag.apply(&options, value)
        }
        return name
    }

    /// The `--help` text, generated from the flag table so it cannot drift from it.
    public static func helpText(programName: String = "switchboard") -> String {
        var lines = [
            "usage: \(programName) [flags]",
            "",
            "Switchboard: a chat gateway serving a browser page, WebSocket and HTTP long-poll.",
            "Every flag also reads an environment variable; flags win over the environment.",
            "",
            "flags:",
        ]
        for flag in FlagTable.all {
            let usage: String
            switch flag.kind {
            case .value(let placeholder): usage = "--\(flag.name) \(placeholder)"
            case .repeatable(let placeholder): usage = "--\(flag.name) \(placeholder) (repeatable)"
            case .toggle: usage = "--\(flag.name)"
            }
            lines.append("  \(usage)")
            lines.append("      \(flag.help)")
            lines.append("      default: \(flag.defaultText) · env: \(flag.environmentName)")
        }
        lines.append("  --help       show this text")
        lines.append("  --version    show the version")
        return lines.joined(separator: "\n")
    }

    /// The version string printed by `--version`.
    public static let version = "switchboard 0.1.0"
}

extension Substring {
    fileprivate func trimmingCharacters(in character: Character) -> Substring {
        var result = self
        while result.first == character { result.removeFirst() }
        while result.last == character { result.removeLast() }
        return result
    }
}
