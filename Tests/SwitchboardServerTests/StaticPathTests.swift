import Testing

@testable import SwitchboardServer

@Suite struct StaticPathTests {
    @Test(arguments: [
        ("/", [String](), true),
        ("/index.html", ["index.html"], false),
        ("/css/app.css", ["css", "app.css"], false),
        ("//double//slash.js", ["double", "slash.js"], false),
        ("/./here/./file.txt", ["here", "file.txt"], false),
        ("/with%20space.txt", ["with space.txt"], false),
        ("/%C3%A9t%C3%A9.txt", ["été.txt"], false),
        ("/docs/", ["docs"], true),
    ])
    func decodesOrdinaryPaths(raw: String, segments: [String], namesDirectory: Bool) throws {
        let path = try StaticPath(decoding: raw)
        #expect(path.segments == segments)
        #expect(path.namesDirectory == namesDirectory)
    }

    @Test(arguments: [
        ("/../etc/passwd", StaticPathError.parentSegment),
        ("/a/../../etc/passwd", .parentSegment),
        ("/..", .parentSegment),
        ("/%2e%2e/etc/passwd", .parentSegment),
        ("/%2E%2E/%2e%2E/etc/passwd", .parentSegment),
        ("/.%2e/secret", .parentSegment),
        ("/%2e./secret", .parentSegment),
        ("/a%2f..%2f..%2fetc%2fpasswd", .encodedSeparator),
        ("/a%2F..%2Fsecret", .encodedSeparator),
        ("/..%5c..%5cwindows", .encodedSeparator),
        ("/a\\..\\secret", .backslash),
        ("/index.html%00.png", .nulByte),
        ("/index.html\u{0}.png", .nulByte),
        ("/%", .malformedPercentEncoding),
        ("/%4", .malformedPercentEncoding),
        ("/%zz", .malformedPercentEncoding),
        ("/%ff%fe", .invalidUTF8),
        ("/%c0%ae%c0%ae/etc/passwd", .invalidUTF8),
        ("/.git/config", .hiddenSegment),
        ("/.env", .hiddenSegment),
        ("/assets/.htaccess", .hiddenSegment),
        ("index.html", .notAbsolute),
        ("", .notAbsolute),
    ])
    func refusesEveryEscapeAttempt(raw: String, expected: StaticPathError) {
        #expect(throws: expected) { try StaticPath(decoding: raw) }
    }

    @Test func hiddenFilesLookMissingWhileMalformedPathsAreBadRequests() {
        #expect(StaticPathError.hiddenSegment.httpStatus == 404)
        #expect(StaticPathError.parentSegment.httpStatus == 400)
        #expect(StaticPathError.encodedSeparator.httpStatus == 400)
    }
}

@Suite struct MIMETypeTests {
    @Test(arguments: [
        ("index.html", "text/html; charset=utf-8"),
        ("app.js", "text/javascript; charset=utf-8"),
        ("module.mjs", "text/javascript; charset=utf-8"),
        ("style.css", "text/css; charset=utf-8"),
        ("logo.svg", "image/svg+xml"),
        ("logo.PNG", "image/png"),
        ("favicon.ico", "image/x-icon"),
        ("data.json", "application/json"),
        ("font.woff2", "font/woff2"),
        ("notes.txt", "text/plain; charset=utf-8"),
        ("archive.tar.gz", "application/octet-stream"),
        ("Makefile", "application/octet-stream"),
        (".hidden", "application/octet-stream"),
    ])
    func picksTypeByExtension(name: String, type: String) {
        #expect(MIMEType.forFileName(name) == type)
    }
}

@Suite struct ConditionalRequestTests {
    let validators = FileValidators(
        size: 56, modifiedSeconds: 1_700_000_000, modifiedNanoseconds: 5)

    @Test func matchingEntityTagIsNotModified() {
        #expect(
            self.validators.isNotModified(
                ifNoneMatch: self.validators.entityTag, ifModifiedSince: nil))
        #expect(
            self.validators.isNotModified(
                ifNoneMatch: "W/" + self.validators.entityTag, ifModifiedSince: nil))
        #expect(
            self.validators.isNotModified(
                ifNoneMatch: "\"x\", \(self.validators.entityTag)", ifModifiedSince: nil))
        #expect(self.validators.isNotModified(ifNoneMatch: "*", ifModifiedSince: nil))
    }

    @Test func otherEntityTagIsModifiedEvenWithRecentDate() {
        let future = HTTPDate.format(secondsSinceEpoch: 1_800_000_000)
        #expect(!self.validators.isNotModified(ifNoneMatch: "\"other\"", ifModifiedSince: future))
    }

    @Test func modifiedSinceComparesWholeSeconds() {
        let same = HTTPDate.format(secondsSinceEpoch: 1_700_000_000)
        let earlier = HTTPDate.format(secondsSinceEpoch: 1_699_999_999)
        #expect(self.validators.isNotModified(ifNoneMatch: nil, ifModifiedSince: same))
        #expect(!self.validators.isNotModified(ifNoneMatch: nil, ifModifiedSince: earlier))
        #expect(!self.validators.isNotModified(ifNoneMatch: nil, ifModifiedSince: "yesterday"))
        #expect(!self.validators.isNotModified(ifNoneMatch: nil, ifModifiedSince: nil))
    }

    @Test func sizeOrTimeChangesTheTag() {
        let resized = FileValidators(
            size: 57, modifiedSeconds: 1_700_000_000, modifiedNanoseconds: 5)
        let touched = FileValidators(
            size: 56, modifiedSeconds: 1_700_000_000, modifiedNanoseconds: 6)
        #expect(resized.entityTag != self.validators.entityTag)
        #expect(touched.entityTag != self.validators.entityTag)
    }
}

@Suite struct HTTPDateTests {
    @Test func formatsIMFFixdate() {
        #expect(HTTPDate.format(secondsSinceEpoch: 784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.format(secondsSinceEpoch: 0) == "Thu, 01 Jan 1970 00:00:00 GMT")
    }

    @Test(arguments: [
        "Sun, 06 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
    ])
    func parsesAllThreeForms(text: String) {
        #expect(HTTPDate.parse(text) == 784_111_777)
    }

    @Test(arguments: [
        "", "Sun, 06 Nov 1994", "Sun, 32 Nov 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 25:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 PST", "garbage",
    ])
    func rejectsMalformedDates(text: String) {
        #expect(HTTPDate.parse(text) == nil)
    }

    @Test func roundTripsLeapDay() {
        let leapDay = 951_782_400  // 2000-02-29
        #expect(HTTPDate.parse(HTTPDate.format(secondsSinceEpoch: leapDay)) == leapDay)
    }
}

@Suite struct RequestTargetTests {
    @Test func splitsPathAndDecodesQuery() throws {
        let target = try RequestTarget(parsing: "/v1/poll?sid=ab%2Bc&ack=5&note=a+b&flag#frag")
        #expect(target.path == "/v1/poll")
        #expect(target.queryValue("sid") == "ab+c")
        #expect(target.queryValue("ack") == "5")
        #expect(target.queryValue("note") == "a b")
        #expect(target.queryValue("flag") == "")
        #expect(target.queryValue("missing") == nil)
    }

    @Test func acceptsAbsoluteForm() throws {
        #expect(try RequestTarget(parsing: "http://example.com/a?b=1").path == "/a")
        #expect(try RequestTarget(parsing: "HTTPS://example.com").path == "/")
        #expect(try RequestTarget(parsing: "http://example.com?x=1").queryValue("x") == "1")
    }

    @Test func keepsPathEncoded() throws {
        #expect(try RequestTarget(parsing: "/a%2Fb").path == "/a%2Fb")
    }

    @Test(arguments: [
        ("/x?a=%", RequestTargetError.malformedPercentEncoding),
        ("/x?a=%G1", .malformedPercentEncoding),
        ("/x?a=%ff", .invalidUTF8),
        ("ftp://host/x", .unsupportedForm),
        ("x", .unsupportedForm),
        ("/x?" + Array(repeating: "a=1", count: 33).joined(separator: "&"), .tooManyParameters),
    ])
    func rejectsMalformedTargets(raw: String, expected: RequestTargetError) {
        #expect(throws: expected) { try RequestTarget(parsing: raw) }
    }
}
