#!/bin/sh
# Builds every libFuzzer target under Fuzz/ with swiftc (-sanitize=fuzzer,address) and runs
# each for a bounded time, starting from the committed seed corpus in Fuzz/corpus/<target>/.
#
#   scripts/fuzz.sh                    build and run every target for FUZZ_SECONDS each
#   scripts/fuzz.sh jwt envelope       only these targets
#   scripts/fuzz.sh --build-only       build, do not run
#   scripts/fuzz.sh --list             print the target names
#
# Environment:
#   FUZZ_SECONDS    seconds per target (default 30; use 600 or more for a real session)
#   FUZZ_BUILD_DIR  where binaries, the growing corpus and crash files go (.build/fuzz)
#   FUZZ_ARGS       extra libFuzzer flags, for example "-jobs=2 -workers=2"
#
# A target is compiled as one module together with the sources it exercises, so the harness
# can check internal invariants; no SwiftPM product is involved. New inputs the fuzzer finds
# go to $FUZZ_BUILD_DIR/corpus/<target>/, never into the committed seeds. A crash leaves its
# input in $FUZZ_BUILD_DIR/artifacts/<target>/ and makes the script exit 1 after all targets
# ran; replay one with `$FUZZ_BUILD_DIR/<target> <crash-file>`.
set -eu

cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-30}
build_dir=${FUZZ_BUILD_DIR:-.build/fuzz}
extra_args=${FUZZ_ARGS:-}
swiftc=${SWIFTC:-swiftc}

all_targets="websocket-frames websocket-handshake envelope jwt request-target static-path"

# Prints "module-name|source files|libFuzzer -max_len" for a target.
target_spec() {
    ws="Sources/WebSocketCore/*.swift"
    router="Sources/ChatRouter/*.swift"
    http="Sources/SwitchboardServer/Support/ASCII.swift"
    target_source="Sources/SwitchboardServer/HTTP/RequestTarget.swift"
    static_source="Sources/SwitchboardServer/Static/StaticPath.swift"
    case "$1" in
        websocket-frames) echo "WebSocketCore|$ws|16384" ;;
        websocket-handshake) echo "WebSocketCore|$ws|4096" ;;
        envelope) echo "ChatRouter|$router|8192" ;;
        jwt) echo "ChatRouter|$router|6144" ;;
        request-target) echo "SwitchboardServer|$target_source $http|4096" ;;
        static-path) echo "SwitchboardServer|$static_source $target_source $http|4096" ;;
        *) return 1 ;;
    esac
}

build_target() {
    name=$1
    spec=$(target_spec "$name") || { echo "unknown fuzz target: $name" >&2; exit 2; }
    module=${spec%%|*}
    rest=${spec#*|}
    sources=${rest%|*}
    binary="$build_dir/$name"
    # shellcheck disable=SC2086  # the source lists are globs on purpose
    if [ -x "$binary" ] && [ -z "$(find $sources Fuzz/Shared "Fuzz/$name" -newer "$binary" \
        -name '*.swift' 2>/dev/null | head -n 1)" ]; then
        return 0
    fi
    echo "building $name"
    # shellcheck disable=SC2086
    if ! "$swiftc" -sanitize=fuzzer,address -parse-as-library -O -g -use-ld=lld \
        -module-name "$module" -I Sources/CGnuTLS -I Sources/CZlib \
        $(pkg-config --cflags-only-I gnutls | sed 's/-I/-Xcc -I/g') \
        $sources Fuzz/Shared/*.swift "Fuzz/$name"/*.swift \
        -lgnutls -lz -o "$binary" >"$build_dir/$name.build.log" 2>&1; then
        cat "$build_dir/$name.build.log" >&2
        echo "build of $name failed" >&2
        exit 1
    fi
}

run_target() {
    name=$1
    spec=$(target_spec "$name")
    max_len=${spec##*|}
    corpus="$build_dir/corpus/$name"
    artifacts="$build_dir/artifacts/$name"
    log="$build_dir/$name.log"
    mkdir -p "$corpus" "$artifacts"
    dictionary=""
    if [ -f "Fuzz/$name/$name.dict" ]; then dictionary="-dict=Fuzz/$name/$name.dict"; fi

    echo "fuzzing $name for ${seconds}s"
    # shellcheck disable=SC2086
    # Swift's own crash backtracer would run inside the ASan process and add noise to the
    # report; libFuzzer prints the stack itself.
    if SWIFT_BACKTRACE=enable=no "$build_dir/$name" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/" \
        $dictionary $extra_args "$corpus" "Fuzz/corpus/$name" >"$log" 2>&1; then
        runs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 runs in \2 s/p' "$log")
        echo "  ok: ${runs:-see $log}, corpus $(ls "$corpus" | wc -l) files"
    else
        tail -n 40 "$log" >&2
        echo "  CRASH in $name: input saved under $artifacts/, full log $log" >&2
        failed="$failed $name"
    fi
}

build_only=false
targets=""
for argument in "$@"; do
    case "$argument" in
        --build-only) build_only=true ;;
        --list) echo "$all_targets" | tr ' ' '\n'; exit 0 ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) targets="$targets $argument" ;;
    esac
done
targets=${targets:-$all_targets}

mkdir -p "$build_dir"
failed=""
for name in $targets; do build_target "$name"; done
if [ "$build_only" = true ]; then exit 0; fi
for name in $targets; do run_target "$name"; done

if [ -n "$failed" ]; then
    echo "fuzzing found crashes in:$failed" >&2
    exit 1
fi
