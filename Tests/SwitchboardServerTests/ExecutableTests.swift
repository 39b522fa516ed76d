import ChatRouter
import Glibc
import Testing

/// The `switchboard` executable as an operator meets it: flags, errors, signals.
@Suite struct ExecutableTests {
    let publicDirectory: TemporaryDirectory

    init() throws {
        self.publicDirectory = try TemporaryDirectory()
        try self.publicDirectory.write("index.html", "hello")
    }

    private func start(
        _ arguments: [String], environment: [String: String] = [:]
    ) throws -> ChildProcess {
        try ChildProcess(
            executable: "switchboard",
            // Memory store: these servers run in parallel, and the default SQLite file in the
            // working directory may be held by only one process at a time.
            arguments: ["--public", self.publicDirectory.path, "--store", "memory"] + arguments,
            environment: environment)
    }

    @Test func sigtermStopsGracefullyWithExitZero() throws {
        let child = try self.start(["--port", "0"])
        let port = try #require(child.waitForListeningPort())
        #expect(try HTTPTestClient.request(port: port, path: "/").text == "hello")
        child.send(signal: SIGTERM)
        #expect(child.waitForExit() == 0)
        #expect(child.errorText.contains("stopped"))
    }

    @Test func sigintStopsGracefullyToo() throws {
        let child = try self.start(["--port", "0"])
        _ = try #require(child.waitForListeningPort())
        child.send(signal: SIGINT)
        #expect(child.waitForExit() == 0)
    }

    @Test func shutdownLetsAnInFlightResponseFinish() throws {
        try self.publicDirectory.write("large.bin", String(repeating: "x", count: 8 << 20))
        let child = try self.start(["--port", "0"])
        let port = try #require(child.waitForListeningPort())
        let socket = try TestSocket(port: port)
        try socket.send("GET /large.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let first = try socket.receiveSome()
        #expect(!first.isEmpty)
        child.send(signal: SIGTERM)
        let rest = try socket.receiveUntilClosed()
        let headerLength = try #require((first + rest).firstRange(of: [13, 10, 13, 10])).upperBound
        #expect(first.count + rest.count - headerLength == 8 << 20)
        #expect(child.waitForExit() == 0)
    }

    @Test func portInUseIsAClearErrorAndExitOne() throws {
        let holder = try self.start(["--port", "0"])
        let port = try #require(holder.waitForListeningPort())
        let second = try self.start(["--port", "\(port)"])
        #expect(second.waitForExit() == 1)
        #expect(second.errorText.contains("address already in use"))
    }

    @Test(arguments: [
        (["--bogus"], "unknown flag --bogus"),
        (["--port", "70000"], "invalid value \"70000\" for --port"),
        (["--port"], "flag --port needs a value"),
        (["stray"], "unexpected argument"),
        (["--log-level", "loud"], "invalid value \"loud\" for --log-level"),
    ])
    func badFlagsExitTwoWithAMessage(arguments: [String], message: String) throws {
        let child = try self.start(arguments)
        #expect(child.waitForExit() == 2)
        #expect(child.errorText.contains(message))
    }

    @Test func missingPublicFolderIsAStartError() throws {
        let child = try ChildProcess(
            executable: "switchboard",
            arguments: ["--port", "0", "--public", "/nonexistent/dir", "--store", "memory"])
        #expect(child.waitForExit() == 1)
        #expect(child.errorText.contains("does not exist"))
    }

    @Test func environmentTwinsConfigureTheServer() throws {
        let child = try ChildProcess(
            executable: "switchboard", arguments: [],
            environment: [
                "SWITCHBOARD_PORT": "0", "SWITCHBOARD_PUBLIC": self.publicDirectory.path,
                "SWITCHBOARD_LOG_LEVEL": "debug", "SWITCHBOARD_STORE": "memory",
            ])
        let port = try #require(child.waitForListeningPort())
        _ = try HTTPTestClient.request(port: port, path: "/")
        #expect(child.waitForOutput(containing: "debug http: request") != nil)
        child.send(signal: SIGTERM)
        #expect(child.waitForExit() == 0)
    }

    @Test func helpAndVersionExitZero() throws {
        let help = try ChildProcess(executable: "switchboard", arguments: ["--help"])
        #expect(help.waitForExit() == 0)
        let version = try ChildProcess(executable: "switchboard", arguments: ["--version"])
        #expect(version.waitForExit() == 0)
    }

    /// The secret comes from the environment twin, as the README advises (a flag would show
    /// it in `ps`). The token was minted by Python's hmac module, not by our own signer.
    @Test func jwtSecretRequiresAValidTokenOnBothTransports() throws {
        let pythonToken =
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSIsImV4cCI6MjAwMDAwMDAwMH0"
            + ".FWl8DAPOm2qN8psEo0uGOtlvYFbqnkCMPOWskzTgAJo"
        let expired = try #require(
            JSONWebToken.sign(
                subject: "alice", expiresAt: 1_600_000_000,
                secret: Array("switchboard-test-secret".utf8)))
        let child = try self.start(
            ["--port", "0"], environment: ["SWITCHBOARD_JWT_SECRET": "switchboard-test-secret"])
        let port = try #require(child.waitForListeningPort())
        defer {
            child.send(signal: SIGTERM)
            _ = child.waitForExit()
        }
        let clients: [any ChatTestClient] = [
            try WebSocketChatClient(port: port), LongPollChatClient(port: port),
        ]
        for client in clients {
            let refusals: [[String: Any]] = [
                ["type": "bind", "uid": "alice"],
                ["type": "bind", "uid": "alice", "token": expired],
                ["type": "bind", "uid": "mallory", "token": pythonToken],
                ["type": "bind", "uid": "alice", "token": pythonToken + "x"],
            ]
            for envelope in refusals {
                let reply = try client.request(envelope)
                #expect(reply.code == 401, "\(envelope) → \(reply)")
            }
            let accepted = try client.request(
                ["type": "bind", "uid": "alice", "token": pythonToken])
            #expect(accepted.code == 0 && accepted.error == false, "\(accepted)")
            try client.disconnect()
        }
    }
}
