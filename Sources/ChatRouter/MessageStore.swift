/// One chat message as the inbox keeps it.
public struct StoredMessage: Equatable, Hashable, Sendable {
    /// Server-assigned id, unique and increasing across the server's life, restarts included.
    public var mid: UInt64
    /// The sender's uid.
    public var sender: String
    /// The recipient's uid; the message lives in this user's inbox.
    public var recipient: String
    /// The message text.
    public var text: String
    /// When the server accepted it, Unix milliseconds.
    public var timestamp: Int64

    public init(mid: UInt64, sender: String, recipient: String, text: String, timestamp: Int64) {
        self.mid = mid
        self.sender = sender
        self.recipient = recipient
        self.text = text
        self.timestamp = timestamp
    }
}

/// What a `send` achieved, remembered so that a retry with the same `id` gets the same answer.
public struct SendReceipt: Equatable, Hashable, Sendable {
    /// Whether a live connection of the recipient got it, or it waits in the offline queue.
    public enum Outcome: String, Sendable {
        case delivered
        case queued
    }

    public var mid: UInt64
    public var recipient: String
    public var outcome: Outcome

    public init(mid: UInt64, recipient: String, outcome: Outcome) {
        self.mid = mid
        self.recipient = recipient
        self.outcome = outcome
    }
}

/// Why a message could not be added to an inbox.
public enum AppendRefusal: Error, Equatable, Sendable {
    /// The recipient's offline queue holds its maximum already.
    case offlineQueueFull
    /// The store failed (disk full, I/O error); the sender gets 500.
    case storageFailure
}

/// Each user's inbox: every message accepted for them, kept for the retention window, and the
/// subset not yet handed to any of their connections (the offline queue, "pending").
///
/// The router calls a store only while it owns the router state (one thread at a time), and
/// `commit` is called under the same ownership, so implementations need no locking of their
/// own.
///
/// Durability contract for stores that have it: a `mid` handed out by `assignMid` is never
/// handed out again, even if the process dies before the next `commit` (a message may reach a
/// live recipient before its sender's acknowledgement is committed, and that recipient's
/// `since` cursor must stay meaningful after a restart).
public protocol MessageStore: AnyObject {
    /// The highest `mid` assigned so far, 0 before the first.
    var lastAssignedMid: UInt64 { get }

    /// Assigns the next `mid`: strictly greater than every earlier one, across restarts too.
    func assignMid() -> UInt64

    /// Adds a message to its recipient's inbox.
    ///
    /// `pending` messages form the offline queue and are never evicted; when the recipient's
    /// queue is full the append is refused. Delivered (non-pending) messages evict the
    /// recipient's oldest delivered message beyond the per-user cap, which `hasGap` reports.
    func append(_ message: StoredMessage, pending: Bool, now: Int64) throws(AppendRefusal)

    /// Marks messages as handed to a connection: they leave the offline queue.
    func markDelivered(recipient: String, mids: [UInt64])

    /// Puts messages back into their recipients' offline queues (their connection died before
    /// they reached the client). A message retention has dropped meanwhile (the cap evicts
    /// delivered messages, and one delivered live to a full inbox is never kept) is stored
    /// again, pending, even beyond the cap: it was accepted and its recipient never got it.
    func requeue(_ messages: [StoredMessage])

    /// Inbox messages with `cursor < mid <= upperBound`, in `mid` order, at most `limit`:
    /// the pending ones, plus every one above `since` when `since` is given.
    func messages(
        for recipient: String, after cursor: UInt64, through upperBound: UInt64,
        since: UInt64?, limit: Int
    ) -> [StoredMessage]

    /// Whether retention already dropped a message for `recipient` with a `mid` above `since`.
    func hasGap(recipient: String, since: UInt64) -> Bool

    /// The receipt of an earlier successful `send` by `sender` with request id `requestID`, if
    /// it is still within the retention window.
    func receipt(sender: String, requestID: String, now: Int64) -> SendReceipt?

    /// Remembers a successful `send` for deduplication.
    func remember(_ receipt: SendReceipt, sender: String, requestID: String, now: Int64)

    /// Drops what retention no longer covers, doing at most about `budget` units of work so the
    /// caller is never stalled; returns how many items were dropped.
    @discardableResult
    func prune(now: Int64, budget: Int) -> Int

    /// Makes every write so far durable (one transaction for all of them: group commit).
    ///
    /// Transports call it before they send a reply that promises something (`queued`,
    /// `delivered`), and once per batch of envelopes rather than per envelope, so a burst of
    /// messages costs one commit. A store without durability does nothing.
    func commit() throws(AppendRefusal)

    /// Whether writes are waiting for `commit`; lets callers skip the call when idle.
    var hasUncommittedWrites: Bool { get }

    /// Commits what is left and releases files and threads, at shutdown. Calls afterwards
    /// fail as storage failures; calling it twice does nothing.
    func close()
}

extension MessageStore {
    /// Nothing to release by default.
    public func close() {}
}
