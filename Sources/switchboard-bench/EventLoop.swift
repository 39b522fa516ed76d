import CLinux
import Glibc

/// Something the loop calls when its descriptor has events.
protocol LoopHandler: AnyObject {
    /// Called with the epoll flags (`EPOLLIN`, `EPOLLOUT`, …) that fired.
    func handle(events: UInt32)
}

/// A single-threaded epoll loop with coarse timers and write batching: connections that queued
/// output during an iteration are flushed once at its end, so many messages leave in one
/// `send`. Everything in the generator runs on this one thread; nothing here is shared.
final class EventLoop {
    private struct Timer {
        var deadline: UInt64
        var action: () -> Void
    }

    private let epoll: Int32
    private var handlers: [LoopHandler?] = []
    private var freeTokens: [Int] = []
    private var dirty: [TCPConnection] = []
    private var timers: [Timer] = []
    private var isStopped = false
    /// Scratch space every connection reads into; its contents are only valid during the
    /// delegate call that receives them.
    let readBuffer: UnsafeMutableRawBufferPointer

    /// Read scratch size: large enough that a busy connection drains in a few calls.
    static let readBufferBytes = 256 * 1024

    /// Creates the epoll instance; nil if the kernel refuses (out of descriptors).
    init?() {
        let descriptor = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard descriptor >= 0 else { return nil }
        self.epoll = descriptor
        self.readBuffer = UnsafeMutableRawBufferPointer.allocate(
            byteCount: Self.readBufferBytes, alignment: 16)
    }

    deinit {
        Glibc.close(self.epoll)
        self.readBuffer.deallocate()
    }

    // MARK: Registration

    /// Watches `descriptor` for `events` and returns the token naming it, or nil on failure.
    func register(_ descriptor: Int32, events: UInt32, handler: LoopHandler) -> Int? {
        let token: Int
        if let reused = self.freeTokens.popLast() {
            token = reused
            self.handlers[token] = handler
        } else {
            token = self.handlers.count
            self.handlers.append(handler)
        }
        var event = sb_epoll_event(events, UInt64(token))
        guard epoll_ctl(self.epoll, EPOLL_CTL_ADD, descriptor, &event) == 0 else {
            self.handlers[token] = nil
            self.freeTokens.append(token)
            return nil
        }
        return token
    }

    /// Changes the events watched for a registered descriptor.
    func modify(_ descriptor: Int32, token: Int, events: UInt32) {
        var event = sb_epoll_event(events, UInt64(token))
        _ = epoll_ctl(self.epoll, EPOLL_CTL_MOD, descriptor, &event)
    }

    /// Stops watching a descriptor; call before closing it, since its number may be reused.
    func deregister(_ descriptor: Int32, token: Int) {
        _ = epoll_ctl(self.epoll, EPOLL_CTL_DEL, descriptor, nil)
        guard token < self.handlers.count, self.handlers[token] != nil else { return }
        self.handlers[token] = nil
        self.freeTokens.append(token)
    }

    /// Asks for `connection.flush()` at the end of this iteration.
    func markDirty(_ connection: TCPConnection) {
        guard !connection.isDirty else { return }
        connection.isDirty = true
        self.dirty.append(connection)
    }

    // MARK: Timers

    /// Runs `action` on the loop at or soon after `deadline` (``MonotonicTime`` nanoseconds).
    /// Timers are checked once per iteration, so they are accurate to about a millisecond.
    func schedule(at deadline: UInt64, _ action: @escaping () -> Void) {
        self.timers.append(Timer(deadline: deadline, action: action))
    }

    /// Runs `action` about `seconds` from now.
    func schedule(after seconds: Double, _ action: @escaping () -> Void) {
        self.schedule(at: MonotonicTime.now() &+ MonotonicTime.nanoseconds(seconds), action)
    }

    // MARK: Running

    /// Makes `run()` return after the current iteration.
    func stop() {
        self.isStopped = true
    }

    /// Runs until `stop()`.
    func run() {
        let capacity = 1024
        let events = UnsafeMutableBufferPointer<epoll_event>.allocate(capacity: capacity)
        defer { events.deallocate() }
        self.isStopped = false
        while !self.isStopped {
            self.flushDirty()
            let count = epoll_wait(
                self.epoll, events.baseAddress, Int32(capacity), self.waitMilliseconds())
            if count > 0 {
                for index in 0..<Int(count) {
                    let token = Int(sb_epoll_event_token(events.baseAddress! + index))
                    let flags = sb_epoll_event_flags(events.baseAddress! + index)
                    guard token < self.handlers.count, let handler = self.handlers[token] else {
                        continue
                    }
                    handler.handle(events: flags)
                }
            }
            self.runDueTimers()
        }
        self.flushDirty()
    }

    private func flushDirty() {
        while !self.dirty.isEmpty {
            let batch = self.dirty
            self.dirty.removeAll(keepingCapacity: true)
            for connection in batch {
                connection.isDirty = false
                connection.flush()
            }
        }
    }

    private func waitMilliseconds() -> Int32 {
        guard self.dirty.isEmpty else { return 0 }
        guard let nearest = self.timers.map(\.deadline).min() else { return 100 }
        let now = MonotonicTime.now()
        guard nearest > now else { return 0 }
        let milliseconds = (nearest - now + 999_999) / 1_000_000
        return Int32(min(milliseconds, 100))
    }

    private func runDueTimers() {
        guard !self.timers.isEmpty else { return }
        let now = MonotonicTime.now()
        guard self.timers.contains(where: { $0.deadline <= now }) else { return }
        var due: [Timer] = []
        self.timers.removeAll { timer in
            guard timer.deadline <= now else { return false }
            due.append(timer)
            return true
        }
        for timer in due.sorted(by: { $0.deadline < $1.deadline }) {
            timer.action()
        }
    }
}
