import CLinux
import Glibc

/// The `switchboard-bench` program: parses the command line, prepares the process (open-file
/// limit, CPU pinning), runs one scenario and prints its result.
enum BenchCommand {
    /// Runs with `arguments` (without the program name) and returns the exit status:
    /// 0 when the run completed without errors, 1 when it had errors, 2 on a usage error.
    static func run(_ arguments: [String]) -> Int32 {
        if arguments.isEmpty || arguments.contains("--help") || arguments.contains("-h") {
            print(BenchOptions.usage)
            return arguments.isEmpty ? 2 : 0
        }
        let options: BenchOptions
        do {
            options = try BenchOptions.parse(arguments)
        } catch {
            Self.printError("switchboard-bench: \(error)\n\(BenchOptions.usage)")
            return 2
        }
        // A broken pipe to a peer must be an error on that socket, not the end of the run.
        signal(SIGPIPE, SIG_IGN)
        let fileLimit = raiseOpenFileLimit()
        if let cpu = options.cpu, sb_pin_to_cpu(Int32(cpu)) != 0 {
            Self.printError("switchboard-bench: could not pin to CPU \(cpu)")
        }
        guard let loop = EventLoop(),
            let factory = ConnectionFactory(
                loop: loop, host: options.host, port: options.port, sourceCount: options.sources)
        else {
            Self.printError("switchboard-bench: cannot set up the event loop or parse --host")
            return 2
        }
        var (report, succeeded) = Self.runScenario(options, loop: loop, factory: factory)
        report.set("generator_file_limit", fileLimit)
        print(report.json)
        Self.printError(Self.summary(of: report, succeeded: succeeded))
        return succeeded ? 0 : 1
    }

    private static func runScenario(
        _ options: BenchOptions, loop: EventLoop, factory: ConnectionFactory
    )
        -> (Report, Bool)
    {
        switch options.scenario {
        case .relay:
            let (first, second): (UserTransport, UserTransport)
            switch options.transport {
            case "lp": (first, second) = (.longPoll, .longPoll)
            case "mixed": (first, second) = (.webSocket, .longPoll)
            default: (first, second) = (.webSocket, .webSocket)
            }
            let layout = TrafficScenario.Layout.pairs(
                count: options.pairs, first: first, second: second)
            return TrafficScenario(options: options, layout: layout, loop: loop, factory: factory)
                .run()
        case .fanin:
            let sink: UserTransport = options.sinkTransport == "lp" ? .longPoll : .webSocket
            let layout = TrafficScenario.Layout.fanIn(senders: options.senders, sink: sink)
            return TrafficScenario(options: options, layout: layout, loop: loop, factory: factory)
                .run()
        case .echo:
            let layout = TrafficScenario.Layout.echo(clients: options.clients)
            return TrafficScenario(options: options, layout: layout, loop: loop, factory: factory)
                .run()
        case .idle:
            return IdleScenario(options: options, loop: loop, factory: factory).run()
        case .parked:
            return ParkedPollScenario(options: options, loop: loop, factory: factory).run()
        case .churn:
            return ChurnScenario(options: options, loop: loop, factory: factory).run()
        }
    }

    private static func summary(of report: Report, succeeded: Bool) -> String {
        (succeeded ? "ok: " : "FAILED: ") + report.json
    }

    private static func printError(_ text: String) {
        var line = text
        line += "\n"
        _ = line.withUTF8 { write(2, $0.baseAddress, $0.count) }
    }
}
