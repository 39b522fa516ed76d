import SwitchboardServer

/// Everything the command line decides: the server's configuration plus what only the
/// executable needs.
public struct SwitchboardOptions: Sendable {
    /// What the invocation asks for.
    public enum Action: Equatable, Sendable {
        case serve
        case showHelp
        case showVersion
    }

    public var action = Action.serve
    public var server = ServerConfiguration()

    /// Creates the defaults.
    public init() {}
}
