import Glibc

/// Seconds on the monotonic clock: for deadlines and timeouts, immune to wall-clock changes.
enum MonotonicClock {
    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
