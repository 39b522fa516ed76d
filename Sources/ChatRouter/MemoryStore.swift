/// The in-memory `MessageStore`: bounded per user and by age, lost when the process ends.
///
/// Used for `--store memory` and by tests. Memory is bounded by `maxMessagesPerUser` messages
/// per user that has ever received one; offline (pending) messages never age out, they leave
/// only when delivered, so the cap is also the offline queue's size.
public final class MemoryStore: MessageStore {
    private struct Entry {
        var message: StoredMessage
        var isPending: Bool
    }

    /// One user's messages in `mid` order, with a moving start so that dropping the oldest
    /// costs O(1) instead of shifting the array.
    private struct Inbox {
        var entries: [Entry] = []
        var start = 0
        var pendingCount = 0
        var droppedThroughMid: UInt64 = 0

        var count: Int { self.entries.count - self.start }

        func index(of mid: UInt64) -> Int? {
            var low = self.start
            var high = self.entries.count
            while low < high {
                let middle = (low + high) / 2
                if self.entries[middle].message.mid < mid {
                    low = middle + 1
                } else {
                    high = middle
                }
            }
            return low < self.entries.count && self.entries[low].message.mid == mid ? low : nil
        }

        /// First index whose mid is above `mid`.
        func firstIndex(after mid: UInt64) -> Int {
            var low = self.start
            var high = self.entries.count
            while low < high {
                let middle = (low + high) / 2
                if self.entries[middle].message.mid <= mid {
                    low = middle + 1
                } else {
                    high = middle
                }
            }
            return low
        }

        /// Puts back a message retention dropped, pending, at its place in `mid` order.
        mutating func restore(_ message: StoredMessage) {
            self.entries.insert(
                Entry(message: message, isPending: true), at: self.firstIndex(after: message.mid))
            self.pendingCount += 1
        }

        mutating func remove(at index: Int) {
            let mid = self.entries[index].message.mid
            self.droppedThroughMid = max(self.droppedThroughMid, mid)
            if index == self.start {
                self.start += 1
                if self.start > 64 && self.start * 2 > self.entries.count {
                    self.entries.removeFirst(self.start)
                    self.start = 0
                }
            } else {
                self.entries.remove(at: index)
            }
        }
    }

    private struct AgeRecord {
        var recipient: String
        var mid: UInt64
        var timestamp: Int64
    }

    private struct ReceiptKey: Hashable {
        var sender: String
        var requestID: String
    }

    /// Most messages kept per recipient; also the offline queue's size.
    public let maxMessagesPerUser: Int
    /// How long delivered messages and send receipts are kept, in milliseconds.
    public let retentionMilliseconds: Int64

    private var inboxes: [String: Inbox] = [:]
    private var ageLog: [AgeRecord] = []
    private var ageLogStart = 0
    private var receipts: [ReceiptKey: (receipt: SendReceipt, at: Int64)] = [:]
    private var receiptLog: [(key: ReceiptKey, at: Int64)] = []
    private var receiptLogStart = 0
    public private(set) var lastAssignedMid: UInt64

    /// Creates an empty store. `firstMid` lets a test start ids elsewhere than 1.
    public init(
        maxMessagesPerUser: Int = 1000, retentionSeconds: Int = 86_400, firstMid: UInt64 = 1
    ) {
        self.maxMessagesPerUser = max(1, maxMessagesPerUser)
        self.retentionMilliseconds = Int64(retentionSeconds) * 1000
        self.lastAssignedMid = firstMid - 1
    }

    public func assignMid() -> UInt64 {
        self.lastAssignedMid += 1
        return self.lastAssignedMid
    }

    public func append(_ message: StoredMessage, pending: Bool, now: Int64) throws(AppendRefusal) {
        let stored = try Self.insert(
            message, pending: pending, cap: self.maxMessagesPerUser,
            into: &self.inboxes[message.recipient, default: Inbox()])
        if stored {
            self.ageLog.append(
                AgeRecord(recipient: message.recipient, mid: message.mid, timestamp: now))
        }
    }

    /// Adds to one inbox in place (no copy of its array); returns whether the message was kept.
    private static func insert(
        _ message: StoredMessage, pending: Bool, cap: Int, into inbox: inout Inbox
    ) throws(AppendRefusal) -> Bool {
        if inbox.count >= cap {
            // Make room by dropping the oldest delivered message; pending ones are never dropped.
            if let oldest = inbox.entries[inbox.start...].firstIndex(where: { !$0.isPending }) {
                inbox.remove(at: oldest)
            } else if pending {
                throw .offlineQueueFull
            } else {
                // Delivered live and nothing evictable: the inbox skips it, and a later `since`
                // learns about it through the gap flag.
                inbox.droppedThroughMid = max(inbox.droppedThroughMid, message.mid)
                return false
            }
        }
        inbox.entries.append(Entry(message: message, isPending: pending))
        if pending { inbox.pendingCount += 1 }
        return true
    }

    public func markDelivered(recipient: String, mids: [UInt64]) {
        self.setPending(false, recipient: recipient, mids: mids)
    }

    public func requeue(_ messages: [StoredMessage]) {
        for message in messages {
            let recipient = message.recipient
            if self.inboxes[recipient]?.index(of: message.mid) != nil {
                self.setPending(true, recipient: recipient, mids: [message.mid])
                continue
            }
            self.inboxes[recipient, default: Inbox()].restore(message)
        }
    }

    private func setPending(_ pending: Bool, recipient: String, mids: [UInt64]) {
        guard let slot = self.inboxes.index(forKey: recipient) else { return }
        for mid in mids {
            guard let index = self.inboxes.values[slot].index(of: mid),
                self.inboxes.values[slot].entries[index].isPending != pending
            else { continue }
            self.inboxes.values[slot].entries[index].isPending = pending
            self.inboxes.values[slot].pendingCount += pending ? 1 : -1
            if !pending {
                // Delivered at last: from now on it ages like any delivered message.
                let timestamp = self.inboxes.values[slot].entries[index].message.timestamp
                self.ageLog.append(AgeRecord(recipient: recipient, mid: mid, timestamp: timestamp))
            }
        }
    }

    public func messages(
        for recipient: String, after cursor: UInt64, through upperBound: UInt64,
        since: UInt64?, limit: Int
    ) -> [StoredMessage] {
        guard let inbox = self.inboxes[recipient], limit > 0 else { return [] }
        var result: [StoredMessage] = []
        var index = inbox.firstIndex(after: cursor)
        while index < inbox.entries.count && result.count < limit {
            let entry = inbox.entries[index]
            if entry.message.mid > upperBound { break }
            if entry.isPending || since.map({ entry.message.mid > $0 }) == true {
                result.append(entry.message)
            }
            index += 1
        }
        return result
    }

    public func hasGap(recipient: String, since: UInt64) -> Bool {
        (self.inboxes[recipient]?.droppedThroughMid ?? 0) > since
    }

    /// How many messages wait in `recipient`'s offline queue.
    public func pendingCount(recipient: String) -> Int {
        self.inboxes[recipient]?.pendingCount ?? 0
    }

    public func receipt(sender: String, requestID: String, now: Int64) -> SendReceipt? {
        guard let stored = self.receipts[ReceiptKey(sender: sender, requestID: requestID)],
            now - stored.at <= self.retentionMilliseconds
        else { return nil }
        return stored.receipt
    }

    public func remember(_ receipt: SendReceipt, sender: String, requestID: String, now: Int64) {
        let key = ReceiptKey(sender: sender, requestID: requestID)
        self.receipts[key] = (receipt, now)
        self.receiptLog.append((key, now))
    }

    @discardableResult
    public func prune(now: Int64, budget: Int) -> Int {
        let cutoff = now - self.retentionMilliseconds
        var work = 0
        var dropped = 0
        while self.ageLogStart < self.ageLog.count && work < budget {
            let record = self.ageLog[self.ageLogStart]
            guard record.timestamp < cutoff else { break }
            self.ageLogStart += 1
            work += 1
            if self.dropIfDelivered(record) { dropped += 1 }
        }
        while self.receiptLogStart < self.receiptLog.count && work < budget {
            let record = self.receiptLog[self.receiptLogStart]
            guard record.at < cutoff else { break }
            self.receiptLogStart += 1
            work += 1
            if let current = self.receipts[record.key], current.at == record.at {
                self.receipts[record.key] = nil
                dropped += 1
            }
        }
        self.compactLogs()
        return dropped
    }

    private func dropIfDelivered(_ record: AgeRecord) -> Bool {
        guard let slot = self.inboxes.index(forKey: record.recipient),
            let index = self.inboxes.values[slot].index(of: record.mid),
            !self.inboxes.values[slot].entries[index].isPending
        else { return false }
        self.inboxes.values[slot].remove(at: index)
        return true
    }

    private func compactLogs() {
        if self.ageLogStart > 1024 && self.ageLogStart * 2 > self.ageLog.count {
            self.ageLog.removeFirst(self.ageLogStart)
            self.ageLogStart = 0
        }
        if self.receiptLogStart > 1024 && self.receiptLogStart * 2 > self.receiptLog.count {
            self.receiptLog.removeFirst(self.receiptLogStart)
            self.receiptLogStart = 0
        }
    }

    /// Nothing to do: the memory store promises no durability.
    public func commit() throws(AppendRefusal) {}

    public var hasUncommittedWrites: Bool { false }
}
