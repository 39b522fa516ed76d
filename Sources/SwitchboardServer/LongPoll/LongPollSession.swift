import ChatRouter
import Synchronization

/// One long-poll client's session: a router connection whose frames wait in a queue until a
/// GET fetches them and a later GET acknowledges them by sequence number.
///
/// Lock order: the hub's lock may be held when `enqueue` runs, so nothing here calls the hub
/// while holding the session's own lock.
final class LongPollSession: ChatEndpoint {
    /// Why a session ended; a GET after the end gets 404.
    enum EndReason: String, Sendable {
        case expired, deleted, overflowed, shutdown
    }

    private struct QueuedEvent {
        var seq: UInt64
        var frame: EncodedFrame
        var message: StoredMessage?
        var countsTowardBound: Bool
    }

    private struct State {
        var events: [QueuedEvent] = []
        var lastSeq: UInt64 = 0
        var countedBytes = 0
        var waiter: PollWaiter?
        var lastActivity: Double
        var ended: EndReason?
        var replayAvailable = false
    }

    let connectionID: ConnectionID
    /// The session id clients send back: 192 random bits, base64url.
    let sid: String
    /// The client address that created it, for per-address limits and logs.
    let clientAddress: String
    private let queueLimitBytes: Int
    private let state: Lock<State>

    init(
        connectionID: ConnectionID, sid: String, clientAddress: String, queueLimitBytes: Int,
        now: Double
    ) {
        self.connectionID = connectionID
        self.sid = sid
        self.clientAddress = clientAddress
        self.queueLimitBytes = queueLimitBytes
        self.state = Lock(State(lastActivity: now))
    }

    // MARK: ChatEndpoint

    func enqueue(_ frame: EncodedFrame, message: StoredMessage?, countsTowardBound: Bool) -> Bool {
        let size = frame.bytes.count + 16
        let (accepted, waiter): (Bool, PollWaiter?) = self.state.withLock { state in
            // The frame is recorded even when it overflows the bound (or the session has
            // ended), so that `drainUndelivered` reports its message for requeueing; the session
            // never serves it, because an overflow ends the session.
            let overflows =
                countsTowardBound && state.ended == nil
                && state.countedBytes + size > self.queueLimitBytes
            state.lastSeq += 1
            state.events.append(
                QueuedEvent(
                    seq: state.lastSeq, frame: frame, message: message,
                    countsTowardBound: countsTowardBound))
            if countsTowardBound { state.countedBytes += size }
            return (!overflows, overflows ? nil : state.waiter)
        }
        waiter?.wake(.events)
        return accepted
    }

    var drainReportsEverything: Bool { true }

    /// Called under the hub's lock: only marks the session ended. The service's sweep removes
    /// it from the table and closes it in the hub shortly after.
    func closeAsSlowConsumer() {
        self.end(.overflowed)
    }

    func replayBecameAvailable() {
        self.state.withLock { $0.replayAvailable = true }
    }

    func drainUndelivered() -> [StoredMessage] {
        self.state.withLock { state in
            let messages = state.events.compactMap(\.message)
            state.events = []
            state.countedBytes = 0
            return messages
        }
    }

    // MARK: Polling

    /// What a GET should do now.
    enum PollDecision {
        /// Answer at once with these events.
        case answer(events: [(seq: UInt64, frame: EncodedFrame)], last: UInt64)
        /// Nothing to send: suspend and park.
        case park
        /// The session is over.
        case ended
        /// `ack` names an event the session never assigned: a cursor from another session
        /// (kept across a rebind) would otherwise drop events the client never saw.
        case ackBeyondLast(last: UInt64)
    }

    /// Drops events up to `acknowledged` and decides whether a GET can be answered now.
    /// Returns also whether replay should be pulled because the queue has drained.
    func poll(acknowledged: UInt64, maxBytes: Int, now: Double) -> (PollDecision, pullReplay: Bool)
    {
        self.state.withLock { state in
            guard state.ended == nil else { return (.ended, false) }
            guard acknowledged <= state.lastSeq else {
                return (.ackBeyondLast(last: state.lastSeq), false)
            }
            Self.dropAcknowledged(upTo: acknowledged, in: &state)
            state.lastActivity = now
            let pull = state.replayAvailable && state.events.isEmpty
            if pull { state.replayAvailable = false }
            let events = Self.collect(after: acknowledged, maxBytes: maxBytes, in: state)
            return (events.isEmpty ? .park : .answer(events: events, last: state.lastSeq), pull)
        }
    }

    /// Parks a suspended GET. A GET already parked is superseded. Returns false when events
    /// arrived since `poll` looked (or the session ended): the caller must wake the waiter.
    func park(_ waiter: PollWaiter) -> Bool {
        let (previous, ready) = self.state.withLock { state in
            let previous = state.waiter
            state.waiter = waiter
            let ready = state.ended != nil || state.events.contains { $0.seq > waiter.acknowledged }
            return (previous, ready)
        }
        previous?.wake(.superseded)
        return !ready
    }

    /// The answer for a woken GET: the events above its acknowledgement, now.
    func answer(
        for waiter: PollWaiter, maxBytes: Int, now: Double
    )
        -> (events: [(seq: UInt64, frame: EncodedFrame)], last: UInt64)?
    {
        self.state.withLock { state in
            if state.waiter === waiter { state.waiter = nil }
            state.lastActivity = now
            guard state.ended == nil else { return nil }
            return (
                Self.collect(after: waiter.acknowledged, maxBytes: maxBytes, in: state),
                state.lastSeq
            )
        }
    }

    /// Marks the end of a GET's response, from which expiry counts.
    func touch(now: Double) {
        self.state.withLock { $0.lastActivity = now }
    }

    /// Whether the session has been idle (no GET waiting, none for `expirySeconds`).
    func isExpired(now: Double, expirySeconds: Double) -> Bool {
        self.state.withLock { state in
            state.ended == nil && state.waiter == nil && now - state.lastActivity > expirySeconds
        }
    }

    /// A parked GET whose deadline passed, if any.
    func expiredWaiter(now: Double) -> PollWaiter? {
        self.state.withLock { state in
            guard let waiter = state.waiter, waiter.deadline <= now else { return nil }
            return waiter
        }
    }

    /// Ends the session (a GET after this gets 404) and wakes a parked GET with
    /// `sessionEnded`, or `shutdown`. Returns whether this call ended it. The owner then calls
    /// `ChatHub.close`, which collects the unacknowledged messages for requeueing.
    @discardableResult
    func end(_ reason: EndReason) -> Bool {
        let (ended, waiter): (Bool, PollWaiter?) = self.state.withLock { state in
            guard state.ended == nil else { return (false, nil) }
            state.ended = reason
            let waiter = state.waiter
            state.waiter = nil
            return (true, waiter)
        }
        waiter?.wake(reason == .shutdown ? .shutdown : .sessionEnded)
        return ended
    }

    /// The highest sequence number assigned so far (the `last` of a GET response).
    var lastSequence: UInt64 { self.state.withLock { $0.lastSeq } }

    /// The end reason, if it ended.
    var endReason: EndReason? { self.state.withLock { $0.ended } }

    /// Events waiting and their counted bytes, for metrics.
    var queueDepth: (events: Int, bytes: Int) {
        self.state.withLock { ($0.events.count, $0.countedBytes) }
    }

    private static func dropAcknowledged(upTo acknowledged: UInt64, in state: inout State) {
        let count = state.events.prefix { $0.seq <= acknowledged }.count
        guard count > 0 else { return }
        for event in state.events.prefix(count) where event.countsTowardBound {
            state.countedBytes -= event.frame.bytes.count + 16
        }
        state.events.removeFirst(count)
    }

    private static func collect(
        after acknowledged: UInt64, maxBytes: Int, in state: State
    )
        -> [(seq: UInt64, frame: EncodedFrame)]
    {
        var result: [(seq: UInt64, frame: EncodedFrame)] = []
        var bytes = 0
        for event in state.events where event.seq > acknowledged {
            // Always at least one event, so a single large one cannot block the session.
            if !result.isEmpty && bytes + event.frame.bytes.count > maxBytes { break }
            result.append((event.seq, event.frame))
            bytes += event.frame.bytes.count
        }
        return result
    }
}
