/// Every statement the store runs after opening, prepared once at open. Parameters are
/// numbered (`?1`) and documented where the store binds them.
struct StoreStatements {
    /// Opens a batch, taking the write lock at once: a transaction that began as a read could
    /// not become a write if another process (the sqlite3 shell) wrote meanwhile.
    let begin: SQLiteStatement
    /// Ends a batch durably, to the degree `PRAGMA synchronous` sets.
    let commit: SQLiteStatement
    /// Discards a batch after a failure.
    let rollback: SQLiteStatement

    /// ?1 the new high-water mark.
    let reserveMids: SQLiteStatement
    /// The high-water mark, read at open.
    let readReservedMids: SQLiteStatement
    /// The highest mid in the inbox table, read at open as a second floor for new mids.
    let highestStoredMid: SQLiteStatement

    /// ?1 mid, ?2 recipient, ?3 sender, ?4 body, ?5 sent_at, ?6 accepted_at, ?7 pending.
    let insertMessage: SQLiteStatement
    /// ?1 mid.
    let deleteMessage: SQLiteStatement
    /// ?1 mid, ?2 recipient, ?3 the new pending flag.
    let setPending: SQLiteStatement
    /// ?1 mid, ?2 recipient, ?3 sender, ?4 body, ?5 sent_at, ?6 accepted_at: marks the message
    /// pending, storing it again if retention dropped it; another user's row is left alone.
    let requeueMessage: SQLiteStatement
    /// ?1 recipient.
    let countInbox: SQLiteStatement
    /// ?1 recipient.
    let countPending: SQLiteStatement
    /// ?1 recipient, ?2 how many: the oldest delivered mids, the ones the cap evicts.
    let oldestDelivered: SQLiteStatement
    /// ?1 recipient, ?2 pending flag, ?3 exclusive lower mid, ?4 inclusive upper mid, ?5 limit.
    let inboxRange: SQLiteStatement
    /// ?1 exclusive lower mid, ?2 limit: rows in mid order (which is acceptance order) for
    /// age pruning.
    let messagesInAcceptanceOrder: SQLiteStatement

    /// ?1 recipient.
    let droppedThrough: SQLiteStatement
    /// ?1 recipient, ?2 a dropped mid; keeps the maximum.
    let raiseDroppedThrough: SQLiteStatement

    /// ?1 sender, ?2 request id.
    let findReceipt: SQLiteStatement
    /// ?1 sender, ?2 request id, ?3 mid, ?4 recipient, ?5 outcome, ?6 remembered_at.
    let saveReceipt: SQLiteStatement
    /// ?1 cutoff, ?2 limit.
    let expiredReceipts: SQLiteStatement
    /// ?1 sender, ?2 request id.
    let deleteReceipt: SQLiteStatement

    /// Prepares every statement on `database`; fails if the schema lacks what they name.
    init(_ database: SQLiteDatabase) throws(SQLiteFailure) {
        self.begin = try database.prepare("BEGIN IMMEDIATE")
        self.commit = try database.prepare("COMMIT")
        self.rollback = try database.prepare("ROLLBACK")

        self.reserveMids = try database.prepare(
            "UPDATE counters SET value = ?1 WHERE name = 'mid_reserved_through'")
        self.readReservedMids = try database.prepare(
            "SELECT value FROM counters WHERE name = 'mid_reserved_through'")
        self.highestStoredMid = try database.prepare("SELECT ifnull(max(mid), 0) FROM messages")

        self.insertMessage = try database.prepare(
            """
            INSERT INTO messages (mid, recipient, sender, body, sent_at, accepted_at, pending)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
            """)
        self.deleteMessage = try database.prepare("DELETE FROM messages WHERE mid = ?1")
        self.setPending = try database.prepare(
            "UPDATE messages SET pending = ?3 WHERE mid = ?1 AND recipient = ?2 AND pending <> ?3")
        self.requeueMessage = try database.prepare(
            """
            INSERT INTO messages (mid, recipient, sender, body, sent_at, accepted_at, pending)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1)
            ON CONFLICT (mid) DO UPDATE SET pending = 1 WHERE recipient = excluded.recipient
            """)
        self.countInbox = try database.prepare(
            "SELECT count(*) FROM messages WHERE recipient = ?1")
        self.countPending = try database.prepare(
            "SELECT count(*) FROM messages WHERE recipient = ?1 AND pending = 1")
        self.oldestDelivered = try database.prepare(
            """
            SELECT mid FROM messages WHERE recipient = ?1 AND pending = 0
            ORDER BY mid LIMIT ?2
            """)
        self.inboxRange = try database.prepare(
            """
            SELECT mid, sender, body, sent_at FROM messages
            WHERE recipient = ?1 AND pending = ?2 AND mid > ?3 AND mid <= ?4
            ORDER BY mid LIMIT ?5
            """)
        self.messagesInAcceptanceOrder = try database.prepare(
            """
            SELECT mid, recipient, pending, accepted_at FROM messages WHERE mid > ?1
            ORDER BY mid LIMIT ?2
            """)

        self.droppedThrough = try database.prepare(
            "SELECT dropped_through_mid FROM inboxes WHERE recipient = ?1")
        self.raiseDroppedThrough = try database.prepare(
            """
            INSERT INTO inboxes (recipient, dropped_through_mid) VALUES (?1, ?2)
            ON CONFLICT (recipient) DO UPDATE
            SET dropped_through_mid = max(dropped_through_mid, excluded.dropped_through_mid)
            """)

        self.findReceipt = try database.prepare(
            """
            SELECT mid, recipient, outcome, remembered_at FROM receipts
            WHERE sender = ?1 AND request_id = ?2
            """)
        self.saveReceipt = try database.prepare(
            """
            INSERT OR REPLACE INTO receipts
                (sender, request_id, mid, recipient, outcome, remembered_at)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6)
            """)
        self.expiredReceipts = try database.prepare(
            """
            SELECT sender, request_id FROM receipts WHERE remembered_at < ?1
            ORDER BY remembered_at LIMIT ?2
            """)
        self.deleteReceipt = try database.prepare(
            "DELETE FROM receipts WHERE sender = ?1 AND request_id = ?2")
    }
}
