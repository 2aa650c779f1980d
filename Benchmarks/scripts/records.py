#!/usr/bin/env python3
"""Call records at scale: the table's size per million calls and how long `switchboard calls` takes to find a
number among them. docs/performance.md#call-records has the results.

    python3 Benchmarks/scripts/records.py                 1,000,000 records, 20 queries of each kind
    RECORDS=5000000 QUERIES=50 python3 Benchmarks/scripts/records.py

Starts a throwaway PostgreSQL cluster (scripts/test-postgres.sh), applies the schema with `switchboard store
migrate` (release build), fills `switchboard_calls` with synthetic records (200,000 distinct callers calling 50
numbers, masked as Switchboard masks them, spread over 30 days, five backends, three routes, a two-step reason) and
`switchboard_call_ends` with the completions of the answered ones,
runs ANALYZE, then times:
  - each query in the database (EXPLAIN ANALYZE's execution time), the way `switchboard calls` sends it;
  - `switchboard calls --number N --json` end to end (process start, connect, schema check, query, output).
"""

import json
import os
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RECORDS = int(os.environ.get("RECORDS", "1000000"))
QUERIES = int(os.environ.get("QUERIES", "20"))
# `debug` checks the script quickly; figures come from release builds.
CONFIGURATION = os.environ.get("CONFIGURATION", "release")


def main():
    subprocess.run(["swift", "build", "-c", CONFIGURATION, "--product", "switchboard"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    binary = ROOT / ".build" / CONFIGURATION / "switchboard"
    started = subprocess.run([str(ROOT / "scripts" / "test-postgres.sh"), "start"], check=True, capture_output=True,
                             text=True).stdout
    env = dict(token.split("=", 1) for token in shlex.split(started.strip().removeprefix("export ")))
    try:
        run(binary, env)
    finally:
        subprocess.run([str(ROOT / "scripts" / "test-postgres.sh"), "stop", env["SWITCHBOARD_TEST_PGDIR"]], check=False)


def run(binary, env):
    host, port, user = env["SWITCHBOARD_TEST_PGHOST"], env["SWITCHBOARD_TEST_PGPORT"], env["SWITCHBOARD_TEST_PGUSER"]
    url = f"postgres://{user}@/postgres?host={host}&port={port}&sslmode=disable"

    def sql(statement):
        return subprocess.run(["psql", "-X", "-q", "-A", "-t", "-h", host, "-p", port, "-U", user, "-d", "postgres",
                               "-c", statement], check=True, capture_output=True, text=True).stdout.strip()

    subprocess.run([str(binary), "store", "migrate", "--store", url], check=True, stdout=subprocess.DEVNULL)
    print(f"==> {RECORDS:,} synthetic records")
    began = time.monotonic()
    sql(f"""
        INSERT INTO switchboard_calls (decided_at, request_id, call_id, caller, number, route, backend, outcome, reason,
                                       replica, table_version)
        SELECT decided, 'req-' || n, gen_random_uuid()::text,
               substr(caller, 1, 4) || repeat('*', 4) || right(caller, 4),
               substr(called, 1, 4) || repeat('*', 4) || right(called, 4),
               (ARRAY['support', 'sales', 'everyone-else'])[1 + n % 3],
               CASE WHEN n % 20 = 0 THEN NULL ELSE 'agent-' || (n % 5) END,
               CASE WHEN n % 20 = 0 THEN 'reject' ELSE 'answer' END,
               'route ''support'' → pool ''support''' || chr(10) || 'pool ''support'' (least_loaded) chose ''agent-'
                   || (n % 5) || '''',
               'replica-' || (n % 3), 'v' || (n % 7)
        FROM generate_series(1, {RECORDS}) n,
             LATERAL (SELECT now() - (random() * interval '30 days') AS decided,
                             '+1415' || lpad((hashint4(n % 200000) & 16777215)::text, 7, '0') AS caller,
                             '+1415555' || lpad((n % 50)::text, 4, '0') AS called) g
    """)
    # Every answered call ended two minutes after its decision.
    sql("""
        INSERT INTO switchboard_call_ends (call_id, ended_at, duration_seconds)
        SELECT call_id, decided_at + interval '2 minutes', 120 FROM switchboard_calls WHERE outcome <> 'reject'
    """)
    sql("ANALYZE switchboard_calls")
    sql("ANALYZE switchboard_call_ends")
    print(f"    inserted in {time.monotonic() - began:.1f} s")
    total = int(sql("SELECT pg_total_relation_size('switchboard_calls') + pg_total_relation_size('switchboard_call_ends')"))
    heap = int(sql("SELECT pg_relation_size('switchboard_calls') + pg_relation_size('switchboard_call_ends')"))
    indexes = int(sql("SELECT pg_indexes_size('switchboard_calls') + pg_indexes_size('switchboard_call_ends')"))
    per_million = 1_000_000 / RECORDS
    print(f"    table {heap * per_million / 2**20:.0f} MiB + indexes {indexes * per_million / 2**20:.0f} MiB"
          f" = {total * per_million / 2**20:.0f} MiB per million records ({total / RECORDS:.0f} bytes each)")

    callers = range(0, 200000, 200000 // QUERIES)
    numbers = [sql(f"SELECT '+1415' || lpad((hashint4({k}) & 16777215)::text, 7, '0')") for k in callers][:QUERIES]
    masked = [n[:4] + "****" + n[-4:] for n in numbers]
    kinds = {
        "--number (full, matched by its mask)": [["--number", n] for n in numbers],
        "--number (masked)": [["--number", m] for m in masked],
        "--backend": [["--backend", f"agent-{k % 5}"] for k in range(QUERIES)],
        "--number --since 2d": [["--number", n, "--since", "2d"] for n in numbers],
        "--outcome reject --route sales": [["--outcome", "reject", "--route", "sales"] for _ in range(QUERIES)],
    }
    print(f"==> {QUERIES} queries of each kind; newest 50 records (the default --limit)")
    print("| query | in the database: median / max ms | `switchboard calls` end to end: median / max ms |")
    print("|---|---|---|")
    for name, argument_lists in kinds.items():
        database, end_to_end = [], []
        for arguments in argument_lists:
            database.append(explain(sql, arguments))
            began = time.monotonic()
            subprocess.run([str(binary), "calls", "--store", url, "--json"] + arguments, check=True,
                           stdout=subprocess.DEVNULL)
            end_to_end.append((time.monotonic() - began) * 1000)
        print(f"| {name} | {statistics.median(database):.2f} / {max(database):.2f}"
              f" | {statistics.median(end_to_end):.1f} / {max(end_to_end):.1f} |")


def explain(sql, arguments):
    """The execution time of the statement `switchboard calls` sends for these options, from EXPLAIN ANALYZE."""
    clauses = []
    options = dict(zip(arguments[::2], arguments[1::2]))
    if "--number" in options:
        number = options["--number"]
        if "*" in number:
            clauses.append(f"(caller = '{number}' OR number = '{number}')")
        else:
            mask = number[:4] + "****" + number[-4:]
            clauses.append(f"(caller_full = '{number}' OR number_full = '{number}' OR (caller_full IS NULL AND caller = "
                           f"'{mask}') OR (number_full IS NULL AND number = '{mask}'))")
    for option, column in [("--backend", "backend"), ("--route", "route"), ("--outcome", "outcome")]:
        if option in options:
            clauses.append(f"{column} = '{options[option]}'")
    if "--since" in options:
        clauses.append(f"decided_at >= now() - interval '{options['--since'].rstrip('d')} days'")
    plan = sql("EXPLAIN (ANALYZE, FORMAT JSON) SELECT * FROM switchboard_calls LEFT JOIN switchboard_call_ends"
               " USING (call_id) WHERE " + " AND ".join(clauses) + " ORDER BY decided_at DESC, id DESC LIMIT 50")

    return json.loads(plan)[0]["Execution Time"]


if __name__ == "__main__":
    sys.exit(main())
