import Foundation
import Glibc

/// A process started from the build folder (the `switchboard` executable), with its standard
/// error captured. Killed and reaped on deinit, so no test leaves a process behind.
final class ChildProcess {
    let pid: pid_t
    private let errorOutput: Int32
    private var collected: [UInt8] = []
    private var exitStatus: Int32?

    /// The folder holding the test bundle, which is also where SwiftPM puts the executables.
    static var buildDirectory: String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let path = String(
            decoding: buffer.prefix(max(0, length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var folder = Substring(path)
        while let slash = folder.lastIndex(of: "/") {
            folder = folder[..<slash]
            if !folder.hasSuffix(".xctest") && !folder.contains(".xctest/") { break }
        }
        return String(folder)
    }

    /// Starts `executable` (a name in the build folder) with `arguments`.
    init(executable: String, arguments: [String], environment: [String: String] = [:]) throws {
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { throw TestSocketError.system("pipe", errno) }
        _ = fcntl(pipeEnds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(pipeEnds[1], F_SETFD, FD_CLOEXEC)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 2)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)

        let path = Self.buildDirectory + "/" + executable
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var environmentEntries = environment.map { "\($0.key)=\($0.value)" }
        environmentEntries.append("PATH=/usr/bin:/bin")
        let envp = environmentEntries.map { strdup($0) } + [nil]
        defer { envp.forEach { free($0) } }

        var pid: pid_t = 0
        let status = posix_spawn(&pid, path, &actions, nil, argv, envp)
        close(pipeEnds[1])
        guard status == 0 else {
            close(pipeEnds[0])
            throw TestSocketError.system("posix_spawn \(path)", status)
        }
        self.pid = pid
        self.errorOutput = pipeEnds[0]
    }

    deinit {
        if self.exitStatus == nil {
            kill(self.pid, SIGKILL)
            var status: Int32 = 0
            waitpid(self.pid, &status, 0)
        }
        close(self.errorOutput)
    }

    /// Everything written to standard error so far.
    var errorText: String {
        self.drain(timeoutMilliseconds: 0)
        return String(decoding: self.collected, as: UTF8.self)
    }

    /// Waits until standard error contains `text`; returns the whole output, or nil on timeout.
    func waitForOutput(containing text: String, timeoutSeconds: Double = 10) -> String? {
        let deadline = Self.now() + timeoutSeconds
        while Self.now() < deadline {
            let output = String(decoding: self.collected, as: UTF8.self)
            if output.contains(text) { return output }
            if !self.drain(timeoutMilliseconds: 50) && self.hasExited() { break }
        }
        let output = String(decoding: self.collected, as: UTF8.self)
        return output.contains(text) ? output : nil
    }

    /// The port from the server's `listening` line.
    func waitForListeningPort(timeoutSeconds: Double = 10) -> UInt16? {
        guard
            let output = self.waitForOutput(
                containing: "http.address=", timeoutSeconds: timeoutSeconds),
            let range = output.range(of: "http.address=")
        else { return nil }
        let address = output[range.upperBound...].prefix { $0 != " " && $0 != "\n" }
        guard let colon = address.lastIndex(of: ":") else { return nil }
        return UInt16(address[address.index(after: colon)...])
    }

    func send(signal: Int32) { kill(self.pid, signal) }

    /// Waits for exit; returns the exit code (or 128 + signal), or nil if still running.
    func waitForExit(timeoutSeconds: Double = 10) -> Int32? {
        let deadline = Self.now() + timeoutSeconds
        while Self.now() < deadline {
            if self.hasExited() { return self.exitStatus }
            self.drain(timeoutMilliseconds: 20)
        }
        return self.hasExited() ? self.exitStatus : nil
    }

    private func hasExited() -> Bool {
        if self.exitStatus != nil { return true }
        var status: Int32 = 0
        guard waitpid(self.pid, &status, WNOHANG) == self.pid else { return false }
        let signalNumber = status & 0x7f
        self.exitStatus = signalNumber == 0 ? (status >> 8) & 0xff : 128 + signalNumber
        return true
    }

    /// Reads what standard error has; returns whether anything arrived.
    @discardableResult
    private func drain(timeoutMilliseconds: Int32) -> Bool {
        var descriptor = pollfd(fd: self.errorOutput, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, timeoutMilliseconds) > 0 else { return false }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let count = buffer.withUnsafeMutableBytes {
            read(self.errorOutput, $0.baseAddress, $0.count)
        }
        guard count > 0 else { return false }
        self.collected += buffer.prefix(count)
        return true
    }

    private static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
