// swift-tools-version:6.0
import PackageDescription

/// Switchboard: a real-time chat gateway (WebSocket + HTTP long-poll) on libmicrohttpd.
///
/// Layering, from the bottom: thin system-library shims (`C*`), two pure modules with no I/O
/// (`WebSocketCore`, `ChatRouter`), the durable store (`SQLiteStore`), the one module that owns
/// sockets and libmicrohttpd (`SwitchboardServer`), and the executables.
let package = Package(
    name: "Switchboard",
    products: [
        .executable(name: "switchboard", targets: ["switchboard"]),
        .executable(name: "switchboard-bench", targets: ["switchboard-bench"]),
    ],
    targets: [
        .systemLibrary(
            name: "CMicroHTTPD", pkgConfig: "libmicrohttpd",
            providers: [.apt(["libmicrohttpd-dev"])]),
        .systemLibrary(name: "CLinux"),
        .systemLibrary(
            name: "CGnuTLS", pkgConfig: "gnutls", providers: [.apt(["libgnutls28-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(
            name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),

        .target(name: "WebSocketCore", dependencies: ["CGnuTLS", "CZlib"]),
        .target(name: "ChatRouter", dependencies: ["CGnuTLS"]),
        .target(name: "SQLiteStore", dependencies: ["ChatRouter", "CSQLite"]),
        .target(
            name: "SwitchboardServer",
            dependencies: ["CMicroHTTPD", "CLinux", "WebSocketCore", "ChatRouter"]),
        .target(name: "SwitchboardCommand", dependencies: ["SwitchboardServer"]),
        .executableTarget(
            name: "switchboard",
            dependencies: [
                "SwitchboardCommand", "SwitchboardServer", "ChatRouter", "SQLiteStore",
            ]),
        .executableTarget(
            name: "switchboard-bench",
            dependencies: ["CLinux", "WebSocketCore", "ChatRouter"]),

        .testTarget(name: "WebSocketCoreTests", dependencies: ["WebSocketCore"]),
        .testTarget(name: "ChatRouterTests", dependencies: ["ChatRouter"]),
        .testTarget(name: "SQLiteStoreTests", dependencies: ["SQLiteStore", "ChatRouter"]),
        .testTarget(name: "SwitchboardCommandTests", dependencies: ["SwitchboardCommand"]),
        .testTarget(
            name: "SwitchboardServerTests",
            dependencies: [
                "SwitchboardServer", "WebSocketCore", "ChatRouter", "SQLiteStore", "CLinux",
            ]),
    ]
)
