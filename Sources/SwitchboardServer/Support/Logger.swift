import Glibc
import Synchronization

/// Severity of a log line, from the noisiest to the most serious.
///
/// The default level is `info`: start-up, the listen address, effective limits and shutdown.
/// `debug` adds one line per connection or request; `trace` one line per frame or envelope.
public enum LogLevel: Int, Comparable, Sendable, CaseIterable, CustomStringConvertible {
    case trace, debug, info, notice, warning, error, critical

    /// Parses a level name as given on the command line (`info`, `DEBUG`, `warn`).
    public init?(name: String) {
        switch name.lowercased() {
        case "trace": self = .trace
        case "debug": self = .debug
        case "info": self = .info
        case "notice": self = .notice
        case "warning", "warn": self = .warning
        case "error": self = .error
        case "critical": self = .critical
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .trace: "trace"
        case .debug: "debug"
        case .info: "info"
        case .notice: "notice"
        case .warning: "warning"
        case .error: "error"
        case .critical: "critical"
        }
    }

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Where formatted log lines go. The default writes to standard error.
public protocol LogSink: Sendable {
    /// Writes one complete line (without the trailing newline).
    func write(line: String)
}

/// Writes each line to standard error with one `write(2)`, so lines from threads never interleave.
public struct StandardErrorSink: LogSink {
    public init() {}

    public func write(line: String) {
        var bytes = Array(line.utf8)
        bytes.append(UInt8(ascii: "\n"))
        bytes.withUnsafeBytes { buffer in
            _ = Glibc.write(2, buffer.baseAddress, buffer.count)
        }
    }
}

/// Collects lines in memory; used by tests that check what the server logged.
public final class MemoryLogSink: LogSink {
    private let storage = Lock<[String]>([])

    public init() {}

    public func write(line: String) {
        self.storage.withLock { $0.append(line) }
    }

    /// Every line written so far.
    public var lines: [String] { self.storage.withLock { $0 } }
}

/// A small structured logger in the shape of swift-log: a label, levels and `key=value` metadata.
///
/// Lines look like `2026-12-03T13:37:54.123Z info ws: connection closed conn.id=7 ws.code=1000`.
/// Messages are autoclosures, so a line below the threshold costs one comparison.
public struct Logger: Sendable {
    /// The component name printed on each line (`http`, `ws`, `poll`, `router`).
    public let label: String
    /// Lines below this level are dropped.
    public let threshold: LogLevel
    private let sink: any LogSink

    /// Creates a logger writing lines at or above `threshold` to `sink`.
    public init(label: String, threshold: LogLevel = .info, sink: any LogSink = StandardErrorSink())
    {
        self.label = label
        self.threshold = threshold
        self.sink = sink
    }

    /// The same destination and threshold under another component label.
    public func named(_ label: String) -> Logger {
        Logger(label: label, threshold: self.threshold, sink: self.sink)
    }

    /// Whether a line at `level` would be written; use it to skip costly preparation.
    @inline(__always)
    public func isEnabled(_ level: LogLevel) -> Bool { level >= self.threshold }

    /// Writes one line if `level` is enabled. Metadata keys are dotted (`conn.id`).
    public func log(
        _ level: LogLevel, _ message: @autoclosure () -> String,
        _ metadata: @autoclosure () -> KeyValuePairs<String, String> = [:]
    ) {
        guard self.isEnabled(level) else { return }
        var line = "\(Self.timestamp()) \(level) \(self.label): \(message())"
        for (key, value) in metadata() {
            line += " \(key)=\(Self.quoteIfNeeded(value))"
        }
        self.sink.write(line: line)
    }

    public func trace(
        _ message: @autoclosure () -> String,
        _ metadata: @autoclosure () -> KeyValuePairs<String, String> = [:]
    ) { self.log(.trace, message(), metadata()) }

    public func debug(
        _ message: @autoclosure () -> String,
        _ metadata: @autoclosure () -> KeyValuePairs<String, String> = [:]
    ) { self.log(.debug, message(), metadata()) }

    public func info(
        _ message: @autoclosure () -> String,
        _ metadata: @autoclosure () -> KeyValuePairs<String, String> = [:]
    ) { self.log(.info, message(), metadata()) }

    public func warning(
        _ message: @autoclosure () -> String,
        _ metadata: @autoclosure () -> KeyValuePairs<String, String> = [:]
    ) { self.log(.warning, message(), metadata()) }

    public func error(
        _ message: @autoclosure () -> String,
        _ metadata: @autoclosure () -> KeyValuePairs<String, String> = [:]
    ) { self.log(.error, message(), metadata()) }

    /// Values with spaces, quotes or `=` are quoted so a line splits unambiguously on spaces.
    static func quoteIfNeeded(_ value: String) -> String {
        let needsQuotes =
            value.isEmpty
            || value.utf8.contains { byte in
                byte <= 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "=")
                    || byte == 0x7F
            }
        guard needsQuotes else { return value }
        var quoted = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case "\n": quoted += "\\n"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                quoted += "\\x" + String(scalar.value, radix: 16)
            default: quoted.unicodeScalars.append(scalar)
            }
        }
        return quoted + "\""
    }

    /// UTC wall-clock time with milliseconds, ISO 8601.
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let millis = now.tv_nsec / 1_000_000
        return "\(parts.tm_year + 1900)-\(pad(parts.tm_mon + 1))-\(pad(parts.tm_mday))T"
            + "\(pad(parts.tm_hour)):\(pad(parts.tm_min)):\(pad(parts.tm_sec))."
            + "\(pad(Int32(millis), width: 3))Z"
    }

    private static func pad(_ value: Int32, width: Int = 2) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
