#!/usr/bin/env bash
# Detection and recovery times with the default health timing, CYCLES kills/stops of a demo backend per failure
# mode (docs/health.md). Usage: Benchmarks/scripts/detection.sh [CYCLES=20] [CHECK=websocket|http|tcp]
set -euo pipefail
cd "$(dirname "$0")/.."
cycles="${1:-20}"
check="${2:-websocket}"
swift build -c release --product bench-detect >/dev/null
swift build -c release --product bench-backend >/dev/null
bin="$(swift build -c release --show-bin-path)"
# A stopped process's listening socket still completes TCP handshakes (the kernel answers them), so a `tcp` check
# cannot see a hung backend by design; for `tcp` only the refusing case is measured.
modes="refuse hang"
[[ $check == tcp ]] && modes=refuse
for mode in $modes; do
    echo "== $mode =="
    "$bin/bench-detect" "$bin/bench-backend" "$mode" "$cycles" "$check"
done
