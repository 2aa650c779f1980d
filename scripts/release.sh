#!/usr/bin/env bash
# Builds the release archive switchboard-VERSION-linux-ARCH.tar.gz in dist/, then smoke-tests it: unpacked into an
# empty directory, with nothing but the archive, it validates its routes.yaml, serves, and answers a signed request.
#
#   scripts/release.sh            build, pack, smoke-test
#   scripts/release.sh --no-build pack and smoke-test the existing release build
#
# The Swift standard library and Foundation are linked statically (--static-swift-stdlib); the binary still needs
# the system's libcurl (libcurl4 on Debian and Ubuntu) and the C and C++ runtimes, which the smoke test lists.
set -euo pipefail
cd "$(dirname "$0")/.."
"$(dirname "$0")/install-deps.sh"

if [ "${1:-}" != "--no-build" ]; then
    echo "==> release build (several minutes)"
    swift build -c release --product switchboard --static-swift-stdlib
fi
bin_dir=$(swift build -c release --show-bin-path)
version=$("$bin_dir/switchboard" --version)
arch=$(uname -m)
name="switchboard-$version-linux-$arch"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root="$stage/$name"
mkdir -p "$root/bin" "$root/deploy"
cp "$bin_dir/switchboard" "$root/bin/"
strip "$root/bin/switchboard"
# Resource bundles (calling codes, NANP area codes; the operator page's script and style sheet) must sit beside the
# binary: `serve` stops at start-up when one is missing.
find -L "$bin_dir" -maxdepth 1 -name '*.resources' -exec cp -R {} "$root/bin/" \;
cp routes.yaml README.md "$root/"
cp -R docs "$root/docs"
cp -R deploy/systemd "$root/deploy/systemd"
mkdir -p dist
tar -C "$stage" -czf "dist/$name.tar.gz" "$name"
echo "==> dist/$name.tar.gz: $(du -h "dist/$name.tar.gz" | cut -f1)"

echo "==> smoke test: only the archive, in an empty directory"
smoke=$(mktemp -d)
trap 'rm -rf "$stage" "$smoke"; [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true' EXIT
tar -C "$smoke" -xzf "dist/$name.tar.gz"
cd "$smoke/$name"
echo "shared libraries the binary links (everything else is inside it): $(readelf -d bin/switchboard \
    | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | tr '\n' ' ')"
bin/switchboard validate routes.yaml
cat > smoke.yaml <<'YAML'
version: 1
backends:
  agent: { url: "wss://agent.example/calls?call={call.id}", health: { check: none } }
routes:
  - { name: uk, when: { caller.country: GB }, to: reject }
  - { name: everyone, to: agent }
YAML
SWITCHBOARD_SIGNING_KEY=whsec_release_smoke bin/switchboard serve --routes smoke.yaml \
    --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 > serve.log 2>&1 &
pid=$!
port=""
for _ in $(seq 1 100); do
    port=$(sed -n 's/.*address=127.0.0.1:\([0-9]*\) listener=webhook.*/\1/p' serve.log | head -1)
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || { cat serve.log; echo "smoke test: serve did not start"; exit 1; }
cat > call.json <<'JSON'
{"id":"smoke-1","local_phone_number":"+14155550100","remote_phone_number":"+14155550999","contacts":[]}
JSON
answer=$(bin/switchboard sign --key whsec_release_smoke --payload call.json \
    --url "http://127.0.0.1:$port/webhooks/incoming-call")
expected='{"action":"answer","client_websocket_url":"wss://agent.example/calls?call=smoke-1"}'
[ "$answer" = "$expected" ] || { echo "smoke test: got $answer, expected $expected"; exit 1; }
# The operator page, whose script and style sheet come from the resource bundle beside the binary.
admin_port=$(sed -n 's/.*address=127.0.0.1:\([0-9]*\) listener=admin.*/\1/p' serve.log | head -1)
page=$(curl -s "http://127.0.0.1:$admin_port/")
[[ $page == *"<script>'use strict';"* && $page == *"</script>"* ]] \
    || { echo "smoke test: the operator page is not served whole"; exit 1; }
kill -TERM "$pid"
wait "$pid"
pid=""
echo "smoke test: validate, serve, a signed request answered and the operator page from the archive alone: ok"
