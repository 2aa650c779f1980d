#!/usr/bin/env bash
# Fuzzes the webhook body reader (SwitchboardCore/Webhook) with libFuzzer and AddressSanitizer, starting from the
# Inkbox fixture. Usage: scripts/fuzz-body-reader.sh [SECONDS]   (default 90)
# The harness is the BodyReaderFuzz target of the Benchmarks package; it gets a build directory of its own
# (Benchmarks/.build-fuzz) because sanitized objects must not mix with the benchmarks' own builds.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# SWITCHBOARD_FUZZ: the Benchmarks manifest then declares only the harness (see Benchmarks/Package.swift).
# --sanitize fuzzer: SwiftPM links libFuzzer's driver and builds the harness without a `main` of its own.
# -Xswiftc -sanitize=fuzzer,address: the Swift driver keeps only the last -sanitize= it is given when it compiles, so
#   the two --sanitize flags alone would leave Swift code without coverage instrumentation.
# -Xswiftc -O: optimised Swift code (the debug configuration otherwise); -Xcc -fno-sanitize=fuzzer: no coverage
#   counters in the C dependencies (libyaml, BoringSSL), which the body reader never calls.
build=(swift build --package-path Benchmarks --scratch-path Benchmarks/.build-fuzz
    --sanitize fuzzer --sanitize address
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -O -Xcc -fno-sanitize=fuzzer)
export SWITCHBOARD_FUZZ=1
if ! "${build[@]}" --product BodyReaderFuzz > "$work/build.log" 2>&1; then
    grep -v "Cannot export local symbol" "$work/build.log" >&2
    exit 1
fi
fuzz="$("${build[@]}" --show-bin-path)/BodyReaderFuzz"

mkdir "$work/corpus"
cp Tests/SwitchboardTestSupport/Fixtures/phone_incoming_call.json "$work/corpus/"
# SWIFT_BACKTRACE=enable=no: on a crash libFuzzer reports and saves the input at once, instead of the Swift
# backtracer running (and lingering) under AddressSanitizer first.
SWIFT_BACKTRACE=enable=no "$fuzz" "$work/corpus" -max_total_time="${1:-90}" -max_len=4096 2>&1 | tail -3
