#!/usr/bin/env python3
"""Writes a large routing table to standard output, for the start-up benchmark (startup.sh, docs/performance.md).

    Benchmarks/scripts/large-table.py [--backends 10000] [--routes 1000] [--check none|http] [--health-url URL]

BACKENDS backends `bN` (WebSocket URLs with a `{call.id}` placeholder), grouped ten to a pool `pN` with the
strategies in turn, and ROUTES routes to those pools whose conditions take every form in turn: an exact called
number, a list of numbers, a caller glob, an anchored regex, a caller country, a number attribute with a time window,
a percentage split, then a catch-all. With `--check http` every backend is probed at HEALTH_URL; with `none` (the
default) nothing is probed.
"""
import argparse

STRATEGIES = ["priority", "round_robin", "weighted", "sticky"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", type=int, default=10_000)
    parser.add_argument("--routes", type=int, default=1_000)
    parser.add_argument("--check", choices=["none", "http"], default="none")
    parser.add_argument("--health-url", default="http://127.0.0.1:9002/healthz")
    args = parser.parse_args()
    pools = max(1, args.backends // 10)

    health = "{ check: none }" if args.check == "none" else f'{{ check: http, url: "{args.health_url}" }}'

    out = ["version: 1", "", "numbers:"]
    for index in range(100):
        out.append(f'  "+1415555{index:04d}": {{ team: t{index % 10}, language: {"en" if index % 3 else "es"} }}')
    out += ["", "backends:"]
    for index in range(args.backends):
        out.append(f'  b{index}: {{ url: "wss://b{index}.example/calls?call={{call.id}}", health: {health} }}')
    out += ["", "pools:"]
    for pool in range(pools):
        members = ", ".join(f"b{member}" for member in range(pool * 10, min(pool * 10 + 10, args.backends)))
        out.append(f"  p{pool}: {{ strategy: {STRATEGIES[pool % len(STRATEGIES)]}, members: [{members}] }}")
    out += ["", "routes:"]
    for index in range(args.routes - 1):
        pool = f"p{index % pools}"
        form = index % 7
        if form == 0:
            when = f'number: "+1212{index:07d}"'
        elif form == 1:
            when = f'number: ["+1313{index:07d}", "+1314{index:07d}"]'
        elif form == 2:
            when = f'caller: "+44{index}*"'
        elif form == 3:
            when = f'caller: {{ regex: "^\\\\+33{index}[0-9]+$" }}'
        elif form == 4:
            when = f'caller.country: {["GB", "FR", "DE", "ES", "IT"][index % 5]}, number.team: t{index % 10}'
        elif form == 5:
            when = (f"number.language: es, time: {{ zone: Europe/Madrid, days: mon-fri, "
                    f'between: "{index % 12:02d}:00-{index % 12 + 8:02d}:00" }}')
        else:
            when = f"number.team: t{index % 10}, split: {{ percent: {index % 100}, by: caller }}"
        out.append(f"  - {{ name: r{index}, when: {{ {when} }}, to: {pool} }}")
    out.append("  - { name: everyone, to: p0 }")
    out += ["", "fallback: reject", ""]
    print("\n".join(out))


if __name__ == "__main__":
    main()
