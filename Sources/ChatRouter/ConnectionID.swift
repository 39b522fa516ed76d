/// Names one client connection to the router: a WebSocket or a long-poll session.
///
/// The server allocates them, never reusing a value while the process runs, so a late
/// delivery for a closed connection can never reach a newer one.
public struct ConnectionID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64

    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    public static func < (lhs: ConnectionID, rhs: ConnectionID) -> Bool {
        lhs.rawValue < rhs.rawValue
    }

    public var description: String { String(self.rawValue) }
}

/// How a connection reaches its client. The router treats both alike except where SPEC.md
/// says otherwise: over long-poll every envelope gets a reply.
public enum Transport: String, Sendable, CaseIterable {
    case webSocket = "ws"
    case longPoll = "poll"
}
