#!/usr/bin/env bash
# Start-up with a large table (Benchmarks/scripts/large-table.py: 10,000 backends, 1,000 routes): how long
# `validate` takes, and how long `serve` takes until `/readyz` answers at all (listeners up, table loaded, first
# probes scheduled) and until it answers 200 (first probe round finished), RUNS times each. docs/performance.md.
#
#   Benchmarks/scripts/startup.sh [RUNS=5] [CHECK=none|http] [BINARY=.build/release/switchboard]
#
# With CHECK=http every backend is probed over HTTP at a local demo backend, so the first round is 10,000 probes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
runs=${1:-5} check=${2:-none} binary=${3:-}
if [[ -z $binary ]]; then
    (cd "$root" && swift build -c release --product switchboard >/dev/null)
    binary=$root/.build/release/switchboard
fi
work=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

health_port=19302
if [[ $check == http ]]; then
    "$binary" demo-backend --listen "127.0.0.1:$health_port" --name health >/dev/null 2>&1 & pids+=($!)
fi
"$here/large-table.py" --check "$check" --health-url "http://127.0.0.1:$health_port/healthz" > "$work/routes.yaml"
echo "table: $(grep -c '^  b[0-9]*:' "$work/routes.yaml") backends, $(grep -c '^  - { name:' "$work/routes.yaml") routes," \
    "check: $check"

for run in $(seq 1 "$runs"); do
    /usr/bin/time -f "validate run $run: %e s wall, %U s user, %S s system, %M KiB max RSS" \
        "$binary" validate "$work/routes.yaml" >/dev/null
done

# Starts serve and polls /readyz every 5 ms from the moment it is started; prints both times.
for run in $(seq 1 "$runs"); do
    python3 - "$binary" "$work/routes.yaml" "$run" <<'PY'
import http.client, os, re, subprocess, sys, time
binary, routes, run = sys.argv[1:]
env = dict(os.environ, SWITCHBOARD_SIGNING_KEY="whsec_startup")
log = open(routes + ".log", "w")
started = time.monotonic()
server = subprocess.Popen([binary, "serve", "--routes", routes, "--listen", "127.0.0.1:0", "--admin-listen",
                           "127.0.0.1:0"], stdout=log, stderr=subprocess.STDOUT, env=env)
port, answered, ready = None, None, None
try:
    while time.monotonic() - started < 60 and ready is None:
        if port is None:
            match = re.search(r"address=127\.0\.0\.1:(\d+) listener=admin", open(routes + ".log").read())
            port = match and int(match.group(1))
        if port is not None:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                connection.request("GET", "/readyz")
                status = connection.getresponse().status
                connection.close()
                answered = answered or time.monotonic() - started
                if status == 200:
                    ready = time.monotonic() - started
            except OSError:
                pass
        time.sleep(0.005)
    ticks = sum(int(field) for field in open(f"/proc/{server.pid}/stat").read().rsplit(")", 1)[1].split()[11:13])
finally:
    server.terminate()
    server.wait()
fmt = lambda value: "never" if value is None else f"{value:.3f} s"
print(f"serve run {run}: /readyz answers after {fmt(answered)}, 200 after {fmt(ready)};"
      f" CPU until then {ticks / os.sysconf('SC_CLK_TCK'):.2f} s")
PY
done
