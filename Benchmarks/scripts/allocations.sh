#!/usr/bin/env bash
# Heap allocations per webhook: `switchboard serve` (decision lines on, one `check: none` backend with a URL
# template) and the bare endpoint, each with malloc-count.c preloaded, get COUNT signed deliveries of the Inkbox
# fixture one after another on one keep-alive connection, after a warm-up of 300; the difference of the counts
# read before and after, divided by COUNT. docs/performance.md, "Allocations per webhook".
#
#   Benchmarks/scripts/allocations.sh [COUNT=2500]
#   SWITCHBOARD=/path/to/older/switchboard Benchmarks/scripts/allocations.sh     another build of Switchboard
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
count=${1:-2500}
work=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

(cd "$root" && swift build -c release --product switchboard >/dev/null)
swift build -c release --package-path "$root/Benchmarks" --product BareEndpoint >/dev/null
cc -O2 -shared -fPIC -o "$work/malloc-count.so" "$here/malloc-count.c"
fixtures=$root/Tests/SwitchboardTestSupport/Fixtures
python3 "$here/sign.py" whsec_allocations "$fixtures/phone_incoming_call.json" "$fixtures/call_ended.json" \
    $((count + 300)) "$work/lines" --mode same >/dev/null
printf '%s\n' 'version: 1' 'backends:' \
    '  agent: { url: "wss://agent.example/calls?call={call.id}", health: { check: none } }' \
    'routes:' '  - { name: everyone, to: agent }' > "$work/routes.yaml"

# send PORT FIRST LAST: deliveries FIRST to LAST of the signed lines, on one connection; all must be answered 200.
send() {
    python3 - "$1" "$work/lines.0" "$fixtures/phone_incoming_call.json" "$2" "$3" <<'PY'
import http.client, sys
port, lines, fixture, first, last = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
call_id = b"3eafefd0-a22f-4e9b-9eb1-8d59e3d9b85f"
body = open(fixture, "rb").read()
connection = http.client.HTTPConnection("127.0.0.1", port)
for line in open(lines).read().split("\n")[first:last]:
    _, request_id, stamp, signature, call = line.split()
    connection.request("POST", "/webhooks/incoming-call", body=body.replace(call_id, call.encode()), headers={
        "Content-Type": "application/json", "X-Inkbox-Request-ID": request_id, "X-Inkbox-Timestamp": stamp,
        "X-Inkbox-Signature": signature})
    response = connection.getresponse()
    response.read()
    assert response.status == 200, response.status
PY
}

# measure NAME PORT LOG: warm up, read the count, send COUNT, read it again.
measure() {
    local pid=$1 port=$2 log=$3
    send "$port" 0 300
    kill -USR2 "$pid"
    send "$port" 300 $((300 + count))
    kill -USR2 "$pid"
    for _ in $(seq 1 50); do (($(grep -c MALLOCS "$log") >= 2)) && break; sleep 0.1; done
    grep MALLOCS "$log" | awk -v n="$count" '{ c[NR] = $2 } END { printf "%.1f allocations per webhook\n", (c[2] - c[1]) / n }'
}

SWITCHBOARD_SIGNING_KEY=whsec_allocations LD_PRELOAD=$work/malloc-count.so "${SWITCHBOARD:-$root/.build/release/switchboard}" serve \
    --routes "$work/routes.yaml" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 > "$work/serve.log" 2>&1 &
pids+=($!)
port=""
for _ in $(seq 1 100); do
    port=$(sed -n 's/.*address=127.0.0.1:\([0-9]*\) listener=webhook.*/\1/p' "$work/serve.log" | head -1)
    [[ -n $port ]] && break
    sleep 0.1
done
echo "switchboard: $(measure "${pids[0]}" "$port" "$work/serve.log")"

LD_PRELOAD=$work/malloc-count.so "$root/Benchmarks/.build/release/BareEndpoint" 18557 > "$work/bare.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:18557/" && break; sleep 0.1; done
echo "bare endpoint: $(measure "${pids[1]}" 18557 "$work/bare.log")"
