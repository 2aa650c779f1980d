#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for the tests: initdb in a temporary directory, a Unix socket in that directory
# (nothing listens on the network but loopback TLS for the sslmode tests), run as an unprivileged user because
# PostgreSQL refuses to run as root (CI runs as root).
#
#   eval "$(scripts/test-postgres.sh start)"   starts it and prints the variables the tests read:
#                                              SWITCHBOARD_TEST_PGHOST (socket directory), SWITCHBOARD_TEST_PGPORT,
#                                              SWITCHBOARD_TEST_PGUSER, SWITCHBOARD_TEST_PGCA (CA for verify-full),
#                                              SWITCHBOARD_TEST_PGDIR
#   scripts/test-postgres.sh stop DIR          stops it and removes DIR
set -euo pipefail

bin=""
for candidate in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
    [ -x "$candidate/initdb" ] && { bin=$candidate; break; }
done

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

case "${1:-}" in
start)
    if [ -z "$bin" ]; then
        echo "==> installing postgresql (Debian)" >&2
        sudo_cmd=""
        [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
        $sudo_cmd apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq postgresql >/dev/null
        for candidate in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
            [ -x "$candidate/initdb" ] && { bin=$candidate; break; }
        done
    fi
    [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1 && useradd --system --no-create-home postgres
    dir=$(mktemp -d /tmp/switchboard-pg.XXXXXX)
    chmod 755 "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    user=$(as_owner id -un)
    as_owner "$bin/initdb" -D "$dir/data" -U "$user" --auth=trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    # A certificate authority and a server certificate for 127.0.0.1, for the sslmode tests.
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=switchboard test CA" \
        -keyout "$dir/ca.key" -out "$dir/ca.pem" >/dev/null 2>&1
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$dir/data/server.key" \
        -out "$dir/server.csr" >/dev/null 2>&1
    printf 'subjectAltName=IP:127.0.0.1\n' >"$dir/san.ext"
    openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days 2 \
        -extfile "$dir/san.ext" -out "$dir/data/server.crt" >/dev/null 2>&1
    chmod 600 "$dir/data/server.key"
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir/data/server.key" "$dir/data/server.crt"
    chmod 644 "$dir/ca.pem"
    cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
ssl = on
max_connections = 300
fsync = off
full_page_writes = off
CONF
    # A free port: PostgreSQL cannot bind port 0, so try a few random ones until the server starts. They are taken
    # below the kernel's ephemeral range: a test that stops and starts the server must find its port still free, and
    # inside that range any outgoing connection or `bind(0)` of the other tests could take it while it is stopped.
    ephemeral=$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
    [ "$ephemeral" -gt 12000 ] 2>/dev/null || ephemeral=32768
    started=""
    for _ in $(seq 1 20); do
        port=$((10000 + RANDOM % (ephemeral - 10000)))
        sed -i "/^port = /d" "$dir/data/postgresql.conf"
        echo "port = $port" >>"$dir/data/postgresql.conf"
        if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start >/dev/null 2>&1; then
            started=yes
            break
        fi
    done
    [ -n "$started" ] || { cat "$dir/server.log" >&2; exit 1; }
    echo "export SWITCHBOARD_TEST_PGDIR='$dir' SWITCHBOARD_TEST_PGHOST='$dir' SWITCHBOARD_TEST_PGPORT='$port'" \
        "SWITCHBOARD_TEST_PGUSER='$user' SWITCHBOARD_TEST_PGCA='$dir/ca.pem' SWITCHBOARD_TEST_PGBIN='$bin'"
    ;;
stop)
    dir="${2:?usage: scripts/test-postgres.sh stop DIR}"
    [ -d "$dir/data" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
*)
    echo "usage: scripts/test-postgres.sh start | stop DIR" >&2
    exit 2
    ;;
esac
