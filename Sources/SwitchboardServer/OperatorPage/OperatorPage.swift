import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The operator page at `GET /` on the admin listener (docs/http.md#the-operator-page).
///
/// One self-contained document: markup, style sheet and script, no external resources. It holds no data: the script
/// fetches `/status` (and the admin endpoints) with the admin token the operator types, so the page itself is served
/// without the token. A Content-Security-Policy allows exactly this page's own style sheet and script (by hash) and
/// requests to this listener only.
///
/// The script and the style sheet are the files `operator-page.js` and `operator-page.css` beside this one, resources
/// of SwitchboardServer (its bundle sits beside the binary, as SwitchboardCore's does); they are read once, when the
/// admin router is built, and inlined into the document.
enum OperatorPage {
    /// The page's script: polls `/status` every 2 s and updates the document in place (rows keyed by name, text
    /// written only when it changed), asks for the admin token on a 401, runs explain, reload and drain, and with a
    /// store searches the call records (`/admin/calls`) on demand, never on the 2 s timer.
    /// Fields of `/status` that a server does not send (the capacity fields) are simply not shown.
    static let script = resource("operator-page.js")

    /// The page's style sheet: light and dark (`prefers-color-scheme`), one column below 1000 px, tables as
    /// labelled cards below 640 px.
    static let style = resource("operator-page.css")

    /// The whole document.
    static let document: String = markup
        .replacingOccurrences(of: "/*STYLE*/", with: style)
        .replacingOccurrences(of: "/*SCRIPT*/", with: script)

    static let contentSecurityPolicy: String = [
        "default-src 'none'",
        "script-src '\(hash(script))'",
        "style-src '\(hash(style))'",
        "connect-src 'self'",
        "img-src data:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ].joined(separator: "; ")

    private static let body = ByteBuffer(string: document)

    static func response() -> Response {
        Response(
            status: .ok,
            headers: [
                .contentType: "text/html; charset=utf-8",
                .cacheControl: "no-cache",
                .contentSecurityPolicy: contentSecurityPolicy,
                HTTPField.Name("X-Content-Type-Options")!: "nosniff",
                HTTPField.Name("Referrer-Policy")!: "no-referrer",
            ],
            body: ResponseBody(byteBuffer: body)
        )
    }

    /// A file of SwitchboardServer's resource bundle, without the final newline it ends with as a text file.
    ///
    /// The files are part of the build, so failing to read them is a packaging bug, not a runtime condition to
    /// recover from.
    private static func resource(_ name: String) -> String {
        guard let url = Bundle.module.url(forResource: name, withExtension: nil),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else {
            fatalError("SwitchboardServer resource \(name) is missing from \(Bundle.module.bundlePath)")
        }
        return text.hasSuffix("\n") ? String(text.dropLast()) : text
    }

    private static func hash(_ text: String) -> String {
        "sha256-" + Data(SHA256.hash(data: Data(text.utf8))).base64EncodedString()
    }

    private static let markup = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Switchboard</title>
<link rel="icon" href="data:,">
<style>/*STYLE*/</style>
</head>
<body>
<a class="skip" href="#explain">Skip to “Explain a call”</a>
<div class="wrap">
<header class="top">
  <h1>Switchboard</h1>
  <p id="live" class="live"><span class="dot" aria-hidden="true"></span><span id="live-text">connecting…</span></p>
</header>
<div id="banner" class="banner" role="alert" hidden></div>
<section id="auth" class="auth" aria-labelledby="auth-title" hidden>
  <h2 id="auth-title">Admin token needed</h2>
  <p id="auth-message">This Switchboard protects its admin endpoints with a token (<code>SWITCHBOARD_ADMIN_TOKEN</code>). The page keeps it for this browser tab only.</p>
  <form id="auth-form" class="auth">
    <div><label for="token">Admin token</label><input id="token" name="token" type="password" autocomplete="off" required></div>
    <button type="submit">Use token</button>
  </form>
</section>
<main id="main" hidden>
  <section id="table" aria-labelledby="table-title">
    <div class="section-head">
      <h2 id="table-title">Routing table</h2>
      <button id="reload" type="button">Reload now</button>
    </div>
    <dl class="facts">
      <div><dt>Version</dt><dd id="t-version" class="mono"></dd></div>
      <div><dt>Loaded</dt><dd id="t-loaded"></dd></div>
      <div><dt>When no route matches</dt><dd id="t-fallback"></dd></div>
      <div><dt>Last reload</dt><dd id="t-reload"></dd></div>
    </dl>
    <div id="t-error" class="reload-error" hidden>
      <p><strong>▲ The last reload failed</strong> <span id="t-error-at"></span>; the running table stays.</p>
      <pre id="t-error-text"></pre>
    </div>
    <div id="reload-result" class="result" role="status"></div>
  </section>
  <section id="backends-section" aria-labelledby="backends-title">
    <div class="section-head"><h2 id="backends-title">Backends</h2><p id="b-summary" class="summary"></p></div>
    <div class="scroll">
      <table id="backends" class="data">
        <thead><tr>
          <th scope="col">Backend</th><th scope="col">State</th><th scope="col">Last probe</th>
          <th scope="col">Recent probes</th><th scope="col" class="cap" hidden>Calls</th><th scope="col" class="cap" hidden>Drain</th>
        </tr></thead>
        <tbody></tbody>
      </table>
    </div>
    <div id="drain-result" class="result" role="status"></div>
  </section>
  <div class="grid2">
    <section aria-labelledby="routes-title">
      <h2 id="routes-title">Routes <span class="summary">(first match wins)</span></h2>
      <div class="scroll">
        <table id="routes" class="data">
          <thead><tr>
            <th scope="col" class="num">#</th><th scope="col">Route</th><th scope="col">Target</th>
            <th scope="col">Fallback</th><th scope="col" class="num">Decisions</th>
          </tr></thead>
          <tbody></tbody>
        </table>
      </div>
    </section>
    <section aria-labelledby="pools-title">
      <h2 id="pools-title">Pools</h2>
      <div class="scroll">
        <table id="pools" class="data">
          <thead><tr><th scope="col">Pool</th><th scope="col">Strategy</th><th scope="col">Members</th><th scope="col">When none is up</th></tr></thead>
          <tbody></tbody>
        </table>
      </div>
      <p id="pools-empty" class="summary" hidden>No pools.</p>
    </section>
  </div>
  <section id="replicas-section" aria-labelledby="replicas-title" hidden>
    <div class="section-head"><h2 id="replicas-title">Replicas</h2><p id="r-store" class="summary"></p></div>
    <div class="scroll">
      <table id="replicas" class="data">
        <thead><tr><th scope="col">Replica</th><th scope="col">Version</th><th scope="col">Host</th><th scope="col">Started</th><th scope="col">Last heartbeat</th><th scope="col">Sees down</th></tr></thead>
        <tbody></tbody>
      </table>
    </div>
    <div id="r-disagree" class="disagree" hidden>
      <h3 id="r-disagree-title">▲ Replicas see these backends differently</h3>
      <ul id="r-disagreements" class="trace" aria-labelledby="r-disagree-title"></ul>
    </div>
  </section>
  <section id="calls-section" aria-labelledby="calls-title" hidden>
    <div class="section-head"><h2 id="calls-title">Calls <span class="summary">(records in the store, newest first)</span></h2><p id="c-summary" class="summary" role="status"></p></div>
    <form id="calls-form" class="explain calls">
      <div><label for="c-number">Caller or number (full or masked)</label><input id="c-number" name="number" type="text" inputmode="tel" placeholder="+14155550100" autocomplete="off"></div>
      <div><label for="c-call">Call ID</label><input id="c-call" name="call" type="text" autocomplete="off"></div>
      <div><label for="c-backend">Backend</label><input id="c-backend" name="backend" type="text" autocomplete="off"></div>
      <div><label for="c-route">Route</label><input id="c-route" name="route" type="text" autocomplete="off"></div>
      <div><label for="c-outcome">Outcome</label><select id="c-outcome" name="outcome">
        <option value="">any</option><option value="answer">answer (a backend)</option><option value="number_default">number default</option><option value="reject">reject</option>
      </select></div>
      <div><label for="c-since">Since (30m, 2h, 7d or a time)</label><input id="c-since" name="since" type="text" value="24h" autocomplete="off"></div>
      <div class="wide"><button id="c-submit" type="submit">Search calls</button></div>
    </form>
    <div id="calls-result" class="result" aria-live="polite"></div>
    <div class="scroll">
      <table id="calls" class="data" hidden>
        <thead><tr>
          <th scope="col">Time</th><th scope="col">Call</th><th scope="col">Caller</th><th scope="col">Number</th><th scope="col">Route</th>
          <th scope="col">Answer</th><th scope="col">Duration</th><th scope="col">Replica</th><th scope="col">Why</th>
        </tr></thead>
        <tbody></tbody>
      </table>
    </div>
  </section>
  <div class="grid2">
    <section aria-labelledby="decisions-title">
      <h2 id="decisions-title">Recent decisions <span class="summary">(newest first)</span></h2>
      <div class="scroll">
        <table id="decisions" class="data">
          <thead><tr><th scope="col">Time</th><th scope="col">Caller → number</th><th scope="col">Route</th><th scope="col">Answer</th></tr></thead>
          <tbody></tbody>
        </table>
      </div>
      <p id="decisions-empty" class="summary">No calls routed since start.</p>
    </section>
    <section id="explain" aria-labelledby="explain-title">
      <h2 id="explain-title">Explain a call</h2>
      <form id="explain-form" class="explain">
        <div><label for="x-caller">Caller</label><input id="x-caller" name="caller" type="text" inputmode="tel" placeholder="+14155550999" autocomplete="off"></div>
        <div><label for="x-number">Number called</label><input id="x-number" name="number" type="text" inputmode="tel" placeholder="+14155550100" autocomplete="off"></div>
        <div class="wide"><label for="x-at">At (optional, ISO 8601; default now)</label><input id="x-at" name="at" type="text" placeholder="2026-01-14T15:00:00Z" autocomplete="off"></div>
        <fieldset class="wide"><legend>Treat as down (optional)</legend><div id="x-down"></div></fieldset>
        <div class="wide"><button id="x-submit" type="submit">Explain</button></div>
      </form>
      <div id="explain-result" class="result" aria-live="polite"></div>
    </section>
  </div>
</main>
<footer>Refreshes every 2 s from <code>/status</code>; calls are searched on demand. Phone numbers are masked.</footer>
</div>
<script>/*SCRIPT*/</script>
</body>
</html>
"""#
}
