import Testing

@testable import WebSocketCore

@Suite struct FrameEncoderTests {
    @Test(arguments: [0, 1, 125, 126, 127, 65_535, 65_536, 70_000])
    func unmaskedFrameMatchesHandBuiltBytes(_ length: Int) {
        let payload = [UInt8](repeatingPattern: "xyz", count: length)
        var output: [UInt8] = [0xEE]
        FrameEncoder.appendFrame(opcode: .binary, payload: payload, maskingKey: nil, to: &output)
        #expect(output == [0xEE] + Wire.serverFrame(0x2, payload))
    }

    @Test(arguments: [0, 5, 125, 126, 65_535, 65_536])
    func maskedFrameMatchesHandBuiltBytes(_ length: Int) {
        let payload = [UInt8](repeatingPattern: "masked", count: length)
        var output: [UInt8] = []
        FrameEncoder.appendFrame(
            opcode: .text, payload: payload, maskingKey: MaskingKey(0x37, 0xFA, 0x21, 0x3D),
            to: &output)
        #expect(output == Wire.frame(0x1, payload))
    }

    @Test func headerCarriesFinAndCompressionBits() {
        var output: [UInt8] = []
        FrameEncoder.appendFrame(
            opcode: .text, isFinal: false, isCompressed: true, payload: [0x00], maskingKey: nil,
            to: &output)
        #expect(output == [0x41, 0x01, 0x00])
    }

    @Test(arguments: [(0, 2), (125, 2), (126, 4), (65_535, 4), (65_536, 10)])
    func encodedHeaderLengthFollowsThePayloadLength(_ length: Int, _ expected: Int) {
        #expect(FrameHeader.encodedLength(payloadLength: length, isMasked: false) == expected)
        #expect(FrameHeader.encodedLength(payloadLength: length, isMasked: true) == expected + 4)
    }
}
