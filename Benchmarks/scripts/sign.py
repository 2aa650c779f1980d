#!/usr/bin/env python3
"""Pre-signs COUNT Inkbox deliveries for wrk (requests.lua), one file per wrk thread (OUT.0, OUT.1, ...), one
delivery per line:

    kind request-id timestamp signature call-id

kind is `c` (an incoming_call webhook) or `e` (a call.ended event); the body is the fixture with its call id
replaced by call-id, which requests.lua does the same way. wrk cannot compute HMAC-SHA256, so signing happens here.

  --mode same     every line an incoming call with the fixture's own call id (each a distinct delivery: fresh
                  request IDs, so no retry-cache hits)
  --mode events   every thread's lines alternate a new call's incoming_call and the call.ended of the call
                  LAG calls before it, so every call takes a slot and has it released while the run goes on
  --start T --rate R
                  sign a long run ahead: the line a thread sends at R requests/s in all (from T, Unix time) carries
                  the timestamp of when it will be sent, so it is still inside the signature window then
"""
import argparse, hashlib, hmac, time, uuid

FIXTURE_CALL_ID = "3eafefd0-a22f-4e9b-9eb1-8d59e3d9b85f"

parser = argparse.ArgumentParser()
parser.add_argument("key")
parser.add_argument("incoming")
parser.add_argument("ended")
parser.add_argument("count", type=int)
parser.add_argument("out")
parser.add_argument("--mode", choices=["same", "events"], default="same")
parser.add_argument("--threads", type=int, default=1)
parser.add_argument("--lag", type=int, default=256)
parser.add_argument("--start", type=float)
parser.add_argument("--rate", type=float)
args = parser.parse_args()

secret = (args.key[6:] if args.key.startswith("whsec_") else args.key).encode()
bodies = {"c": open(args.incoming, "rb").read(), "e": open(args.ended, "rb").read()}
assert FIXTURE_CALL_ID.encode() in bodies["c"] and FIXTURE_CALL_ID.encode() in bodies["e"]
start = args.start if args.start is not None else time.time()
prefix = uuid.uuid4().hex[:8]


def sequence(thread, length):
    """The (kind, call id) pairs one wrk thread sends, in order."""
    if args.mode == "same":
        return [("c", FIXTURE_CALL_ID)] * length
    calls, out = 0, []
    while len(out) < length:
        out.append(("c", f"{prefix}-{thread:02d}-{calls:010d}"))
        if calls >= args.lag:
            out.append(("e", f"{prefix}-{thread:02d}-{calls - args.lag:010d}"))
        calls += 1
    return out[:length]


per_thread = -(-args.count // args.threads)
for thread in range(args.threads):
    with open(f"{args.out}.{thread}", "w") as out:
        for i, (kind, call_id) in enumerate(sequence(thread, per_thread)):
            request_id = f"{prefix}-{thread:02d}-{i:09d}"
            stamp = int(start + (i * args.threads / args.rate if args.rate else 0))
            body = bodies[kind].replace(FIXTURE_CALL_ID.encode(), call_id.encode())
            mac = hmac.new(secret, f"{request_id}.{stamp}.".encode() + body, hashlib.sha256).hexdigest()
            out.write(f"{kind} {request_id} {stamp} sha256={mac} {call_id}\n")
