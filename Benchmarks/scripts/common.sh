# Shared by webhook.sh and soak.sh (sourced, not run): a scratch directory and child processes cleaned up on exit,
# the release build, the fixtures, a test certificate, the demo backends of the repository's routes.yaml, and that
# table with call limits.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
key=whsec_benchmark_key
work=$(mktemp -d)
pids=()
pg_dir=""
cleanup() {
    kill "${pids[@]}" 2>/dev/null || true
    wait 2>/dev/null || true
    [[ -z $pg_dir ]] || "$root/scripts/test-postgres.sh" stop "$pg_dir"
    rm -rf "$work"
}
trap cleanup EXIT

command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)"; exit 1; }
(cd "$root" && swift build -c release --product switchboard >/dev/null)
switchboard="$root/.build/release/switchboard"
fixtures="$root/Tests/SwitchboardTestSupport/Fixtures"
incoming="$fixtures/phone_incoming_call.json" ended="$fixtures/call_ended.json"
export SWITCHBOARD_SIGNING_KEY=$key

# A self-signed certificate for 127.0.0.1 in $work/cert.pem and $work/key.pem: `ec` (P-256) or `rsa` (2048 bits).
make_certificate() {
    local args=(-newkey ec -pkeyopt ec_paramgen_curve:P-256)
    [[ $1 == rsa ]] && args=(-newkey rsa:2048)
    openssl req -x509 "${args[@]}" -nodes -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
        -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
}

# Demo backends for the repository's routes.yaml on ports $1 and $2, and the variables that point the table at them.
start_demo_backends() {
    "$switchboard" demo-backend --listen "127.0.0.1:$1" --name support-a >/dev/null & pids+=($!)
    "$switchboard" demo-backend --listen "127.0.0.1:$2" --name support-b >/dev/null & pids+=($!)
    export SUPPORT_A_URL="ws://127.0.0.1:$1/calls?call={call.id}&route={route}"
    export SUPPORT_B_URL="ws://127.0.0.1:$2/calls?call={call.id}&route={route}"
    export SUPPORT_B_HEALTH="http://127.0.0.1:$2/healthz"
    export SPANISH_URL="ws://127.0.0.1:$2/es?call={call.id}"
}

# The repository's routes.yaml with `max_calls: 2000` on every backend, written to $1.
limited_routes() {
    sed 's/^\(    url: .*\)$/\1\n    max_calls: 2000/' "$root/routes.yaml" > "$1"
    grep -c max_calls "$1" | grep -qx 3 || { echo "$1: expected max_calls on 3 backends"; exit 1; }
}

# A throwaway PostgreSQL cluster (scripts/test-postgres.sh), stopped on exit.
start_store() {
    eval "$("$root/scripts/test-postgres.sh" start)"
    pg_dir=$SWITCHBOARD_TEST_PGDIR
}

# A new database named $1 on that cluster; sets store_url to it.
new_store_database() {
    psql -X -q -h "$pg_dir" -p "$SWITCHBOARD_TEST_PGPORT" -U "$SWITCHBOARD_TEST_PGUSER" -d postgres \
        -c "CREATE DATABASE $1"
    store_url="postgres://$SWITCHBOARD_TEST_PGUSER@/$1?host=$pg_dir&port=$SWITCHBOARD_TEST_PGPORT&sslmode=disable"
}
