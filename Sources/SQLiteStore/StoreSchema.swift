/// One step of the schema's history: the SQL that takes a file from `version - 1` to
/// `version`.
struct SchemaMigration: Sendable {
    let version: Int
    let sql: String
}

/// The store's tables, their version history and the start-up migration.
///
/// The version lives in `PRAGMA user_version` and the file is marked as ours with
/// `PRAGMA application_id`, both in the database header, so they are read before any table.
/// A file at an older version is migrated step by step at open, each step in its own
/// transaction with the version bump, so a crash mid-migration leaves a consistent older
/// version that the next start migrates again. A newer version is refused: this code cannot
/// know what the newer columns mean.
enum StoreSchema {
    /// "SwBd" in ASCII: the `application_id` of a switchboard store.
    static let applicationID: Int64 = 0x5377_4264

    /// Every migration in order; the last one's version is the current schema version.
    ///
    /// Version 1:
    /// - `messages`: every inbox message; `mid` is the rowid (ids are unique server-wide), so
    ///   lookups by mid need no extra index. `pending` is 1 while the message sits in the
    ///   offline queue. `accepted_at` is when the store took it (Unix ms), what age retention
    ///   counts from. The index on (recipient, pending, mid) answers the offline queue, the
    ///   inbox above a cursor, the inbox size and the oldest delivered message (the one the
    ///   per-user cap evicts). The partial index over delivered messages by age lets pruning
    ///   find expired messages without visiting pending ones, which never expire.
    /// - `inboxes`: per recipient, the highest mid retention ever dropped (for `gap`).
    /// - `receipts`: send ids remembered for deduplication, with their own age index.
    /// - `counters`: `mid_reserved_through`, the high-water mark of mids handed out.
    ///
    /// Version 2 drops `delivered_messages_by_age`: every message paid two index writes (its
    /// insert and its eviction) for it; without it the WebSocket relay made 15 % more messages
    /// per second (bench/ANALYSIS.md).
    /// Age pruning walks the table in mid order instead, which is acceptance order.
    static let migrations: [SchemaMigration] = [
        SchemaMigration(
            version: 1,
            sql: """
                CREATE TABLE messages (
                    mid INTEGER PRIMARY KEY,
                    recipient TEXT NOT NULL,
                    sender TEXT NOT NULL,
                    body TEXT NOT NULL,
                    sent_at INTEGER NOT NULL,
                    accepted_at INTEGER NOT NULL,
                    pending INTEGER NOT NULL CHECK (pending IN (0, 1))
                );
                CREATE INDEX messages_by_recipient ON messages (recipient, pending, mid);
                CREATE INDEX delivered_messages_by_age ON messages (accepted_at)
                    WHERE pending = 0;
                CREATE TABLE inboxes (
                    recipient TEXT PRIMARY KEY,
                    dropped_through_mid INTEGER NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE receipts (
                    sender TEXT NOT NULL,
                    request_id TEXT NOT NULL,
                    mid INTEGER NOT NULL,
                    recipient TEXT NOT NULL,
                    outcome TEXT NOT NULL,
                    remembered_at INTEGER NOT NULL,
                    PRIMARY KEY (sender, request_id)
                ) WITHOUT ROWID;
                CREATE INDEX receipts_by_age ON receipts (remembered_at);
                CREATE TABLE counters (
                    name TEXT PRIMARY KEY,
                    value INTEGER NOT NULL
                ) WITHOUT ROWID;
                INSERT INTO counters (name, value) VALUES ('mid_reserved_through', 0);
                """),
        SchemaMigration(
            version: 2,
            sql: "DROP INDEX delivered_messages_by_age;"),
    ]

    /// Brings the file to the last version of `migrations`, or throws why it cannot.
    static func migrate(
        _ database: SQLiteDatabase, path: String, migrations: [SchemaMigration] = Self.migrations
    ) throws(SQLiteStoreError) {
        let found: Int
        do {
            found = try Self.verifiedVersion(of: database, path: path, supported: migrations.count)
        } catch let failure as SQLiteFailure {
            throw SQLiteStoreError.opening(path, failure)
        } catch let error as SQLiteStoreError {
            throw error
        } catch {
            throw SQLiteStoreError.failed(path: path, reason: "\(error)")
        }
        for migration in migrations where migration.version > found {
            do {
                try database.execute("BEGIN IMMEDIATE")
                try database.execute(migration.sql)
                try database.execute("PRAGMA user_version = \(migration.version)")
                try database.execute("PRAGMA application_id = \(Self.applicationID)")
                try database.execute("COMMIT")
            } catch {
                if database.isInTransaction { try? database.execute("ROLLBACK") }
                throw SQLiteStoreError.failed(
                    path: path,
                    reason: "migration to schema version \(migration.version) failed: \(error)")
            }
        }
    }

    /// The file's schema version after checking that it is ours (or empty) and not newer.
    private static func verifiedVersion(
        of database: SQLiteDatabase, path: String, supported: Int
    ) throws -> Int {
        let application = try database.scalarInteger("PRAGMA application_id") ?? 0
        let version = Int(try database.scalarInteger("PRAGMA user_version") ?? 0)
        if application == 0 {
            // Unmarked: only an empty file may become a store; tables mean someone else's data.
            let objects = try database.scalarInteger("SELECT count(*) FROM sqlite_master") ?? 0
            guard version == 0 && objects == 0 else {
                throw SQLiteStoreError.foreignDatabase(path: path)
            }
        } else if application != Self.applicationID {
            throw SQLiteStoreError.foreignDatabase(path: path)
        }
        guard version <= supported else {
            throw SQLiteStoreError.newerSchema(path: path, found: version, supported: supported)
        }
        return max(0, version)
    }
}
