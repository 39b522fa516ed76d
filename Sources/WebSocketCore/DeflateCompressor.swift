import CZlib

/// Compresses whole messages for permessage-deflate (RFC 7692 §7.2.1): raw deflate, flushed
/// with Z_SYNC_FLUSH, with the final `00 00 ff ff` removed.
///
/// Owns a zlib stream (about 2^(windowBits+2) + 2^(memoryLevel+9) bytes: 256 KiB at the
/// defaults) and an output buffer; both are freed in `deinit`, so the memory goes exactly when
/// the connection does. Not thread-safe: one connection, one thread.
final class DeflateCompressor {
    private let stream: UnsafeMutablePointer<z_stream>
    private let resetsAfterEachMessage: Bool
    private var output: UnsafeMutableRawBufferPointer

    /// Output buffers larger than this are released after the message, so one big message does
    /// not pin memory for the connection's lifetime.
    private static let retainedOutputBytes = 64 * 1024

    /// Sets up a raw deflate stream; nil when zlib refuses (out of memory or bad parameters).
    ///
    /// - Parameters:
    ///   - windowBits: 9...15 (clamped).
    ///   - level: zlib compression level 0...9 (clamped).
    ///   - memoryLevel: zlib memory level 1...9 (clamped).
    ///   - resetsAfterEachMessage: true under no_context_takeover for this side.
    init?(windowBits: Int, level: Int, memoryLevel: Int, resetsAfterEachMessage: Bool) {
        self.stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        self.stream.initialize(to: z_stream())
        let status = sb_deflate_init_raw(
            self.stream, Int32(min(max(level, 0), 9)),
            Int32(PerMessageDeflateOptions.clampedCompressorWindow(windowBits)),
            Int32(min(max(memoryLevel, 1), 9)))
        guard status == Z_OK else {
            self.stream.deinitialize(count: 1)
            self.stream.deallocate()
            return nil
        }
        self.resetsAfterEachMessage = resetsAfterEachMessage
        self.output = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    }

    deinit {
        deflateEnd(self.stream)
        self.stream.deinitialize(count: 1)
        self.stream.deallocate()
        self.output.deallocate()
    }

    /// Compresses one whole message and passes the compressed bytes (without the
    /// `00 00 ff ff` tail) to `body`; they are valid only during the call.
    ///
    /// - Returns: false when zlib reported a stream error; the message should then be sent
    ///   uncompressed and this compressor discarded.
    func compress(
        _ message: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void
    )
        -> Bool
    {
        defer { self.finishMessage() }
        let bound = Int(deflateBound(self.stream, uLong(message.count))) + 16
        self.ensureOutputCapacity(bound)
        var produced = 0
        var consumed = 0
        // zlib counts in 32-bit units, so very large messages go in slices.
        let sliceLimit = 1 << 30
        repeat {
            let sliceCount = min(message.count - consumed, sliceLimit)
            let isLastSlice = consumed + sliceCount == message.count
            self.stream.pointee.next_in = UnsafeMutablePointer(
                mutating: message.baseAddress?.advanced(by: consumed)
                    .assumingMemoryBound(to: Bytef.self))
            self.stream.pointee.avail_in = uInt(sliceCount)
            guard self.deflateSlice(flush: isLastSlice ? Z_SYNC_FLUSH : Z_NO_FLUSH, &produced)
            else { return false }
            consumed += sliceCount
        } while consumed < message.count
        guard let base = self.output.baseAddress else { return false }
        if produced == 0 {
            // zlib writes nothing for an empty message right after another flush; a single
            // 0x00 (an empty stored block once the tail is added) stands for it, as RFC 7692
            // §7.2.3.6 shows.
            base.storeBytes(of: 0, as: UInt8.self)
            produced = 5
        }
        // Z_SYNC_FLUSH ends with an empty stored block, 00 00 ff ff; RFC 7692 §7.2.1 drops it.
        body(UnsafeRawBufferPointer(start: base, count: max(produced - 4, 1)))
        return true
    }

    /// Runs deflate over the current input until zlib has consumed it and, for a flush, has
    /// written all pending output.
    private func deflateSlice(flush: Int32, _ produced: inout Int) -> Bool {
        while true {
            if self.output.count - produced < 64 {
                self.ensureOutputCapacity(self.output.count * 2)
            }
            guard let base = self.output.baseAddress else { return false }
            let room = min(self.output.count - produced, Int(UInt32.max))
            self.stream.pointee.next_out = (base + produced).assumingMemoryBound(to: Bytef.self)
            self.stream.pointee.avail_out = uInt(room)
            let status = deflate(self.stream, flush)
            produced += room - Int(self.stream.pointee.avail_out)
            guard status == Z_OK || status == Z_BUF_ERROR else { return false }
            // Output room left over means zlib had nothing more to write for this call.
            if self.stream.pointee.avail_in == 0 && self.stream.pointee.avail_out > 0 {
                return true
            }
        }
    }

    private func ensureOutputCapacity(_ capacity: Int) {
        guard self.output.count < capacity else { return }
        let bigger = UnsafeMutableRawBufferPointer.allocate(
            byteCount: max(capacity, 256), alignment: 8)
        if let oldBase = self.output.baseAddress, let newBase = bigger.baseAddress {
            newBase.copyMemory(from: oldBase, byteCount: self.output.count)
        }
        self.output.deallocate()
        self.output = bigger
    }

    private func finishMessage() {
        self.stream.pointee.next_in = nil
        self.stream.pointee.avail_in = 0
        self.stream.pointee.next_out = nil
        self.stream.pointee.avail_out = 0
        if self.resetsAfterEachMessage {
            deflateReset(self.stream)
        }
        if self.output.count > Self.retainedOutputBytes {
            self.output.deallocate()
            self.output = UnsafeMutableRawBufferPointer(start: nil, count: 0)
        }
    }
}
