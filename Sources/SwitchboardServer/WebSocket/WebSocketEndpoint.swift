import ChatRouter
import Synchronization

/// The hub's handle on a chat WebSocket. The socket itself is owned by a `WebSocketLoop`
/// thread; this object only hands frames to that loop and keeps the outbound bound.
///
/// `queuedBytes` is raised here, under the hub's lock, and lowered by the loop as bytes reach
/// the kernel, so the slow-consumer check sees frames still in the loop's mailbox as well as
/// those in the socket's buffer.
final class WebSocketEndpoint: ChatEndpoint {
    let connectionID: ConnectionID
    /// The loop's key for the socket.
    let token: UInt64
    private unowned let loop: WebSocketLoop
    private let queueLimitBytes: Int
    let queuedBytes = Atomic<Int>(0)
    let replayAvailable = Atomic<Bool>(false)
    private let isClosing = Atomic<Bool>(false)
    /// Chat messages refused after the endpoint started closing (or that overflowed it).
    private let refusedMessages = Lock<[StoredMessage]>([])

    init(connectionID: ConnectionID, token: UInt64, loop: WebSocketLoop, queueLimitBytes: Int) {
        self.connectionID = connectionID
        self.token = token
        self.loop = loop
        self.queueLimitBytes = queueLimitBytes
    }

    /// The number of bytes a frame is charged against the bound: its JSON plus frame header.
    static func chargedSize(of frame: EncodedFrame) -> Int { frame.bytes.count + 10 }

    func enqueue(_ frame: EncodedFrame, message: StoredMessage?, countsTowardBound: Bool) -> Bool {
        if self.isClosing.load(ordering: .acquiring) {
            if let message { self.refusedMessages.withLock { $0.append(message) } }
            return true
        }
        let size = Self.chargedSize(of: frame)
        if countsTowardBound {
            let queued = self.queuedBytes.add(size, ordering: .relaxed).newValue
            if queued > self.queueLimitBytes {
                self.queuedBytes.subtract(size, ordering: .relaxed)
                if let message { self.refusedMessages.withLock { $0.append(message) } }
                return false
            }
        }
        self.loop.post(
            OutboundFrame(
                endpoint: self, frame: frame, message: message,
                countsTowardBound: countsTowardBound))
        return true
    }

    var drainReportsEverything: Bool { false }

    func closeAsSlowConsumer() {
        guard !self.isClosing.exchange(true, ordering: .acquiringAndReleasing) else { return }
        self.loop.requestClose(token: self.token, reason: .slowConsumer)
    }

    func replayBecameAvailable() {
        self.replayAvailable.store(true, ordering: .releasing)
    }

    func drainUndelivered() -> [StoredMessage] {
        self.isClosing.store(true, ordering: .releasing)
        let pending = self.loop.removePostedFrames(for: self)
        return pending
            + self.refusedMessages.withLock { messages in
                defer { messages = [] }
                return messages
            }
    }

    /// Marks the endpoint closing: later frames are refused and reported as undelivered.
    func markClosing() {
        self.isClosing.store(true, ordering: .releasing)
    }
}

/// A frame on its way from the hub to a loop.
struct OutboundFrame: Sendable {
    let endpoint: WebSocketEndpoint
    let frame: EncodedFrame
    let message: StoredMessage?
    let countsTowardBound: Bool
}
