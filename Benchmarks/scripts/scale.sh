#!/usr/bin/env bash
# CPU and memory of one process probing COUNT loopback backends every second, beside HAProxy 2.6 doing HTTP
# checks (inter 1s) on the same backends (docs/health.md).
# Usage: Benchmarks/scripts/scale.sh [DURATION_S=120] [COUNT=1000] [BASE=20000] [which: all|http|websocket|haproxy]
# BENCH_BIN=DIR uses bench-farm and bench-scale from DIR instead of building them.
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-120}"
count="${2:-1000}"
base="${3:-20000}"
which="${4:-all}"
ulimit -n "$(ulimit -Hn)"   # 1,000 backends need more than 1,024 descriptors
if [[ -n "${BENCH_BIN:-}" ]]; then
    bin="$BENCH_BIN"   # prebuilt tools, e.g. a copy from another commit for a before/after comparison
else
    swift build -c release --product bench-farm >/dev/null
    swift build -c release --product bench-scale >/dev/null
    bin="$(swift build -c release --show-bin-path)"
fi

"$bin/bench-farm" "$base" "$count" > /tmp/bench-farm.log &
farm=$!
trap 'kill $farm 2>/dev/null || true' EXIT
until grep -q "farm ready" /tmp/bench-farm.log; do sleep 0.2; done

for check in http websocket; do
    if [[ "$which" == all || "$which" == "$check" ]]; then
        echo "== switchboard health checker, $check checks =="
        "$bin/bench-scale" "$check" "$base" "$count" "$duration"
    fi
done

if [[ "$which" == all || "$which" == haproxy ]]; then
    echo "== haproxy $(haproxy -v | head -1 | awk '{print $3}'), option httpchk, inter 1s =="
    config=/tmp/bench-haproxy.cfg
    {
        echo "global"
        echo "    maxconn 4000"
        echo "defaults"
        echo "    mode http"
        echo "    timeout connect 1s"
        echo "    timeout check 1s"
        echo "    timeout client 10s"
        echo "    timeout server 10s"
        echo "frontend fe"
        echo "    bind 127.0.0.1:$((base - 1))"
        echo "    default_backend farm"
        echo "backend farm"
        echo "    option httpchk GET /healthz"
        echo "    default-server check inter 1s fall 3 rise 2"
        for ((port = base; port < base + count; port++)); do echo "    server s$port 127.0.0.1:$port"; done
    } > "$config"
    haproxy -f "$config" 2>/tmp/bench-haproxy.err &
    haproxy_pid=$!
    requests() { tail -n 1 /tmp/bench-farm.log | sed -E 's/.*requests=([0-9]+).*/\1/'; }
    cpu_ticks() { awk '{print $14 + $15}' "/proc/$haproxy_pid/stat"; }
    sleep 12                                  # warm-up; the farm prints its counters every second
    r0=$(requests); c0=$(cpu_ticks); t0=$(date +%s.%N)
    sleep "$duration"
    r1=$(requests); c1=$(cpu_ticks); t1=$(date +%s.%N)
    rss=$(awk '/VmRSS/ {print $2 / 1024}' "/proc/$haproxy_pid/status")
    kill "$haproxy_pid"
    hz=$(getconf CLK_TCK)
    awk -v r0="$r0" -v r1="$r1" -v c0="$c0" -v c1="$c1" -v t0="$t0" -v t1="$t1" -v hz="$hz" -v rss="$rss" 'BEGIN {
        secs = t1 - t0; cpu = (c1 - c0) / hz; checks = r1 - r0
        printf "haproxy: %.0f s, ~%d checks counted by the farm (1 s granularity), %.1f checks/s, %.4f CPU-s per 1000 checks, %.2f %% of one core, RSS %.1f MiB\n",
            secs, checks, checks / secs, cpu / checks * 1000, cpu / secs * 100, rss }'
fi
