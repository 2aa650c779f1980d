"""The operator page (GET / on the admin listener) in headless Chromium, against real processes.

Starts two `switchboard demo-backend` processes and `switchboard serve` from the debug build, all on 127.0.0.1 with
port 0 (the bound ports are read from their log lines), and drives the page with Selenium. Every wait is bounded;
every child is killed in a finally. Run through scripts/test-browser.sh, which installs what is missing.
"""

import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from datetime import datetime, timezone
from zoneinfo import ZoneInfo
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("SWITCHBOARD_BINARY", ROOT / ".build" / "debug" / "switchboard"))
# Where to save a screenshot of the page with live data (the one in docs/ is made with
# SCREENSHOT=docs/operator-page.png scripts/test-browser.sh); none by default, so a test run changes no file.
SCREENSHOT = os.environ.get("SCREENSHOT")
SIGNING_KEY = "whsec_browser_test_key"
FIXTURE = ROOT / "Tests" / "SwitchboardTestSupport" / "Fixtures" / "phone_incoming_call.json"
# A backend goes down after `fall` (2) failed probes; with interval 500 ms and timeout 1 s that is well under 5 s.
DOWN_WITHIN = 15
START_WITHIN = 20

# `listening` log line: text format sorts keys (address before listener); accept either order.
LISTENING = r"listener={name} address=127\.0\.0\.1:(\d+)|address=127\.0\.0\.1:(\d+) listener={name}\b"

ROUTES = """\
version: 1
health: {{ interval: 500ms, fast_interval: 250ms, timeout: 1s, rise: 1, fall: 2 }}
numbers:
  "+14155550100": {{ team: support }}
backends:
  agent-a: {{ url: "ws://127.0.0.1:{a}/calls?call={{call.id}}" }}
  agent-b: {{ url: "ws://127.0.0.1:{b}/calls?call={{call.id}}", health: {{ check: http, url: "http://127.0.0.1:{b}/healthz" }} }}
pools:
  support: {{ strategy: priority, members: [agent-a, agent-b], fallback: number_default }}
routes:
  - {{ name: block-premium, when: {{ caller: "+1900*" }}, to: reject }}
  - {{ name: support, when: {{ number.team: support }}, to: support }}
  - {{ name: everyone-else, to: number_default }}
fallback: reject
"""


class Child:
    """A child process whose output is read on a thread, so a waiting test can look for a line in it."""

    def __init__(self, args, env=None):
        self.lines = []
        self.lock = threading.Lock()
        self.process = subprocess.Popen(
            [str(a) for a in args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
            text=True,
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.process.stdout:
            with self.lock:
                self.lines.append(line.rstrip("\n"))

    def wait_for(self, pattern, within=START_WITHIN):
        deadline = time.monotonic() + within
        expression = re.compile(pattern)
        while time.monotonic() < deadline:
            with self.lock:
                for line in self.lines:
                    match = expression.search(line)
                    if match:
                        return match
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        with self.lock:
            output = "\n".join(self.lines[-40:])
        raise AssertionError(f"no line matching {pattern!r} within {within} s; output:\n{output}")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


class Deployment:
    """Two demo backends and Switchboard on loopback ports, with a routes file in a temporary directory."""

    def __init__(self, admin_token=None, serve_args=(), routes=None):
        self.children = []
        # A routes file of its own (no demo backends are started for it); the demo deployment's by default.
        self.routes = routes
        self.serve_args = list(serve_args)
        self.directory = tempfile.TemporaryDirectory(prefix="switchboard-browser-")
        self.routes_path = Path(self.directory.name) / "routes.yaml"
        self.admin_token = admin_token

    def start(self):
        assert BINARY.exists(), f"{BINARY} is missing: build first (swift build)"
        if self.routes is None:
            self.backend_a = self._spawn([BINARY, "demo-backend", "--listen", "127.0.0.1:0", "--name", "agent-a"])
            self.backend_b = self._spawn([BINARY, "demo-backend", "--listen", "127.0.0.1:0", "--name", "agent-b"])
            port_a = self.backend_a.wait_for(r"listening on 127\.0\.0\.1:(\d+)").group(1)
            port_b = self.backend_b.wait_for(r"listening on 127\.0\.0\.1:(\d+)").group(1)
            self.good_routes = ROUTES.format(a=port_a, b=port_b)
        else:
            self.good_routes = self.routes
        self.routes_path.write_text(self.good_routes)
        env = {"SWITCHBOARD_SIGNING_KEY": SIGNING_KEY}
        if self.admin_token:
            env["SWITCHBOARD_ADMIN_TOKEN"] = self.admin_token
        else:
            env.pop("SWITCHBOARD_ADMIN_TOKEN", None)
            os.environ.pop("SWITCHBOARD_ADMIN_TOKEN", None)
        self.server = self._spawn(
            [BINARY, "serve", "--routes", self.routes_path, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
             *self.serve_args],
            env=env,
        )
        self.webhook_port = port_of(self.server.wait_for(LISTENING.format(name="webhook")))
        self.admin_port = port_of(self.server.wait_for(LISTENING.format(name="admin")))
        self.url = f"http://127.0.0.1:{self.admin_port}/"
        return self

    def _spawn(self, args, env=None):
        child = Child(args, env=env)
        self.children.append(child)
        return child

    def send_call(self, **fields):
        """One signed webhook with the real fixture (its fields replaced by `fields`), so the page has a decision
        to show."""
        payload = FIXTURE
        if fields:
            payload = Path(self.directory.name) / "call.json"
            payload.write_text(json.dumps({**json.loads(FIXTURE.read_text()), **fields}))
        subprocess.run(
            [BINARY, "sign", "--key", SIGNING_KEY, "--payload", payload,
             "--url", f"http://127.0.0.1:{self.webhook_port}/webhooks/incoming-call"],
            check=True, capture_output=True, timeout=20,
        )

    def admin_get(self, path):
        """An admin endpoint's JSON answer (status, body), read without the browser."""
        try:
            with urllib.request.urlopen(self.url + path.lstrip("/"), timeout=10) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as error:
            return error.code, json.load(error)

    def stop(self):
        for child in reversed(self.children):
            try:
                child.stop()
            except Exception:  # keep stopping the others
                child.process.kill()
        self.directory.cleanup()


def port_of(match):
    return int(next(group for group in match.groups() if group))


def new_browser():
    options = webdriver.ChromeOptions()
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,800", "--no-first-run", "--disable-extensions",
                     "--disable-background-networking", "--disable-component-update"]:
        options.add_argument(argument)
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(20)
    driver.set_script_timeout(20)
    # The viewport itself is 1280×800, whatever the window decorations take.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False})
    return driver


def severe(driver):
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def script_errors(driver):
    """Console errors other than the network log of an HTTP error status the page expects (400, 401, 422)."""
    return [entry for entry in severe(driver) if entry.get("source") != "network"]


def row_state(driver, backend):
    rows = driver.find_elements(By.CSS_SELECTOR, f'#backends tbody tr[data-key="{backend}"]')
    return (rows[0].get_attribute("data-state"), rows[0].text) if rows else (None, "")


def wait(driver, within, condition, message):
    return WebDriverWait(driver, within, poll_frequency=0.1).until(lambda d: condition(d), message)


@pytest.fixture
def deployment():
    deployment = Deployment()
    try:
        yield deployment.start()
    finally:
        deployment.stop()


@pytest.fixture
def browser():
    driver = new_browser()
    try:
        yield driver
    finally:
        driver.quit()


def test_live_page(deployment, browser):
    deployment.send_call()
    browser.get(deployment.url)

    # Both backends show up.
    for backend in ["agent-a", "agent-b"]:
        wait(browser, START_WITHIN, lambda d, b=backend: row_state(d, b)[0] == "healthy", f"{backend} never showed up")
        assert "● up" in row_state(browser, backend)[1]
    assert browser.find_element(By.ID, "t-version").text
    wait(browser, 10, lambda d: "support" in d.find_element(By.ID, "decisions").text, "no decision shown")
    assert "+141****0999" in browser.find_element(By.ID, "decisions").text
    assert "+14155550999" not in browser.find_element(By.ID, "main").text
    assert not browser.find_element(By.ID, "replicas-section").is_displayed()
    # The capacity columns stay hidden while /status has no capacity fields.
    status = json.load(urllib.request.urlopen(deployment.url + "status", timeout=10))
    if "active_calls" not in status["backends"][0]:
        assert not browser.find_element(By.CSS_SELECTOR, "#backends th.cap").is_displayed()
    # Sparklines have been drawn from recent probes.
    wait(browser, 10, lambda d: d.find_element(By.CSS_SELECTOR, '#backends tr[data-key="agent-a"] svg path.line').get_attribute("d"),
         "no sparkline")
    assert severe(browser) == [], "console errors on load"

    # Explain: the expected route, the route above it that failed, and the backend.
    browser.find_element(By.ID, "x-caller").send_keys("+14155550999")
    browser.find_element(By.ID, "x-number").send_keys("+14155550100")
    browser.find_element(By.CSS_SELECTOR, '#x-down input[value="agent-a"]').click()
    browser.find_element(By.ID, "x-submit").click()
    wait(browser, 10, lambda d: d.find_elements(By.ID, "explain-route"), "no explanation")
    result = browser.find_element(By.ID, "explain-result").text
    assert "support" in browser.find_element(By.ID, "explain-route").text
    assert "block-premium" in result
    assert "agent-b" in browser.find_element(By.ID, "explain-answer").text
    # A bad parameter shows the server's error.
    browser.find_element(By.ID, "x-at").send_keys("not-a-time")
    browser.find_element(By.ID, "x-submit").click()
    wait(browser, 10, lambda d: "ISO 8601" in d.find_element(By.ID, "explain-result").text, "no error for a bad time")
    assert script_errors(browser) == [], "console errors after explain"
    # The explain form is keyboard-reachable: Tab from the caller field goes to the number field.
    browser.find_element(By.ID, "x-caller").click()
    browser.switch_to.active_element.send_keys("\ue004")  # Tab
    assert browser.switch_to.active_element.get_attribute("id") == "x-number"

    # Stopping a backend turns its row down within the detection time.
    deployment.backend_b.stop()
    wait(browser, DOWN_WITHIN, lambda d: row_state(d, "agent-b")[0] == "unhealthy", "agent-b never went down")
    assert "▲ down" in row_state(browser, "agent-b")[1]
    assert row_state(browser, "agent-a")[0] == "healthy"

    # The screenshot, with live data: one backend down, a few decisions, the sparklines filling.
    if SCREENSHOT:
        for _ in range(3):
            deployment.send_call()
        wait(browser, 10, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#decisions tbody tr")) >= 4, "decisions not shown")
        time.sleep(2.5)  # one more refresh for the sparklines; a picture, not a correctness wait
        browser.find_element(By.ID, "x-at").clear()
        browser.execute_script("document.activeElement.blur(); window.scrollTo(0, 0)")
        browser.save_screenshot(SCREENSHOT)

    # A broken routes file: "Reload now" shows the error, and the table keeps running.
    deployment.routes_path.write_text("version: 1\nroutes:\n  - { name: x, to: ghost }\n")
    browser.find_element(By.ID, "reload").click()
    wait(browser, 10, lambda d: "ghost" in d.find_element(By.ID, "reload-result").text, "no reload error shown")
    assert "Reload failed" in browser.find_element(By.ID, "reload-result").text
    wait(browser, 10, lambda d: d.find_element(By.ID, "t-error").is_displayed(), "last reload error not shown")
    assert "unknown backend or pool 'ghost'" in browser.find_element(By.ID, "t-error-text").text
    # A good file again: the reload succeeds and the error goes away.
    deployment.routes_path.write_text(deployment.good_routes)
    browser.find_element(By.ID, "reload").click()
    wait(browser, 10, lambda d: "Reloaded" in d.find_element(By.ID, "reload-result").text, "no reload success shown")
    wait(browser, 10, lambda d: not d.find_element(By.ID, "t-error").is_displayed(), "reload error still shown")

    # The server stops answering: a banner says so.
    deployment.server.stop()
    wait(browser, 15, lambda d: d.find_element(By.ID, "banner").is_displayed(), "no banner when the server stopped")
    assert "not answering" in browser.find_element(By.ID, "banner").text
    assert script_errors(browser) == []


def test_phone_width(deployment, browser):
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
    browser.get(deployment.url)
    wait(browser, START_WITHIN, lambda d: row_state(d, "agent-a")[0] == "healthy", "agent-a never showed up")
    # Nothing wider than the screen: no sideways scrolling on a phone.
    width = browser.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390, f"page is {width} px wide at phone width"
    assert "● up" in row_state(browser, "agent-a")[1]
    assert severe(browser) == []


def test_admin_token():
    deployment = Deployment(admin_token="browser-test-token")
    driver = None
    try:
        deployment.start()
        driver = new_browser()
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CAPACITY_SHIM})
        driver.get(deployment.url)
        # The page asks for the token (a form, not a prompt) and shows no data until it has it.
        wait(driver, 10, lambda d: d.find_element(By.ID, "auth").is_displayed(), "no token form")
        assert not driver.find_element(By.ID, "main").is_displayed()
        field = driver.find_element(By.ID, "token")
        assert driver.switch_to.active_element == field
        field.send_keys("wrong-token\n")
        wait(driver, 10, lambda d: "refused" in d.find_element(By.ID, "auth-message").text, "wrong token not refused")
        driver.find_element(By.ID, "token").send_keys("browser-test-token\n")
        wait(driver, START_WITHIN, lambda d: row_state(d, "agent-a")[0] == "healthy", "no data after the token")
        assert not driver.find_element(By.ID, "auth").is_displayed()
        # Kept for the session: a reload of the page does not ask again, and actions carry the token.
        driver.refresh()
        wait(driver, START_WITHIN, lambda d: row_state(d, "agent-b")[0] == "healthy", "token not kept in the session")
        assert not driver.find_element(By.ID, "auth").is_displayed()
        driver.find_element(By.ID, "reload").click()
        wait(driver, 10, lambda d: "Reloaded" in d.find_element(By.ID, "reload-result").text, "reload without the token")
        driver.find_element(By.ID, "x-caller").send_keys("+19005550123")
        driver.find_element(By.ID, "x-number").send_keys("+14155550100")
        driver.find_element(By.ID, "x-submit").click()
        wait(driver, 10, lambda d: d.find_elements(By.ID, "explain-route"), "explain without the token")
        assert "block-premium" in driver.find_element(By.ID, "explain-route").text
        assert "Rejected" in driver.find_element(By.ID, "explain-answer").text
        driver.find_element(By.CSS_SELECTOR, '#backends tr[data-key="agent-b"] button').click()
        wait(driver, 10, lambda d: "undrain agent-b: done" in d.find_element(By.ID, "drain-result").text, "no undrain")
        requests = driver.execute_script("return window.__drainRequests")
        assert requests[-1]["url"].endswith("/admin/backends/agent-b/undrain")
        assert requests[-1]["authorization"] == "Bearer browser-test-token"
        # The only console errors are the expected 401s before the token was given.
        unexpected = [e for e in severe(driver) if "401" not in e["message"]]
        assert unexpected == []
    finally:
        if driver is not None:
            driver.quit()
        deployment.stop()


# Stands in for a server that reports capacity (active_calls, max_calls, draining, drained): wraps fetch before the
# page's script runs, adds the fields to the real /status answer and records drain requests instead of sending them.
CAPACITY_SHIM = """
(() => {
  const realFetch = window.fetch.bind(window);
  window.__drainRequests = [];
  window.fetch = async (input, init) => {
    const url = String(input);
    if (url.includes('/admin/backends/')) {
      window.__drainRequests.push({ url, method: init && init.method, authorization: init && init.headers && init.headers.Authorization });
      return new Response('{"ok":true}', { status: 200, headers: { 'Content-Type': 'application/json' } });
    }
    const response = await realFetch(input, init);
    if (!url.endsWith('/status') || !response.ok) return response;
    const status = await response.json();
    for (const b of status.backends) {
      b.active_calls = b.name === 'agent-a' ? 2 : 0;
      b.max_calls = b.name === 'agent-a' ? 5 : null;
      b.draining = b.name === 'agent-b';
      b.drained = false;
    }
    return new Response(JSON.stringify(status), { status: 200, headers: { 'Content-Type': 'application/json' } });
  };
})();
"""


def test_capacity_fields_when_present(deployment, browser):
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CAPACITY_SHIM})
    browser.get(deployment.url)
    wait(browser, START_WITHIN, lambda d: row_state(d, "agent-a")[0] == "healthy", "agent-a never showed up")
    wait(browser, 10, lambda d: d.find_element(By.CSS_SELECTOR, "#backends th.cap").is_displayed(), "no capacity columns")
    row_a = browser.find_element(By.CSS_SELECTOR, '#backends tr[data-key="agent-a"]')
    row_b = browser.find_element(By.CSS_SELECTOR, '#backends tr[data-key="agent-b"]')
    assert "2 / 5" in row_a.text
    assert "no limit" in row_b.text and "◐ draining" in row_b.text
    drain = row_a.find_element(By.CSS_SELECTOR, "button")
    assert drain.text == "Drain"
    assert row_b.find_element(By.CSS_SELECTOR, "button").text == "Undrain"
    drain.click()
    wait(browser, 10, lambda d: "drain agent-a: done" in d.find_element(By.ID, "drain-result").text, "no drain result")
    requests = browser.execute_script("return window.__drainRequests")
    assert requests[0]["method"] == "POST" and requests[0]["url"].endswith("/admin/backends/agent-a/drain")
    assert script_errors(browser) == []


STORE_PASSWORD = "browser-never-shown"


@contextmanager
def fresh_database(name):
    """A new, empty database in the cluster scripts/test.sh starts (SWITCHBOARD_TEST_PG*), dropped afterwards;
    yields the `--store` URL for it."""
    host, port, user = (os.environ[f"SWITCHBOARD_TEST_PG{key}"] for key in ("HOST", "PORT", "USER"))
    database = f"switchboard_browser_{name}_{os.getpid()}"
    psql = ["psql", "-X", "-q", "-h", host, "-p", port, "-U", user, "-d", "postgres", "-c"]
    subprocess.run([*psql, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"], check=True, timeout=30)
    subprocess.run([*psql, f"CREATE DATABASE {database}"], check=True, timeout=30)
    try:
        yield f"postgres://{user}:{STORE_PASSWORD}@/{database}?host={host}&port={port}&sslmode=disable"
    finally:
        subprocess.run([*psql, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"], timeout=30)


def test_replicas_with_a_shared_store(browser):
    """With --store, the page lists the replicas heartbeating in the database and the store's state; without one the
    section stays hidden (test_live_page's server has no store). Needs the cluster scripts/test.sh starts."""
    with fresh_database("replicas") as url:
        deployment = Deployment(serve_args=["--store", url, "--replica-id", "page-replica"])
        try:
            deployment.start()
            browser.get(deployment.url)
            wait(browser, START_WITHIN, lambda d: d.find_element(By.ID, "replicas-section").is_displayed(), "no replicas")
            wait(browser, 10, lambda d: "page-replica (this one)" in d.find_element(By.ID, "replicas").text,
                 "this replica is not listed")
            assert "store available" in browser.find_element(By.ID, "r-store").text
            assert STORE_PASSWORD not in browser.find_element(By.TAG_NAME, "body").text
            assert script_errors(browser) == []
        finally:
            deployment.stop()


# Three calls for the Calls section: the fixture (route support, answered by agent-a), a premium caller (rejected by
# block-premium) and an unlisted number (everyone-else, the number's own URL).
SUPPORT_CALL = "3eafefd0-a22f-4e9b-9eb1-8d59e3d9b85f"
PREMIUM_CALL = "9d3c1e5a-0b7f-4d2e-8a61-5f0c2b7e4a11"
OTHER_CALL = "c2a9f4e7-61d8-4b3a-9e05-7a1d3f8b6c22"


def calls_rows(driver):
    """The Calls table's record rows (not their explanation rows), by call ID cell text."""
    rows = driver.find_elements(By.CSS_SELECTOR, "#calls tbody tr:not(.why)")
    return [row for row in rows if row.is_displayed()]


def search_calls(driver, **fields):
    """Fills the Calls form (every field not given is cleared; the outcome select by value) and submits it; waits
    for the search to finish: the summary and the result line are emptied first, so any text in them is new."""
    for name in ["number", "call", "backend", "route", "since"]:
        field = driver.find_element(By.ID, "c-" + name)
        field.clear()
        if fields.get(name):
            field.send_keys(fields[name])
    driver.execute_script("document.getElementById('c-outcome').value = arguments[0];"
                          "document.getElementById('c-summary').textContent = '';"
                          "document.getElementById('calls-result').replaceChildren();", fields.get("outcome", ""))
    driver.find_element(By.ID, "c-submit").click()

    def finished(d):
        summary = d.find_element(By.ID, "c-summary").text
        done = (summary and summary != "searching…") or "✗" in d.find_element(By.ID, "calls-result").text
        return done and d.find_element(By.ID, "c-submit").is_enabled()
    wait(driver, 10, finished, f"the search {fields} did not finish")


def test_calls_with_a_shared_store(browser):
    """With --store the page searches the call records (GET /admin/calls) and shows why each call went where it went;
    a bad parameter shows the server's message. Needs the cluster scripts/test.sh starts."""
    with fresh_database("calls") as url:
        deployment = Deployment(serve_args=["--store", url, "--replica-id", "calls-replica"])
        try:
            deployment.start()
            deployment.send_call()
            deployment.send_call(id=PREMIUM_CALL, remote_phone_number="+19005550123")
            deployment.send_call(id=OTHER_CALL, local_phone_number="+14155550177")
            # The records are written in batches after the answer: wait until all three are in the store.
            deadline = time.monotonic() + START_WITHIN
            while time.monotonic() < deadline:
                status, body = deployment.admin_get("/admin/calls")
                if status == 200 and len(body["calls"]) == 3:
                    break
                time.sleep(0.1)
            else:
                raise AssertionError(f"the three call records were not written: {status} {body}")

            # A browser away from UTC: the records' times are UTC and must be shown in the browser's own zone.
            browser.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": "America/Los_Angeles"})
            browser.get(deployment.url)
            wait(browser, START_WITHIN, lambda d: d.find_element(By.ID, "calls-section").is_displayed(), "no Calls section")
            # The section searches once when it appears (since 24h by default): all three, newest first.
            wait(browser, 10, lambda d: len(calls_rows(d)) == 3, "the first search did not show three calls")
            assert browser.find_element(By.ID, "c-since").get_attribute("value") == "24h"
            assert [row.get_attribute("data-key") for row in calls_rows(browser)] == \
                [str(call["id"]) for call in deployment.admin_get("/admin/calls")[1]["calls"]]
            assert OTHER_CALL in calls_rows(browser)[0].text and SUPPORT_CALL in calls_rows(browser)[2].text
            newest = deployment.admin_get("/admin/calls")[1]["calls"][0]["decided_at"]
            decided = datetime.fromisoformat(newest.removesuffix("Z"))
            decided = decided.replace(tzinfo=timezone.utc) if decided.tzinfo is None else decided
            local = decided.astimezone(ZoneInfo("America/Los_Angeles")).strftime("%H:%M:%S")
            shown = calls_rows(browser)[0].find_element(By.CSS_SELECTOR, "td").text
            assert shown.endswith(local), f"{newest} shown as {shown!r}, not at {local} in Los Angeles"
            table = browser.find_element(By.ID, "calls").text
            assert "+141****0999" in table and "+14155550999" not in browser.find_element(By.TAG_NAME, "body").text
            # Replicas that agree: no disagreement shown.
            assert not browser.find_element(By.ID, "r-disagree").is_displayed()

            # By a full number (a '+' in the query): the two calls from +14155550999, not the premium caller's.
            search_calls(browser, number="+14155550999", since="24h")
            rows = calls_rows(browser)
            assert [OTHER_CALL in rows[0].text, SUPPORT_CALL in rows[1].text] == [True, True], [r.text for r in rows]
            assert "2 calls" in browser.find_element(By.ID, "c-summary").text
            support = next(row for row in rows if SUPPORT_CALL in row.text)
            assert "support" in support.text and "✓ agent-a" in support.text and "live" in support.text
            assert "calls-replica" in support.text

            # By outcome: only the rejected call, with its route; its explanation opens under it.
            search_calls(browser, outcome="reject", since="24h")
            rows = calls_rows(browser)
            assert len(rows) == 1, [row.text for row in rows]
            assert PREMIUM_CALL in rows[0].text and "block-premium" in rows[0].text and "✕ reject" in rows[0].text
            assert "+190****0123" in rows[0].text and "+19005550123" not in rows[0].text  # masked
            record = next(call for call in deployment.admin_get("/admin/calls?outcome=reject")[1]["calls"])
            assert record["reason"], f"the record has no reason steps: {record}"
            why = rows[0].find_element(By.CSS_SELECTOR, "button")
            detail = browser.find_element(By.ID, f"call-why-{record['id']}")
            assert why.get_attribute("aria-expanded") == "false" and not detail.is_displayed()
            why.click()
            wait(browser, 10, lambda d: d.find_element(By.ID, f"call-why-{record['id']}").is_displayed(), "no explanation")
            assert why.get_attribute("aria-expanded") == "true"
            steps = [item.text for item in detail.find_elements(By.CSS_SELECTOR, "ol li")]
            assert steps == record["reason"]
            assert "table version " + record["table_version"] in detail.text
            why.click()
            wait(browser, 10, lambda d: not d.find_element(By.ID, f"call-why-{record['id']}").is_displayed(),
                 "the explanation did not close")

            # By route and backend together; then nothing matches.
            search_calls(browser, route="support", backend="agent-a", since="24h")
            assert [SUPPORT_CALL in row.text for row in calls_rows(browser)] == [True]
            search_calls(browser, backend="agent-b", since="24h")
            assert calls_rows(browser) == []
            assert "No calls match" in browser.find_element(By.ID, "c-summary").text

            # A bad parameter: the server's message in the section, and no stale rows.
            search_calls(browser, since="yesterday")
            assert "since must be" in browser.find_element(By.ID, "calls-result").text
            assert calls_rows(browser) == []
            # An empty since is no filter.
            search_calls(browser)
            assert len(calls_rows(browser)) == 3
            assert not browser.find_element(By.ID, "calls-result").text
            assert script_errors(browser) == []
        finally:
            deployment.stop()


def test_calls_at_phone_width(browser):
    """The Calls section at phone width: no sideways scrolling with records and an open explanation."""
    with fresh_database("phone") as url:
        deployment = Deployment(serve_args=["--store", url, "--replica-id", "phone-replica"])
        try:
            deployment.start()
            deployment.send_call()
            deadline = time.monotonic() + START_WITHIN
            while time.monotonic() < deadline and len(deployment.admin_get("/admin/calls")[1].get("calls", [])) < 1:
                time.sleep(0.1)
            browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
            browser.get(deployment.url)
            wait(browser, START_WITHIN, lambda d: len(calls_rows(d)) == 1, "no call record shown")
            calls_rows(browser)[0].find_element(By.CSS_SELECTOR, "button").click()
            wait(browser, 10, lambda d: d.find_element(By.CSS_SELECTOR, "#calls tr.why").is_displayed(), "no explanation")
            width = browser.execute_script("return document.documentElement.scrollWidth")
            assert width <= 390, f"page is {width} px wide at phone width"
            assert script_errors(browser) == []
        finally:
            deployment.stop()


def refusing_port():
    """A loopback port that refuses connections: bound, never listening, held until closed."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


def test_replicas_that_see_a_backend_differently(browser):
    """Two replicas sharing a store, with backend c: r1 does not check it (up), r2 checks it at a port that refuses
    connections (down). The page of r1 says where they disagree and what each sees down."""
    refusing = refusing_port()
    port = refusing.getsockname()[1]
    up = f"""\
version: 1
backends:
  c: {{ url: "ws://127.0.0.1:{port}/calls", health: {{ check: none }} }}
routes:
  - {{ name: all, to: c }}
"""
    down = f"""\
version: 1
health: {{ interval: 200ms, fast_interval: 100ms, fall: 1 }}
backends:
  c: {{ url: "ws://127.0.0.1:{port}/calls", health: {{ check: websocket }} }}
routes:
  - {{ name: all, to: c }}
"""
    first = second = None
    try:
        with fresh_database("disagree") as url:
            try:
                first = Deployment(serve_args=["--store", url, "--replica-id", "r1"], routes=up).start()
                second = Deployment(serve_args=["--store", url, "--replica-id", "r2"], routes=down).start()
                browser.get(first.url)
                wait(browser, START_WITHIN, lambda d: d.find_element(By.ID, "replicas-section").is_displayed(), "no replicas")
                # Both replicas heartbeat their views every ~2 s: bounded by the heartbeat and the page's refresh.
                wait(browser, 30, lambda d: d.find_element(By.ID, "r-disagree").is_displayed(), "no disagreement shown")
                assert browser.find_element(By.ID, "r-disagreements").text == "backend c: ● up at r1; ▲ down at r2"
                r1 = browser.find_element(By.CSS_SELECTOR, '#replicas tr[data-key="r1"]').text
                wait(browser, 10, lambda d: "▲ c" in d.find_element(By.CSS_SELECTOR, '#replicas tr[data-key="r2"]').text,
                     "r2 does not show c down")
                assert "none" in r1 and "▲" not in r1
                assert script_errors(browser) == []
            finally:
                for deployment in (second, first):
                    if deployment is not None:
                        deployment.stop()
    finally:
        refusing.close()
