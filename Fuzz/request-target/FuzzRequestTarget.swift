/// libFuzzer target: the long-poll request-target and query parser (`RequestTarget`),
/// compiled with `Support/ASCII.swift` into a module of its own.
///
/// Input: the request target as libmicrohttpd hands it over, which the server reads with
/// `String(cString:)`: bytes up to the first NUL, invalid UTF-8 repaired. Beyond "no crash",
/// a parsed target must have a path starting with `/` (or be `*`) that holds no `?` or `#`,
/// at most `maxQueryParameters` parameters, and every decoded name and value must come back
/// unchanged when percent-encoded and parsed again.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequestTarget(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = FuzzInput(data, size)
    let raw = String(decoding: input.rest.prefix { $0 != 0 }, as: UTF8.self)
    guard let target = try? RequestTarget(parsing: raw) else { return 0 }

    fuzzCheck(target.path.first == "/" || target.path == "*", "path does not start with /")
    fuzzCheck(!target.path.contains("?") && !target.path.contains("#"), "path keeps ? or #")
    fuzzCheck(target.query.count <= RequestTarget.maxQueryParameters, "too many parameters")

    var encoded = "/?"
    for (name, value) in target.query {
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
