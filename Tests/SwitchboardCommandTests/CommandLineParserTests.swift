import SwitchboardServer
import Testing

@testable import SwitchboardCommand

@Suite struct CommandLineParserTests {
    @Test func defaultsMatchTheDocumentedOnes() throws {
        let options = try CommandLineParser.parse(arguments: [], environment: [:])
        #expect(options.action == .serve)
        #expect(options.server.host == "127.0.0.1")
        #expect(options.server.port == 8080)
        #expect(options.server.publicDirectory == "./public")
        #expect(options.server.logLevel == .info)
    }

    @Test func acceptsSpaceAndEqualsForms() throws {
        let spaced = try CommandLineParser.parse(arguments: ["--port", "9000"], environment: [:])
        let joined = try CommandLineParser.parse(arguments: ["--port=9000"], environment: [:])
        #expect(spaced.server.port == 9000)
        #expect(joined.server.port == 9000)
    }

    @Test func environmentTwinIsReadAndFlagWins() throws {
        let environment = ["SWITCHBOARD_PORT": "7000", "SWITCHBOARD_HOST": "::1"]
        let fromEnvironment = try CommandLineParser.parse(arguments: [], environment: environment)
        #expect(fromEnvironment.server.port == 7000)
        #expect(fromEnvironment.server.host == "::1")
        let overridden = try CommandLineParser.parse(
            arguments: ["--port", "7001"], environment: environment)
        #expect(overridden.server.port == 7001)
    }

    @Test func environmentNamesAreUpperSnakeCase() {
        for flag in FlagTable.all {
            #expect(flag.environmentName.hasPrefix("SWITCHBOARD_"))
            #expect(!flag.environmentName.contains("-"))
            #expect(flag.environmentName == flag.environmentName.uppercased())
        }
        let names = FlagTable.all.map(\.name)
        #expect(Set(names).count == names.count, "flag names must be unique")
    }

    @Test(arguments: [
        (["--bogus"], FlagError.unknownFlag("--bogus")),
        (["--port"], .missingValue(flag: "port")),
        (
            ["--port", "-1"],
            .invalidValue(flag: "port", value: "-1", expected: "an integer from 0 to 65535")
        ),
        (
            ["--port", "65536"],
            .invalidValue(flag: "port", value: "65536", expected: "an integer from 0 to 65535")
        ),
        (
            ["--port", "80x"],
            .invalidValue(flag: "port", value: "80x", expected: "an integer from 0 to 65535")
        ),
        (["--host", ""], .invalidValue(flag: "host", value: "", expected: "a non-empty value")),
        (["serve"], .unexpectedArgument("serve")),
        (["-p"], .unexpectedArgument("-p")),
        (["--jwt-secret", "--ws-echo"], .missingValue(flag: "jwt-secret")),
        (["--allow-origin", "--port", "80"], .missingValue(flag: "allow-origin")),
        (
            ["--allow-origin", "https://chat.example/app"],
            .invalidValue(
                flag: "allow-origin", value: "https://chat.example/app",
                expected: "an origin like https://host:port, with no path")
        ),
        (
            ["--allow-origin", "https://"],
            .invalidValue(
                flag: "allow-origin", value: "https://",
                expected: "an origin like https://host:port, with no path")
        ),
    ])
    func rejectsBadArguments(arguments: [String], expected: FlagError) {
        #expect(throws: expected) {
            try CommandLineParser.parse(arguments: arguments, environment: [:])
        }
    }

    @Test func aValueStartingWithDashesNeedsTheEqualsForm() throws {
        let options = try CommandLineParser.parse(
            arguments: ["--jwt-secret=--odd-secret"], environment: [:])
        #expect(options.server.jwtSecret == "--odd-secret")
    }

    @Test func allowOriginOnTheCommandLineReplacesTheEnvironmentList() throws {
        let environment = ["SWITCHBOARD_ALLOW_ORIGIN": "https://a.example, https://b.example"]
        let fromEnvironment = try CommandLineParser.parse(arguments: [], environment: environment)
        #expect(fromEnvironment.server.allowedOrigins == ["https://a.example", "https://b.example"])
        let narrowed = try CommandLineParser.parse(
            arguments: ["--allow-origin", "https://d.example/", "--allow-origin=http://e:81"],
            environment: environment)
        #expect(narrowed.server.allowedOrigins == ["https://d.example", "http://e:81"])
    }

    @Test func rejectsBadEnvironmentValuesToo() {
        #expect(throws: FlagError.self) {
            try CommandLineParser.parse(arguments: [], environment: ["SWITCHBOARD_PORT": "many"])
        }
    }

    @Test(arguments: [
        ("trace", LogLevel.trace), ("DEBUG", .debug), ("warn", .warning), ("error", .error),
    ])
    func parsesLogLevels(name: String, level: LogLevel) throws {
        let options = try CommandLineParser.parse(
            arguments: ["--log-level", name], environment: [:])
        #expect(options.server.logLevel == level)
    }

    @Test func helpAndVersionAreActions() throws {
        #expect(
            try CommandLineParser.parse(arguments: ["--help"], environment: [:]).action == .showHelp
        )
        #expect(
            try CommandLineParser.parse(arguments: ["-h"], environment: [:]).action == .showHelp)
        #expect(
            try CommandLineParser.parse(arguments: ["--version"], environment: [:]).action
                == .showVersion)
    }

    @Test func helpListsEveryFlagWithItsEnvironmentTwin() {
        let help = CommandLineParser.helpText()
        for flag in FlagTable.all {
            #expect(help.contains("--\(flag.name)"))
            #expect(help.contains(flag.environmentName))
        }
    }

    @Test func errorMessagesNameTheFlag() {
        #expect(FlagError.missingValue(flag: "port").description == "flag --port needs a value")
        #expect(FlagError.unknownFlag("--x").description.contains("--help"))
    }
}
