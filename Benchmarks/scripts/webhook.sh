#!/usr/bin/env bash
# Webhook throughput, latency and CPU: Switchboard against a bare Hummingbird endpoint (Sources/BareEndpoint) on the
# same machine, with the same wrk load and pre-signed requests, the targets alternating for ROUNDS rounds. Reports
# requests/s, p50/p99 latency, server CPU time per request (from /proc/PID/stat; for the store targets also the
# PostgreSQL cluster's), and every target's ratios to the first one. docs/performance.md has the results.
#
#   Benchmarks/scripts/webhook.sh                 TARGETS="bare switchboard", plain HTTP with keep-alive
#   TARGETS="bare-tls switchboard-tls" Benchmarks/scripts/webhook.sh            HTTPS with keep-alive
#   TARGETS="bare bare-idle switchboard" Benchmarks/scripts/webhook.sh
#                                                 bare-idle: the bare endpoint with Hummingbird's idle timeout (60 s,
#                                                 as `serve` has by default)
#   TARGETS="bare-tls-new switchboard-tls-new" CONNECTIONS=16 Benchmarks/scripts/webhook.sh
#                                                 one request per connection: a new TLS handshake each
#   TARGETS="switchboard switchboard-leases" Benchmarks/scripts/webhook.sh
#                                                 max_calls on every backend; half the requests are new calls
#                                                 taking a slot, half the call.ended events releasing them
#   TARGETS="switchboard-leases switchboard-leases-store" Benchmarks/scripts/webhook.sh
#                                                 the same with the call slots, retry answers and drain flags in a
#                                                 PostgreSQL store (a throwaway cluster on a Unix socket, a fresh
#                                                 database per round) instead of the process's memory
#   TARGETS="switchboard-leases-store-records-off switchboard-leases-store" Benchmarks/scripts/webhook.sh
#                                                 the store without and with call records (on by default)
#   PREVIOUS=/path/to/older/switchboard TARGETS="bare switchboard previous" Benchmarks/scripts/webhook.sh
#                                                 an older build of Switchboard beside the current one
#   PREVIOUS=/path/to/older/switchboard TARGETS="switchboard-leases switchboard-leases-store-previous switchboard-leases-store" \
#       Benchmarks/scripts/webhook.sh             the same with the store, the older build as one more target
#
# Other settings: ROUNDS=3 DURATION=15 CONNECTIONS=64 THREADS=2; DELAY=MS makes each connection wait that long
# before each request (a steady load below saturation: about CONNECTIONS * 1000 / (MS + latency) requests/s);
# KEY_TYPE=ec (P-256) or rsa (2048 bits) for the test certificate; SERVE_ARGS="--log-level notice" runs Switchboard
# without decision lines. PIN=1 gives the PostgreSQL cluster a core of its own (CPU 1) and runs every server and wrk
# on the other (CPU 0), with or without the store: the database as on a machine of its own, and
# Switchboard with the same one core in both. PIN=split runs every server on CPU 0 and wrk on CPU 1 (no store): each
# server's threads on one core, so no cache line moves between cores within the server.
source "$(dirname "$0")/common.sh"
rounds=${ROUNDS:-3} duration=${DURATION:-15} connections=${CONNECTIONS:-64} threads=${THREADS:-2}
targets=${TARGETS:-bare switchboard}
port=18080 admin=19090

echo "==> release builds"
[[ " $targets" != *" bare"* ]] || swift build -c release --package-path "$root/Benchmarks" --product BareEndpoint >/dev/null
bare="$root/Benchmarks/.build/release/BareEndpoint"
make_certificate "${KEY_TYPE:-ec}"
start_demo_backends 19001 19002
limited_routes "$work/routes-limits.yaml"
[[ " $targets" != *"-store"* ]] || start_store
pin=() wrk_pin=()
if [[ ${PIN:-} == split ]]; then
    pin=(taskset -c 0) wrk_pin=(taskset -c 1)
elif [[ -n ${PIN:-} ]]; then
    pin=(taskset -c 0) wrk_pin=(taskset -c 0)
    # The backends PostgreSQL forks later inherit its postmaster's CPU.
    if [[ -n $pg_dir ]]; then
        postmaster=$(head -1 "$pg_dir/data/postmaster.pid")
        for pid in "$postmaster" $(pgrep -P "$postmaster"); do taskset -a -p -c 1 "$pid" >/dev/null; done
    fi
fi

ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# CPU ticks of the throwaway PostgreSQL cluster's processes: its postmaster and every backend it started (0 without
# a cluster). A backend that exits during the run takes its ticks with it; the pool's connections do not.
db_ticks() {
    [[ -n $pg_dir ]] || { echo 0; return; }
    local postmaster pid total=0
    postmaster=$(head -1 "$pg_dir/data/postmaster.pid")
    for pid in "$postmaster" $(pgrep -P "$postmaster"); do total=$((total + $(ticks "$pid" 2>/dev/null || echo 0))); done
    echo "$total"
}
hz=$(getconf CLK_TCK)

start_server() {
    local routes=$root/routes.yaml pair=() tls=()
    scheme=http
    if [[ $1 == *-tls* ]]; then
        scheme=https pair=("$work/cert.pem" "$work/key.pem") tls=(--tls-cert "$work/cert.pem" --tls-key "$work/key.pem")
    fi
    case $1 in
        bare*) BARE_IDLE_TIMEOUT=$([[ $1 == *-idle* ]] && echo 60) ${pin[@]+"${pin[@]}"} "$bare" "$port" \
            ${pair[@]+"${pair[@]}"} >/dev/null 2>&1 & ;;
        previous) ${pin[@]+"${pin[@]}"} "$PREVIOUS" serve --routes "$routes" --listen "127.0.0.1:$port" --admin-listen "127.0.0.1:$admin" \
            ${SERVE_ARGS:-} >/dev/null 2>&1 & ;;
        switchboard*)
            local store=()
            [[ $1 == switchboard-leases* ]] && routes=$work/routes-limits.yaml
            if [[ $1 == *-store* ]]; then
                # A fresh database each round and target, so no run starts with the leases of the one before.
                new_store_database "bench_round_${round}_${1//-/_}"
                store=(--store "$store_url")
                [[ $1 != *-records-off ]] || store+=(--no-call-records)
            fi
            local binary=$switchboard
            [[ $1 != *-previous ]] || binary=${PREVIOUS:?PREVIOUS=/path/to/older/switchboard}
            ${pin[@]+"${pin[@]}"} "$binary" serve --routes "$routes" --listen "127.0.0.1:$port" --admin-listen "127.0.0.1:$admin" \
                ${tls[@]+"${tls[@]}"} ${store[@]+"${store[@]}"} ${SERVE_ARGS:-} >/dev/null 2>&1 & ;;
    esac
    server=$!
    for _ in $(seq 1 100); do
        curl -sk -o /dev/null "$scheme://127.0.0.1:$port/" \
            && { [[ $1 == bare* ]] || curl -sf -o /dev/null "http://127.0.0.1:$admin/readyz"; } && break
        sleep 0.1
    done
}


# What a target sends: the sign.py mode and whether each request closes its connection.
mode() { [[ $1 == switchboard-leases* ]] && echo events || echo same; }
close() { [[ $1 == *-new ]] && echo close || echo keep-alive; }

# wrk's latency figure in microseconds.
micros() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) print n; else if (v ~ /ms$/) print n * 1000; else print n * 1000000 }'; }

results="$work/results"
for round in $(seq 1 "$rounds"); do
    for target in $targets; do
        start_server "$target"
        url="$scheme://127.0.0.1:$port"
        python3 "$here/sign.py" "$key" "$incoming" "$ended" 60000 "$work/warmup" --mode "$(mode "$target")" --threads "$threads"
        ${wrk_pin[@]+"${wrk_pin[@]}"} wrk -t"$threads" -c"$connections" -d3s -s "$here/requests.lua" "$url" \
            -- "$work/warmup" "$incoming" "$ended" "$(close "$target")" >/dev/null
        lines=$((duration * 60000))
        python3 "$here/sign.py" "$key" "$incoming" "$ended" "$lines" "$work/signatures" --mode "$(mode "$target")" --threads "$threads"
        before=$(ticks "$server") db_before=$(db_ticks)
        ${wrk_pin[@]+"${wrk_pin[@]}"} wrk -t"$threads" -c"$connections" -d"${duration}s" --latency -s "$here/requests.lua" "$url" \
            -- "$work/signatures" "$incoming" "$ended" "$(close "$target")" ${DELAY:-} > "$work/wrk.txt"
        after=$(ticks "$server") db_after=$(db_ticks)
        if [[ $target == switchboard-leases* ]]; then
            # Every call but the last LAG of each thread has been released; the rest still hold their slots.
            curl -s "http://127.0.0.1:$admin/metrics" \
                | grep -E '^switchboard_(backend_active_calls|events_total|store_(operation_duration_seconds|batch_size)_(sum|count)|store_fallback|call_records)' \
                | sed 's/^/    /' || true
        fi
        kill "$server"; wait "$server" 2>/dev/null || true
        requests=$(awk '/requests in/ { print $1 }' "$work/wrk.txt")
        ((requests <= lines)) || echo "    warning: $requests requests for $lines signed lines; the rest were retries"
        rps=$(awk '/Requests\/sec/ { print $2 }' "$work/wrk.txt")
        p50=$(micros "$(awk '$1 == "50%" { print $2 }' "$work/wrk.txt")")
        p99=$(micros "$(awk '$1 == "99%" { print $2 }' "$work/wrk.txt")")
        errors=$(awk '/Non-2xx/ { print $5 }' "$work/wrk.txt")
        socket_errors=$(awk '/Socket errors/ { print $0 }' "$work/wrk.txt")
        [[ -z $socket_errors ]] || echo "    $socket_errors"
        cpu_us=$(awk -v t=$((after - before)) -v hz="$hz" -v n="$requests" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
        db_us=0
        [[ $target != *-store* ]] \
            || db_us=$(awk -v t=$((db_after - db_before)) -v hz="$hz" -v n="$requests" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
        printf '%s %s %s %s %s %s %s %s\n' "$round" "$target" "$rps" "$p50" "$p99" "$cpu_us" "${errors:-0}" "$db_us" \
            | tee -a "$results"
    done
done

echo
echo "round target requests/s p50_us p99_us server_cpu_us_per_request non2xx database_cpu_us_per_request"
cat "$results"
python3 - "$results" $targets <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
targets = sys.argv[2:]
def median(target, column):
    return statistics.median(float(row[column]) for row in rows if row[1] == target)
print("\nmedians over rounds")
print(f"{'target':<22} {'requests/s':>12} {'p50 us':>8} {'p99 us':>8} {'cpu us/req':>11} {'db cpu us/req':>14}")
for target in targets:
    print(f"{target:<22} {median(target, 2):>12.0f} {median(target, 3):>8.0f} {median(target, 4):>8.0f} {median(target, 5):>11.1f}"
          f" {median(target, 7):>14.1f}")
base = targets[0]
for target in targets[1:]:
    print(f"\n{target} / {base}: throughput {median(target, 2) / median(base, 2):.2f}, "
          f"p50 {median(target, 3) / median(base, 3):.2f}x, p99 {median(target, 4) / median(base, 4):.2f}x, "
          f"CPU per request {median(target, 5) / median(base, 5):.2f}x")
    # The same ratios taken within each round (the targets ran minutes apart at most), then their median: steadier
    # when the machine itself drifts between rounds.
    def per_round(column):
        ratios = []
        for round_ in sorted({row[0] for row in rows}):
            ours = [float(row[column]) for row in rows if row[0] == round_ and row[1] == target]
            theirs = [float(row[column]) for row in rows if row[0] == round_ and row[1] == base]
            if ours and theirs and theirs[0] > 0:
                ratios.append(ours[0] / theirs[0])
        return statistics.median(ratios)
    print(f"  round by round: throughput {per_round(2):.2f}, p50 {per_round(3):.2f}x, p99 {per_round(4):.2f}x, "
          f"CPU per request {per_round(5):.2f}x")
PY
