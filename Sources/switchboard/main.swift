import Glibc
import SwitchboardCommand
import SwitchboardServer

// The executable parses flags, wires the modules together and turns SIGINT/SIGTERM into a
// graceful shutdown. Everything else lives in the libraries.

/// Prints to standard error and exits with `status` (2 for usage errors, 1 for start failures).
func fail(_ message: String, status: Int32) -> Never {
    StandardErrorSink().write(line: "switchboard: \(message)")
    exit(status)
}

let options: SwitchboardOptions
do {
    options = try CommandLineParser.parse(
        arguments: Array(CommandLine.arguments.dropFirst()), environment: Environment.current())
} catch {
    fail(error.description, status: 2)
}

switch options.action {
case .showHelp:
    print(CommandLineParser.helpText())
    exit(0)
case .showVersion:
    print(CommandLineParser.version)
    exit(0)
case .serve:
    break
}

// Signals are blocked before any thread starts, so every thread inherits the mask and only
// the main thread's sigwait ever sees them. SIGPIPE is ignored: a peer that vanishes must
// produce EPIPE on the write, not kill the process.
signal(SIGPIPE, SIG_IGN)
var shutdownSignals = sigset_t()
sigemptyset(&shutdownSignals)
sigaddset(&shutdownSignals, SIGINT)
sigaddset(&shutdownSignals, SIGTERM)
pthread_sigmask(SIG_BLOCK, &shutdownSignals, nil)

let logger = Logger(label: "switchboard", threshold: options.server.logLevel)
let server: SwitchboardServer
do {
    server = try SwitchboardServer(configuration: options.server, logger: logger)
} catch {
    fail(error.description, status: 1)
}

var received: Int32 = 0
sigwait(&shutdownSignals, &received)
logger.info("signal received", ["signal": received == SIGINT ? "SIGINT" : "SIGTERM"])
server.shutdown()
exit(0)
