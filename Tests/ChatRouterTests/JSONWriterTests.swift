import Testing

@testable import ChatRouter

@Suite struct JSONWriterTests {
    private func writtenBytes(_ frame: ServerFrame) -> (bytes: [UInt8], exact: Int, bound: Int) {
        var counter = JSONLengthCounter()
        frame.write(to: &counter)
        var bound = JSONLengthBound()
        frame.write(to: &bound)
        return (frame.jsonBytes, counter.count, bound.count)
    }

    /// The counter must match the writer byte for byte, and the cheap bound must never be
    /// below it, or the writer would stop the process.
    @Test func countsExactlyWhatIsWrittenForRandomFrames() {
        let pool: [Unicode.Scalar] =
            (0x00...0x1F).map { Unicode.Scalar(UInt8($0)) }
            + ["\"", "\\", "a", "é", "中", "😀", "\u{7F}", "\u{2028}"]
        var generator = SeededGenerator(seed: 0xC0_17_7E)
        for _ in 0..<2_000 {
            func randomText() -> String {
                let length = Int.random(in: 0...30, using: &generator)
                var scalars = String.UnicodeScalarView()
                for _ in 0..<length { scalars.append(pool.randomElement(using: &generator)!) }
                return String(scalars)
            }
            let frame = ServerFrame(
                type: randomText(), error: Bool.random(using: &generator),
                code: Int.random(in: -1_000...1_000, using: &generator), msg: randomText(),
                uid: Bool.random(using: &generator) ? randomText() : nil,
                id: Bool.random(using: &generator) ? randomText() : nil,
                mid: generator.next() >> Int.random(in: 0...63, using: &generator),
                ts: Int64(bitPattern: generator.next()), sid: randomText(),
                seq: Bool.random(using: &generator) ? generator.next() : nil)
            let written = self.writtenBytes(frame)
            #expect(written.bytes.count == written.exact)
            #expect(written.bound >= written.exact)
        }
    }

    @Test(arguments: [1_000, 65_536, 200_000])
    func encodesLargeMessagesThroughExactSizing(_ length: Int) throws {
        // Every eighth byte needs escaping, so both the fast and the escape paths run.
        let unit = "abc\"d\u{1}é\n"
        let msg = String(repeating: unit, count: length / unit.utf8.count)
        let frame = ServerFrame(type: "send", msg: msg, uid: "u", mid: 1, ts: 2)
        let written = self.writtenBytes(frame)
        #expect(written.bytes.count == written.exact)

        let object = try #require(JSONTestSupport.oracleValue(written.bytes) as? [String: Any])
        #expect(object["msg"] as? String == msg)
        var appended = Array("x".utf8)
        frame.encode(to: &appended)
        #expect(appended == Array("x".utf8) + written.bytes)
    }

    static let decimalCases: [UInt64] =
        [0, 1, 9, 10, 11, 99, 100, 101, 999, 1_000, UInt64.max, UInt64.max - 1]
        + (1...19).flatMap { power -> [UInt64] in
            let value = (0..<power).reduce(UInt64(1)) { product, _ in product * 10 }
            return [value - 1, value, value + 1]
        }

    @Test(arguments: Self.decimalCases)
    func writesDecimalDigitsExactly(_ value: UInt64) {
        #expect(JSONDecimal.digitCount(value) == String(value).count)
        var output: [UInt8] = []
        EncodedFrame(ServerFrame(type: "t", msg: "")).append(to: &output, seq: value)
        #expect(String(decoding: output, as: UTF8.self).hasSuffix(#","seq":\#(value)}"#))
    }

    /// Every byte value in every lane of a word: the scan masks must flag exactly the bytes
    /// they promise, at the right position.
    @Test func scanMasksFlagEveryByteInEveryLane() {
        for byte in 0...255 {
            let value = UInt8(byte)
            let needsEscape = value < 0x20 || value == 0x22 || value == 0x5C
            let needsAttention = needsEscape || value >= 0x80
            for lane in 0..<8 {
                var bytes = Array(repeating: UInt8(ascii: "a"), count: 8)
                bytes[lane] = value
                let word = bytes.withUnsafeBytes { ByteScan.word($0, at: 0) }

                let escapeMask = ByteScan.needsEscapeMask(word)
                #expect((escapeMask != 0) == needsEscape, "byte \(byte) lane \(lane)")
                if escapeMask != 0 { #expect(ByteScan.firstFlaggedByte(escapeMask) == lane) }
                let attentionMask = ByteScan.readerAttentionMask(word)
                #expect((attentionMask != 0) == needsAttention, "byte \(byte) lane \(lane)")
                if attentionMask != 0 {
                    #expect(ByteScan.firstFlaggedByte(attentionMask) == lane)
                }
            }
        }
    }

    @Test func scanMasksReportTheFirstOfSeveralFlaggedBytes() {
        var generator = SeededGenerator(seed: 0x5CA7)
        let specials: [UInt8] = [0x00, 0x01, 0x1F, 0x22, 0x5C, 0x80, 0xC3, 0xFF]
        for _ in 0..<5_000 {
            var bytes = (0..<8).map { _ in UInt8.random(in: 0x20...0x7E, using: &generator) }
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                bytes[Int.random(in: 0..<8, using: &generator)] =
                    specials.randomElement(using: &generator)!
            }
            let word = bytes.withUnsafeBytes { ByteScan.word($0, at: 0) }
            let firstAttention = bytes.firstIndex {
                $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 >= 0x80
            }
            let attentionMask = ByteScan.readerAttentionMask(word)
            let attentionLane = attentionMask == 0 ? nil : ByteScan.firstFlaggedByte(attentionMask)
            #expect(attentionLane == firstAttention)
            let firstEscape = bytes.firstIndex { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }
            let escapeMask = ByteScan.needsEscapeMask(word)
            let escapeLane = escapeMask == 0 ? nil : ByteScan.firstFlaggedByte(escapeMask)
            #expect(escapeLane == firstEscape)
        }
    }
}
