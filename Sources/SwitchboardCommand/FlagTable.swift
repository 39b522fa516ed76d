import SwitchboardServer

/// Every flag the executable accepts. The names in SPEC.md are fixed; keep them.
enum FlagTable {
    static let all: [Flag] = networkFlags + httpFlags + generalFlags

    private static let networkFlags: [Flag] = [
        Flag(
            name: "host", kind: .value(placeholder: "ADDRESS"), defaultText: "127.0.0.1",
            help: "address to listen on (0.0.0.0 or :: for every interface)"
        ) { options, value throws(FlagError) in
            options.server.host = try FlagValue.nonEmpty(value, flag: "host")
        },
        Flag(
            name: "port", kind: .value(placeholder: "N"), defaultText: "8080",
            help: "TCP port to listen on (0 picks a free one)"
        ) { options, value throws(FlagError) in
            options.server.port = UInt16(try FlagValue.integer(value, flag: "port", range: 0...65_535))
        },
        Flag(
            name: "public", kind: .value(placeholder: "DIR"), defaultText: "./public",
            help: "folder of static files for the chat page"
        ) { options, value throws(FlagError) in
            options.server.publicDirectory = try FlagValue.nonEmpty(value, flag: "public")
        },
    ]

    private static let httpFlags: [Flag] = [
        Flag(
            name: "threads", kind: .value(placeholder: "N"), defaultText: "2",
            help: "libmicrohttpd worker threads (HTTP, long-poll, TLS)"
        ) { options, value throws(FlagError) in
            options.server.httpThreads = try FlagValue.integer(value, flag: "threads", range: 1...64)
        },
        Flag(
            name: "max-connections", kind: .value(placeholder: "N"), defaultText: "19000",
            help: "connections held at once, WebSockets and parked polls included"
        ) { options, value throws(FlagError) in
            options.server.maxConnections = try FlagValue.integer(
                value, flag: "max-connections", range: 1...1_000_000)
        },
        Flag(
            name: "connection-memory-bytes", kind: .value(placeholder: "BYTES"),
            defaultText: "8192",
            help: "memory per HTTP connection; bounds request headers (larger gets 431)"
        ) { options, value throws(FlagError) in
            options.server.connectionMemoryBytes = try FlagValue.integer(
                value, flag: "connection-memory-bytes", range: 4096...1_048_576)
        },
        Flag(
            name: "http-idle-timeout-seconds", kind: .value(placeholder: "SECONDS"),
            defaultText: "60", help: "close idle keep-alive HTTP connections after this long"
        ) { options, value throws(FlagError) in
            options.server.httpIdleTimeoutSeconds = try FlagValue.integer(
                value, flag: "http-idle-timeout-seconds", range: 1...86_400)
        },
        Flag(
            name: "shutdown-grace-seconds", kind: .value(placeholder: "SECONDS"),
            defaultText: "3", help: "on SIGTERM/SIGINT, how long in-flight responses may take"
        ) { options, value throws(FlagError) in
            options.server.shutdownGraceSeconds = try FlagValue.integer(
                value, flag: "shutdown-grace-seconds", range: 0...300)
        },
    ]

    private static let generalFlags: [Flag] = [
        Flag(
            name: "log-level", kind: .value(placeholder: "LEVEL"), defaultText: "info",
            help: "trace, debug, info, warning or error"
        ) { options, value throws(FlagError) in
            guard let level = LogLevel(name: value) else {
                throw .invalidValue(
                    flag: "log-level", value: value,
                    expected: "trace, debug, info, notice, warning, error or critical")
            }
            options.server.logLevel = level
        },
    ]
}
