#!/usr/bin/env bash
# Detection and recovery times with the default health timing, CYCLES kills/stops of a demo backend per failure
# mode (docs/health.md). Usage: Benchmarks/scripts/detection.sh [CYCLES=20] [CHECK=websocket]
set -euo pipefail
cd "$(dirname "$0")/.."
cycles="${1:-20}"
check="${2:-websocket}"
swift build -c release --product bench-detect >/dev/null
swift build -c release --product bench-backend >/dev/null
bin="$(swift build -c release --show-bin-path)"
for mode in refuse hang; do
    echo "== $mode =="
    "$bin/bench-detect" "$bin/bench-backend" "$mode" "$cycles" "$check"
done
