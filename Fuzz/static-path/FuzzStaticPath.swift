/// libFuzzer target: the static-file path resolver (`StaticPath`), on its own and behind
/// `RequestTarget` as the server runs it, compiled with `Support/ASCII.swift` into a module of
/// its own.
///
/// Input: the request target as libmicrohttpd hands it over (bytes up to the first NUL,
/// invalid UTF-8 repaired, as `String(cString:)` does). Beyond "no crash", an accepted path
/// must name something inside the public folder: no segment empty, `.`, `..`, hidden, or
/// holding `/`, `\` or NUL; and resolving the percent-encoded result again must give the
/// same segments.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzStaticPath(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = FuzzInput(data, size)
    let raw = String(decoding: input.rest.prefix { $0 != 0 }, as: UTF8.self)

    if let path = try? StaticPath(decoding: raw) {
        check(path, requestPath: raw)
    }
    if let target = try? RequestTarget(parsing: raw),
        let path = try? StaticPath(decoding: target.path)
    {
        check(path, requestPath: target.path)
    }
    return 0
}

private func check(_ path: StaticPath, requestPath: String) {
    for segment in path.segments {
        let bytes = Array(segment.utf8)
        fuzzCheck(!bytes.isEmpty, "empty segment")
        fuzzCheck(bytes.first != UInt8(ascii: "."), "segment starts with a dot: \(segment)")
        let forbidden = bytes.contains {
            $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "\\") || $0 == 0
        }
        fuzzCheck(!forbidden, "segment holds a separator or NUL")
    }
    fuzzCheck(
        path.namesDirectory == (requestPath.utf8.last == UInt8(ascii: "/")),
        "directory flag is wrong")
    fuzzCheck(!path.relativePath.hasPrefix("/"), "relative path is absolute")

    let encoded = "/" + path.segments.map(percentEncoded).joined(separator: "/")
    let again = try? StaticPath(decoding: encoded)
    fuzzCheck(again?.segments == path.segments, "segments do not survive re-encoding")
}
