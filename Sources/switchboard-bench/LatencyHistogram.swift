/// Latencies in nanoseconds, kept as counts in log-linear buckets: exact below 128 ns, then
/// 64 buckets per power of two, so any reported percentile is within 1/64 (1.6 %) of a value
/// really recorded, in fixed memory (about 18 KiB) however many samples arrive.
///
/// Percentiles report the upper edge of their bucket (never optimistic), capped at the exact
/// maximum.
struct LatencyHistogram {
    private static let linearLimit: UInt64 = 128
    private static let subBuckets = 64
    /// Enough buckets for 2^40 ns (about 18 minutes); longer samples land in the last one.
    private static let bucketCount = 128 + 34 * 64

    private var counts = [UInt64](repeating: 0, count: LatencyHistogram.bucketCount)
    /// Samples recorded.
    private(set) var count: UInt64 = 0
    /// Sum of all samples, for the mean.
    private(set) var sum: UInt64 = 0
    /// Smallest sample; `UInt64.max` while empty.
    private(set) var minimum: UInt64 = .max
    /// Largest sample; 0 while empty.
    private(set) var maximum: UInt64 = 0

    /// An empty histogram.
    init() {}

    /// Adds one sample.
    mutating func record(_ nanoseconds: UInt64) {
        self.counts[Self.bucket(of: nanoseconds)] &+= 1
        self.count &+= 1
        self.sum &+= nanoseconds
        self.minimum = min(self.minimum, nanoseconds)
        self.maximum = max(self.maximum, nanoseconds)
    }

    /// Forgets every sample (the start of a measurement window).
    mutating func reset() {
        self = LatencyHistogram()
    }

    /// Mean of the samples, 0 when empty.
    var mean: Double {
        self.count == 0 ? 0 : Double(self.sum) / Double(self.count)
    }

    /// The smallest recorded-bucket value at or below which `fraction` (0…1) of the samples
    /// lie; 0 when empty.
    func percentile(_ fraction: Double) -> UInt64 {
        guard self.count > 0 else { return 0 }
        let clamped = min(max(fraction, 0), 1)
        let rank = max(1, UInt64((clamped * Double(self.count)).rounded(.up)))
        var seen: UInt64 = 0
        for (index, bucketCount) in self.counts.enumerated() where bucketCount > 0 {
            seen += bucketCount
            if seen >= rank {
                // The last bucket is open-ended: only the exact maximum bounds it.
                guard index < Self.bucketCount - 1 else { return self.maximum }
                return min(Self.upperEdge(of: index), self.maximum)
            }
        }
        return self.maximum
    }

    /// The bucket a value falls in.
    static func bucket(of value: UInt64) -> Int {
        if value < self.linearLimit { return Int(value) }
        let topBit = 63 - value.leadingZeroBitCount
        let shift = topBit - 6
        let subBucket = Int(value >> UInt64(shift)) - self.subBuckets
        let index = 128 + (shift - 1) * self.subBuckets + subBucket
        return min(index, self.bucketCount - 1)
    }

    /// The largest value that falls in bucket `index`.
    static func upperEdge(of index: Int) -> UInt64 {
        if index < 128 { return UInt64(index) }
        let offset = index - 128
        let shift = offset / self.subBuckets + 1
        let subBucket = UInt64(offset % self.subBuckets + self.subBuckets)
        return ((subBucket + 1) << UInt64(shift)) - 1
    }
}
