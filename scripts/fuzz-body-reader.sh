#!/usr/bin/env bash
# Fuzzes the webhook body reader (SwitchboardCore/Webhook) with libFuzzer and AddressSanitizer, starting from the
# Inkbox fixture. Usage: scripts/fuzz-body-reader.sh [SECONDS]   (default 90)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source=Sources/SwitchboardCore/Webhook
swiftc -sanitize=fuzzer,address -parse-as-library -O scripts/fuzz/BodyReaderFuzz.swift \
    "$source/JSONScanner.swift" "$source/IncomingCall.swift" "$source/IncomingCall+JSON.swift" -o "$work/fuzz" \
    2> >(grep -v "Cannot export local symbol" >&2)
mkdir "$work/corpus"
cp Tests/SwitchboardTestSupport/Fixtures/phone_incoming_call.json "$work/corpus/"
"$work/fuzz" "$work/corpus" -max_total_time="${1:-90}" -max_len=4096 2>&1 | tail -3
