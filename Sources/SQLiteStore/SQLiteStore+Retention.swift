import ChatRouter

extension SQLiteStore {
    /// Drops delivered messages older than the retention window, then expired send receipts,
    /// oldest first, looking at most at `budget` rows per call, so the caller's lock is held
    /// for a bounded time however much expired at once. Pending messages never expire. The
    /// deletes join the open batch and become durable at the next `commit`. Returns how many
    /// rows were dropped.
    ///
    /// Messages are visited in mid order from `expiryCursor`, which is acceptance order, and
    /// the walk stops at the first one still inside the window. Limitation: if the system
    /// clock steps back, messages accepted after the step wait for the ones accepted before
    /// it, so they are dropped late by up to the size of the step.
    @discardableResult
    public func prune(now: Int64, budget: Int) -> Int {
        guard budget > 0 else { return 0 }
        let (cutoff, overflow) = now.subtractingReportingOverflow(self.retentionMilliseconds)
        guard !overflow else { return 0 }
        let dropped = self.attempt { () throws(SQLiteFailure) -> Int in
            try self.applyDueEvictions()
            let messages = try self.pruneMessages(acceptedBefore: cutoff, limit: budget)
            guard messages.examined < budget else { return messages.dropped }
            return messages.dropped
                + (try self.pruneReceipts(
                    rememberedBefore: cutoff, limit: budget - messages.examined))
        }
        return dropped ?? 0
    }

    /// Drops expired delivered messages among the next `limit` rows from `expiryCursor`.
    private func pruneMessages(
        acceptedBefore cutoff: Int64, limit: Int
    ) throws(SQLiteFailure)
        -> (examined: Int, dropped: Int)
    {
        var expired: [(mid: Int64, recipient: String)] = []
        var examinedThrough = self.expiryCursor
        var examined = 0
        try self.database.query(
            self.statements.messagesInAcceptanceOrder,
            [.integer(self.expiryCursor), .integer(Int64(limit))]
        ) { row in
            // The row that ends the walk is not counted: looking at it is all a pass costs
            // while nothing has expired.
            guard row.integer(at: 3) < cutoff else { return false }
            examined += 1
            examinedThrough = row.integer(at: 0)
            if row.integer(at: 2) == 0 { expired.append((examinedThrough, row.text(at: 1))) }
            return true
        }
        var highestByRecipient: [String: Int64] = [:]
        for (mid, recipient) in expired {
            try self.write(self.statements.deleteMessage, [.integer(mid)])
            highestByRecipient[recipient] = max(highestByRecipient[recipient] ?? 0, mid)
            self.inboxes[recipient]?.count -= 1
        }
        for (recipient, mid) in highestByRecipient {
            var inbox =
                self.inboxes[recipient] ?? InboxState(count: 0, pending: 0, droppedThroughMid: 0)
            try self.raiseDroppedThrough(of: recipient, to: mid, in: &inbox)
            if self.inboxes[recipient] != nil { self.inboxes[recipient] = inbox }
        }
        self.expiryCursor = examinedThrough
        return (examined, expired.count)
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
