import Testing

@testable import switchboard_bench

@Suite struct FrameScannerTests {
    private let delivery = Array(
        #"{"type":"send","error":false,"code":0,"msg":"hi \"there\"","uid":"a","mid":12,"ts":5}"#
            .utf8)

    @Test func readsTheFieldsOfADelivery() {
        delivery.withUnsafeBytes { frame in
            #expect(FrameScanner.string("type", in: frame, is: "send"))
            #expect(!FrameScanner.string("type", in: frame, is: "bind"))
            #expect(FrameScanner.boolValue("error", in: frame) == false)
            #expect(FrameScanner.integerValue("mid", in: frame) == 12)
            let message = FrameScanner.stringValue("msg", in: frame).map { Array($0) }
            #expect(message == Array(#"hi \"there\""#.utf8))
        }
    }

    @Test func absentOrMistypedFieldsAreNil() {
        delivery.withUnsafeBytes { frame in
            #expect(FrameScanner.stringValue("sid", in: frame) == nil)
            #expect(FrameScanner.boolValue("code", in: frame) == nil)
            #expect(FrameScanner.integerValue("type", in: frame) == nil)
        }
    }

    @Test func anUnterminatedStringIsNil() {
        Array(#"{"msg":"no end"#.utf8).withUnsafeBytes { frame in
            #expect(FrameScanner.stringValue("msg", in: frame) == nil)
        }
    }

    @Test func anOverflowingIntegerIsNilNotATrap() {
        Array(#"{"last":99999999999999999999999}"#.utf8).withUnsafeBytes { frame in
            #expect(FrameScanner.integerValue("last", in: frame) == nil)
        }
    }

    @Test func walksTheEventsOfALongPollAnswerSkippingBracesInStrings() {
        let events = #"{"type":"send","msg":"{not}an]object","seq":1},{"type":"join","seq":2}"#
        let body = Array(#"{"events":[\#(events)],"last":2}"#.utf8)
        var types: [String] = []
        let complete = body.withUnsafeBytes { document in
            FrameScanner.forEachObject(inArray: "events", of: document) { event in
                let type = FrameScanner.stringValue("type", in: event).map {
                    String(decoding: $0, as: UTF8.self)
                }
                types.append(type ?? "?")
            }
        }
        #expect(complete)
        #expect(types == ["send", "join"])
        #expect(body.withUnsafeBytes { FrameScanner.integerValue("last", in: $0) } == 2)
    }

    @Test func aCutShortEventsArrayIsReportedIncomplete() {
        let body = Array(#"{"events":[{"type":"send"}"#.utf8)
        var count = 0
        let complete = body.withUnsafeBytes { document in
            FrameScanner.forEachObject(inArray: "events", of: document) { _ in count += 1 }
        }
        #expect(!complete)
        #expect(count == 1)
    }

    @Test func countsErrorsInABatchReply() {
        let body = Array(#"[{"error":true},{"error":false},{"error":true}]"#.utf8)
        #expect(
            body.withUnsafeBytes { FrameScanner.occurrences(of: #""error":true"#, in: $0) } == 2)
    }
}
