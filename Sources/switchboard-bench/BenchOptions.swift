/// The command line of `switchboard-bench`: a scenario name, then `--name value` options.
struct BenchOptions {
    /// What to measure.
    enum Scenario: String, CaseIterable {
        /// Pairs of users sending to each other (`--transport ws|lp|mixed`).
        case relay
        /// Many senders to one user.
        case fanin
        /// Users sending to a WebSocket echo endpoint.
        case echo
        /// Connections opened, bound and held without traffic; memory per connection.
        case idle
        /// Long-poll GETs parked, then all woken at once; time until all are answered.
        case parked
        /// Connections opened, bound and closed again, as fast as they go.
        case churn
    }

    /// What went wrong reading the command line.
    struct UsageError: Error, CustomStringConvertible {
        /// A one-line reason.
        var description: String
    }

    var scenario = Scenario.relay
    var host = "127.0.0.1"
    var port: UInt16 = 8080
    var peerProtocol = PeerProtocol.v1
    /// Processes whose CPU and memory are reported (the server; nginx master and worker).
    var pids: [Int32] = []
    /// Loopback source addresses to spread client sockets over (127.0.0.2…).
    var sources = 32
    /// A CPU to pin the generator to, if any.
    var cpu: Int?
    /// A free-form label copied into the result (e.g. the peer's name).
    var label = ""
    /// relay: ws, lp or mixed (WebSocket user paired with a long-poll user).
    var transport = "ws"
    /// fanin: the receiving user's transport, ws or lp.
    var sinkTransport = "ws"
    var pairs = 100
    var senders = 100
    var clients = 100
    /// Messages in flight per pair (relay, split between the two directions), per sender
    /// (fanin) or per client (echo), in closed-loop mode.
    var inflight = 10
    /// Total messages per second across all senders (open loop); 0 means closed loop.
    var rate = 0.0
    var messageBytes = 32
    var duration = 10.0
    /// Closed loop: stop after this many messages in total (warm-up included) instead of at
    /// the end of `duration`; 0 means no limit. Makes runs under valgrind comparable.
    var messages = 0
    var warmup = 2.0
    /// Connections being set up at once.
    var setupConcurrency = 256
    /// idle: how many, on which endpoint (ws = bound V1 users, echo = /v1/echo, lp = sessions).
    var connections = 1000
    var idleTransport = "ws"
    /// idle: seconds to hold the connections before the liveness check.
    var hold = 5.0
    /// parked: how many long-poll sessions park a GET.
    var polls = 1000
    /// churn: connection cycles running at once.
    var concurrency = 50

    /// Help text for `--help` and usage errors.
    static let usage = """
        usage: switchboard-bench SCENARIO [options]
        scenarios: relay, fanin, echo, idle, parked, churn
        common:  --host 127.0.0.1 --port 8080 --protocol v1|nchan --pid PID[,PID...]
                 --sources 32 --cpu N --label TEXT --setup-concurrency 256
        traffic: --duration 10 --warmup 2 --msg-bytes 32 --inflight 10 --rate MSGS_PER_S
                 --messages N (stop after N messages; for valgrind)
          relay: --pairs 100 --transport ws|lp|mixed
          fanin: --senders 100 --sink-transport ws|lp
          echo:  --clients 100
        idle:    --connections 1000 --idle-transport ws|echo|lp --hold 5
        parked:  --polls 1000
        churn:   --concurrency 50 --duration 10
        Prints one JSON result line on stdout and a summary on stderr; exits 1 on errors.
        """

    /// Parses `arguments` (without the program name).
    static func parse(_ arguments: [String]) throws(UsageError) -> BenchOptions {
        var options = BenchOptions()
        guard let first = arguments.first, let scenario = Scenario(rawValue: first) else {
            throw UsageError(description: "the first argument must be a scenario")
        }
        options.scenario = scenario
        var index = 1
        while index < arguments.count {
            let name = arguments[index]
            guard name.hasPrefix("--"), index + 1 < arguments.count else {
                throw UsageError(description: "expected --name value at \(name)")
            }
            try options.apply(String(name.dropFirst(2)), arguments[index + 1])
            index += 2
        }
        return options
    }

    private mutating func apply(_ name: String, _ value: String) throws(UsageError) {
        switch name {
        case "host": self.host = value
        case "port": self.port = UInt16(try Self.number(value, name, in: 1...65535))
        case "protocol":
            guard let parsed = PeerProtocol(rawValue: value) else { throw Self.bad(name, value) }
            self.peerProtocol = parsed
        case "pid":
            let pids = value.split(separator: ",").compactMap { Int32($0) }
            guard !pids.isEmpty else { throw Self.bad(name, value) }
            self.pids = pids
        case "sources": self.sources = try Self.number(value, name, in: 0...250)
        case "cpu": self.cpu = try Self.number(value, name, in: 0...1023)
        case "label": self.label = value
        case "transport": self.transport = try Self.choice(value, name, ["ws", "lp", "mixed"])
        case "sink-transport": self.sinkTransport = try Self.choice(value, name, ["ws", "lp"])
        case "idle-transport":
            self.idleTransport = try Self.choice(value, name, ["ws", "echo", "lp"])
        case "pairs": self.pairs = try Self.number(value, name, in: 1...10_000)
        case "senders": self.senders = try Self.number(value, name, in: 1...18_000)
        case "clients": self.clients = try Self.number(value, name, in: 1...18_000)
        case "inflight": self.inflight = try Self.number(value, name, in: 1...100_000)
        case "rate": self.rate = try Self.decimal(value, name, in: 0...10_000_000)
        case "msg-bytes":
            self.messageBytes = try Self.number(value, name, in: Payload.minimumBytes...65536)
        case "messages": self.messages = try Self.number(value, name, in: 0...1_000_000_000)
        case "duration": self.duration = try Self.decimal(value, name, in: 0.1...3600)
        case "warmup": self.warmup = try Self.decimal(value, name, in: 0...600)
        case "setup-concurrency":
            self.setupConcurrency = try Self.number(value, name, in: 1...20_000)
        case "connections": self.connections = try Self.number(value, name, in: 1...19_500)
        case "hold": self.hold = try Self.decimal(value, name, in: 0...3600)
        case "polls": self.polls = try Self.number(value, name, in: 1...19_500)
        case "concurrency": self.concurrency = try Self.number(value, name, in: 1...10_000)
        default: throw UsageError(description: "unknown option --\(name)")
        }
    }

    private static func number(
        _ value: String, _ name: String, in range: ClosedRange<Int>
    )
        throws(UsageError) -> Int
    {
        guard let parsed = Int(value), range.contains(parsed) else {
            throw UsageError(description: "--\(name) must be an integer in \(range), not \(value)")
        }
        return parsed
    }

    private static func decimal(
        _ value: String, _ name: String, in range: ClosedRange<Double>
    )
        throws(UsageError) -> Double
    {
        guard let parsed = Double(value), range.contains(parsed) else {
            throw UsageError(description: "--\(name) must be a number in \(range), not \(value)")
        }
        return parsed
    }

    private static func choice(
        _ value: String, _ name: String, _ allowed: [String]
    )
        throws(UsageError) -> String
    {
        guard allowed.contains(value) else { throw Self.bad(name, value) }
        return value
    }

    private static func bad(_ name: String, _ value: String) -> UsageError {
        UsageError(description: "invalid --\(name) \(value)")
    }
}
