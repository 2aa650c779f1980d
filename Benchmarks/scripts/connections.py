#!/usr/bin/env python3
"""Resident memory per open connection of `switchboard serve` (connections.sh, docs/performance.md).

    connections.py BINARY ROUTES KIND [--count 1000] [--cert CERT --key KEY]
    connections.py --bare BARE_ENDPOINT KIND [--count 1000] [--cert CERT --key KEY]

Starts `serve` (with CERT and KEY on the webhook listener for the TLS kind), opens one connection of KIND and closes
it (so what the first connection sets up once is not counted), reads the process's resident size (VmRSS), opens
COUNT connections of KIND and waits until the server has answered on every one, reads the resident size again, and
prints the difference per connection in KiB. The listener's timeouts are raised so no connection is closed meanwhile.
With --bare, the same against the bare Hummingbird endpoint (Benchmarks/Sources/BareEndpoint, on port 18181): the
framework's own cost per connection: Hummingbird's idle timeout (600 s, as `serve` gets here), none of Switchboard's
deadlines or limits.

  keep-alive  plain HTTP: one request (GET /healthz on the webhook listener, answered 404) then idle
  webhook     plain HTTP: one signed incoming_call webhook (the Inkbox fixture, a request ID of its own), answered
              200, then idle: what a connection Inkbox keeps alive holds
  tls         the client's TLS hello sent and the server's answer received, the handshake never finished
"""
import argparse, hashlib, hmac, os, re, socket, ssl, subprocess, sys, time, uuid

parser = argparse.ArgumentParser()
parser.add_argument("binary")
parser.add_argument("routes", help="the routes file; with --bare, ignored")
parser.add_argument("kind", choices=["keep-alive", "webhook", "tls"])
parser.add_argument("--count", type=int, default=1000)
parser.add_argument("--cert")
parser.add_argument("--key")
parser.add_argument("--bare", action="store_true")
args = parser.parse_args()


def resident_kib(pid):
    return int(re.search(r"VmRSS:\s+(\d+) kB", open(f"/proc/{pid}/status").read()).group(1))


def client_hello():
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname="127.0.0.1")
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


SIGNING_KEY = "whsec_connections"
FIXTURE = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../Tests/SwitchboardTestSupport/Fixtures",
                            "phone_incoming_call.json"), "rb").read()


def signed_webhook():
    """A signed incoming_call delivery of the fixture, with a request ID of its own (never a retry), signed as
    sign.py signs the benchmarks' deliveries."""
    body = FIXTURE
    request_id, stamp = uuid.uuid4().hex, str(int(time.time()))
    mac = hmac.new(SIGNING_KEY[6:].encode(), f"{request_id}.{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    head = (f"POST /webhooks/incoming-call HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"X-Inkbox-Request-ID: {request_id}\r\nX-Inkbox-Timestamp: {stamp}\r\n"
            f"X-Inkbox-Signature: sha256={mac}\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


def open_connection(port, hello):
    connection = socket.create_connection(("127.0.0.1", port))
    if args.kind == "tls":
        connection.sendall(hello)
    elif args.kind == "webhook":
        connection.sendall(signed_webhook())
    else:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    return connection


def await_answer(connection):
    """Reads until the server has answered: a whole response head (plain) or its first handshake records (TLS)."""
    received = b""
    while (b"\r\n\r\n" not in received) if args.kind != "tls" else not received:
        chunk = connection.recv(65536)
        if not chunk:
            sys.exit("the server closed a connection")
        received += chunk
    if args.kind == "webhook" and b" 200 " not in received.split(b"\r\n")[0]:
        sys.exit("a webhook was not answered 200: " + received.split(b"\r\n")[0].decode())


tls_flags = ["--tls-cert", args.cert, "--tls-key", args.key] if args.kind == "tls" else []
log_path = f"/tmp/connections.{os.getpid()}.{args.kind}.log"
BARE_PORT = 18181
if args.bare:
    command = [args.binary, str(BARE_PORT)] + ([args.cert, args.key] if args.kind == "tls" else [])
else:
    command = [args.binary, "serve", "--routes", args.routes, "--listen", "127.0.0.1:0", "--admin-listen",
               "127.0.0.1:0", "--idle-timeout", "600s", "--header-timeout", "600s", "--max-connections",
               str(args.count + 100), *tls_flags]
server = subprocess.Popen(command, stdout=open(log_path, "w"), stderr=subprocess.STDOUT,
                          env=dict(os.environ, SWITCHBOARD_SIGNING_KEY=SIGNING_KEY, BARE_IDLE_TIMEOUT="600"))
try:
    port = None
    for _ in range(600):
        log = open(log_path).read()
        match = re.search(r"address=127\.0\.0\.1:(\d+) listener=webhook", log)
        if match or (args.bare and "listening on 127.0.0.1:" in log):
            port = int(match.group(1)) if match else BARE_PORT
            break
        time.sleep(0.05)
    if port is None:
        sys.exit("the server did not start: " + open(log_path).read())
    hello = client_hello()
    first = open_connection(port, hello)
    await_answer(first)
    first.close()
    before = resident_kib(server.pid)
    connections = [open_connection(port, hello) for _ in range(args.count)]
    for connection in connections:
        await_answer(connection)
    after = resident_kib(server.pid)
    print(f"{args.kind}: {args.count} connections, RSS {before} KiB -> {after} KiB, "
          f"{(after - before) / args.count:.1f} KiB per connection")
    for connection in connections:
        connection.close()
finally:
    server.terminate()
    server.wait()
