import CSQLite
import Glibc

/// A failed SQLite call: its extended result code and SQLite's own message.
struct SQLiteFailure: Error, CustomStringConvertible {
    /// The extended result code (`SQLITE_IOERR_WRITE`, ...).
    let code: Int32
    /// `sqlite3_errmsg` at the time of the failure.
    let message: String

    /// The primary result code (`SQLITE_IOERR`, ...), which is what callers branch on.
    var primaryCode: Int32 { self.code & 0xff }

    var description: String { "\(self.message) (sqlite code \(self.code))" }
}

/// One SQLite connection (`sqlite3 *`) and the statements prepared on it.
///
/// Not thread-safe, on purpose: the store that owns it is only ever called by one thread at a
/// time, so the connection is opened with `SQLITE_OPEN_NOMUTEX` and skips SQLite's own mutex.
final class SQLiteDatabase {
    private var handle: OpaquePointer?
    private var statements: [SQLiteStatement] = []

    /// Opens (creating if missing) the database file at `path`. A lock held by another
    /// connection is waited for up to `lockTimeoutMilliseconds` before calls fail with
    /// `SQLITE_BUSY`.
    init(path: String, lockTimeoutMilliseconds: Int32) throws(SQLiteFailure) {
        var opened: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let status = sqlite3_open_v2(path, &opened, flags, nil)
        guard status == SQLITE_OK, let opened else {
            var message = opened.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            // SQLite's text ("unable to open database file") hides the cause; errno names it.
            if let opened, sqlite3_system_errno(opened) != 0 {
                message += " (\(String(cString: strerror(sqlite3_system_errno(opened)))))"
            }
            // sqlite3_open_v2 hands back a handle even on failure; it must still be closed.
            sqlite3_close_v2(opened)
            throw SQLiteFailure(code: status, message: message)
        }
        self.handle = opened
        sqlite3_extended_result_codes(opened, 1)
        sqlite3_busy_timeout(opened, lockTimeoutMilliseconds)
    }

    deinit { self.close() }

    /// The `sqlite3 *`, for the few C calls this type does not wrap (hooks); nil once closed.
    var connection: OpaquePointer? { self.handle }

    /// Finalizes every statement and closes the connection. An open transaction is rolled
    /// back, exactly as if the process had died. Safe to call twice.
    func close() {
        for statement in self.statements { statement.finalize() }
        self.statements = []
        if let handle = self.handle { sqlite3_close_v2(handle) }
        self.handle = nil
    }

    /// Whether SQLite could only open the file for reading (permissions, read-only media).
    var isReadOnly: Bool {
        guard let handle = self.handle else { return true }
        return sqlite3_db_readonly(handle, "main") == 1
    }

    /// Whether a transaction is open (SQLite may roll one back by itself after an I/O error).
    var isInTransaction: Bool {
        guard let handle = self.handle else { return false }
        return sqlite3_get_autocommit(handle) == 0
    }

    /// Compiles `sql` once for repeated use; the statement lives until `close`.
    func prepare(_ sql: String) throws(SQLiteFailure) -> SQLiteStatement {
        let statement = try self.compile(sql, flags: UInt32(SQLITE_PREPARE_PERSISTENT))
        self.statements.append(statement)
        return statement
    }

    /// Runs a statement that returns no rows; returns how many rows it changed.
    @discardableResult
    func run(
        _ statement: SQLiteStatement, _ values: [SQLiteValue] = []
    ) throws(SQLiteFailure)
        -> Int
    {
        defer { statement.reset() }
        var status = statement.bind(values)
        guard status == SQLITE_OK else { throw self.failure(status) }
        status = statement.step()
        while status == SQLITE_ROW { status = statement.step() }
        guard status == SQLITE_DONE else { throw self.failure(status) }
        guard let handle = self.handle else { return 0 }
        return Int(sqlite3_changes(handle))
    }

    /// Runs a query, calling `row` with the statement positioned on each result row.
    func query(
        _ statement: SQLiteStatement, _ values: [SQLiteValue], row: (SQLiteStatement) -> Void
    ) throws(SQLiteFailure) {
        try self.query(
            statement, values,
            whileRow: { current in
                row(current)
                return true
            })
    }

    /// Runs a query while `row` returns true for the rows it is called with.
    func query(
        _ statement: SQLiteStatement, _ values: [SQLiteValue],
        whileRow row: (SQLiteStatement) -> Bool
    ) throws(SQLiteFailure) {
        defer { statement.reset() }
        var status = statement.bind(values)
        guard status == SQLITE_OK else { throw self.failure(status) }
        status = statement.step()
        while status == SQLITE_ROW {
            guard row(statement) else { return }
            status = statement.step()
        }
        guard status == SQLITE_DONE else { throw self.failure(status) }
    }

    /// Runs one-off SQL (schema changes, pragmas), possibly several statements.
    func execute(_ sql: String) throws(SQLiteFailure) {
        guard let handle = self.handle else { throw self.failure(SQLITE_MISUSE) }
        let status = sqlite3_exec(handle, sql, nil, nil, nil)
        guard status == SQLITE_OK else { throw self.failure(status) }
    }

    /// The first column of the first row of one-off `sql`, as text; nil when there is no row.
    func scalarText(_ sql: String) throws(SQLiteFailure) -> String? {
        try self.scalar(sql) { $0.text(at: 0) }
    }

    /// The first column of the first row of one-off `sql`, as an integer; nil when no row.
    func scalarInteger(_ sql: String) throws(SQLiteFailure) -> Int64? {
        try self.scalar(sql) { $0.integer(at: 0) }
    }

    private func scalar<Value>(
        _ sql: String, read: (SQLiteStatement) -> Value
    ) throws(SQLiteFailure) -> Value? {
        let statement = try self.compile(sql, flags: 0)
        defer { statement.finalize() }
        let status = statement.step()
        switch status {
        case SQLITE_ROW: return read(statement)
        case SQLITE_DONE: return nil
        default: throw self.failure(status)
        }
    }

    private func compile(_ sql: String, flags: UInt32) throws(SQLiteFailure) -> SQLiteStatement {
        guard let handle = self.handle else { throw self.failure(SQLITE_MISUSE) }
        var compiled: OpaquePointer?
        let status = sqlite3_prepare_v3(handle, sql, -1, flags, &compiled, nil)
        guard status == SQLITE_OK, let compiled else { throw self.failure(status) }
        return SQLiteStatement(handle: compiled, sql: sql)
    }

    /// The failure for `status`, with SQLite's message when the connection has one.
    func failure(_ status: Int32) -> SQLiteFailure {
        guard let handle = self.handle else {
            return SQLiteFailure(code: status, message: "database is closed")
        }
        return SQLiteFailure(code: status, message: String(cString: sqlite3_errmsg(handle)))
    }
}
