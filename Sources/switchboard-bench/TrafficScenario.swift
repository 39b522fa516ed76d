/// Message traffic between users — relay pairs, fan-in, or echo — in closed loop (each sender
/// keeps a fixed number of messages in flight, sending the next when one is delivered) or open
/// loop (a fixed total rate). Measures deliveries per second and latency over a window after
/// a warm-up, and checks every delivery: right receiver, per-sender order, nothing lost.
final class TrafficScenario: ChatUserObserver {
    /// Who sends to whom.
    enum Layout {
        /// Users 2k and 2k+1 send to each other; `transports` gives each side's transport.
        case pairs(count: Int, first: UserTransport, second: UserTransport)
        /// Users 1…senders send to user 0, which only receives.
        case fanIn(senders: Int, sink: UserTransport)
        /// Each user sends to an echo endpoint and receives its own messages back.
        case echo(clients: Int)
    }

    private enum Phase {
        case setup, warmup, measuring, draining, done
    }

    private let options: BenchOptions
    private let loop: EventLoop
    // The per-message state below is marked `@exclusivity(unchecked)`: the generator has one
    // thread, and the runtime's dynamic access checks were 6 % of its CPU in a profile.
    private let factory: ConnectionFactory
    private let layout: Layout
    private var users: [ChatUser] = []
    /// The user each user sends to, or -1.
    private var peers: [Int] = []
    private var senders: [Int] = []
    private var windows: [Int] = []
    @exclusivity(unchecked) private var nextSequence: [UInt64] = []
    @exclusivity(unchecked) private var lastDelivered: [UInt64] = []
    @exclusivity(unchecked) private var outstanding: [Int] = []
    private var launcher: UserLauncher?
    private var phase = Phase.setup
    private var failedDuringSetup: [String] = []
    private let epoch = MonotonicTime.now()
    @exclusivity(unchecked) private var payload: [UInt8] = []
    @exclusivity(unchecked) private var latency = LatencyHistogram()
    private var deliveredInWindow = 0
    private var sentInWindow = 0
    private var deliveredTotal = 0
    private var sentTotal = 0
    private var errors: [String: Int] = [:]
    private var windowStart: UInt64 = 0
    private var windowEnd: UInt64 = 0
    private var resources = ResourceWindow()
    private var trafficStart: UInt64 = 0
    private var openLoopCursor = 0
    private var setupStarted: UInt64 = 0
    private var setupSeconds = 0.0
    /// Open loop: messages a sender may have outstanding before further sends are skipped.
    private let openLoopOutstandingCap = 1000

    /// A scenario for `layout`, with sizes and timings from `options`.
    init(options: BenchOptions, layout: Layout, loop: EventLoop, factory: ConnectionFactory) {
        self.options = options
        self.layout = layout
        self.loop = loop
        self.factory = factory
    }

    /// Runs to completion and returns the result; `succeeded` is false on any error.
    func run() -> (report: Report, succeeded: Bool) {
        self.buildUsers()
        let launcher = UserLauncher(
            users: self.users, factory: self.factory, concurrency: self.options.setupConcurrency)
        self.launcher = launcher
        self.setupStarted = MonotonicTime.now()
        launcher.startMore()
        self.loop.schedule(after: 120) { [unowned self] in
            if self.phase == .setup {
                self.failedDuringSetup.append("setup timed out after 120 s")
                self.loop.stop()
            }
        }
        self.loop.run()
        return self.makeReport()
    }

    // MARK: Building

    private func buildUsers() {
        var transports: [UserTransport] = []
        switch self.layout {
        case .pairs(let count, let first, let second):
            for pair in 0..<count {
                transports += [first, second]
                self.peers += [2 * pair + 1, 2 * pair]
                let forFirst = (self.options.inflight + 1) / 2
                self.windows += [forFirst, self.options.inflight - forFirst]
            }
        case .fanIn(let senders, let sink):
            transports.append(sink)
            self.peers.append(-1)
            self.windows.append(0)
            for _ in 0..<senders {
                transports.append(.webSocket)
                self.peers.append(0)
                self.windows.append(self.options.inflight)
            }
        case .echo(let clients):
            for client in 0..<clients {
                transports.append(.echo)
                self.peers.append(client)
                self.windows.append(self.options.inflight)
            }
        }
        for (index, transport) in transports.enumerated() {
            let peer = self.peers[index]
            self.users.append(
                ChatUserFactory.make(
                    index: index, peer: peer >= 0 ? peer : nil, transport: transport,
                    protocol: self.options.peerProtocol, factory: self.factory, observer: self))
        }
        self.senders = self.peers.indices.filter { self.peers[$0] >= 0 }
        self.nextSequence = Array(repeating: 1, count: self.users.count)
        self.lastDelivered = Array(repeating: 0, count: self.users.count)
        self.outstanding = Array(repeating: 0, count: self.users.count)
    }

    // MARK: ChatUserObserver

    func userReady(_ user: ChatUser) {
        guard self.phase == .setup, let launcher = self.launcher else { return }
        launcher.userSettled()
        self.setupProgressed()
    }

    func user(_ user: ChatUser, failed reason: String) {
        if self.phase == .setup {
            self.failedDuringSetup.append("user \(user.index): \(reason)")
            self.launcher?.userSettled()
            self.setupProgressed()
        } else if self.phase != .done && self.phase != .draining {
            self.countError("user disconnected: \(reason)")
        }
    }

    func userReceivedPong(_ user: ChatUser) {}

    func countError(_ kind: String) {
        self.errors[kind, default: 0] += 1
    }

    func user(_ user: ChatUser, received text: UnsafeRawBufferPointer) {
        let now = MonotonicTime.now()
        guard let message = Payload.parse(text), Int(message.sender) < self.users.count,
            let latency = message.latency(epoch: self.epoch, now: now)
        else {
            self.countError("unrecognised message")
            return
        }
        let sender = Int(message.sender)
        if self.peers[sender] != user.index {
            self.countError("delivered to the wrong user")
        }
        let expected = self.lastDelivered[sender] + 1
        if message.sequence != expected {
            self.countError(message.sequence < expected ? "duplicate or reordered" : "lost message")
        }
        self.lastDelivered[sender] = max(self.lastDelivered[sender], message.sequence)
        self.outstanding[sender] -= 1
        self.deliveredTotal += 1
        if self.phase == .measuring {
            self.deliveredInWindow += 1
            self.latency.record(latency)
        }
        if self.options.messages > 0 && self.deliveredTotal >= self.options.messages
            && self.phase == .measuring
        {
            self.endWindow()
        } else if self.options.rate == 0 && (self.phase == .warmup || self.phase == .measuring) {
            self.sendNext(from: sender)
        } else if self.phase == .draining && self.outstanding.allSatisfy({ $0 <= 0 }) {
            self.finish()
        }
    }

    // MARK: Phases

    private func setupProgressed() {
        guard let launcher = self.launcher, launcher.isDone else { return }
        self.setupSeconds = MonotonicTime.seconds(MonotonicTime.now() - self.setupStarted)
        guard self.failedDuringSetup.isEmpty else {
            self.phase = .done
            self.loop.stop()
            return
        }
        // A short pause lets the last subscriptions (nchan long-poll GETs) reach the server.
        self.phase = .warmup
        self.loop.schedule(after: 0.2) { [unowned self] in self.startTraffic() }
    }

    private func startTraffic() {
        self.trafficStart = MonotonicTime.now()
        if self.options.rate > 0 {
            self.tickOpenLoop()
        } else {
            for sender in self.senders {
                for _ in 0..<self.windows[sender] { self.sendNext(from: sender) }
            }
        }
        self.loop.schedule(after: self.options.warmup) { [unowned self] in self.beginWindow() }
    }

    private func beginWindow() {
        self.phase = .measuring
        self.latency.reset()
        self.deliveredInWindow = 0
        self.sentInWindow = 0
        self.resources.start = ProcessSample.read(pids: self.options.pids)
        self.resources.generatorStart = ProcessSample.ownCPUSeconds()
        self.windowStart = MonotonicTime.now()
        self.loop.schedule(after: self.options.duration) { [unowned self] in self.endWindow() }
    }

    private func endWindow() {
        guard self.phase == .measuring else { return }
        self.windowEnd = MonotonicTime.now()
        self.resources.end = ProcessSample.read(pids: self.options.pids)
        self.resources.generatorEnd = ProcessSample.ownCPUSeconds()
        self.phase = .draining
        if self.outstanding.allSatisfy({ $0 <= 0 }) {
            self.finish()
        } else {
            self.loop.schedule(after: 5) { [unowned self] in
                guard self.phase == .draining else { return }
                let missing = self.outstanding.reduce(0) { $0 + max(0, $1) }
                self.errors["undelivered 5 s after the window", default: 0] += missing
                self.finish()
            }
        }
    }

    private func finish() {
        guard self.phase != .done else { return }
        self.phase = .done
        for user in self.users { user.close() }
        self.loop.schedule(after: 0.2) { [unowned self] in self.loop.stop() }
    }

    // MARK: Sending

    private func sendNext(from sender: Int) {
        let user = self.users[sender]
        guard user.isReady else { return }
        if self.options.messages > 0 && self.sentTotal >= self.options.messages { return }
        let message = Payload(
            sentAt: MonotonicTime.now() &- self.epoch, sender: UInt32(sender),
            sequence: self.nextSequence[sender])
        self.nextSequence[sender] += 1
        self.outstanding[sender] += 1
        self.sentTotal += 1
        if self.phase == .measuring { self.sentInWindow += 1 }
        self.payload.removeAll(keepingCapacity: true)
        message.append(to: &self.payload, totalBytes: self.options.messageBytes)
        self.payload.withUnsafeBytes { user.send($0) }
    }

    /// Sends what the rate says is due since traffic started, round-robin over senders, then
    /// comes back in a millisecond.
    private func tickOpenLoop() {
        guard self.phase == .warmup || self.phase == .measuring else { return }
        let elapsed = MonotonicTime.seconds(MonotonicTime.now() - self.trafficStart)
        let due = Int(elapsed * self.options.rate) - self.sentTotal - self.skipped
        for _ in 0..<max(0, due) {
            let sender = self.senders[self.openLoopCursor]
            self.openLoopCursor = (self.openLoopCursor + 1) % self.senders.count
            if self.outstanding[sender] >= self.openLoopOutstandingCap {
                self.skipped += 1
                self.countError("open loop: sender over \(self.openLoopOutstandingCap) outstanding")
            } else {
                self.sendNext(from: sender)
            }
        }
        self.loop.schedule(after: 0.001) { [unowned self] in self.tickOpenLoop() }
    }

    private var skipped = 0

    // MARK: Result

    private func makeReport() -> (report: Report, succeeded: Bool) {
        var report = Report()
        report.set("scenario", self.options.scenario.rawValue)
        report.set("label", self.options.label)
        report.set("protocol", self.options.peerProtocol.rawValue)
        switch self.layout {
        case .pairs(let count, let first, let second):
            report.set("transport", "\(first.rawValue)-\(second.rawValue)")
            report.set("pairs", count)
        case .fanIn(let senders, let sink):
            report.set("transport", "ws-\(sink.rawValue)")
            report.set("senders", senders)
        case .echo(let clients):
            report.set("transport", "echo")
            report.set("clients", clients)
        }
        report.set("users", self.users.count)
        report.set("inflight", self.options.inflight)
        report.set("rate", self.options.rate)
        report.set("msg_bytes", self.options.messageBytes)
        report.set("setup_s", self.setupSeconds)
        let seconds = MonotonicTime.seconds(self.windowEnd &- self.windowStart)
        let completed = self.failedDuringSetup.isEmpty && self.windowEnd > self.windowStart
        report.set("window_s", completed ? seconds : 0)
        report.set("delivered", self.deliveredInWindow)
        report.set("sent", self.sentInWindow)
        report.set(
            "msgs_per_s", completed && seconds > 0 ? Double(self.deliveredInWindow) / seconds : 0,
            digits: 0)
        report.set("latency", self.latency.report)
        report.set("resources", self.resources.report(seconds: seconds))
        if let cpu = self.resources.serverCPUSeconds, cpu > 0 {
            report.set("msgs_per_server_cpu_s", Double(self.deliveredInWindow) / cpu, digits: 0)
        }
        var errorReport = Report()
        for (kind, count) in self.errors.sorted(by: { $0.key < $1.key }) {
            errorReport.set(kind, count)
        }
        for failure in self.failedDuringSetup.prefix(5) {
            errorReport.set("setup: \(failure)", 1)
        }
        if self.failedDuringSetup.count > 5 {
            errorReport.set("setup: more failures", self.failedDuringSetup.count - 5)
        }
        report.set("errors", errorReport)
        let errorCount = self.errors.values.reduce(0, +) + self.failedDuringSetup.count
        report.set("error_count", errorCount)
        return (report, completed && errorCount == 0)
    }
}
