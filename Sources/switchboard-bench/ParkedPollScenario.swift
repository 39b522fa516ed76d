/// Parks one long-poll GET per session for many sessions, then wakes them all at once: a
/// WebSocket user sends one message to each sleeper in one burst. Measures how long until
/// every GET is answered, counted from each message's send time, and the memory held.
final class ParkedPollScenario: ChatUserObserver {
    private let options: BenchOptions
    private let loop: EventLoop
    private let factory: ConnectionFactory
    private var sleepers: [V1LongPollUser] = []
    private var waker: V1WebSocketUser?
    private var launcher: UserLauncher?
    private var failures: [String] = []
    private var errors: [String: Int] = [:]
    private var answered: [Bool] = []
    private var answeredCount = 0
    private var latency = LatencyHistogram()
    private let epoch = MonotonicTime.now()
    private var wakeStart: UInt64 = 0
    private var lastAnswer: UInt64 = 0
    private var parkedSeen = 0
    private var holding: ProcessSample?
    private var baseline: ProcessSample?
    private var afterWake: ProcessSample?
    private var metricsClient: HTTPClient?
    private var metricsReader: MetricsReader?
    private var phase = Phase.setup

    private enum Phase {
        case setup, waitingForParks, waking, done
    }

    /// A scenario sized by `options.polls`.
    init(options: BenchOptions, loop: EventLoop, factory: ConnectionFactory) {
        self.options = options
        self.loop = loop
        self.factory = factory
    }

    /// Runs to completion and returns the result.
    func run() -> (Report, Bool) {
        for index in 0..<self.options.polls {
            let sleeper = V1LongPollUser(
                index: index, uid: self.factory.userName(index), peerUID: nil,
                host: self.factory.hostHeader,
                sends: false, observer: self)
            sleeper.pollTimeoutSeconds = 60
            sleeper.pollsAgainAfterEvents = false
            self.sleepers.append(sleeper)
        }
        let waker = V1WebSocketUser(
            index: self.options.polls, uid: self.factory.userName(self.options.polls), peerUID: nil,
            host: self.factory.hostHeader,
            seed: self.factory.makeSeed(), observer: self)
        self.waker = waker
        self.answered = Array(repeating: false, count: self.options.polls)
        self.baseline = ProcessSample.read(pids: self.options.pids)
        let launcher = UserLauncher(
            users: self.sleepers + [waker], factory: self.factory,
            concurrency: self.options.setupConcurrency)
        self.launcher = launcher
        launcher.startMore()
        self.loop.schedule(after: 180) { [unowned self] in
            guard self.phase == .setup || self.phase == .waitingForParks else { return }
            self.failures.append("setup timed out after 180 s")
            self.loop.stop()
        }
        self.loop.run()
        return self.makeReport()
    }

    // MARK: ChatUserObserver

    func userReady(_ user: ChatUser) {
        self.launcher?.userSettled()
        self.setupProgressed()
    }

    func user(_ user: ChatUser, failed reason: String) {
        if self.phase == .setup {
            self.failures.append("user \(user.index): \(reason)")
            self.launcher?.userSettled()
            self.setupProgressed()
        } else if self.phase != .done {
            self.countError("disconnected: \(reason)")
        }
    }

    func user(_ user: ChatUser, received text: UnsafeRawBufferPointer) {
        let now = MonotonicTime.now()
        guard let message = Payload.parse(text), Int(message.sequence) == user.index + 1,
            user.index < self.answered.count,
            let latency = message.latency(epoch: self.epoch, now: now)
        else {
            self.countError("unexpected message")
            return
        }
        guard !self.answered[user.index] else {
            self.countError("woken twice")
            return
        }
        self.answered[user.index] = true
        self.answeredCount += 1
        self.lastAnswer = now
        self.latency.record(latency)
        if self.answeredCount == self.sleepers.count { self.finish() }
    }

    func userReceivedPong(_ user: ChatUser) {}

    func countError(_ kind: String) {
        self.errors[kind, default: 0] += 1
    }

    // MARK: Phases

    private func setupProgressed() {
        guard let launcher = self.launcher, launcher.isDone, self.phase == .setup else { return }
        guard self.failures.isEmpty else {
            self.phase = .done
            self.loop.stop()
            return
        }
        self.phase = .waitingForParks
        let client = HTTPClient(host: self.factory.hostHeader)
        let reader = MetricsReader(loop: self.loop) { [unowned self] in self.metricsRead($0) }
        self.metricsReader = reader
        client.delegate = reader
        self.metricsClient = client
        client.open(using: self.factory)
        self.loop.schedule(after: 30) { [unowned self] in
            guard self.phase == .waitingForParks else { return }
            self.countError("only \(self.parkedSeen) GETs parked after 30 s")
            self.wake()
        }
    }

    private func metricsRead(_ parked: Int?) -> Bool {
        self.parkedSeen = parked ?? self.parkedSeen
        guard self.phase == .waitingForParks else { return false }
        if let parked, parked >= self.sleepers.count {
            self.wake()
            return false
        }
        return true
    }

    private func wake() {
        guard self.phase == .waitingForParks, let waker = self.waker else { return }
        self.phase = .waking
        self.metricsClient?.close()
        self.holding = ProcessSample.read(pids: self.options.pids)
        self.wakeStart = MonotonicTime.now()
        var payload: [UInt8] = []
        for sleeper in self.sleepers {
            payload.removeAll(keepingCapacity: true)
            let message = Payload(
                sentAt: MonotonicTime.now() &- self.epoch, sender: UInt32(self.sleepers.count),
                sequence: UInt64(sleeper.index + 1))
            message.append(to: &payload, totalBytes: self.options.messageBytes)
            payload.withUnsafeBytes { waker.send($0, to: self.factory.userName(sleeper.index)) }
        }
        self.loop.schedule(after: 10) { [unowned self] in
            guard self.phase == .waking else { return }
            self.countError("not woken within 10 s")
            self.finish()
        }
    }

    private func finish() {
        guard self.phase != .done else { return }
        self.phase = .done
        self.afterWake = ProcessSample.read(pids: self.options.pids)
        for sleeper in self.sleepers { sleeper.close() }
        self.waker?.close()
        self.loop.schedule(after: 0.5) { [unowned self] in self.loop.stop() }
    }

    // MARK: Result

    private func makeReport() -> (Report, Bool) {
        var report = Report()
        report.set("scenario", "parked")
        report.set("label", self.options.label)
        report.set("polls", self.options.polls)
        report.set("parked_seen", self.parkedSeen)
        report.set("answered", self.answeredCount)
        let span =
            self.lastAnswer > self.wakeStart
            ? MonotonicTime.seconds(self.lastAnswer - self.wakeStart) : 0
        report.set("all_answered_s", span)
        report.set("latency", self.latency.report)
        if let baseline = self.baseline, let holding = self.holding {
            report.set("server_rss_before_kib", baseline.rssKiB)
            report.set("server_rss_held_kib", holding.rssKiB)
            report.set("server_fds_held", holding.descriptors)
            let perPoll =
                Double(holding.rssKiB - baseline.rssKiB) * 1024
                / Double(max(1, self.sleepers.count))
            report.set("server_rss_bytes_per_poll", perPoll, digits: 0)
            if let after = self.afterWake {
                report.set("server_rss_after_wake_kib", after.rssKiB)
                report.set("server_wake_cpu_s", after.cpuSeconds - holding.cpuSeconds)
            }
        }
        var errorReport = Report()
        for (kind, count) in self.errors.sorted(by: { $0.key < $1.key }) {
            errorReport.set(kind, count)
        }
        for failure in self.failures.prefix(5) { errorReport.set("setup: \(failure)", 1) }
        report.set("errors", errorReport)
        let errorCount = self.errors.values.reduce(0, +) + self.failures.count
        report.set("error_count", errorCount)
        return (report, errorCount == 0 && self.answeredCount == self.sleepers.count)
    }
}

/// Polls `GET /metrics` every 100 ms and hands `switchboard_poll_parked` to `onValue`
/// (nil if unreadable) until `onValue` returns false.
final class MetricsReader: HTTPClientDelegate {
    private unowned let loop: EventLoop
    private let onValue: (Int?) -> Bool

    /// A reader calling `onValue` with each reading.
    init(loop: EventLoop, onValue: @escaping (Int?) -> Bool) {
        self.loop = loop
        self.onValue = onValue
    }

    func httpConnected(_ client: HTTPClient) {
        client.send(method: "GET", target: "/metrics")
    }

    func http(_ client: HTTPClient, received response: HTTPResponse) {
        let text = String(decoding: response.body, as: UTF8.self)
        let value = text.split(separator: "\n")
            .first { $0.hasPrefix("switchboard_poll_parked ") }
            .flatMap { Int($0.split(separator: " ").last ?? "") }
        guard self.onValue(value) else { return }
        self.loop.schedule(after: 0.1) { [weak client] in
            client?.send(method: "GET", target: "/metrics")
        }
    }

    func httpClosed(_ client: HTTPClient, error: String?) {}
}
