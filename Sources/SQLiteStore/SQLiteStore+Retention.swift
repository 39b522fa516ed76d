import ChatRouter

extension SQLiteStore {
    /// Drops delivered messages older than the retention window, then expired send receipts,
    /// oldest first, at most `budget` rows per call (each a primary-key delete found through
    /// an age index), so the caller's lock is held for a bounded time however much expired at
    /// once. Pending messages never expire. The deletes join the open batch and become
    /// durable at the next `commit`. Returns how many rows were dropped.
    @discardableResult
    public func prune(now: Int64, budget: Int) -> Int {
        guard budget > 0 else { return 0 }
        let (cutoff, overflow) = now.subtractingReportingOverflow(self.retentionMilliseconds)
        guard !overflow else { return 0 }
        let dropped = self.attempt { () throws(SQLiteFailure) -> Int in
            let messages = try self.pruneMessages(acceptedBefore: cutoff, limit: budget)
            guard messages < budget else { return messages }
            return messages
                + (try self.pruneReceipts(rememberedBefore: cutoff, limit: budget - messages))
        }
        return dropped ?? 0
    }

    private func pruneMessages(
        acceptedBefore cutoff: Int64, limit: Int
    ) throws(SQLiteFailure)
        -> Int
    {
        var expired: [(mid: Int64, recipient: String)] = []
        try self.database.query(
            self.statements.expiredDelivered, [.integer(cutoff), .integer(Int64(limit))]
        ) { row in
            expired.append((row.integer(at: 0), row.text(at: 1)))
        }
        var highestByRecipient: [String: Int64] = [:]
        for (mid, recipient) in expired {
            try self.write(self.statements.deleteMessage, [.integer(mid)])
            highestByRecipient[recipient] = max(highestByRecipient[recipient] ?? 0, mid)
            self.inboxes[recipient]?.count -= 1
        }
        for (recipient, mid) in highestByRecipient {
            var inbox = self.inboxes[recipient] ?? InboxState(count: 0, droppedThroughMid: 0)
            try self.raiseDroppedThrough(of: recipient, to: mid, in: &inbox)
            if self.inboxes[recipient] != nil { self.inboxes[recipient] = inbox }
        }
        return expired.count
    }

    private func pruneReceipts(
        rememberedBefore cutoff: Int64, limit: Int
    ) throws(SQLiteFailure)
        -> Int
    {
        var expired: [(sender: String, requestID: String)] = []
        try self.database.query(
            self.statements.expiredReceipts, [.integer(cutoff), .integer(Int64(limit))]
        ) { row in
            expired.append((row.text(at: 0), row.text(at: 1)))
        }
        for (sender, requestID) in expired {
            try self.write(self.statements.deleteReceipt, [.text(sender), .text(requestID)])
        }
        return expired.count
    }
}
