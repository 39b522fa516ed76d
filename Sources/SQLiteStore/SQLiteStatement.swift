import CSQLite

/// A value bound to a `?N` parameter. Only the two kinds the store writes.
enum SQLiteValue {
    case integer(Int64)
    case text(String)
}

/// One prepared statement, compiled once and reused for every call (SQLite docs: preparing
/// costs far more than stepping, so the store never prepares on the hot path).
///
/// Ownership: the `SQLiteDatabase` that prepared it finalizes it when the database closes;
/// afterwards `handle` is nil and every step reports `SQLITE_MISUSE` instead of touching
/// freed memory.
final class SQLiteStatement {
    /// The `sqlite3_stmt *`, nil once finalized.
    private(set) var handle: OpaquePointer?
    /// The SQL text, for error messages.
    let sql: String

    init(handle: OpaquePointer, sql: String) {
        self.handle = handle
        self.sql = sql
    }

    /// Releases the compiled statement; called by the owning database before it closes.
    func finalize() {
        if let handle = self.handle { sqlite3_finalize(handle) }
        self.handle = nil
    }

    /// Clears earlier bindings and binds `values` to `?1`, `?2`, ...; returns the first
    /// non-OK result code.
    func bind(_ values: [SQLiteValue]) -> Int32 {
        guard let handle = self.handle else { return SQLITE_MISUSE }
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let status: Int32
            switch value {
            case .integer(let number):
                status = sqlite3_bind_int64(handle, index, number)
            case .text(let text):
                status = Self.bind(text, at: index, of: handle)
            }
            if status != SQLITE_OK { return status }
        }
        return SQLITE_OK
    }

    private static func bind(_ text: String, at index: Int32, of handle: OpaquePointer) -> Int32 {
        var text = text
        return text.withUTF8 { bytes in
            // An empty buffer may have no base address, and a nil pointer would bind NULL
            // instead of the empty string, so "" gets a real (empty) C string.
            guard let base = bytes.baseAddress, !bytes.isEmpty else {
                return sqlite3_bind_text(handle, index, "", 0, sb_sqlite_transient())
            }
            // The bytes are copied (transient) because the buffer dies with this closure.
            return sqlite3_bind_text64(
                handle, index, UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self),
                UInt64(bytes.count), sb_sqlite_transient(), UInt8(SQLITE_UTF8))
        }
    }

    /// Runs one step: `SQLITE_ROW`, `SQLITE_DONE` or an error code.
    func step() -> Int32 {
        guard let handle = self.handle else { return SQLITE_MISUSE }
        return sqlite3_step(handle)
    }

    /// Returns the statement to its initial state so its read snapshot is released.
    func reset() {
        if let handle = self.handle { sqlite3_reset(handle) }
    }

    /// Column `column` of the current row as an integer (0 for NULL).
    func integer(at column: Int32) -> Int64 {
        guard let handle = self.handle else { return 0 }
        return sqlite3_column_int64(handle, column)
    }

    /// Column `column` of the current row as text, decoded leniently: bytes that are not
    /// UTF-8 (only possible in a damaged file) become U+FFFD instead of trapping.
    func text(at column: Int32) -> String {
        guard let handle = self.handle, let bytes = sqlite3_column_text(handle, column) else {
            return ""
        }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    /// A column holding a `mid`: SQLite integers are signed, mids are not; a negative value
    /// (only possible in a damaged file) reads as 0 rather than trapping.
    func mid(at column: Int32) -> UInt64 {
        UInt64(clamping: self.integer(at: column))
    }
}

extension Int64 {
    /// A `mid` or cursor as SQLite stores integers. Values above `Int64.max` (a client may
    /// send any 64-bit `since`) clamp to it, which keeps every comparison with a real mid,
    /// all far below, the same as for the unclamped value.
    init(sqliteClamping mid: UInt64) {
        self = mid > UInt64(Int64.max) ? Int64.max : Int64(mid)
    }
}
