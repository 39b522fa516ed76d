import ChatRouter

/// Bytes waiting to be written to one socket, with a marker per chat message so that, if the
/// connection dies, the messages that never fully left can be reported for requeueing.
///
/// One contiguous array with a read offset: frames are appended whole, a single `send` takes
/// as much as the kernel accepts, and the array is compacted once the written prefix is large.
struct OutboundBuffer {
    private(set) var bytes: [UInt8] = []
    private var readOffset = 0
    private var markers: [(end: Int, message: StoredMessage)] = []
    private var markerStart = 0
    /// Charges of the frames queued and not yet written (see `append`).
    private(set) var countedBytes = 0
    private var countedMarkers: [(end: Int, size: Int)] = []
    private var countedStart = 0
    /// Start and end offsets of every frame, so the unsent tail can be cut at a frame
    /// boundary (a start may be negative after compaction dropped its written part).
    private var frameEnds: [(start: Int, end: Int)] = []
    private var frameEndStart = 0

    /// Bytes not yet written.
    var pendingCount: Int { self.bytes.count - self.readOffset }
    var isEmpty: Bool { self.pendingCount == 0 }

    /// Appends a whole frame produced by `write`. `message` marks a chat message; `chargedBytes` is
    /// what the frame was charged against the slow-consumer bound when it was queued (0: not
    /// counted), and exactly that is released once it is written, so the endpoint's running
    /// total returns to zero whatever the frame's encoded size (compression changes it).
    mutating func append(
        message: StoredMessage?, chargedBytes: Int = 0, _ write: (inout [UInt8]) -> Void
    ) {
        let start = self.bytes.count
        write(&self.bytes)
        let end = self.bytes.count
        self.frameEnds.append((start, end))
        if let message { self.markers.append((end, message)) }
        if chargedBytes > 0 {
            self.countedBytes += chargedBytes
            self.countedMarkers.append((end, chargedBytes))
        }
    }

    /// Calls `send` with the unwritten bytes; it returns how many were accepted (0 or fewer
    /// means none). Returns the number written.
    mutating func flush(_ send: (UnsafeRawBufferPointer) -> Int) -> Int {
        guard !self.isEmpty else { return 0 }
        let written = self.bytes.withUnsafeBytes { buffer in
            send(UnsafeRawBufferPointer(rebasing: buffer[self.readOffset...]))
        }
        guard written > 0 else { return 0 }
        self.readOffset += written
        while self.markerStart < self.markers.count
            && self.markers[self.markerStart].end <= self.readOffset
        {
            self.markerStart += 1
        }
        while self.countedStart < self.countedMarkers.count
            && self.countedMarkers[self.countedStart].end <= self.readOffset
        {
            self.countedBytes -= self.countedMarkers[self.countedStart].size
            self.countedStart += 1
        }
        while self.frameEndStart < self.frameEnds.count
            && self.frameEnds[self.frameEndStart].end <= self.readOffset
        {
            self.frameEndStart += 1
        }
        self.compactIfWorthIt()
        return written
    }

    /// Drops every frame not yet begun (the one being written is kept whole: cutting it would
    /// corrupt the stream) and returns the chat messages it held. Used before a slow
    /// consumer's Close frame, so that the Close is next in line instead of behind megabytes it
    /// will never read.
    mutating func discardUnstartedFrames() -> [StoredMessage] {
        guard self.frameEndStart < self.frameEnds.count else { return [] }
        let first = self.frameEnds[self.frameEndStart]
        // The first unwritten frame is kept only if some of it already left.
        let keepsFirst = first.start < self.readOffset
        let keepThrough = keepsFirst ? first.end : first.start
        var dropped: [StoredMessage] = []
        while let last = self.markers.last, self.markers.count > self.markerStart,
            last.end > keepThrough
        {
            dropped.append(last.message)
            self.markers.removeLast()
        }
        while let last = self.countedMarkers.last, self.countedMarkers.count > self.countedStart,
            last.end > keepThrough
        {
            self.countedBytes -= last.size
            self.countedMarkers.removeLast()
        }
        self.frameEnds.removeSubrange((self.frameEndStart + (keepsFirst ? 1 : 0))...)
        self.bytes.removeSubrange(keepThrough...)
        return dropped.reversed()
    }

    /// The chat messages not completely written.
    var unwrittenMessages: [StoredMessage] {
        self.markers[self.markerStart...].map(\.message)
    }

    private mutating func compactIfWorthIt() {
        if self.readOffset == self.bytes.count {
            self.bytes.removeAll(keepingCapacity: self.bytes.capacity <= 65_536)
            self.readOffset = 0
            self.markers.removeAll(keepingCapacity: true)
            self.markerStart = 0
            self.countedMarkers.removeAll(keepingCapacity: true)
            self.countedStart = 0
            self.frameEnds.removeAll(keepingCapacity: true)
            self.frameEndStart = 0
            return
        }
        guard self.readOffset >= 65_536 && self.readOffset * 2 >= self.bytes.count else { return }
        let shift = self.readOffset
        self.bytes.removeFirst(shift)
        self.readOffset = 0
        self.markers = self.markers[self.markerStart...].map { ($0.end - shift, $0.message) }
        self.markerStart = 0
        self.countedMarkers = self.countedMarkers[self.countedStart...].map {
            ($0.end - shift, $0.size)
        }
        self.countedStart = 0
        self.frameEnds = self.frameEnds[self.frameEndStart...].map {
            ($0.start - shift, $0.end - shift)
        }
        self.frameEndStart = 0
    }
}
