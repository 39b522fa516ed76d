/// libFuzzer target: the long-poll request-target and query parser (`RequestTarget`),
/// compiled with `Support/ASCII.swift` into a module of its own.
///
/// Input: the request target as libmicrohttpd hands it over, which the server reads with
/// `String(cString:)`: bytes up to the first NUL, invalid UTF-8 repaired. Beyond "no crash",
/// a parsed target must have a path starting with `/` (or be `*`) that holds no `?` or `#` byte,
/// no decoded name or value may hold a `&` that was not percent-encoded,
/// at most `maxQueryParameters` parameters, and every decoded name and value must come back
/// unchanged when percent-encoded and parsed again.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequestTarget(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = FuzzInput(data, size)
    let raw = String(decoding: input.rest.prefix { $0 != 0 }, as: UTF8.self)
    guard let target = try? RequestTarget(parsing: raw) else { return 0 }

    fuzzCheck(
        target.path.utf8.first == UInt8(ascii: "/") || target.path == "*",
        "path does not start with a / byte")
    // Bytes, not Characters: a combining mark after `?` must not hide the delimiter.
    let delimiterInPath = target.path.utf8.contains {
        $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#")
    }
    fuzzCheck(!delimiterInPath, "path keeps a ? or # byte: \(raw.debugDescription)")
    fuzzCheck(target.query.count <= RequestTarget.maxQueryParameters, "too many parameters")

    var encoded = "/?"
    for (name, value) in target.query {
        let joined = (name + value).utf8
        // Only `%26` may put a `&` into a decoded name or value.
        fuzzCheck(
            !joined.contains(UInt8(ascii: "&")) || raw.utf8.contains(UInt8(ascii: "%")),
            "a raw & did not separate parameters: \(raw.debugDescription)")
        encoded += percentEncoded(name) + "=" + percentEncoded(value) + "&"
    }
    let again = try? RequestTarget(parsing: encoded)
    fuzzCheck(again?.path == "/", "re-encoded target has another path")
    fuzzCheck(
        again.map { $0.query.elementsEqual(target.query) { $0 == $1 } } == true,
        "query does not survive percent-encoding")
    if let first = target.query.first {
        fuzzCheck(target.queryValue(first.name) == first.value, "queryValue misses the first")
    }
    return 0
}
