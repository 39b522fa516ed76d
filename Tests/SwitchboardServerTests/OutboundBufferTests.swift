import ChatRouter
import Testing

@testable import SwitchboardServer

@Suite struct OutboundBufferTests {
    /// Appends a frame of `size` bytes filled with `byte`.
    func frame(
        _ buffer: inout OutboundBuffer, _ size: Int, mid: UInt64?, counts: Bool = true,
        byte: UInt8 = 1
    ) {
        buffer.append(message: mid.map(Self.message), chargedBytes: counts ? size : 0) {
            $0 += [UInt8](repeating: byte, count: size)
        }
    }

    /// A chat message as the hub hands it over, named by its mid.
    static func message(_ mid: UInt64) -> StoredMessage {
        StoredMessage(mid: mid, sender: "a", recipient: "b", text: "m\(mid)", timestamp: 1)
    }

    /// Flushes at most `limit` bytes, as a kernel with a full buffer would accept.
    func write(_ buffer: inout OutboundBuffer, limit: Int) -> [UInt8] {
        var sent: [UInt8] = []
        _ = buffer.flush { bytes in
            let count = min(limit, bytes.count)
            sent = Array(bytes.prefix(count))
            return count
        }
        return sent
    }

    @Test func partialWritesTrackWhichMessagesLeft() {
        var buffer = OutboundBuffer()
        self.frame(&buffer, 10, mid: 1)
        self.frame(&buffer, 10, mid: nil)
        self.frame(&buffer, 10, mid: 3)
        #expect(buffer.unwrittenMessages.map(\.mid) == [1, 3])
        #expect(buffer.countedBytes == 30)
        _ = self.write(&buffer, limit: 15)
        #expect(buffer.unwrittenMessages.map(\.mid) == [3], "mid 1 fully written")
        #expect(buffer.countedBytes == 20)
        _ = self.write(&buffer, limit: 14)
        #expect(buffer.unwrittenMessages.map(\.mid) == [3], "one byte of mid 3 still unwritten")
        _ = self.write(&buffer, limit: 100)
        #expect(buffer.isEmpty)
        #expect(buffer.unwrittenMessages.map(\.mid).isEmpty)
        #expect(buffer.countedBytes == 0)
    }

    @Test func uncountedFramesDoNotCountTowardTheBound() {
        var buffer = OutboundBuffer()
        self.frame(&buffer, 100, mid: 1, counts: false)
        self.frame(&buffer, 50, mid: 2)
        #expect(buffer.countedBytes == 50)
    }

    @Test func discardKeepsAFrameInProgressWhole() {
        var buffer = OutboundBuffer()
        self.frame(&buffer, 10, mid: 1, byte: 0xA)
        self.frame(&buffer, 10, mid: 2, byte: 0xB)
        self.frame(&buffer, 10, mid: 3, byte: 0xC)
        _ = self.write(&buffer, limit: 4)
        #expect(buffer.discardUnstartedFrames().map(\.mid) == [2, 3])
        #expect(buffer.pendingCount == 6, "the rest of frame 1 only")
        #expect(buffer.countedBytes == 10)
        let rest = self.write(&buffer, limit: 100)
        #expect(rest == [UInt8](repeating: 0xA, count: 6))
    }

    @Test func chargesAreReleasedExactlyWhateverTheEncodedSize() {
        var buffer = OutboundBuffer()
        buffer.append(message: Self.message(1), chargedBytes: 140) {
            $0 += [UInt8](repeating: 0, count: 37)
        }
        buffer.append(message: Self.message(2), chargedBytes: 90) {
            $0 += [UInt8](repeating: 0, count: 95)
        }
        #expect(buffer.countedBytes == 230)
        _ = self.write(&buffer, limit: 37)
        #expect(buffer.countedBytes == 90)
        _ = self.write(&buffer, limit: 1000)
        #expect(buffer.countedBytes == 0)
    }

    @Test func discardDropsAFrameNotBegun() {
        var buffer = OutboundBuffer()
        self.frame(&buffer, 10, mid: 1)
        self.frame(&buffer, 10, mid: 2)
        _ = self.write(&buffer, limit: 10)
        #expect(buffer.discardUnstartedFrames().map(\.mid) == [2])
        #expect(buffer.isEmpty)
        #expect(buffer.countedBytes == 0)
        self.frame(&buffer, 5, mid: 9)
        #expect(buffer.unwrittenMessages.map(\.mid) == [9], "usable after a discard")
    }

    @Test func compactionKeepsOffsetsRight() {
        var buffer = OutboundBuffer()
        for mid in 1...40 { self.frame(&buffer, 4096, mid: UInt64(mid)) }
        _ = self.write(&buffer, limit: 4096 * 30 + 100)
        #expect(buffer.unwrittenMessages.map(\.mid) == Array(31...40))
        #expect(buffer.discardUnstartedFrames().map(\.mid) == Array(32...40))
        #expect(buffer.pendingCount == 4096 - 100)
        _ = self.write(&buffer, limit: 10_000)
        #expect(buffer.isEmpty)
    }
}
