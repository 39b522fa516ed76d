# Switchboard's two set-up commands are `make run` and `make test`; the rest is detail.
# Everything a fresh Debian 12 machine with Swift, gcc and Python lacks is installed here.

SHELL := /bin/sh
SWIFT ?= swift
HOST ?= 127.0.0.1
PORT ?= 8080
ARGS ?=

# Needed to build and run the server.
RUNTIME_PACKAGES := pkg-config libmicrohttpd-dev libgnutls28-dev zlib1g-dev libsqlite3-dev
# Needed by the tests on top: a real browser and its driver, curl, openssl for test certificates.
TEST_PACKAGES := $(RUNTIME_PACKAGES) chromium chromium-driver curl openssl
# The peers the benchmarks compare against, and perf for profiles.
BENCH_PACKAGES := $(RUNTIME_PACKAGES) node-ws nginx libnginx-mod-nchan linux-perf

.PHONY: run test build deps test-deps swift-test python-test bench-smoke fuzz-smoke sanitizers \
	bench bench-deps fuzz clean

## Installs what is missing, builds a release binary and serves http://$(HOST):$(PORT).
run: deps
	$(SWIFT) build -c release --product switchboard
	.build/release/switchboard --host $(HOST) --port $(PORT) $(ARGS)

## Installs what the tests need, builds with warnings as errors, runs every test: the Swift
## suites, the integration suites, a benchmark smoke run, every fuzz target for a few seconds
## from its seed corpus, then the Swift suites again under AddressSanitizer and
## ThreadSanitizer.
test: test-deps swift-test python-test bench-smoke fuzz-smoke sanitizers

deps:
	@scripts/ensure-packages.sh $(RUNTIME_PACKAGES)

test-deps:
	@scripts/ensure-packages.sh $(TEST_PACKAGES)
	@scripts/python-env.sh

build: deps
	$(SWIFT) build --build-tests -Xswiftc -warnings-as-errors

swift-test: build
	$(SWIFT) test --skip-build

python-test: build
	scripts/integration-tests.sh

bench-smoke: build
	BENCH_CONFIGURATION=debug bench/run.sh --smoke

sanitizers: deps
	scripts/sanitizers.sh

fuzz-smoke: deps
	FUZZ_BUILD_DIR=.build/fuzz-smoke FUZZ_SECONDS=5 scripts/fuzz.sh

## The standard benchmark set against Switchboard and its peers (~30 min); writes
## bench/RESULTS.md.
bench: bench-deps
	bench/run.sh

bench-deps: deps
	@scripts/ensure-packages.sh $(BENCH_PACKAGES)
	@scripts/python-env.sh

## Every libFuzzer target for FUZZ_SECONDS (default 30) each.
fuzz: deps
	scripts/fuzz.sh

clean:
	rm -rf .build .venv
