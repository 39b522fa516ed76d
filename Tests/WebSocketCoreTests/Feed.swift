import Testing

@testable import WebSocketCore

/// Everything a connection did after being fed some input.
struct Outcome: Equatable, CustomStringConvertible {
    var events: [WebSocketEvent]
    var output: [UInt8]
    var state: WebSocketConnection.State
    var closeCode: CloseCode?

    var description: String {
        let summary = self.events.map { event -> String in
            switch event {
            case .text(let bytes): return "text(\(bytes.count))"
            case .binary(let bytes): return "binary(\(bytes.count))"
            default: return "\(event)"
            }
        }
        return "events \(summary), \(self.output.count) output bytes, \(self.state)"
    }
}

enum Feed {
    /// Feeds `chunks` in order to a fresh connection and records what it did.
    static func run(
        _ chunks: [[UInt8]], endOfStream: Bool = false, _ make: () -> WebSocketConnection
    ) -> Outcome {
        let connection = make()
        var events: [WebSocketEvent] = []
        for chunk in chunks {
            connection.receive(chunk, into: &events)
        }
        if endOfStream {
            connection.receiveEndOfStream(into: &events)
        }
        return Outcome(
            events: events, output: connection.takeOutput(), state: connection.state,
            closeCode: connection.closeCode)
    }

    /// Feeds `input` whole, one byte at a time, and split in two at every offset (at a spread
    /// of offsets for long inputs), expects the same outcome from each, and returns it.
    static func everyChunking(
        _ input: [UInt8], endOfStream: Bool = false,
        sourceLocation: SourceLocation = #_sourceLocation, _ make: () -> WebSocketConnection
    ) -> Outcome {
        let whole = self.run([input], endOfStream: endOfStream, make)
        for chunks in self.chunkings(of: input) {
            let outcome = self.run(chunks, endOfStream: endOfStream, make)
            if outcome != whole {
                Issue.record(
                    "chunks \(chunks.map(\.count).prefix(8)): \(outcome) != \(whole)",
                    sourceLocation: sourceLocation)
                break
            }
        }
        return whole
    }

    static func chunkings(of input: [UInt8]) -> [[[UInt8]]] {
        var result: [[[UInt8]]] = []
        if input.count <= 300_000 {
            result.append(input.map { [$0] })
        } else {
            result.append(self.pieces(of: input, size: 997))
        }
        result.append(self.pieces(of: input, size: 65_536))
        for split in self.splitOffsets(count: input.count) {
            result.append([Array(input[..<split]), Array(input[split...])])
        }
        return result
    }

    private static func pieces(of input: [UInt8], size: Int) -> [[UInt8]] {
        stride(from: 0, to: input.count, by: size).map {
            Array(input[$0..<min($0 + size, input.count)])
        }
    }

    private static func splitOffsets(count: Int) -> [Int] {
        guard count > 2_048 else { return Array(0...count) }
        // Every offset inside the first header, the end, and a spread through the payload;
        // multi-MiB inputs, which each split copies whole, get fewer.
        let isHuge = count > 300_000
        let edges = Array(0...(isHuge ? 14 : 20)) + Array((count - (isHuge ? 2 : 20))...count)
        let spread = stride(from: 0, to: count, by: count / (isHuge ? 6 : 100)).map { $0 }
        return Array(Set(edges + spread)).sorted()
    }
}

extension WebSocketConnection {
    static func server(
        maxMessageBytes: Int = 1 << 20, acceptsBinary: Bool = true,
        deflate: PerMessageDeflateParameters? = nil
    ) -> WebSocketConnection {
        WebSocketConnection(
            role: .server,
            configuration: WebSocketConfiguration(
                maxMessageBytes: maxMessageBytes, acceptsBinaryMessages: acceptsBinary),
            deflate: deflate)
    }

    static func client(
        seed: UInt64 = 7, deflate: PerMessageDeflateParameters? = nil
    )
        -> WebSocketConnection
    {
        WebSocketConnection(
            role: .client, deflate: deflate, maskingKeyGenerator: SeededGenerator(seed: seed))
    }
}
