import Glibc

/// The generator's one clock: CLOCK_MONOTONIC in nanoseconds. Send and receive times are both
/// taken in this process, so a latency is a difference of two readings of the same clock.
enum MonotonicTime {
    /// Nanoseconds since an arbitrary fixed point (boot); never goes backwards.
    static func now() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
    }

    /// `nanoseconds` as seconds, for reports.
    static func seconds(_ nanoseconds: UInt64) -> Double {
        Double(nanoseconds) / 1e9
    }

    /// `seconds` as nanoseconds, clamped at zero.
    static func nanoseconds(_ seconds: Double) -> UInt64 {
        seconds <= 0 ? 0 : UInt64(seconds * 1e9)
    }
}
