/// Opens many connections, binds them (V1 WebSocket users, echo sockets, or long-poll sessions
/// with a GET parked), holds them without traffic and measures the server's memory per
/// connection; then pings every WebSocket to show they are all still served.
final class IdleScenario: ChatUserObserver {
    private let options: BenchOptions
    private let loop: EventLoop
    private let factory: ConnectionFactory
    private var users: [ChatUser] = []
    private var launcher: UserLauncher?
    private var ready = 0
    private var failures: [String] = []
    private var droppedWhileHeld = 0
    private var pongs = 0
    private var isHolding = false
    private var isPinging = false
    private var pingStart: UInt64 = 0
    private var pingSeconds = 0.0
    private var setupEnded: UInt64 = 0
    private var baseline: ProcessSample?
    private var afterSetup: ProcessSample?
    private var afterHold: ProcessSample?
    private var errors: [String: Int] = [:]

    /// A scenario sized by `options.connections`, `idleTransport` and `hold`.
    init(options: BenchOptions, loop: EventLoop, factory: ConnectionFactory) {
        self.options = options
        self.loop = loop
        self.factory = factory
    }

    /// Runs to completion and returns the result.
    func run() -> (Report, Bool) {
        let transport: UserTransport
        switch self.options.idleTransport {
        case "echo": transport = .echo
        case "lp": transport = .longPoll
        default: transport = .webSocket
        }
        for index in 0..<self.options.connections {
            let user = ChatUserFactory.make(
                index: index, peer: nil, transport: transport, protocol: self.options.peerProtocol,
                factory: self.factory, observer: self)
            (user as? V1LongPollUser)?.pollTimeoutSeconds = 60
            self.users.append(user)
        }
        self.baseline = ProcessSample.read(pids: self.options.pids)
        let launcher = UserLauncher(
            users: self.users, factory: self.factory, concurrency: self.options.setupConcurrency)
        self.launcher = launcher
        let started = MonotonicTime.now()
        launcher.startMore()
        self.loop.schedule(after: 180) { [unowned self] in
            guard !launcher.isDone else { return }
            self.failures.append("setup timed out after 180 s")
            self.loop.stop()
        }
        self.loop.run()
        return self.makeReport(started: started)
    }

    func userReady(_ user: ChatUser) {
        self.ready += 1
        self.launcher?.userSettled()
        self.setupProgressed()
    }

    func user(_ user: ChatUser, failed reason: String) {
        if self.isHolding {
            self.droppedWhileHeld += 1
            self.countError("dropped while held: \(reason)")
            return
        }
        guard let launcher = self.launcher, !launcher.isDone else { return }
        self.failures.append("user \(user.index): \(reason)")
        launcher.userSettled()
        self.setupProgressed()
    }

    func user(_ user: ChatUser, received payload: UnsafeRawBufferPointer) {
        self.countError("unexpected message")
    }

    func userReceivedPong(_ user: ChatUser) {
        guard self.isPinging else { return }
        self.pongs += 1
        if self.pongs == self.ready - self.droppedWhileHeld {
            self.pingSeconds = MonotonicTime.seconds(MonotonicTime.now() - self.pingStart)
            self.finish()
        }
    }

    func countError(_ kind: String) {
        self.errors[kind, default: 0] += 1
    }

    private func setupProgressed() {
        guard let launcher = self.launcher, launcher.isDone, !self.isHolding else { return }
        self.isHolding = true
        self.setupEnded = MonotonicTime.now()
        // Let the server finish the last handshakes' bookkeeping before sampling.
        self.loop.schedule(after: 0.5) { [unowned self] in
            self.afterSetup = ProcessSample.read(pids: self.options.pids)
            self.loop.schedule(after: self.options.hold) { [unowned self] in self.endHold() }
        }
    }

    private func endHold() {
        self.afterHold = ProcessSample.read(pids: self.options.pids)
        guard self.options.idleTransport != "lp" else {
            self.finish()
            return
        }
        self.isPinging = true
        self.pingStart = MonotonicTime.now()
        for user in self.users where user.isReady { user.ping() }
        self.loop.schedule(after: 15) { [unowned self] in
            if self.isPinging {
                self.pingSeconds = MonotonicTime.seconds(MonotonicTime.now() - self.pingStart)
                self.finish()
            }
        }
    }

    private func finish() {
        guard self.isHolding else { return }
        self.isHolding = false
        self.isPinging = false
        for user in self.users { user.close() }
        self.loop.schedule(after: 0.2) { [unowned self] in self.loop.stop() }
    }

    private func makeReport(started: UInt64) -> (Report, Bool) {
        var report = Report()
        report.set("scenario", "idle")
        report.set("label", self.options.label)
        report.set("protocol", self.options.peerProtocol.rawValue)
        report.set("transport", self.options.idleTransport)
        report.set("connections", self.options.connections)
        report.set("established", self.ready)
        report.set("setup_failures", self.failures.count)
        report.set("dropped_while_held", self.droppedWhileHeld)
        report.set("hold_s", self.options.hold)
        let setupSeconds =
            self.setupEnded > started ? MonotonicTime.seconds(self.setupEnded - started) : 0
        report.set("setup_s", setupSeconds)
        report.set(
            "connects_per_s", setupSeconds > 0 ? Double(self.ready) / setupSeconds : 0, digits: 0)
        if self.options.idleTransport != "lp" {
            report.set("pongs", self.pongs)
            report.set("all_pongs_s", self.pingSeconds)
        }
        if let baseline = self.baseline, let held = self.afterHold ?? self.afterSetup {
            report.set("server_rss_before_kib", baseline.rssKiB)
            report.set("server_rss_held_kib", held.rssKiB)
            report.set("server_rss_peak_kib", held.peakRSSKiB)
            report.set("server_fds_held", held.descriptors)
            report.set(
                "server_setup_cpu_s", (self.afterSetup ?? held).cpuSeconds - baseline.cpuSeconds)
            if self.ready > 0 {
                let perConnection =
                    Double(held.rssKiB - baseline.rssKiB) * 1024 / Double(self.ready)
                report.set("server_rss_bytes_per_conn", perConnection, digits: 0)
            }
        }
        var errorReport = Report()
        for (kind, count) in self.errors.sorted(by: { $0.key < $1.key }) {
            errorReport.set(kind, count)
        }
        for failure in self.failures.prefix(5) { errorReport.set("setup: \(failure)", 1) }
        report.set("errors", errorReport)
        let liveness = self.options.idleTransport == "lp" || self.pongs == self.ready
        let succeeded =
            self.failures.isEmpty && self.errors.isEmpty && liveness
            && self.ready == self.options.connections
        report.set(
            "error_count",
            self.failures.count + self.errors.values.reduce(0, +) + (liveness ? 0 : 1))
        return (report, succeeded)
    }
}
