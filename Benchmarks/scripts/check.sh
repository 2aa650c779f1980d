#!/usr/bin/env bash
# Before a release: the benchmarks behind the goals of docs/performance.md, each run briefly, each ratio printed
# against its goal with PASS or FAIL. Not a CI gate: timings on a shared machine move by more than the margins.
#
#   Benchmarks/scripts/check.sh                   everything (about 11 minutes, after the release builds)
#   ONLY="decision idle" Benchmarks/scripts/check.sh
#                                                 some of: webhook webhook-tls idle connections decision startup
#
# Settings: DURATION=5 (seconds of load per webhook target and round), ROUNDS=3, IDLE_SECONDS=60.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
only=${ONLY:-webhook webhook-tls idle connections decision startup}
duration=${DURATION:-5} rounds=${ROUNDS:-3} idle_seconds=${IDLE_SECONDS:-60}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
summary=()

# verdict NAME VALUE GOAL: GOAL is "<= X" or ">= X"; records and prints NAME VALUE GOAL PASS/FAIL.
verdict() {
    local result
    result=$(awk -v v="$2" -v op="${3%% *}" -v limit="${3#* }" \
        'BEGIN { if (v == "") print "FAIL (no figure)"; else if ((op == "<=" && v + 0 <= limit + 0) || (op == ">=" && v + 0 >= limit + 0)) print "PASS"; else print "FAIL" }')
    summary+=("$(printf '%-52s %10s   goal %-8s %s' "$1" "${2:-?}" "$3" "$result")")
    echo "${summary[-1]}"
}
wants() { [[ " $only " == *" $1 "* ]]; }
# A benchmark that failed: its last lines, and no figure for its verdicts.
failed() { echo "    $1 failed:"; tail -5 "$work/$1.txt" 2>/dev/null | sed 's/^/    /'; }

(cd "$root" && swift build -c release --product switchboard >/dev/null)
binary=$root/.build/release/switchboard

# Webhook against the bare endpoint, decision lines on (the default): each ratio taken within each round, then the
# median over the rounds, which follows the machine's drift between rounds better than one round can.
for variant in webhook webhook-tls; do
    wants "$variant" || continue
    targets="bare switchboard"
    [[ $variant == webhook-tls ]] && targets="bare-tls switchboard-tls"
    echo "==> $variant: $targets, $rounds rounds of ${duration} s each"
    TARGETS=$targets ROUNDS=$rounds DURATION=$duration "$here/webhook.sh" > "$work/$variant.txt" 2>&1 || failed "$variant"
    line=$(grep -E '^  round by round: throughput' "$work/$variant.txt" | tail -1)
    verdict "$variant throughput / bare" "$(sed -n 's/.*throughput \([0-9.]*\).*/\1/p' <<<"$line")" ">= 0.85"
    verdict "$variant CPU per request / bare" "$(sed -n 's/.*CPU per request \([0-9.]*\)x.*/\1/p' <<<"$line")" "<= 1.2"
    verdict "$variant p99 / bare" "$(sed -n 's/.*p99 \([0-9.]*\)x.*/\1/p' <<<"$line")" "<= 1.2"
done

if wants idle; then
    echo "==> idle: 1,000 check: none backends, ${idle_seconds} s"
    "$here/idle.sh" 1 "$idle_seconds" "$binary" > "$work/idle.txt" 2>&1 || failed idle
    verdict "idle CPU, % of one core" "$(sed -n 's/.* = \([0-9.]*\) % of one core.*/\1/p' "$work/idle.txt")" "<= 0.05"
fi

if wants connections; then
    echo "==> memory per connection: 1,000 of each kind"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=127.0.0.1 \
        -addext subjectAltName=IP:127.0.0.1 -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
    printf 'version: 1\nbackends:\n  a: { url: "wss://a.example/calls", health: { check: none } }\nroutes:\n  - { name: all, to: a }\n' \
        > "$work/routes.yaml"
    for kind in tls keep-alive webhook; do
        "$here/connections.py" "$binary" "$work/routes.yaml" "$kind" --cert "$work/cert.pem" --key "$work/key.pem" \
            > "$work/$kind.txt" 2>&1 || failed "$kind"
        goal="<= 16"
        [[ $kind == tls ]] && goal="<= 32"
        verdict "$kind connection, KiB" "$(sed -n 's/.*, \([0-9.]*\) KiB per connection/\1/p' "$work/$kind.txt")" "$goal"
    done
fi

if wants decision; then
    echo "==> routing decisions: regex-heavy against exact-match table (package-benchmark)"
    (cd "$root/Benchmarks" && swift package --disable-sandbox benchmark --target Routing \
        --filter '.*falls through all' --no-progress) > "$work/decision.txt" 2>&1 || failed decision
    # The wall-clock p50 of tables (d) and (d=) of docs/performance.md, from package-benchmark's text tables.
    ratio=$(python3 - "$work/decision.txt" 2>/dev/null <<'PY'
import sys
text = open(sys.argv[1]).read()
def p50(prefix):
    section = text.split(prefix, 1)[1]
    row = next(line for line in section.splitlines() if "Time (wall clock)" in line)
    return float(row.split("\u2502")[4].strip().replace(",", ""))
print(f"{p50('(d) 1,000 glob/regex routes') / p50('(d=) 1,000 exact routes'):.2f}")
PY
)
    verdict "decision, regex-heavy / exact-match table" "$ratio" "<= 2"
fi

if wants startup; then
    echo "==> start-up: 10,000 backends, 1,000 routes"
    "$here/startup.sh" 3 none "$binary" > "$work/startup.txt" 2>&1 || failed startup
    verdict "validate, s (median of 3)" "$(sed -n 's/^validate run [0-9]*: \([0-9.]*\) s wall.*/\1/p' "$work/startup.txt" \
        | sort -n | sed -n 2p)" "<= 0.5"
    verdict "serve until /readyz answers, s (median of 3)" "$(sed -n 's/.*answers after \([0-9.]*\) s.*/\1/p' \
        "$work/startup.txt" | sort -n | sed -n 2p)" "<= 1"
fi

echo
echo "summary ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%s\n' "${summary[@]}"
