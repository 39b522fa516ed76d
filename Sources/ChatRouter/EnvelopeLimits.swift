/// Size limits applied while decoding client envelopes. All sizes are bytes of decoded UTF-8
/// (what the string holds after JSON escapes are resolved), not bytes on the wire.
public struct EnvelopeLimits: Equatable, Hashable, Sendable {
    /// Longest `uid` or `touid`; SPEC fixes 64 by default, changeable by a server flag.
    public var maxUIDBytes: Int
    /// Longest `msg`; longer is 413. SPEC default 65536 (`--max-msg-bytes`).
    public var maxMessageBytes: Int
    /// Longest `id`; longer is 400. SPEC: a request id is at most 64 bytes.
    public var maxRequestIDBytes: Int
    /// Most elements in one long-poll array; more is 413. The default of 1024 is far above any
    /// real batch and bounds the memory one body can make the decoder allocate.
    public var maxBatchEnvelopes: Int
    /// Deepest nesting of arrays and objects anywhere in a body, the envelope itself counting
    /// as 1 (and a long-poll array around it as 1 more). The default of 64 allows structured
    /// unknown fields while keeping `[[[[…` bodies from costing stack; values above 512 act
    /// as 512.
    public var maxNestingDepth: Int

    /// Limits with the SPEC defaults unless overridden.
    public init(
        maxUIDBytes: Int = 64,
        maxMessageBytes: Int = 65_536,
        maxRequestIDBytes: Int = 64,
        maxBatchEnvelopes: Int = 1024,
        maxNestingDepth: Int = 64
    ) {
        self.maxUIDBytes = maxUIDBytes
        self.maxMessageBytes = maxMessageBytes
        self.maxRequestIDBytes = maxRequestIDBytes
        self.maxBatchEnvelopes = maxBatchEnvelopes
        self.maxNestingDepth = maxNestingDepth
    }
}
