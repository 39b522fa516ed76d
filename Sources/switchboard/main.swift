import ChatRouter
import Glibc
import SQLiteStore
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

/// Opens the store the options name, or exits with status 1 and a one-line reason (locked,
/// damaged, newer schema, unusable data directory).
func openStore(_ options: SwitchboardOptions, logger: Logger) -> any MessageStore {
    let configuration = options.server
    switch options.store {
    case .memory:
        logger.info(
            "store opened",
            ["store.kind": "memory", "store.max_messages": "\(configuration.inboxMaxMessages)"])
        return MemoryStore(
            maxMessagesPerUser: configuration.inboxMaxMessages,
            retentionSeconds: configuration.inboxRetentionSeconds)
    case .sqlite(let path):
        if options.storeUsesDataDirectory {
            do {
                try DataDirectory.create(options.dataDirectory)
            } catch {
                fail(error.description, status: 1)
            }
        }
        let synchronous: SQLiteSynchronous = options.sqliteSync == .full ? .full : .normal
        let store: SQLiteStore
        do {
            store = try SQLiteStore(
                path: path,
                configuration: SQLiteStoreConfiguration(
                    maxMessagesPerUser: configuration.inboxMaxMessages,
                    retentionSeconds: configuration.inboxRetentionSeconds,
                    synchronous: synchronous))
        } catch {
            fail(error.description, status: 1)
        }
        logger.info(
            "store opened",
            [
                "store.kind": "sqlite", "store.path": path, "store.sync": synchronous.rawValue,
                "store.last_mid": "\(store.lastAssignedMid)",
                "store.max_messages": "\(configuration.inboxMaxMessages)",
            ])
        return store
    }
}

let server: SwitchboardServer
do {
    server = try SwitchboardServer(
        configuration: options.server, logger: logger, store: openStore(options, logger: logger))
} catch {
    fail(error.description, status: 1)
}

var received: Int32 = 0
sigwait(&shutdownSignals, &received)
logger.info("signal received", ["signal": received == SIGINT ? "SIGINT" : "SIGTERM"])
server.shutdown()
exit(0)
