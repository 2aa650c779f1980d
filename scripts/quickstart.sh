#!/usr/bin/env bash
# Quick start: install what is missing, build, run two demo backends and Switchboard on routes.yaml with a
# development signing key, and print a signed request to paste into another terminal. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."

"$(dirname "$0")/install-deps.sh"

echo "==> building (first build takes a few minutes)"
swift build --product switchboard
bin=.build/debug/switchboard

export SWITCHBOARD_SIGNING_KEY=${SWITCHBOARD_SIGNING_KEY:-whsec_dev_only_do_not_use_in_production}
listen=${LISTEN:-127.0.0.1:8080}
admin=${ADMIN_LISTEN:-127.0.0.1:9090}

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

"$bin" demo-backend --listen 127.0.0.1:9001 --name support-a & pids+=($!)
"$bin" demo-backend --listen 127.0.0.1:9002 --name support-b & pids+=($!)
"$bin" serve --routes routes.yaml --listen "$listen" --admin-listen "$admin" & pids+=($!)

for _ in $(seq 1 50); do
    curl -fsS "http://$admin/readyz" >/dev/null 2>&1 && break
    sleep 0.2
done

fixture=Tests/SwitchboardTestSupport/Fixtures/phone_incoming_call.json
cat <<MSG

==> Switchboard is answering on http://$listen/webhooks/incoming-call (admin: http://$admin/status)
    Send the real Inkbox fixture, signed with the development key, from another terminal:

$(printf '%q ' "$PWD/$bin")sign --key "$SWITCHBOARD_SIGNING_KEY" --payload $PWD/$fixture --url http://$listen/webhooks/incoming-call

    or with curl (headers valid for 5 minutes):

curl -sS http://$listen/webhooks/incoming-call -H 'Content-Type: application/json' \\
$("$bin" sign --key "$SWITCHBOARD_SIGNING_KEY" --payload $fixture | sed "s/^/  -H '/; s/\$/' \\\\/")
  --data-binary @$PWD/$fixture

    Ctrl-C stops Switchboard and the demo backends.
MSG
wait
