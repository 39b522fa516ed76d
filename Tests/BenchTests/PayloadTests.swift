import Testing

@testable import switchboard_bench

@Suite struct PayloadTests {
    @Test(arguments: [32, 33, 64, 1_000])
    func roundTripsAtEverySize(size: Int) {
        let payload = Payload(sentAt: 0xABC_DEF0_1234, sender: 4_000_000_000, sequence: 77)
        var bytes: [UInt8] = []
        payload.append(to: &bytes, totalBytes: size)
        #expect(bytes.count == size)
        let parsed = bytes.withUnsafeBytes { Payload.parse($0) }
        #expect(parsed == payload)
    }

    @Test func requestedSizesBelowTheMinimumStillCarryEveryField() {
        var bytes: [UInt8] = []
        Payload(sentAt: 1, sender: 2, sequence: 3).append(to: &bytes, totalBytes: 5)
        #expect(bytes.count == Payload.minimumBytes)
    }

    @Test func fieldsAreKeptToTheirWidth() {
        var bytes: [UInt8] = []
        Payload(sentAt: .max, sender: 1, sequence: .max).append(to: &bytes, totalBytes: 32)
        let parsed = bytes.withUnsafeBytes { Payload.parse($0) }
        #expect(parsed?.sentAt == (1 << 48) - 1)
        #expect(parsed?.sequence == (1 << 48) - 1)
    }

    @Test(arguments: [
        "", "short", "0123456789abcdef0123456789abcdeX", "0123456789ABCDEF0123456789abcdef",
    ])
    func foreignTextIsNotAPayload(text: String) {
        let bytes = Array(text.utf8)
        #expect(bytes.withUnsafeBytes { Payload.parse($0) } == nil)
    }

    @Test func latencyIsMeasuredFromTheRunsEpoch() {
        let payload = Payload(sentAt: 1_000, sender: 0, sequence: 1)
        #expect(payload.latency(epoch: 5_000, now: 9_000) == 3_000)
        #expect(payload.latency(epoch: 5_000, now: 5_999) == nil)
    }

    @Test func theTextIsPlainJSONStringContent() {
        var bytes: [UInt8] = []
        Payload(sentAt: 123, sender: 9, sequence: 10).append(to: &bytes, totalBytes: 40)
        #expect(bytes.allSatisfy { $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") })
    }
}
