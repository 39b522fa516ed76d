/// A flat-to-nested JSON object built in order, for the one result line each run prints on
/// stdout (bench/run.sh collects them) — small enough not to need a JSON library.
struct Report {
    private var fields: [(key: String, json: String)] = []

    /// An empty object.
    init() {}

    /// Sets an integer field.
    mutating func set(_ key: String, _ value: Int) {
        self.fields.append((key, "\(value)"))
    }

    /// Sets a number field, rounded to `digits` decimals (NaN and infinities become null).
    mutating func set(_ key: String, _ value: Double, digits: Int = 3) {
        guard value.isFinite else {
            self.fields.append((key, "null"))
            return
        }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        self.fields.append((key, "\(rounded)"))
    }

    /// Sets a string field.
    mutating func set(_ key: String, _ value: String) {
        self.fields.append((key, Self.quoted(value)))
    }

    /// Sets a boolean field.
    mutating func set(_ key: String, _ value: Bool) {
        self.fields.append((key, value ? "true" : "false"))
    }

    /// Sets a nested object.
    mutating func set(_ key: String, _ value: Report) {
        self.fields.append((key, value.json))
    }

    /// The object as compact JSON.
    var json: String {
        "{" + self.fields.map { "\(Self.quoted($0.key)):\($0.json)" }.joined(separator: ",") + "}"
    }

    private static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case _ where scalar.value < 0x20:
                result += "\\u00" + String(scalar.value, radix: 16).leftPadded(2)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        String(repeating: "0", count: max(0, width - self.count)) + self
    }
}

extension LatencyHistogram {
    /// p50, p90, p99, p99.9, max and mean in milliseconds, plus the sample count.
    var report: Report {
        var report = Report()
        report.set("samples", Int(clamping: self.count))
        report.set("p50_ms", Double(self.percentile(0.50)) / 1e6)
        report.set("p90_ms", Double(self.percentile(0.90)) / 1e6)
        report.set("p99_ms", Double(self.percentile(0.99)) / 1e6)
        report.set("p999_ms", Double(self.percentile(0.999)) / 1e6)
        report.set("max_ms", Double(self.maximum) / 1e6)
        report.set("mean_ms", self.mean / 1e6)
        return report
    }
}

/// CPU and memory of the server between two samples of a measured window.
struct ResourceWindow {
    /// Sample at the window's start (nil if no pid was given or it could not be read).
    var start: ProcessSample?
    /// Sample at the window's end.
    var end: ProcessSample?
    /// Generator CPU seconds at start and end.
    var generatorStart = 0.0
    /// Generator CPU seconds at the end.
    var generatorEnd = 0.0

    /// Server and generator figures over `seconds` of wall time.
    func report(seconds: Double) -> Report {
        var report = Report()
        if let start = self.start, let end = self.end {
            let cpu = end.cpuSeconds - start.cpuSeconds
            report.set("server_cpu_s", cpu)
            report.set("server_cpu_pct", seconds > 0 ? 100 * cpu / seconds : 0, digits: 1)
            report.set("server_rss_start_kib", start.rssKiB)
            report.set("server_rss_end_kib", end.rssKiB)
            report.set("server_rss_peak_kib", end.peakRSSKiB)
            report.set("server_fds", end.descriptors)
        }
        let generator = self.generatorEnd - self.generatorStart
        report.set("generator_cpu_s", generator)
        report.set("generator_cpu_pct", seconds > 0 ? 100 * generator / seconds : 0, digits: 1)
        return report
    }

    /// Server CPU seconds in the window, if known.
    var serverCPUSeconds: Double? {
        guard let start = self.start, let end = self.end else { return nil }
        return end.cpuSeconds - start.cpuSeconds
    }
}
