#!/bin/sh
# Builds and runs the whole test suite under AddressSanitizer and ThreadSanitizer, each in its
# own scratch folder so the normal debug build is left alone.
#
#   scripts/sanitizers.sh                 address, then thread
#   scripts/sanitizers.sh thread          only ThreadSanitizer
#   scripts/sanitizers.sh address --filter HostileClientTests
#                                         extra arguments go to `swift test`
#
# Environment:
#   SANITIZER_BUILD_ROOT  parent of the scratch folders (default .build: .build/asan, .build/tsan)
#
# Any sanitizer report fails the run: ASan stops at its first finding, TSan reports every race
# and then exits non-zero, and LeakSanitizer checks for leaks at exit. Reports come with the
# stacks involved; the log of each phase is kept in the scratch folder.
# Times for each phase are printed, because CI has 2 cores and its budget is counted.
set -eu

cd "$(dirname "$0")/.."
root=${SANITIZER_BUILD_ROOT:-.build}
swift=${SWIFT:-swift}

sanitizers=""
while [ $# -gt 0 ]; do
    case "$1" in
        address|thread) sanitizers="$sanitizers $1"; shift ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) break ;;
    esac
done
sanitizers=${sanitizers:-address thread}

run_phase() {
    label=$1
    log=$2
    shift 2
    started=$(date +%s)
    if "$@" >"$log" 2>&1; then
        status=0
    else
        status=$?
    fi
    echo "  $label: $(( $(date +%s) - started )) s (exit $status, log $log)"
    if [ "$status" -ne 0 ]; then
        grep -E 'Sanitizer|error:|recorded an issue|^✘ Test .* (failed|passed) after' "$log" | head -n 60 >&2 || true
    fi
    return "$status"
}

failed=""
for sanitizer in $sanitizers; do
    case "$sanitizer" in
        address) scratch="$root/asan" ;;
        thread) scratch="$root/tsan" ;;
    esac
    mkdir -p "$scratch"
    # XCTest's own runner leaks a few objects when it exits (seen with 6.3.1 even with no
    # XCTest tests); nothing of ours is suppressed.
    printf 'leak:libXCTest.so\n' >"$scratch/lsan-suppressions.txt"

    echo "$sanitizer sanitizer"
    if ! run_phase build "$scratch/build.log" \
        "$swift" build --build-tests --sanitize="$sanitizer" --scratch-path "$scratch"; then
        failed="$failed $sanitizer-build"
        continue
    fi
    # Under ThreadSanitizer the tests run one at a time. TSan slows every thread several times
    # over, and with ~470 tests in parallel on 2 cores each test's timing depends on the
    # others: CI failed twice in that mode and never on a race (a gauge read before the loop
    # had lowered it; 256 of 1,000 connections closed unanswered, cause not found and not
    # seen here in 18 parallel runs). Races are still found: every server under test runs its
    # own threads concurrently. The suite takes about 2 min this way instead of 75 s; the
    # normal run and the AddressSanitizer run keep the tests in parallel.
    serial=""
    [ "$sanitizer" = thread ] && serial="--no-parallel"
    # shellcheck disable=SC2086
    if ! ASAN_OPTIONS="detect_leaks=1:${ASAN_OPTIONS:-}" \
        LSAN_OPTIONS="suppressions=$scratch/lsan-suppressions.txt:${LSAN_OPTIONS:-}" \
        TSAN_OPTIONS="second_deadlock_stack=1:${TSAN_OPTIONS:-}" \
        run_phase test "$scratch/test.log" \
        "$swift" test --skip-build --sanitize="$sanitizer" --scratch-path "$scratch" $serial "$@"; then
        failed="$failed $sanitizer-test"
    fi
done

if [ -n "$failed" ]; then
    echo "sanitizer runs failed:$failed" >&2
    exit 1
fi
