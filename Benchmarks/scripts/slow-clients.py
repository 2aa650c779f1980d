#!/usr/bin/env python3
"""A slow-client flood against one listener, for the soak benchmark (soak.sh).

    slow-clients.py HOST PORT SECONDS [--clients 300] [--tls]

Keeps CLIENTS connections open for SECONDS, a third of each kind, and opens a new one whenever the server closes
one:
  silent   connects and sends nothing (over HTTPS: never starts the TLS handshake)
  header   sends half a request head, then one byte every 2 s
  body     sends a complete head (well-formed signature headers) announcing a 60,000-byte body, then one body
           byte every second
Prints how many connections of each kind were opened and how long the server kept them, as JSON.
"""
import argparse, asyncio, json, ssl, statistics, time

parser = argparse.ArgumentParser()
parser.add_argument("host")
parser.add_argument("port", type=int)
parser.add_argument("seconds", type=float)
parser.add_argument("--clients", type=int, default=300)
parser.add_argument("--tls", action="store_true")
args = parser.parse_args()

context = None
if args.tls:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE

HEAD = (f"POST /webhooks/incoming-call HTTP/1.1\r\nHost: {args.host}\r\nContent-Type: application/json\r\n"
        "X-Inkbox-Request-ID: slow\r\n").encode()


def body_head():
    """A complete head that passes the checks made before the body is read (well-formed signature headers, a
    current timestamp), so the server waits for the body; the signature itself is wrong."""
    return (f"POST /webhooks/incoming-call HTTP/1.1\r\nHost: {args.host}\r\nContent-Type: application/json\r\n"
            f"X-Inkbox-Request-ID: slow-{time.monotonic_ns()}\r\nX-Inkbox-Timestamp: {int(time.time())}\r\n"
            f"X-Inkbox-Signature: sha256={'0' * 64}\r\nContent-Length: 60000\r\n\r\n").encode()

deadline = time.monotonic() + args.seconds
lifetimes = {"silent": [], "header": [], "body": []}
failures = {"silent": 0, "header": 0, "body": 0}


async def one(kind):
    opened = time.monotonic()
    try:
        if kind == "silent":
            reader, writer = await asyncio.open_connection(args.host, args.port)
            payload, pause = b"", None
        else:
            reader, writer = await asyncio.open_connection(args.host, args.port, ssl=context)
            payload, pause = (HEAD, 2.0) if kind == "header" else (body_head() + b"{", 1.0)
            writer.write(payload[: len(payload) // 2] if kind == "header" else payload)
        while time.monotonic() < deadline:
            if pause is None:
                # Wait for the server to close the connection.
                if not await asyncio.wait_for(reader.read(1024), timeout=deadline - time.monotonic() + 0.1):
                    break
                continue
            try:
                data = await asyncio.wait_for(reader.read(1024), timeout=pause)
                if not data:
                    break
            except asyncio.TimeoutError:
                writer.write(b"a" if kind == "body" else b"X")
                await writer.drain()
        writer.close()
    except (ConnectionError, OSError, asyncio.TimeoutError, ssl.SSLError):
        failures[kind] += 1
    lifetimes[kind].append(time.monotonic() - opened)


async def client(kind):
    while time.monotonic() < deadline:
        await one(kind)


async def main():
    kinds = ["silent", "header", "body"]
    await asyncio.gather(*(client(kinds[i % 3]) for i in range(args.clients)))


asyncio.run(main())
print(json.dumps({
    kind: {
        "connections": len(times),
        "median_seconds_open": round(statistics.median(times), 2) if times else None,
        "ended_by_error": failures[kind],
    }
    for kind, times in lifetimes.items()
}))
