import Foundation
import Testing

@testable import ChatRouter

/// Seeded random and mutation inputs: nothing may trap, and every verdict must agree with
/// Foundation's parser except where it is documented to be laxer than RFC 8259.
@Suite struct EnvelopeFuzzTests {
    static let seedDocuments: [String] = [
        #"{"type":"send","uid":"u1","touid":"u2","msg":"hello","id":"7"}"#,
        #"{"type":"bind","uid":"al\u00e9","token":"a.b.c","since":42}"#,
        #"{"type":"join","touid":"b","x":{"y":[1,-2.5,true,false,null,"z"]}}"#,
        #"[{"type":"exit","touid":"b"},{"type":"send","touid":"c","msg":"\ud83d\ude00\n"}]"#,
        #" { "msg" : "a\"b\\c\/" , "type" : "send" , "touid" : "é😀" } "#,
        #"{"type":"send","touid":"b","msg":"plain ascii text that is long enough for words"}"#,
    ]

    static let interestingBytes: [UInt8] =
        Array("{}[]\"\\:,0123456789-+.eEtfnu a\n\t".utf8)
        + [0x00, 0x1F, 0x7F, 0x80, 0xBF, 0xC2, 0xE0, 0xED, 0xF0, 0xF4, 0xFF]

    @Test func randomBytesNeverTrap() {
        var generator = SeededGenerator(seed: 0xF022_0001)
        for _ in 0..<20_000 {
            let length = Int.random(in: 0...48, using: &generator)
            let bytes = (0..<length).map { _ -> UInt8 in
                Bool.random(using: &generator)
                    ? Self.interestingBytes.randomElement(using: &generator)!
                    : UInt8.random(in: 0...255, using: &generator)
            }
            self.exerciseEveryEntryPoint(bytes)
        }
    }

    @Test func mutatedDocumentsNeverTrapAndAgreeWithFoundation() throws {
        var generator = SeededGenerator(seed: 0xF022_0002)
        var accepted = 0
        for round in 0..<20_000 {
            let seed = Self.seedDocuments[round % Self.seedDocuments.count]
            var bytes = Array(seed.utf8)
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                self.mutate(&bytes, using: &generator)
            }
            self.exerciseEveryEntryPoint(bytes)

            let ours = JSONTestSupport.syntaxError(bytes, maxDepth: JSONReader.depthCeiling)
            let oracle = JSONTestSupport.oracleAccepts(bytes)
            let text = String(decoding: bytes, as: UTF8.self)
            if ours == nil {
                accepted += 1
                // Foundation refuses numbers that overflow a Double; the RFC grammar does not.
                let hugeExponent = text.contains(/[0-9][eE][+-]?[0-9]{3,}/)
                #expect(oracle || hugeExponent, "we accept, Foundation refuses: \(bytes)")
                try self.compareEnvelopeWithFoundation(bytes)
            } else if oracle {
                // Foundation tolerates trailing commas; RFC 8259 does not.
                let trailingComma = text.contains(/,[ \t\r\n]*[\]}]/)
                #expect(ours == .unexpectedCharacter && trailingComma, "\(ours!): \(bytes)")
            }
        }
        #expect(accepted > 1_000, "mutations should leave a fair share of valid documents")
    }

    private func exerciseEveryEntryPoint(_ bytes: [UInt8]) {
        _ = JSONTestSupport.syntaxError(bytes)
        let single = EnvelopeTestSupport.decode(bytes)
        if case .failure(let rejection) = single {
            #expect(!ServerFrame(rejected: rejection).jsonBytes.isEmpty)
        }
        _ = PollRequestBody.decode(bytes)
        _ = PollRequestBody.decode(bytes[...])
        let padded = [0x7B] + bytes
        _ = try? ClientEnvelope.decode(padded[1...])
    }

    /// When our decoder accepts an envelope, Foundation must read the same field values.
    private func compareEnvelopeWithFoundation(_ bytes: [UInt8]) throws {
        guard case .success(let envelope) = EnvelopeTestSupport.decode(bytes) else { return }
        let object = try #require(JSONTestSupport.oracleValue(bytes) as? [String: Any])
        #expect(object["type"] as? String == envelope.type.rawValue)
        let strings: [(String, String?)] = [
            ("uid", envelope.uid), ("touid", envelope.touid), ("msg", envelope.msg),
            ("id", envelope.id), ("token", envelope.token),
        ]
        for (key, value) in strings {
            #expect(object[key] as? String == value, "\(key) in \(bytes)")
        }
        #expect((object["since"] as? NSNumber)?.uint64Value == envelope.since)
    }

    private func mutate(_ bytes: inout [UInt8], using generator: inout SeededGenerator) {
        let position = Int.random(in: 0...bytes.count, using: &generator)
        let byte =
            Bool.random(using: &generator)
            ? Self.interestingBytes.randomElement(using: &generator)!
            : UInt8.random(in: 0...255, using: &generator)
        switch Int.random(in: 0..<5, using: &generator) {
        case 0 where position < bytes.count:
            bytes[position] = byte
        case 1:
            bytes.insert(byte, at: position)
        case 2 where position < bytes.count:
            bytes.remove(at: position)
        case 3:
            bytes.removeSubrange(position...)
        default:
            let end = min(bytes.count, position + Int.random(in: 1...8, using: &generator))
            bytes.insert(contentsOf: bytes[position..<end], at: position)
        }
    }
}
