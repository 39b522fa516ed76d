import SwitchboardServer

/// Turns arguments and environment variables into `SwitchboardOptions`.
///
/// Environment variables are read first and flags override them, so a deployment can set
/// defaults in the environment and a person can still override one on the command line.
public enum CommandLineParser {
    /// Parses `arguments` (without the program name) over `environment`.
    public static func parse(
        arguments: [String], environment: [String: String]
    ) throws(FlagError) -> SwitchboardOptions {
        var options = SwitchboardOptions()
        for flag in FlagTable.all {
            guard let value = environment[flag.environmentName] else { continue }
            try Self.applyEnvironment(flag, value, to: &options)
        }
        var remaining = arguments[...]
        while let argument = remaining.popFirst() {
            try Self.applyArgument(argument, remaining: &remaining, to: &options)
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

    private static func applyArgument(
        _ argument: String, remaining: inout ArraySlice<String>,
        to options: inout SwitchboardOptions
    ) throws(FlagError) {
        switch argument {
        case "-h", "--help":
            options.action = .showHelp
            return
        case "--version":
            options.action = .showVersion
            return
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
            guard let value = inlineValue ?? remaining.popFirst() else {
                throw .missingValue(flag: name)
            }
            try flag.apply(&options, value)
        }
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
