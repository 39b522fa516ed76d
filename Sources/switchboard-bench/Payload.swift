/// The text of every benchmark message: who sent it, when, and its place in the sender's
/// sequence, so the receiver can measure latency and check order without any shared table.
///
/// Layout, all lowercase hexadecimal so it is plain JSON string content for every peer:
/// 12 digits of send time (nanoseconds since the run's epoch, so 78 hours fit), 8 digits of
/// sender index, 12 digits of sequence number, then `.` padding up to the requested size.
/// The minimum, and the standard size, is 32 bytes.
struct Payload: Equatable {
    /// Send time, nanoseconds since the run's epoch, kept to 48 bits.
    var sentAt: UInt64
    /// The sending user's index in the scenario.
    var sender: UInt32
    /// Per-sender sequence number, from 1, kept to 48 bits.
    var sequence: UInt64

    /// Bytes taken by the three fields; any payload is at least this long.
    static let minimumBytes = 32
    private static let mask48: UInt64 = (1 << 48) - 1

    /// Appends the payload padded with `.` to `totalBytes` (at least ``minimumBytes``).
    func append(to output: inout [UInt8], totalBytes: Int) {
        Self.appendHex(self.sentAt & Self.mask48, digits: 12, to: &output)
        Self.appendHex(UInt64(self.sender), digits: 8, to: &output)
        Self.appendHex(self.sequence & Self.mask48, digits: 12, to: &output)
        let padding = max(totalBytes, Self.minimumBytes) - Self.minimumBytes
        if padding > 0 {
            output.append(contentsOf: repeatElement(UInt8(ascii: "."), count: padding))
        }
    }

    /// Nanoseconds from sending to `now` for a run whose epoch is `epoch`; nil if the payload
    /// claims to be sent after `now`, which means it belongs to another run.
    func latency(epoch: UInt64, now: UInt64) -> UInt64? {
        let sent = epoch &+ self.sentAt
        return sent <= now ? now - sent : nil
    }

    /// Reads a payload from the first ``minimumBytes`` of `bytes`; nil if they are not one
    /// (too short, or a non-hexadecimal digit), so foreign text counts as an error, not a
    /// message.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> Payload? {
        guard bytes.count >= self.minimumBytes,
            let sentAt = self.hexValue(bytes, from: 0, digits: 12),
            let sender = self.hexValue(bytes, from: 12, digits: 8),
            let sequence = self.hexValue(bytes, from: 20, digits: 12)
        else { return nil }
        return Payload(
            sentAt: sentAt, sender: UInt32(truncatingIfNeeded: sender), sequence: sequence)
    }

    private static func appendHex(_ value: UInt64, digits: Int, to output: inout [UInt8]) {
        let alphabet: StaticString = "0123456789abcdef"
        alphabet.withUTF8Buffer { hex in
            var shift = (digits - 1) * 4
            while shift >= 0 {
                output.append(hex[Int((value >> UInt64(shift)) & 0xF)])
                shift -= 4
            }
        }
    }

    private static func hexValue(
        _ bytes: UnsafeRawBufferPointer, from start: Int, digits: Int
    )
        -> UInt64?
    {
        var value: UInt64 = 0
        for offset in start..<(start + digits) {
            let byte = bytes[offset]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            default: return nil
            }
            value = value << 4 | UInt64(digit)
        }
        return value
    }
}
