#!/usr/bin/env bash
# Detection and recovery times with SPEC's defaults, CYCLES kills/stops of a demo backend per failure mode.
# Usage: Benchmarks/health/detection.sh [CYCLES=20] [CHECK=websocket]   (from the repository root)
set -euo pipefail
cd "$(dirname "$0")"
cycles="${1:-20}"
check="${2:-websocket}"
swift build -c release >/dev/null
bin="$(swift build -c release --show-bin-path)"
for mode in refuse hang; do
    echo "== $mode =="
    "$bin/bench-detect" "$bin/bench-backend" "$mode" "$cycles" "$check"
done
