import Testing

@testable import switchboard_bench

@Suite struct HTTPResponseParserTests {
    /// Feeds `text` in pieces of `step` bytes and collects every complete response.
    private func parse(_ text: String, step: Int) -> (responses: [HTTPResponse], malformed: Bool) {
        var parser = HTTPResponseParser()
        var responses: [HTTPResponse] = []
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + step)
            bytes[offset..<end].withUnsafeBytes { parser.feed($0) }
            offset = end
            drain: while true {
                switch parser.next() {
                case .response(let response): responses.append(response)
                case .needMore: break drain
                case .malformed: return (responses, true)
                }
            }
        }
        return (responses, false)
    }

    private static let pipelined =
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nEtag: 7\r\n\r\nhello"
        + "HTTP/1.1 204 No Content\r\n\r\n"
        + "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "3;x=y\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
        + "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nConnection: close\r\n\r\n"

    @Test(arguments: [1, 2, 7, 64, 10_000])
    func parsesPipelinedResponsesInAnyChunking(step: Int) {
        let (responses, malformed) = self.parse(Self.pipelined, step: step)
        #expect(!malformed)
        #expect(responses.map(\.status) == [200, 204, 200, 404])
        #expect(
            responses.map { String(decoding: $0.body, as: UTF8.self) } == [
                "hello", "", "abcde", "",
            ])
        #expect(responses.first?.header("etag") == "7")
        #expect(responses.last?.closesConnection == true)
        #expect(responses.first?.closesConnection == false)
    }

    @Test(arguments: [
        "HTTP/1.1 200 OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffff\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n",
        "SSH-2.0-OpenSSH\r\n\r\n",
    ])
    func refusesWhatItCannotDelimit(text: String) {
        #expect(self.parse(text, step: 1_000).malformed)
    }
}
