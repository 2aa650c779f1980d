#!/usr/bin/env bash
# Webhook throughput and latency: Switchboard against a bare Hummingbird endpoint (Sources/BareEndpoint) on the same
# machine, with the same wrk load and the same pre-signed requests, alternating A/B for ROUNDS rounds.
# Reports requests/s, p50/p99 latency and server CPU time per request (from /proc/PID/stat), and the ratios.
#
#   Benchmarks/scripts/webhook.sh        (ROUNDS=3 DURATION=15 CONNECTIONS=64 THREADS=2 to change;
#                                          SERVE_ARGS="--log-level notice" runs Switchboard without decision lines)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
rounds=${ROUNDS:-3} duration=${DURATION:-15} connections=${CONNECTIONS:-64} threads=${THREADS:-2}
port=18080 admin=19090
key=whsec_benchmark_key
work=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)"; exit 1; }
echo "==> release builds"
(cd "$root" && swift build -c release --product switchboard >/dev/null)
swift build -c release --package-path "$root/Benchmarks" --product BareEndpoint >/dev/null
switchboard="$root/.build/release/switchboard"
bare="$root/Benchmarks/.build/release/BareEndpoint"
fixture="$root/Tests/SwitchboardTestSupport/Fixtures/phone_incoming_call.json"

# Demo backends for the repository's routes.yaml, on ports of their own.
"$switchboard" demo-backend --listen 127.0.0.1:19001 --name support-a >/dev/null & pids+=($!)
"$switchboard" demo-backend --listen 127.0.0.1:19002 --name support-b >/dev/null & pids+=($!)
export SUPPORT_A_URL='ws://127.0.0.1:19001/calls?call={call.id}&route={route}'
export SUPPORT_B_URL='ws://127.0.0.1:19002/calls?call={call.id}&route={route}'
export SUPPORT_B_HEALTH='http://127.0.0.1:19002/healthz'
export SPANISH_URL='ws://127.0.0.1:19002/es?call={call.id}'
export SWITCHBOARD_SIGNING_KEY=$key

ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

start_server() {
    case $1 in
        bare) "$bare" "$port" >/dev/null 2>&1 & ;;
        switchboard) "$switchboard" serve --routes "$root/routes.yaml" --listen "127.0.0.1:$port" \
            --admin-listen "127.0.0.1:$admin" ${SERVE_ARGS:-} >/dev/null 2>&1 & ;;
    esac
    server=$!
    for _ in $(seq 1 100); do
        curl -s -o /dev/null "http://127.0.0.1:$port/" && break
        sleep 0.1
    done
}

# wrk's latency figure in microseconds.
micros() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) print n; else if (v ~ /ms$/) print n * 1000; else print n * 1000000 }'; }

results="$work/results"
for round in $(seq 1 "$rounds"); do
    for target in bare switchboard; do
        start_server "$target"
        python3 "$here/sign.py" "$key" "$fixture" 60000 "$work/warmup"
        wrk -t"$threads" -c"$connections" -d3s -s "$here/requests.lua" "http://127.0.0.1:$port" -- "$work/warmup" "$fixture" "$threads" >/dev/null
        python3 "$here/sign.py" "$key" "$fixture" $((duration * 30000)) "$work/signatures"
        before=$(ticks "$server")
        wrk -t"$threads" -c"$connections" -d"${duration}s" --latency -s "$here/requests.lua" \
            "http://127.0.0.1:$port" -- "$work/signatures" "$fixture" "$threads" > "$work/wrk.txt"
        after=$(ticks "$server")
        kill "$server"; wait "$server" 2>/dev/null || true
        requests=$(awk '/requests in/ { print $1 }' "$work/wrk.txt")
        rps=$(awk '/Requests\/sec/ { print $2 }' "$work/wrk.txt")
        p50=$(micros "$(awk '$1 == "50%" { print $2 }' "$work/wrk.txt")")
        p99=$(micros "$(awk '$1 == "99%" { print $2 }' "$work/wrk.txt")")
        errors=$(awk '/Non-2xx/ { print $5 }' "$work/wrk.txt")
        cpu_us=$(awk -v t=$((after - before)) -v hz="$hz" -v n="$requests" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
        printf '%s %s %s %s %s %s %s\n' "$round" "$target" "$rps" "$p50" "$p99" "$cpu_us" "${errors:-0}" | tee -a "$results"
    done
done

echo
echo "round target requests/s p50_us p99_us server_cpu_us_per_request non2xx"
cat "$results"
python3 - "$results" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
def median(target, column):
    return statistics.median(float(row[column]) for row in rows if row[1] == target)
print("\nmedians over rounds")
print(f"{'target':<12} {'requests/s':>12} {'p50 us':>8} {'p99 us':>8} {'cpu us/req':>11}")
for target in ("bare", "switchboard"):
    print(f"{target:<12} {median(target, 2):>12.0f} {median(target, 3):>8.0f} {median(target, 4):>8.0f} {median(target, 5):>11.1f}")
print(f"\nSwitchboard / bare: throughput {median('switchboard', 2) / median('bare', 2):.2f}, "
      f"p50 {median('switchboard', 3) / median('bare', 3):.2f}x, p99 {median('switchboard', 4) / median('bare', 4):.2f}x, "
      f"CPU per request {median('switchboard', 5) / median('bare', 5):.2f}x")
PY
