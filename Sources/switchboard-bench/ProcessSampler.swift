import Glibc

/// CPU time and memory of the processes under test, read from /proc; summed over every pid
/// given (nginx's master and worker), each pid including all its threads.
struct ProcessSample {
    /// User plus system CPU seconds consumed since the processes started.
    var cpuSeconds: Double
    /// Resident set size now, KiB.
    var rssKiB: Int
    /// Peak resident set size, KiB.
    var peakRSSKiB: Int
    /// Open file descriptors now.
    var descriptors: Int

    /// Reads the current figures; nil if any pid is gone or unreadable.
    static func read(pids: [Int32]) -> ProcessSample? {
        guard !pids.isEmpty else { return nil }
        var total = ProcessSample(cpuSeconds: 0, rssKiB: 0, peakRSSKiB: 0, descriptors: 0)
        let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
        for pid in pids {
            guard let stat = Self.readFile("/proc/\(pid)/stat"),
                let status = Self.readFile("/proc/\(pid)/status"),
                let ticks = Self.cpuTicks(fromStat: stat)
            else { return nil }
            total.cpuSeconds += Double(ticks) / ticksPerSecond
            total.rssKiB += Self.kibibytes(field: "VmRSS:", in: status)
            total.peakRSSKiB += Self.kibibytes(field: "VmHWM:", in: status)
            total.descriptors += Self.countEntries(in: "/proc/\(pid)/fd")
        }
        return total
    }

    /// This process's own user plus system CPU seconds.
    static func ownCPUSeconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// utime + stime, fields 14 and 15 of /proc/<pid>/stat, counted after the `)` that ends
    /// the command name (which may itself contain spaces).
    private static func cpuTicks(fromStat stat: String) -> UInt64? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = UInt64(fields[11]), let system = UInt64(fields[12])
        else {
            return nil
        }
        return user + system
    }

    private static func kibibytes(field: String, in status: String) -> Int {
        for line in status.split(separator: "\n") where line.hasPrefix(field) {
            let digits = line.dropFirst(field.count).filter { $0.isNumber }
            return Int(digits) ?? 0
        }
        return 0
    }

    private static func countEntries(in directory: String) -> Int {
        guard let handle = opendir(directory) else { return 0 }
        defer { closedir(handle) }
        var count = 0
        while let entry = readdir(handle) {
            let isDot = withUnsafeBytes(of: entry.pointee.d_name) { name in
                name[0] == UInt8(ascii: ".")
            }
            if !isDot { count += 1 }
        }
        return count
    }

    private static func readFile(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { Glibc.close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes {
                Glibc.read(descriptor, $0.baseAddress, $0.count)
            }
            guard count > 0 else { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Raises this process's open-file soft limit to its hard limit, returning the new soft limit.
/// Each client is a descriptor, so the usual soft limit of 1024 would cap a run long before
/// the server does.
func raiseOpenFileLimit() -> Int {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
    if limit.rlim_cur < limit.rlim_max {
        var raised = limit
        raised.rlim_cur = limit.rlim_max
        if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
    }
    return limit.rlim_cur > UInt(Int.max) ? Int.max : Int(limit.rlim_cur)
}
