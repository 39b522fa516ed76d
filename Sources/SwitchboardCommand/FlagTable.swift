import SwitchboardServer

/// Every flag the executable accepts. The names in SPEC.md are fixed; keep them.
enum FlagTable {
    static let all: [Flag] =
        networkFlags + httpFlags + chatFlags + storeFlags + longPollFlags + webSocketFlags
        + securityFlags + generalFlags

    /// A flag whose value is an integer in `range`, stored through `keyPath`.
    private static func integer(
        _ name: String, _ placeholder: String, _ defaultValue: Int, _ range: ClosedRange<Int>,
        _ keyPath: WritableKeyPath<ServerConfiguration, Int> & Sendable, help: String
    ) -> Flag {
        Flag(
            name: name, kind: .value(placeholder: placeholder), defaultText: "\(defaultValue)",
            help: help
        ) { options, value throws(FlagError) in
            options.server[keyPath: keyPath] = try FlagValue.integer(
                value, flag: name, range: range)
        }
    }

    /// A flag that is on or off, stored through `keyPath`.
    private static func toggle(
        _ name: String, _ defaultValue: Bool,
        _ keyPath: WritableKeyPath<ServerConfiguration, Bool> & Sendable, help: String
    ) -> Flag {
        Flag(name: name, kind: .toggle, defaultText: defaultValue ? "on" : "off", help: help) {
            options, value throws(FlagError) in
            options.server[keyPath: keyPath] = try FlagValue.boolean(value, flag: name)
        }
    }

    private static let chatFlags: [Flag] = [
        integer(
            "max-msg-bytes", "BYTES", 65_536, 1...16_777_216, \.maxMessageBytes,
            help: "longest msg of a send (413 beyond)"),
        integer(
            "max-body-bytes", "BYTES", 1_048_576, 1024...67_108_864, \.maxBodyBytes,
            help: "longest long-poll body and WebSocket message (413 / close 1009)"),
        integer(
            "max-uid-bytes", "BYTES", 64, 1...1024, \.maxUIDBytes,
            help: "longest uid"),
        integer(
            "queue-bytes", "BYTES", 1_048_576, 1024...1_073_741_824, \.queueBytes,
            help: "unsent bytes per connection before it is closed as a slow consumer"),
        toggle(
            "offline-queue", true, \.offlineQueueEnabled,
            help: "queue messages for offline users (off: 404 when the recipient is offline)"),
        integer(
            "inbox-max-messages", "N", 1000, 1...10_000_000, \.inboxMaxMessages,
            help: "messages kept per user inbox, also the offline queue's size (429 when full)"),
        integer(
            "inbox-retention-seconds", "SECONDS", 86_400, 1...31_536_000, \.inboxRetentionSeconds,
            help: "how long delivered messages (for since) and send ids (for dedupe) are kept"),
        integer(
            "rate-limit", "N", 0, 0...1_000_000, \.rateLimitPerSecond,
            help: "envelopes per second per connection, 429 beyond (0: off; 20 suits public use)"),
    ]

    private static let storeFlags: [Flag] = [
        Flag(
            name: "store", kind: .value(placeholder: "memory|sqlite:PATH"),
            defaultText: "sqlite:<data-dir>/\(SwitchboardOptions.defaultDatabaseName)",
            help: "where inboxes and offline queues live; memory is lost on exit"
        ) { options, value throws(FlagError) in
            options.requestedStore = try StoreLocation.parse(value)
        },
        Flag(
            name: "data-dir", kind: .value(placeholder: "DIR"), defaultText: "./data",
            help: "folder of the default store, created if missing"
        ) { options, value throws(FlagError) in
            options.dataDirectory = try FlagValue.nonEmpty(value, flag: "data-dir")
        },
        Flag(
            name: "sqlite-sync", kind: .value(placeholder: "normal|full"), defaultText: "normal",
            help: "normal survives a crash of the server; full also a power loss (slower)"
        ) { options, value throws(FlagError) in
            options.sqliteSync = try SQLiteSyncMode.parse(value)
        },
    ]

    private static let longPollFlags: [Flag] = [
        integer(
            "poll-expiry-seconds", "SECONDS", 60, 1...86_400, \.pollExpirySeconds,
            help: "a long-poll session with no GET for this long expires"),
        integer(
            "poll-timeout-max-seconds", "SECONDS", 60, 1...3600, \.pollTimeoutMaxSeconds,
            help: "the longest wait a long-poll GET may ask for"),
    ]

    private static let webSocketFlags: [Flag] = [
        integer(
            "ping-seconds", "SECONDS", 25, 1...86_400, \.pingSeconds,
            help: "ping a WebSocket client silent this long"),
        integer(
            "idle-timeout-seconds", "SECONDS", 60, 1...86_400, \.idleTimeoutSeconds,
            help: "close a WebSocket silent this long"),
        integer(
            "ws-threads", "N", 1, 1...64, \.webSocketThreads,
            help: "event-loop threads for WebSockets"),
        toggle(
            "ws-deflate", true, \.webSocketDeflate,
            help: "negotiate permessage-deflate when a client offers it"),
        toggle(
            "ws-echo", false, \.webSocketEcho,
            help: "serve a WebSocket echo at /v1/echo (for conformance tests)"),
    ]

    private static let securityFlags: [Flag] = [
        Flag(
            name: "jwt-secret", kind: .value(placeholder: "SECRET"), defaultText: "none (auth off)",
            help: "HS256 secret; bind then needs a token whose sub is the uid (prefer the env)"
        ) { options, value throws(FlagError) in
            options.server.jwtSecret = try FlagValue.nonEmpty(value, flag: "jwt-secret")
        },
        Flag(
            name: "allow-origin", kind: .repeatable(placeholder: "ORIGIN"), defaultText: "none",
            help: "another origin browsers may connect from, e.g. https://chat.example.com"
        ) { options, value throws(FlagError) in
            // An origin is scheme, host and port only; one with a path would never match the
            // `Origin` a browser sends, and silently so. A single trailing slash is forgiven.
            let origin = value.hasSuffix("/") ? String(value.dropLast()) : value
            let scheme = origin.hasPrefix("https://") ? "https://" : "http://"
            let authority = origin.dropFirst(scheme.count)
            guard origin.hasPrefix(scheme), !authority.isEmpty,
                !authority.contains(where: { "/?#@ ".contains($0) })
            else {
                throw .invalidValue(
                    flag: "allow-origin", value: value,
                    expected: "an origin like https://host:port, with no path")
            }
            options.server.allowedOrigins.append(origin)
        },
        Flag(
            name: "tls-cert", kind: .value(placeholder: "FILE"), defaultText: "none",
            help: "PEM certificate chain: serve HTTPS and WSS (with --tls-key)"
        ) { options, value throws(FlagError) in
            options.server.tlsCertificatePath = try FlagValue.nonEmpty(value, flag: "tls-cert")
        },
        Flag(
            name: "tls-key", kind: .value(placeholder: "FILE"), defaultText: "none",
            help: "PEM private key for --tls-cert"
        ) { options, value throws(FlagError) in
            options.server.tlsKeyPath = try FlagValue.nonEmpty(value, flag: "tls-key")
        },
        integer(
            "max-connections-per-ip", "N", 64, 0...1_000_000, \.maxConnectionsPerAddress,
            help: "connections one client address may hold (0: no limit; loopback exempt)"),
        integer(
            "max-poll-sessions-per-ip", "N", 32, 0...1_000_000, \.maxPollSessionsPerAddress,
            help: "long-poll sessions one client address may hold (0: no limit; loopback exempt)"),
        toggle(
            "limit-loopback", false, \.limitLoopback,
            help: "apply the per-address limits to loopback clients too"),
        integer(
            "request-timeout-seconds", "SECONDS", 30, 0...3600, \.requestTimeoutSeconds,
            help: "a client must send a whole request within this (slowloris defence; 0: off)"),
    ]

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
            options.server.port = UInt16(
                try FlagValue.integer(value, flag: "port", range: 0...65_535))
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
            options.server.httpThreads = try FlagValue.integer(
                value, flag: "threads", range: 1...64)
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
            defaultText: "5632",
            help: "memory per HTTP connection; bounds request heads and cookies (431 beyond)"
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
        }
    ]
}
