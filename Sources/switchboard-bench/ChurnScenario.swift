/// Connection churn: a fixed number of slots, each repeatedly opening a WebSocket, binding
/// (V1) or just opening (nchan), and closing with a clean close handshake. Measures completed
/// cycles per second and the time from connect to bind reply.
final class ChurnScenario: ChatUserObserver {
    private let options: BenchOptions
    private let loop: EventLoop
    private let factory: ConnectionFactory
    private var slots: [ChatUser?] = []
    private var cycleStart: [UInt64] = []
    private var closing: [Bool] = []
    private var isRunning = true
    private var measuring = false
    private var cycles = 0
    private var setupLatency = LatencyHistogram()
    private var cycleLatency = LatencyHistogram()
    private var errors: [String: Int] = [:]
    private var windowStart: UInt64 = 0
    private var windowEnd: UInt64 = 0
    private var resources = ResourceWindow()

    /// A scenario with `options.concurrency` slots, measured for `options.duration` seconds
    /// after `options.warmup`.
    init(options: BenchOptions, loop: EventLoop, factory: ConnectionFactory) {
        self.options = options
        self.loop = loop
        self.factory = factory
    }

    /// Runs to completion and returns the result.
    func run() -> (Report, Bool) {
        self.slots = Array(repeating: nil, count: self.options.concurrency)
        self.cycleStart = Array(repeating: 0, count: self.options.concurrency)
        self.closing = Array(repeating: false, count: self.options.concurrency)
        for slot in 0..<self.options.concurrency { self.startCycle(slot) }
        self.loop.schedule(after: self.options.warmup) { [unowned self] in
            self.measuring = true
            self.windowStart = MonotonicTime.now()
            self.resources.start = ProcessSample.read(pids: self.options.pids)
            self.resources.generatorStart = ProcessSample.ownCPUSeconds()
            self.loop.schedule(after: self.options.duration) { [unowned self] in self.stop() }
        }
        self.loop.run()
        return self.makeReport()
    }

    private func startCycle(_ slot: Int) {
        guard self.isRunning else { return }
        let user = ChatUserFactory.make(
            index: slot, peer: slot, transport: .webSocket, protocol: self.options.peerProtocol,
            factory: self.factory, observer: self)
        self.slots[slot] = user
        self.closing[slot] = false
        self.cycleStart[slot] = MonotonicTime.now()
        user.start(using: self.factory)
    }

    private func stop() {
        self.measuring = false
        self.isRunning = false
        self.windowEnd = MonotonicTime.now()
        self.resources.end = ProcessSample.read(pids: self.options.pids)
        self.resources.generatorEnd = ProcessSample.ownCPUSeconds()
        self.loop.schedule(after: 0.2) { [unowned self] in
            for user in self.slots { user?.close() }
            self.loop.schedule(after: 0.2) { [unowned self] in self.loop.stop() }
        }
    }

    // MARK: ChatUserObserver

    func userReady(_ user: ChatUser) {
        let slot = user.index
        guard self.slots[slot] === user else { return }
        if self.measuring { self.setupLatency.record(MonotonicTime.now() - self.cycleStart[slot]) }
        self.closing[slot] = true
        user.close()
    }

    func user(_ user: ChatUser, failed reason: String) {
        let slot = user.index
        guard self.slots[slot] === user else { return }
        if self.closing[slot] && reason == "closed" {
            if self.measuring {
                self.cycles += 1
                self.cycleLatency.record(MonotonicTime.now() - self.cycleStart[slot])
            }
        } else if self.isRunning {
            self.countError(reason)
        }
        self.slots[slot] = nil
        self.startCycle(slot)
    }

    func user(_ user: ChatUser, received payload: UnsafeRawBufferPointer) {}

    func userReceivedPong(_ user: ChatUser) {}

    func countError(_ kind: String) {
        if self.measuring { self.errors[kind, default: 0] += 1 }
    }

    private func makeReport() -> (Report, Bool) {
        var report = Report()
        report.set("scenario", "churn")
        report.set("label", self.options.label)
        report.set("protocol", self.options.peerProtocol.rawValue)
        report.set("concurrency", self.options.concurrency)
        let seconds = MonotonicTime.seconds(self.windowEnd &- self.windowStart)
        report.set("window_s", seconds)
        report.set("cycles", self.cycles)
        report.set("cycles_per_s", seconds > 0 ? Double(self.cycles) / seconds : 0, digits: 0)
        report.set("connect_to_ready", self.setupLatency.report)
        report.set("cycle", self.cycleLatency.report)
        report.set("resources", self.resources.report(seconds: seconds))
        var errorReport = Report()
        for (kind, count) in self.errors.sorted(by: { $0.key < $1.key }) {
            errorReport.set(kind, count)
        }
        report.set("errors", errorReport)
        let errorCount = self.errors.values.reduce(0, +)
        report.set("error_count", errorCount)
        return (report, errorCount == 0 && self.cycles > 0)
    }
}
