#!/usr/bin/env bash
# Where a webhook's CPU goes, measured inside the running server (docs/performance.md, "Each step, timed in place").
#
# 1. The bare endpoint and Switchboard as built, each under the same wrk load as webhook.sh (plain HTTP, keep-alive,
#    distinct signed deliveries): requests/s and server CPU per request, split into NIO's event loop threads (reading,
#    parsing and writing HTTP) and every other thread (Swift's concurrency pool, where the route handler runs).
#    (Switchboard as built is the working tree; the probed copy is HEAD: commit first to compare the same code.)
# 2. A copy of HEAD with Benchmarks/patches/step-probe.patch applied, under the same load: the wall time of each
#    step of the webhook handler, timed in place with the monotonic clock, as mean, median and 90th percentile.
#    The copy is built in STEPS_TREE (default /tmp/switchboard-steps, kept, so later runs build incrementally; the
#    first build takes as long as a fresh release build). The patch never reaches the product. A step's time also
#    counts any wait of its thread for the core (other threads' work), which the median leaves out.
#
#   Benchmarks/scripts/steps.sh                   DURATION=8 seconds per target, CONNECTIONS=64, THREADS=2
#   PIN=split Benchmarks/scripts/steps.sh         every server on CPU 0, wrk on CPU 1
source "$(dirname "$0")/common.sh"
duration=${DURATION:-8} connections=${CONNECTIONS:-64} threads=${THREADS:-2}
tree=${STEPS_TREE:-/tmp/switchboard-steps}
port=18080 admin=19090

echo "==> release builds (the bare endpoint; HEAD with the step probe, in $tree)"
swift build -c release --package-path "$root/Benchmarks" --product BareEndpoint >/dev/null
bare="$root/Benchmarks/.build/release/BareEndpoint"
# The scratch copy is emptied (all but its build) before each run: never a directory this script did not make.
if [[ -n $(ls -A "$tree" 2>/dev/null) && ! -e $tree/.switchboard-steps ]]; then
    echo "$tree is not empty and was not made by steps.sh: set STEPS_TREE to another directory"; exit 1
fi
mkdir -p "$tree"
find "$tree" -mindepth 1 -maxdepth 1 ! -name .build ! -name .switchboard-steps -exec rm -rf {} +
touch "$tree/.switchboard-steps"
git -C "$root" archive HEAD | tar -x -C "$tree"
(cd "$tree" && git apply "$root/Benchmarks/patches/step-probe.patch") \
    || { echo "Benchmarks/patches/step-probe.patch no longer applies to HEAD: update it"; exit 1; }
swift build -c release --package-path "$tree" --product switchboard >/dev/null
probed="$tree/.build/release/switchboard"

start_demo_backends 19001 19002
pin=() wrk_pin=()
[[ ${PIN:-} != split ]] || pin=(taskset -c 0) wrk_pin=(taskset -c 1)
python3 "$here/sign.py" "$key" "$incoming" "$ended" 60000 "$work/warmup" --threads "$threads"

# CPU ticks of the server's event loop threads and of all its other threads: "loops others".
split_ticks() {
    local task loops=0 others=0 ticks
    for task in /proc/"$1"/task/*; do
        ticks=$(awk '{ print $14 + $15 }' "$task/stat" 2>/dev/null) || continue
        if [[ $(cat "$task/comm") == NIO-* ]]; then loops=$((loops + ticks)); else others=$((others + ticks)); fi
    done
    echo "$loops $others"
}
hz=$(getconf CLK_TCK)

printf '%-24s %10s %14s %14s %14s\n' target requests/s "cpu us/req" "event loops" "other threads"
for target in bare switchboard probed; do
    case $target in
        bare) ${pin[@]+"${pin[@]}"} "$bare" "$port" >/dev/null 2>&1 & ;;
        switchboard | probed)
            binary=$switchboard
            [[ $target == switchboard ]] || binary=$probed
            ${pin[@]+"${pin[@]}"} "$binary" serve --routes "$root/routes.yaml" --listen "127.0.0.1:$port" \
                --admin-listen "127.0.0.1:$admin" >/dev/null 2>"$work/$target.err" & ;;
    esac
    server=$!
    for _ in $(seq 1 100); do
        curl -s -o /dev/null "http://127.0.0.1:$port/" \
            && { [[ $target == bare ]] || curl -sf -o /dev/null "http://127.0.0.1:$admin/readyz"; } && break
        sleep 0.1
    done
    ${wrk_pin[@]+"${wrk_pin[@]}"} wrk -t"$threads" -c"$connections" -d3s -s "$here/requests.lua" \
        "http://127.0.0.1:$port" \
        -- "$work/warmup" "$incoming" "$ended" keep-alive >/dev/null
    python3 "$here/sign.py" "$key" "$incoming" "$ended" $((duration * 60000)) "$work/signatures" --threads "$threads"
    read -r loops0 others0 < <(split_ticks "$server")
    ${wrk_pin[@]+"${wrk_pin[@]}"} wrk -t"$threads" -c"$connections" -d"${duration}s" -s "$here/requests.lua" \
        "http://127.0.0.1:$port" -- "$work/signatures" "$incoming" "$ended" keep-alive >"$work/wrk.txt"
    read -r loops1 others1 < <(split_ticks "$server")
    kill "$server"; wait "$server" 2>/dev/null || true
    requests=$(awk '/requests in/ { print $1 }' "$work/wrk.txt")
    rps=$(awk '/Requests\/sec/ { print $2 }' "$work/wrk.txt")
    awk -v t="$target" -v r="$requests" -v rps="$rps" -v l=$((loops1 - loops0)) -v o=$((others1 - others0)) \
        -v hz="$hz" 'BEGIN { us = 1e6 / hz / r
            printf "%-24s %10.0f %14.1f %14.1f %14.1f\n", t, rps, (l + o) * us, l * us, o * us }'
done
echo
# The probe's last report (one every 100,000 webhooks after a warm-up of 50,000).
grep -q '^steps of' "$work/probed.err" || { echo "no report from the probe: run longer (DURATION)"; exit 1; }
awk '/^steps of/ { block = ""; on = 1 } on { block = block $0 "\n" } /two clock reads/ { on = 0 }
    END { printf "%s", block }' "$work/probed.err"
