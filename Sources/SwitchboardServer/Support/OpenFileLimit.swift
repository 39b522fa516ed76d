import CLinux
import Glibc

/// The process's limit on open descriptors, which bounds how many clients it can hold.
public enum OpenFileLimit {
    /// Raises the soft limit to the hard limit and returns the resulting soft limit.
    ///
    /// Every WebSocket and parked long-poll holds a descriptor (three under TLS), so the usual
    /// soft limit of 1024 would cap the server long before memory does.
    @discardableResult
    public static func raiseToHardLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return limit.rlim_cur > UInt(Int.max) ? Int.max : Int(limit.rlim_cur)
    }
}
