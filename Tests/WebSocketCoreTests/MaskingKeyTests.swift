import Testing

@testable import WebSocketCore

@Suite struct MaskingKeyTests {
    @Test func keyBytesAreInWireOrder() {
        let key = MaskingKey(0x37, 0xFA, 0x21, 0x3D)
        #expect(key.rawValue == 0x37FA_213D)
        #expect(
            (0..<8).map { key.byte(at: $0) } == [0x37, 0xFA, 0x21, 0x3D, 0x37, 0xFA, 0x21, 0x3D])
    }

    /// The RFC 6455 §5.7 example: "Hello" masked with 37 fa 21 3d.
    @Test func masksTheRFCExample() {
        var bytes = Array("Hello".utf8)
        MaskingKey(0x37, 0xFA, 0x21, 0x3D).apply(to: &bytes, in: 0..<5)
        #expect(bytes == [0x7F, 0x9F, 0x4D, 0x51, 0x58])
    }

    /// The word-at-a-time loop must agree with byte-wise XOR for every length and phase.
    @Test func agreesWithBytewiseMaskingAtEveryLengthAndPhase() {
        let key = MaskingKey(0xA1, 0xB2, 0xC3, 0xD4)
        let keyBytes: [UInt8] = [0xA1, 0xB2, 0xC3, 0xD4]
        var generator = SeededGenerator(seed: 1)
        for count in 0..<80 {
            for phase in 0..<4 {
                let input = generator.bytes(count)
                var masked = input
                key.apply(to: &masked, in: 0..<count, phase: phase)
                let expected = input.enumerated().map {
                    $0.element ^ keyBytes[($0.offset + phase) % 4]
                }
                #expect(masked == expected, "count \(count) phase \(phase)")
            }
        }
    }

    @Test func maskingTwiceRestoresTheInput() {
        var generator = SeededGenerator(seed: 2)
        let input = generator.bytes(1_000)
        var bytes = input
        let key = MaskingKey.random(using: &generator)
        key.apply(to: &bytes, in: 3..<997, phase: 1)
        #expect(bytes != input)
        key.apply(to: &bytes, in: 3..<997, phase: 1)
        #expect(bytes == input)
    }

    @Test func rangeOutsideTheArrayIsClampedNotTrapped() {
        var bytes: [UInt8] = [1, 2, 3]
        MaskingKey(rawValue: 0xFFFF_FFFF).apply(to: &bytes, in: 2..<10)
        #expect(bytes == [1, 2, 0xFC])
    }
}
