import CZlib

/// Inflates permessage-deflate messages (RFC 7692 §7.2.2) piece by piece as their frames
/// arrive, appending to the message and refusing to grow it past a limit.
///
/// Inflation goes through a fixed 16 KiB buffer and the limit is checked before each append, so
/// a deflate bomb fails with ``WebSocketProtocolError/messageTooBig`` having allocated at most
/// the limit plus a few KiB. Inflates with the window the peer agreed to compress with (32 KiB
/// when it agreed to nothing smaller), since a server holding thousands of connections pays
/// for every window. The zlib stream is freed in `deinit`.
final class DeflateDecompressor {
    private let stream: UnsafeMutablePointer<z_stream>
    private let resetsAfterEachMessage: Bool
    private let chunk: UnsafeMutableRawBufferPointer
    /// The current deflate stream ended (a block with BFINAL); more data starts a new one.
    private var streamEnded = false

    private static let chunkBytes = 4 * 1024
    private static let messageTail: [UInt8] = [0x00, 0x00, 0xFF, 0xFF]

    /// Sets up a raw inflate stream; nil when zlib refuses (out of memory).
    ///
    /// - Parameters:
    ///   - windowBits: the largest window the peer compresses with, 8...15; 8 is inflated with
    ///     9, which decodes it too.
    ///   - resetsAfterEachMessage: true when the peer does not take context over, so the
    ///     window is cleared between messages.
    init?(windowBits: Int = 15, resetsAfterEachMessage: Bool) {
        self.stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        self.stream.initialize(to: z_stream())
        let bits = Int32(min(max(windowBits, 9), 15))
        guard sb_inflate_init_raw(self.stream, bits) == Z_OK else {
            self.stream.deinitialize(count: 1)
            self.stream.deallocate()
            return nil
        }
        self.resetsAfterEachMessage = resetsAfterEachMessage
        self.chunk = UnsafeMutableRawBufferPointer.allocate(
            byteCount: Self.chunkBytes, alignment: 8)
    }

    deinit {
        inflateEnd(self.stream)
        self.stream.deinitialize(count: 1)
        self.stream.deallocate()
        self.chunk.deallocate()
    }

    /// Inflates the next compressed bytes of the current message onto `message`.
    ///
    /// - Throws: ``WebSocketProtocolError/messageTooBig`` before `message` would pass
    ///   `limit` bytes; ``WebSocketProtocolError/invalidCompressedData`` for corrupt data;
    ///   ``WebSocketProtocolError/compressionUnavailable`` when zlib runs out of memory.
    func inflate(
        _ compressed: UnsafeRawBufferPointer, onto message: inout [UInt8], limit: Int
    )
        throws(WebSocketProtocolError)
    {
        var consumed = 0
        let sliceLimit = 1 << 30
        while consumed < compressed.count {
            let sliceCount = min(compressed.count - consumed, sliceLimit)
            let slice = UnsafeRawBufferPointer(
                rebasing: compressed[consumed..<(consumed + sliceCount)])
            try self.inflateSlice(slice, onto: &message, limit: limit)
            consumed += sliceCount
        }
    }

    /// Ends the current message: inflates the `00 00 ff ff` tail the sender removed
    /// (RFC 7692 §7.2.2), then resets the window if the peer does not take context over.
    func finishMessage(onto message: inout [UInt8], limit: Int) throws(WebSocketProtocolError) {
        var failure: WebSocketProtocolError?
        Self.messageTail.withUnsafeBytes { tail in
            do throws(WebSocketProtocolError) {
                try self.inflateSlice(tail, onto: &message, limit: limit)
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        if self.resetsAfterEachMessage {
            self.restartStream()
        }
    }

    private func inflateSlice(
        _ compressed: UnsafeRawBufferPointer, onto message: inout [UInt8], limit: Int
    ) throws(WebSocketProtocolError) {
        guard let input = compressed.baseAddress, let chunkBase = self.chunk.baseAddress else {
            return
        }
        self.stream.pointee.next_in = UnsafeMutablePointer(
            mutating: input.assumingMemoryBound(to: Bytef.self))
        self.stream.pointee.avail_in = uInt(compressed.count)
        defer {
            self.stream.pointee.next_in = nil
            self.stream.pointee.avail_in = 0
        }
        while true {
            if self.streamEnded {
                // A sender may end a message with a BFINAL block (RFC 7692 §7.2.3.3); what
                // follows, including the appended tail, is a new deflate stream.
                self.restartStream()
            }
            self.stream.pointee.next_out = chunkBase.assumingMemoryBound(to: Bytef.self)
            self.stream.pointee.avail_out = uInt(Self.chunkBytes)
            let inputBefore = self.stream.pointee.avail_in
            let status = CZlib.inflate(self.stream, Z_SYNC_FLUSH)
            let produced = Self.chunkBytes - Int(self.stream.pointee.avail_out)
            if produced > 0 {
                guard produced <= limit - message.count else { throw .messageTooBig }
                message.append(
                    contentsOf: UnsafeRawBufferPointer(start: chunkBase, count: produced))
            }
            switch status {
            case Z_OK, Z_BUF_ERROR:
                break
            case Z_STREAM_END:
                self.streamEnded = true
            case Z_MEM_ERROR:
                throw .compressionUnavailable
            default:
                throw .invalidCompressedData
            }
            let inputLeft = self.stream.pointee.avail_in > 0
            let outputFull = self.stream.pointee.avail_out == 0
            if !inputLeft && !outputFull { return }
            // Input left but nothing consumed or produced: zlib can go no further with it.
            if status != Z_STREAM_END && produced == 0
                && self.stream.pointee.avail_in == inputBefore
            {
                throw .invalidCompressedData
            }
        }
    }

    private func restartStream() {
        inflateReset(self.stream)
        self.streamEnded = false
    }
}
