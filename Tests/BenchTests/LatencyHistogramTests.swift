import Testing

@testable import switchboard_bench

@Suite struct LatencyHistogramTests {
    @Test func emptyHistogramReportsZeroEverywhere() {
        let histogram = LatencyHistogram()
        #expect(histogram.count == 0)
        #expect(histogram.percentile(0.5) == 0)
        #expect(histogram.percentile(0.99) == 0)
        #expect(histogram.mean == 0)
    }

    @Test(arguments: [0, 1, 127, 128, 129, 255, 256, 1_000, 65_535, 65_536, 1_000_000_007])
    func everyValueLiesInsideItsOwnBucket(value: UInt64) {
        let bucket = LatencyHistogram.bucket(of: value)
        #expect(LatencyHistogram.upperEdge(of: bucket) >= value)
        if bucket > 0 {
            #expect(LatencyHistogram.upperEdge(of: bucket - 1) < value)
        }
    }

    @Test func bucketsAreContiguousAndWithinOneSixtyFourth() {
        var previousEdge: UInt64 = 0
        for bucket in 1..<2_000 {
            let edge = LatencyHistogram.upperEdge(of: bucket)
            let lower = LatencyHistogram.upperEdge(of: bucket - 1) + 1
            #expect(edge >= lower)
            #expect(edge > previousEdge)
            if lower >= 128 {
                #expect(Double(edge - lower + 1) / Double(lower) <= 1.0 / 64.0 + 1e-9)
            }
            previousEdge = edge
        }
    }

    @Test func percentilesOfUniformSamplesAreWithinBucketPrecision() {
        var histogram = LatencyHistogram()
        for value in 1...10_000 { histogram.record(UInt64(value) * 1_000) }
        let checks: [(Double, Double)] = [(0.5, 5_000_000), (0.9, 9_000_000), (0.99, 9_900_000)]
        for (fraction, exact) in checks {
            let reported = Double(histogram.percentile(fraction))
            #expect(reported >= exact)
            #expect(reported <= exact * (1 + 1.0 / 64.0))
        }
        #expect(histogram.percentile(1) == 10_000_000)
        #expect(histogram.maximum == 10_000_000)
        #expect(histogram.minimum == 1_000)
        #expect(abs(histogram.mean - 5_000_500) < 1)
    }

    @Test func aSingleOutlierIsTheMaximumButNotTheMedian() {
        var histogram = LatencyHistogram()
        for _ in 0..<999 { histogram.record(2_000_000) }
        histogram.record(900_000_000)
        #expect(histogram.percentile(0.5) <= 2_031_250)
        #expect(histogram.percentile(0.999) <= 2_031_250)
        #expect(histogram.percentile(1.0) == 900_000_000)
    }

    @Test func resetForgetsEverySample() {
        var histogram = LatencyHistogram()
        histogram.record(5)
        histogram.reset()
        #expect(histogram.count == 0)
        #expect(histogram.maximum == 0)
        #expect(histogram.percentile(0.5) == 0)
    }

    @Test func hugeSamplesLandInTheLastBucketWithoutTrapping() {
        var histogram = LatencyHistogram()
        histogram.record(.max)
        #expect(histogram.percentile(0.5) == .max)
    }
}
