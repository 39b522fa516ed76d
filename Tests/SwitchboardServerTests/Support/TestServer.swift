import Foundation
import Glibc

@testable import SwitchboardServer

/// A real server on an ephemeral loopback port with its own temporary public folder, stopped
/// when the test is done with it.
final class TestServer {
    let server: SwitchboardServer
    let publicDirectory: TemporaryDirectory
    let logSink = MemoryLogSink()

    var port: UInt16 { self.server.port }

    /// Starts a server; `configure` may adjust the configuration, `files` seed the public folder.
    init(
        files: [String: String] = ["index.html": "<!doctype html><title>test</title>"],
        configure: (inout ServerConfiguration) -> Void = { _ in }
    ) throws {
        self.publicDirectory = try TemporaryDirectory()
        for (name, content) in files {
            try self.publicDirectory.write(name, content)
        }
        var configuration = ServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.publicDirectory = self.publicDirectory.path
        configuration.shutdownGraceSeconds = 1
        configure(&configuration)
        let logger = Logger(label: "test", threshold: .debug, sink: self.logSink)
        self.server = try SwitchboardServer(configuration: configuration, logger: logger)
    }

    /// Adopts a server the test built itself (to pass its own store), with its folder.
    init(wrapping server: SwitchboardServer, directory: TemporaryDirectory) throws {
        self.server = server
        self.publicDirectory = directory
    }

    deinit { self.server.shutdown() }
}

/// A directory under /tmp removed (with its contents) on deinit.
final class TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/switchboard-test-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else {
            throw TestSocketError.system("mkdtemp", errno)
        }
        self.path = String(cString: created)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: self.path)
    }

    /// Writes a file, creating intermediate folders.
    func write(_ relativePath: String, _ content: String) throws {
        let full = self.path + "/" + relativePath
        var folder = Substring(full)
        if let slash = folder.lastIndex(of: "/") { folder = folder[..<slash] }
        var built = ""
        for part in folder.split(separator: "/") {
            built += "/" + part
            mkdir(built, 0o755)
        }
        guard let file = fopen(full, "w") else { throw TestSocketError.system("fopen", errno) }
        fputs(content, file)
        fclose(file)
    }
}
