#!/usr/bin/env bash
# Soak: Switchboard over HTTPS with a call limit on every backend, for MINUTES minutes at about RATE requests/s —
# new calls and the call.ended events that release them, half each, every one a distinct signed delivery — with a
# slow-client flood of CLIENTS connections beside it (slow-clients.py). Checks that every request was answered 200
# and samples the server's RSS every 10 s. docs/performance.md has the results.
#
#   RATE=12000 MINUTES=10 CLIENTS=300 Benchmarks/scripts/soak.sh
#
# SERVE_ARGS adds `serve` options (say "--log-level debug" to see the memory reclaimer's lines in the log, which
# SERVE_LOG=FILE keeps).
source "$(dirname "$0")/common.sh"
rate=${RATE:-12000} minutes=${MINUTES:-10} clients=${CLIENTS:-300} threads=2
pause=10 # ms before each request on each connection; connections = rate * (pause + ~1 ms latency) / 1000
connections=$(((rate * (pause + 1) + 999) / 1000))
port=18443 admin=19091

make_certificate ec
start_demo_backends 19011 19012
limited_routes "$work/routes.yaml"

# Sign the whole run ahead, each line with the time it will be sent at (inside the 300 s window then).
lines=$((rate * minutes * 66))
echo "==> signing $lines deliveries"
python3 "$here/sign.py" "$key" "$incoming" "$ended" "$lines" "$work/lines" --mode events --threads "$threads" \
    --start "$(($(date +%s) + lines / 250000))" --rate "$rate"

"$switchboard" serve --routes "$work/routes.yaml" --listen "127.0.0.1:$port" --admin-listen "127.0.0.1:$admin" \
    --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" ${SERVE_ARGS:-} > "${SERVE_LOG:-$work/serve.log}" 2>&1 &
server=$! pids+=($!)
for _ in $(seq 1 100); do curl -sk -o /dev/null "https://127.0.0.1:$port/" && break; sleep 0.1; done

rss() { awk '/VmRSS/ { print $2 }' "/proc/$server/status"; }
ticks() { awk '{ print $14 + $15 }' "/proc/$server/stat"; }
seconds=$((minutes * 60))
echo "==> $minutes min at about $rate requests/s ($connections connections, $pause ms apart), $clients slow clients"
python3 "$here/slow-clients.py" 127.0.0.1 "$port" "$seconds" --clients "$clients" --tls > "$work/flood.json" &
flood=$! pids+=($!)
wrk -t"$threads" -c"$connections" -d"${seconds}s" --timeout 10s --latency -s "$here/requests.lua" \
    "https://127.0.0.1:$port" -- "$work/lines" "$incoming" "$ended" keep-alive "$pause" > "$work/wrk.txt" &
load=$! pids+=($!)
start_ticks=$(ticks)
echo "second rss_kib" > "$work/rss"
for second in $(seq 0 10 "$seconds"); do
    echo "$second $(rss)" | tee -a "$work/rss"
    ((second == seconds)) || sleep 10
done
wait "$load"
end_ticks=$(ticks)
wait "$flood"
cat "$work/wrk.txt"
echo "slow clients: $(cat "$work/flood.json")"
curl -s "http://127.0.0.1:$admin/metrics" \
    | grep -E '^switchboard_(backend_active_calls|events_total|connections_closed_total|webhooks_total)' | sed 's/^/    /'
requests=$(awk '/requests in/ { print $1 }' "$work/wrk.txt")
python3 - "$work/rss" "$requests" "$((end_ticks - start_ticks))" "$(getconf CLK_TCK)" "$seconds" <<'PY'
import sys
rows = [tuple(map(int, line.split())) for line in open(sys.argv[1]).readlines()[1:]]
requests, ticks, hz, seconds = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
warm = next(rss for second, rss in rows if second >= 60)
peak, last = max(rss for second, rss in rows if second >= 60), rows[-1][1]
print(f"\nrequests: {requests} ({requests / seconds:.0f}/s); server CPU {ticks / hz * 1e6 / requests:.1f} us per request, "
      f"{ticks / hz / seconds * 100:.0f} % of one core")
print(f"RSS after the 60 s warm-up {warm / 1024:.1f} MiB, peak {peak / 1024:.1f} MiB, at the end {last / 1024:.1f} MiB: "
      f"growth {100 * (last - warm) / warm:+.1f} % (peak {100 * (peak - warm) / warm:+.1f} %)")
PY
if grep -qE 'Non-2xx|Socket errors' "$work/wrk.txt"; then echo "FAILED: not every request was answered 200"; exit 1; fi
echo "every request answered 200"
