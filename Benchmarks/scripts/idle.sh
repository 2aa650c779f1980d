#!/usr/bin/env bash
# Idle CPU of `switchboard serve` with 1,000 `check: none` backends and no traffic: user + system CPU ticks of the
# process over SECONDS after a 10 s warm-up, RUNS times, then per thread over the last run: ticks, and wakeups
# (voluntary context switches, from /proc/PID/task/TID/status). docs/performance.md.
#
#   Benchmarks/scripts/idle.sh [RUNS=3] [SECONDS=60] [BINARY=.build/release/switchboard]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-3} seconds=${2:-60} binary=${3:-}
if [[ -z $binary ]]; then
    (cd "$root" && swift build -c release --product switchboard >/dev/null)
    binary=$root/.build/release/switchboard
fi
work=$(mktemp -d)
server=
cleanup() { [[ -z $server ]] || kill "$server" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

{
    echo "version: 1"
    echo "backends:"
    for i in $(seq 1 1000); do echo "  b$i: { url: \"wss://b$i.example/calls\", health: { check: none } }"; done
    echo "routes:"
    echo "  - { name: all, to: b1 }"
} > "$work/routes.yaml"

hz=$(getconf CLK_TCK)
ticks() { awk '{ print $14 + $15 }' "$1"; }
wakeups() { awk '/^voluntary_ctxt_switches/ { print $2 }' "$1"; }
for run in $(seq 1 "$runs"); do
    SWITCHBOARD_SIGNING_KEY=whsec_idle "$binary" serve --routes "$work/routes.yaml" \
        --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 > "$work/serve.log" 2>&1 &
    server=$!
    sleep 10
    declare -A before=() woken=()
    for task in /proc/$server/task/*; do before[$task]=$(ticks "$task/stat") woken[$task]=$(wakeups "$task/status"); done
    start=$(ticks "/proc/$server/stat")
    sleep "$seconds"
    end=$(ticks "/proc/$server/stat")
    awk -v run="$run" -v t=$((end - start)) -v s="$seconds" -v hz="$hz" \
        'BEGIN { printf "run %d: %d ticks in %d s = %.2f %% of one core\n", run, t, s, t / hz / s * 100 }'
    if ((run == runs)); then
        echo "per thread, last run: ticks, wakeups"
        for task in /proc/$server/task/*; do
            [[ -n ${before[$task]:-} ]] || continue
            printf '  %-20s %4d %6d\n' "$(cat "$task/comm")" $(($(ticks "$task/stat") - before[$task])) \
                $(($(wakeups "$task/status") - woken[$task]))
        done | sort -k3 -n -r | head -12
    fi
    kill "$server"; wait "$server" 2>/dev/null || true
    server=
    unset before woken
done
