import Glibc

/// Wall-clock time for message timestamps (`ts`) and retention.
enum WallClock {
    /// Unix time in milliseconds.
    @Sendable static func milliseconds() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1000 + Int64(time.tv_nsec) / 1_000_000
    }
}
