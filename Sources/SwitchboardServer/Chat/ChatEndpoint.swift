import ChatRouter

/// Where the hub puts frames for one router connection: a WebSocket or a long-poll session.
///
/// `enqueue` and `closeAsSlowConsumer` are called with the hub's lock held, from whichever
/// thread handled the envelope, so they must be quick, never block on I/O, and never call
/// back into the hub.
protocol ChatEndpoint: AnyObject, Sendable {
    /// The router's name for this endpoint.
    var connectionID: ConnectionID { get }

    /// Queues one frame. `message` is set for chat messages (so an undelivered one can be
    /// put back whole when the endpoint closes). Replayed frames do not count toward the
    /// outbound bound.
    /// Returns false when the bound is exceeded: the frame was not queued and the endpoint
    /// must now close as a slow consumer.
    func enqueue(_ frame: EncodedFrame, message: StoredMessage?, countsTowardBound: Bool) -> Bool

    /// Whether `drainUndelivered` reports every message the endpoint ever failed to hand over
    /// (a long-poll session keeps each until acknowledged), so the hub may detach it from the
    /// router as soon as it overflows. A WebSocket's loop still owns bytes in flight and
    /// reports them itself at teardown.
    var drainReportsEverything: Bool { get }

    /// Closes the endpoint because its client does not keep up; what it still held is
    /// reported back through `ChatHub.close` when it is gone.
    func closeAsSlowConsumer()

    /// Tells the endpoint that the router has more replay for it, to pull with
    /// `ChatHub.pullReplay` once its queue has drained.
    func replayBecameAvailable()

    /// Called by the hub, under its lock, when the endpoint is being removed: the chat
    /// messages it still holds that never reached its client. After this, the hub sends it
    /// nothing more, so nothing can slip between this answer and the requeue.
    func drainUndelivered() -> [StoredMessage]
}
