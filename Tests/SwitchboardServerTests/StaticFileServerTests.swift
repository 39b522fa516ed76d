import Foundation
import Glibc
import Testing

@testable import SwitchboardServer

@Suite struct StaticFileServerTests {
    /// A server whose public folder sits next to a secret file it must never serve.
    final class Fixture {
        let root: TemporaryDirectory
        let server: TestServer

        init() throws {
            let root = try TemporaryDirectory()
            try root.write("secret.txt", "top secret")
            try root.write("public/index.html", "<!doctype html><title>chat</title>")
            try root.write("public/app.js", "export const answer = 42;\n")
            try root.write("public/docs/index.html", "docs")
            try root.write("public/.env", "PASSWORD=1")
            try root.write("public/big.bin", String(repeating: "0123456789abcdef", count: 65_536))
            symlink(root.path + "/secret.txt", root.path + "/public/leak.txt")
            symlink(root.path, root.path + "/public/up")
            symlink("index.html", root.path + "/public/alias.html")
            self.root = root
            self.server = try TestServer(files: [:]) { configuration in
                configuration.publicDirectory = root.path + "/public"
            }
        }

        var port: UInt16 { self.server.port }
    }

    @Test func servesIndexAtRootWithTypeAndValidators() throws {
        let fixture = try Fixture()
        let response = try HTTPTestClient.request(port: fixture.port, path: "/")
        #expect(response.status == 200)
        #expect(response.text == "<!doctype html><title>chat</title>")
        #expect(response.header("Content-Type") == "text/html; charset=utf-8")
        #expect(response.header("ETag") != nil)
        #expect(response.header("Last-Modified") != nil)
        #expect(response.header("Cache-Control") == "no-cache")
    }

    @Test func servesAssetsWithTheirTypes() throws {
        let fixture = try Fixture()
        let script = try HTTPTestClient.request(port: fixture.port, path: "/app.js")
        #expect(script.status == 200)
        #expect(script.header("Content-Type") == "text/javascript; charset=utf-8")
        #expect(script.text == "export const answer = 42;\n")
        let docs = try HTTPTestClient.request(port: fixture.port, path: "/docs/")
        #expect(docs.text == "docs")
    }

    @Test func sendsLargeFilesIntact() throws {
        let fixture = try Fixture()
        let response = try HTTPTestClient.request(port: fixture.port, path: "/big.bin")
        #expect(response.status == 200)
        #expect(response.body.count == 16 * 65_536)
        #expect(response.body.prefix(16) == Array("0123456789abcdef".utf8)[...])
        #expect(response.body.suffix(16) == Array("0123456789abcdef".utf8)[...])
    }

    @Test func headHasLengthButNoBody() throws {
        let fixture = try Fixture()
        let socket = try TestSocket(port: fixture.port)
        try socket.send(
            "HEAD /app.js HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        var reader = ResponseReader(socket: socket)
        let head = try reader.readResponse(isHead: true)
        #expect(head.status == 200)
        #expect(head.header("Content-Length") == "26")
        // The next response starts right after the HEAD headers: no body bytes in between.
        let health = try reader.readResponse()
        #expect(health.status == 200)
        #expect(health.text == "ok\n")
    }

    @Test func answersNotModifiedToMatchingValidators() throws {
        let fixture = try Fixture()
        let first = try HTTPTestClient.request(port: fixture.port, path: "/app.js")
        let tag = try #require(first.header("ETag"))
        let modified = try #require(first.header("Last-Modified"))

        let byTag = try HTTPTestClient.request(
            port: fixture.port, path: "/app.js", headers: [("If-None-Match", tag)])
        #expect(byTag.status == 304)
        #expect(byTag.body.isEmpty)
        #expect(byTag.header("ETag") == tag)

        let byDate = try HTTPTestClient.request(
            port: fixture.port, path: "/app.js", headers: [("If-Modified-Since", modified)])
        #expect(byDate.status == 304)

        let stale = try HTTPTestClient.request(
            port: fixture.port, path: "/app.js", headers: [("If-None-Match", "\"stale\"")])
        #expect(stale.status == 200)
    }

    @Test func missingFileIs404WithShortPlainBody() throws {
        let fixture = try Fixture()
        let response = try HTTPTestClient.request(port: fixture.port, path: "/nope.html")
        #expect(response.status == 404)
        #expect(response.header("Content-Type") == "text/plain; charset=utf-8")
        #expect(response.body.count < 64)
    }

    @Test(arguments: ["POST", "PUT", "DELETE", "PATCH"])
    func otherMethodsOnStaticPathsAre405(method: String) throws {
        let fixture = try Fixture()
        let response = try HTTPTestClient.request(
            port: fixture.port, method: method, path: "/app.js")
        #expect(response.status == 405)
        #expect(response.header("Allow") == "GET, HEAD")
    }

    @Test(arguments: [
        "/../secret.txt", "/../../../../etc/passwd", "/%2e%2e/secret.txt", "/%2E%2E%2Fsecret.txt",
        "/..%2fsecret.txt", "/.%2e/secret.txt", "/docs/../../secret.txt", "/..\\secret.txt",
        "/index.html%00.js", "/%c0%ae%c0%ae/secret.txt", "/leak.txt", "/up/secret.txt",
        "/.env", "//../secret.txt",
    ])
    func rawTraversalAttemptsNeverReachOutside(path: String) throws {
        let fixture = try Fixture()
        let response = try HTTPTestClient.exchange(
            port: fixture.port, raw: "GET \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect([400, 404].contains(response.status), "status \(response.status) for \(path)")
        #expect(!response.text.contains("secret"))
        #expect(!response.text.contains("PASSWORD"))
    }

    @Test func symlinkInsideTheFolderIsServed() throws {
        let fixture = try Fixture()
        let response = try HTTPTestClient.request(port: fixture.port, path: "/alias.html")
        #expect(response.status == 200)
        #expect(response.text.contains("chat"))
    }

    @Test func directoryWithoutSlashRedirects() throws {
        let fixture = try Fixture()
        let response = try HTTPTestClient.request(port: fixture.port, path: "/docs")
        #expect(response.status == 301)
        #expect(response.header("Location") == "/docs/")
    }

    /// `//docs/` in a Location is the host `docs` to a browser: the redirect is rebuilt from
    /// the decoded path, never echoed.
    @Test(arguments: [("//docs", "/docs/"), ("///docs", "/docs/"), ("/./docs", "/docs/")])
    func directoryRedirectNeverNamesAnotherHost(path: String, location: String) throws {
        let fixture = try Fixture()
        let response = try HTTPTestClient.request(port: fixture.port, path: path)
        #expect(response.status == 301)
        #expect(response.header("Location") == location)
    }

    @Test func directoryRedirectKeepsOddNamesEncoded() {
        let path = try! StaticPath(decoding: "/a%20b/%C3%A9t%C3%A9")
        #expect(StaticFileRoute.location(of: path) == "/a%20b/%C3%A9t%C3%A9/")
    }

    @Test func healthzAnswersOk() throws {
        let fixture = try Fixture()
        let response = try HTTPTestClient.request(port: fixture.port, path: "/healthz")
        #expect(response.status == 200)
        #expect(response.text == "ok\n")
    }

    @Test func keepAliveServesSeveralRequestsOnOneConnection() throws {
        let fixture = try Fixture()
        let socket = try TestSocket(port: fixture.port)
        var reader = ResponseReader(socket: socket)
        for _ in 0..<3 {
            try socket.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            let response = try reader.readResponse()
            #expect(response.status == 200)
            #expect(response.header("Connection")?.lowercased() != "close")
        }
    }

    @Test func malformedRequestLineGetsAnErrorNotACrash() throws {
        let fixture = try Fixture()
        let malformed = [
            "GARBAGE\r\n\r\n", "GET\r\n\r\n", "GET / HTTP/9.9\r\n\r\n",
            "GET / HTTP/1.1\r\nHeaderWithoutColon\r\nConnection: close\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n",
        ]
        for raw in malformed {
            let socket = try TestSocket(port: fixture.port)
            try socket.send(raw)
            let answer = try socket.receiveUntilClosed()
            let text = String(decoding: answer, as: UTF8.self)
            #expect(
                text.isEmpty || text.hasPrefix("HTTP/1.1 "), "answer to \(raw.debugDescription)")
        }
        let health = try HTTPTestClient.request(port: fixture.port, path: "/healthz")
        #expect(health.status == 200)
    }
}

@Suite struct ShutdownTests {
    @Test func shutdownReleasesThePortAndRefusesNewConnections() throws {
        let server = try TestServer()
        let port = server.port
        let held = try TestSocket(port: port)
        try held.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        _ = try held.receiveSome()
        server.server.shutdown()
        // The listening socket is closed: the port can be bound again at once.
        let again = try ListenSocket.open(host: "127.0.0.1", port: port)
        close(again.descriptor)
    }

    /// While in-flight responses drain, a keep-alive connection asking for /healthz hears that
    /// the server is going away, so health checks (and the page's probe) stop trusting it.
    @Test func healthIs503WhileDraining() throws {
        let server = try TestServer(files: ["large.bin": String(repeating: "x", count: 16 << 20)]) {
            $0.shutdownGraceSeconds = 5
        }
        let port = server.port
        let probe = try TestSocket(port: port)
        try probe.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(String(decoding: try probe.receiveSome(), as: UTF8.self).hasPrefix("HTTP/1.1 200"))
        // A download nobody reads keeps the server in its grace period.
        let download = try TestSocket(port: port)
        try download.send("GET /large.bin HTTP/1.1\r\nHost: x\r\n\r\n")
        _ = try download.receiveSome()
        let stopped = DispatchSemaphore(value: 0)
        let switchboard = server.server
        Thread {
            switchboard.shutdown()
            stopped.signal()
        }.start()
        // The shutdown runs on another thread: ask until it has begun (the download keeps the
        // server in its 5 s grace period, so the answer must turn to 503 within it).
        var answer = ""
        let deadline = Date().addingTimeInterval(4)
        repeat {
            Thread.sleep(forTimeInterval: 0.05)
            try probe.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            answer = String(decoding: try probe.receiveSome(), as: UTF8.self)
        } while answer.hasPrefix("HTTP/1.1 200") && Date() < deadline
        #expect(answer.hasPrefix("HTTP/1.1 503"), "\(answer.prefix(60))")
        #expect(stopped.wait(timeout: .now() + 10) == .success)
    }
}
