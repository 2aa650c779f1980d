#!/usr/bin/env python3
"""Shared-store benchmarks against a real PostgreSQL (docs/performance.md, "Shared store").

    python3 Benchmarks/scripts/store.py capacity   three replicas, four backends with max_calls: 50 each, CALLS new
                                                   calls (default 2000) at CONCURRENCY at once (default 400), each held
                                                   20-200 ms, hung up, then ended by a call.ended sent to another
                                                   replica. Reports the highest concurrent count per backend seen by
                                                   the callers (what the backends would see) and by the store.
    python3 Benchmarks/scripts/store.py failover   one replica under a steady trickle of calls; the database is stopped
                                                   and started again. Reports the time from the stop to the first call
                                                   answered without the store, the slowest answer meanwhile, and the
                                                   time from the start to the write-back.

SERVE_ARGS adds arguments to every `serve` (for instance "--store-budget 1s").
It builds the release binary, starts a throwaway cluster with scripts/test-postgres.sh and stops everything at the end.
Only loopback addresses are used; every loop is bounded.
"""
import asyncio, hashlib, hmac, json, os, random, re, subprocess, sys, tempfile, time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
KEY = "whsec_store_benchmark"
FIXTURES = os.path.join(ROOT, "Tests/SwitchboardTestSupport/Fixtures")


def run(*command, **kwargs):
    return subprocess.run(command, check=True, capture_output=True, text=True, **kwargs).stdout


class Cluster:
    def __init__(self):
        exports = run(os.path.join(ROOT, "scripts/test-postgres.sh"), "start")
        self.env = dict(re.findall(r"(SWITCHBOARD_TEST_\w+)='([^']*)'", exports))
        self.dir = self.env["SWITCHBOARD_TEST_PGDIR"]
        self.url = (f"postgres://{self.env['SWITCHBOARD_TEST_PGUSER']}@/postgres?host={self.dir}"
                    f"&port={self.env['SWITCHBOARD_TEST_PGPORT']}&sslmode=disable")

    def ctl(self, *arguments):
        command = [f"{self.env['SWITCHBOARD_TEST_PGBIN']}/pg_ctl", "-D", f"{self.dir}/data", *arguments]
        if os.getuid() == 0:
            command = ["runuser", "-u", self.env["SWITCHBOARD_TEST_PGUSER"], "--", *command]
        run(*command)

    def stop(self):
        run(os.path.join(ROOT, "scripts/test-postgres.sh"), "stop", self.dir)


class Replica:
    def __init__(self, binary, routes, store, name, log_dir):
        self.log = os.path.join(log_dir, f"{name}.log")
        self.process = subprocess.Popen(
            [binary, "serve", "--routes", routes, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
             "--store", store, "--replica-id", name, "--log-level", "notice", *os.environ.get("SERVE_ARGS", "").split()],
            stdout=open(self.log, "w"), stderr=subprocess.STDOUT, env={**os.environ, "SWITCHBOARD_SIGNING_KEY": KEY})
        for _ in range(300):
            text = open(self.log).read()
            webhook = re.search(r"address=127\.0\.0\.1:(\d+) listener=webhook", text)
            admin = re.search(r"address=127\.0\.0\.1:(\d+) listener=admin", text)
            if webhook and admin and "store connected" in text:
                self.webhook, self.admin = int(webhook.group(1)), int(admin.group(1))
                return
            time.sleep(0.05)
        raise SystemExit(f"{name} did not start:\n{open(self.log).read()}")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


async def http(port, method, path, body=b"", headers=()):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\nConnection: close\r\n"
    writer.write((head + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n").encode() + body)
    await writer.drain()
    response = await reader.read()
    writer.close()
    return response.split(b"\r\n\r\n", 1)[1].decode()


def signed(body):
    request_id, stamp = os.urandom(8).hex(), str(int(time.time()))
    secret = KEY.removeprefix("whsec_").encode()
    mac = hmac.new(secret, f"{request_id}.{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return [("X-Inkbox-Request-ID", request_id), ("X-Inkbox-Timestamp", stamp), ("X-Inkbox-Signature", f"sha256={mac}"),
            ("Content-Type", "application/json")]


def incoming(call_id):
    body = json.load(open(os.path.join(FIXTURES, "phone_incoming_call.json")))
    body["id"] = call_id
    return json.dumps(body).encode()


def ended(call_id):
    body = json.load(open(os.path.join(FIXTURES, "call_ended.json")))
    body["data"]["call"]["id"] = call_id
    body["id"] = "evt_" + call_id
    return json.dumps(body).encode()


async def call(port, call_id):
    body = incoming(call_id)
    return await http(port, "POST", "/webhooks/incoming-call", body, signed(body))


async def end(port, call_id):
    body = ended(call_id)
    return await http(port, "POST", "/webhooks/events", body, signed(body))


def routes(directory, backends, limit):
    path = os.path.join(directory, "routes.yaml")
    with open(path, "w") as file:
        file.write("version: 1\nbackends:\n")
        for name in backends:
            file.write(f'  {name}: {{ url: "wss://{name}.example/calls", health: {{ check: none }}, max_calls: {limit} }}\n')
        file.write(f"pools:\n  agents: {{ strategy: least_loaded, members: [{', '.join(backends)}] }}\n")
        file.write("routes:\n  - { name: all, to: agents }\nfallback: reject\n")
    return path


async def capacity(binary, cluster, scratch):
    calls, concurrency = int(os.environ.get("CALLS", 2000)), int(os.environ.get("CONCURRENCY", 400))
    backends, limit = ["b1", "b2", "b3", "b4"], 50
    table = routes(scratch, backends, limit)
    replicas = [Replica(binary, table, cluster.url, f"r{i}", scratch) for i in range(1, 4)]
    live = {name: 0 for name in backends}
    peak = {name: 0 for name in backends}
    store_peak = {name: 0 for name in backends}
    outcomes = {"answer": 0, "reject": 0, "released": 0, "unknown_call": 0}
    gate = asyncio.Semaphore(concurrency)
    done = asyncio.Event()

    async def one(index):
        async with gate:
            answer = json.loads(await call(replicas[index % 3].webhook, f"cap-{index}"))
            url = answer.get("client_websocket_url", "")
            backend = next((name for name in backends if f"//{name}." in url), None)
            outcomes["answer" if backend else "reject"] += 1
            if backend:
                live[backend] += 1
                peak[backend] = max(peak[backend], live[backend])
                await asyncio.sleep(random.uniform(0.02, 0.2))
                live[backend] -= 1  # the caller hangs up; then Inkbox reports call.ended
                reply = await end(replicas[(index + 1) % 3].webhook, f"cap-{index}")
                outcomes["released" if '"released"' in reply else "unknown_call"] += 1

    async def sample():
        while not done.is_set():
            for name in backends:
                state = json.loads(await http(replicas[0].admin, "GET", f"/admin/backends/{name}"))
                store_peak[name] = max(store_peak[name], state["active_calls"])
            await asyncio.sleep(0.01)

    started = time.monotonic()
    sampler = asyncio.create_task(sample())
    await asyncio.gather(*(one(index) for index in range(calls)))
    elapsed = time.monotonic() - started
    done.set()
    await sampler
    # A replica that lost the store under the load answered some calls from its own counts; once every replica has
    # the store again (and wrote those back), no slot may be left.
    for _ in range(600):
        states = [json.loads(await http(r.admin, "GET", "/status"))["store"]["state"] for r in replicas]
        if all(state == "available" for state in states):
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(1)
    left = 0
    for name in backends:
        left += json.loads(await http(replicas[0].admin, "GET", f"/admin/backends/{name}"))["active_calls"]
    fallbacks = 0
    for replica in replicas:
        metrics = await http(replica.admin, "GET", "/metrics")
        fallbacks += sum(float(line.split()[-1]) for line in metrics.splitlines()
                         if line.startswith("switchboard_store_fallback_decisions_total"))
    for replica in replicas:
        replica.stop()
    print(f"{calls} calls at {concurrency} at once over 3 replicas in {elapsed:.1f} s: "
          f"{outcomes['answer']} answered, {outcomes['reject']} rejected (all four backends full)")
    print(f"{'backend':<8} {'max_calls':>9} {'peak seen by callers':>21} {'peak in the store':>18}")
    for name in backends:
        print(f"{name:<8} {limit:>9} {peak[name]:>21} {store_peak[name]:>18}")
    print(f"call.ended: {outcomes['released']} released a slot, {outcomes['unknown_call']} found none "
          f"(answered by a replica deciding without the store: {fallbacks:.0f} such decisions)")
    print(f"live calls left after every call.ended and every write-back: {left}")
    ok = all(peak[n] <= limit and store_peak[n] <= limit for n in backends) and left == 0
    print("PASS" if ok else "FAIL")
    return ok


async def failover(binary, cluster, scratch):
    table = routes(scratch, ["b1"], 100000)
    replica = Replica(binary, table, cluster.url, "r1", scratch)
    results = []

    async def trickle(seconds):
        deadline = time.monotonic() + seconds
        index = len(results)
        while time.monotonic() < deadline:
            sent = time.monotonic()
            answer = await call(replica.webhook, f"fo-{index}")
            results.append((sent, time.monotonic(), answer))
            index += 1
            await asyncio.sleep(0.005)

    async def status_state():
        return json.loads(await http(replica.admin, "GET", "/status"))["store"]["state"]

    await trickle(1.0)
    stopped = time.monotonic()
    cluster.ctl("-m", "immediate", "-w", "stop")
    stop_returned = time.monotonic()
    await trickle(2.0)
    outage = [r for r in results if r[0] >= stopped]
    first_local = next(r for r in outage if "wss://" in r[2])
    answered_after_stop = all("wss://" in r[2] for r in outage)
    cluster.ctl("-l", f"{cluster.dir}/server.log", "-w", "start")
    restarted = time.monotonic()
    for _ in range(1000):
        if await status_state() == "available":
            break
        await asyncio.sleep(0.005)
    available = time.monotonic()
    leases = run("psql", "-X", "-A", "-t", "-h", cluster.dir, "-p", cluster.env["SWITCHBOARD_TEST_PGPORT"], "-U",
                 cluster.env["SWITCHBOARD_TEST_PGUSER"], "-d", "postgres", "-c",
                 "SELECT count(*) FROM switchboard_leases").strip()
    replica.stop()
    slowest = max(r[1] - r[0] for r in outage)
    print(f"database stopped (pg_ctl returned after {1000 * (stop_returned - stopped):.0f} ms); "
          f"first call answered without the store {1000 * (first_local[1] - stopped):.0f} ms after the stop")
    print(f"{len(outage)} calls during the outage, every one answered: {answered_after_stop}; "
          f"slowest answer {1000 * slowest:.0f} ms")
    print(f"database started; store available again and written back {1000 * (available - restarted):.0f} ms later")
    print(f"leases in the store: {leases}; calls answered in all: {sum('wss://' in r[2] for r in results)}")
    return answered_after_stop and int(leases) == sum("wss://" in r[2] for r in results)


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode not in ("capacity", "failover"):
        raise SystemExit(__doc__)
    subprocess.run(["swift", "build", "-c", "release", "--product", "switchboard"], cwd=ROOT, check=True,
                   capture_output=True)
    binary = os.path.join(ROOT, ".build/release/switchboard")
    cluster = Cluster()
    try:
        with tempfile.TemporaryDirectory() as scratch:
            ok = asyncio.run({"capacity": capacity, "failover": failover}[mode](binary, cluster, scratch))
    finally:
        cluster.stop()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
