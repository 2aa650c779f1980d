'use strict';
(() => {
  const REFRESH_MS = 2000;
  const TIMEOUT_MS = 5000;
  const TOKEN_KEY = 'switchboard.admin-token';
  const CALLS_LIMIT = 100;
  const SVG = 'http://www.w3.org/2000/svg';
  const $ = (id) => document.getElementById(id);
  let token = sessionStorage.getItem(TOKEN_KEY);
  let timer = null;
  let lastGood = null;
  let failingSince = null;
  let waitingForToken = false;
  let backendStates = new Map();
  let callsSearched = false;
  let callsSearch = 0;

  // ---- requests -------------------------------------------------------------------------------------------
  async function request(method, path) {
    const headers = { Accept: 'application/json' };
    if (token) headers.Authorization = 'Bearer ' + token;
    const controller = new AbortController();
    const timeout = setTimeout(() => controller.abort(), TIMEOUT_MS);
    try {
      const response = await fetch(path, { method, headers, cache: 'no-store', signal: controller.signal });
      let body = null;
      try { body = await response.json(); } catch (_) { body = null; }
      if (response.status === 401) askForToken();
      return { status: response.status, body };
    } finally {
      clearTimeout(timeout);
    }
  }

  function errorText(result) {
    return (result.body && typeof result.body.error === 'string') ? result.body.error : 'HTTP ' + result.status;
  }

  // ---- token ----------------------------------------------------------------------------------------------
  function askForToken() {
    if (waitingForToken) return;
    waitingForToken = true;
    clearTimeout(timer);
    const refused = Boolean(token);
    token = null;
    sessionStorage.removeItem(TOKEN_KEY);
    text($('auth-message'), refused
      ? 'That admin token was refused. Type the token this Switchboard was started with (SWITCHBOARD_ADMIN_TOKEN).'
      : 'This Switchboard protects its admin endpoints with a token (SWITCHBOARD_ADMIN_TOKEN). The page keeps it for this browser tab only.');
    $('main').hidden = true;
    $('banner').hidden = true;
    $('auth').hidden = false;
    text($('live-text'), 'waiting for the admin token');
    $('token').value = '';
    $('token').focus();
  }

  $('auth-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const value = $('token').value.trim();
    if (!value) return;
    token = value;
    sessionStorage.setItem(TOKEN_KEY, value);
    waitingForToken = false;
    $('auth').hidden = true;
    refresh();
  });

  // ---- polling --------------------------------------------------------------------------------------------
  async function refresh() {
    clearTimeout(timer);
    try {
      const result = await request('GET', '/status');
      if (result.status === 401) return;
      if (result.status !== 200 || !result.body) throw new Error(errorText(result));
      answering();
      render(result.body);
    } catch (error) {
      notAnswering(error);
    }
    if (!waitingForToken) timer = setTimeout(refresh, REFRESH_MS);
  }

  function answering() {
    lastGood = new Date();
    failingSince = null;
    document.body.classList.remove('stale');
    $('banner').hidden = true;
    text($('live-text'), 'live · updated ' + clock(lastGood));
  }

  function notAnswering(error) {
    if (!failingSince) failingSince = new Date();
    document.body.classList.add('stale');
    const reason = error && error.name === 'AbortError' ? 'no answer within 5 s' : (error && error.message) || 'no answer';
    const since = clock(failingSince);
    const shown = lastGood ? ' The data below is from ' + clock(lastGood) + '.' : '';
    text($('banner'), '▲ Switchboard is not answering since ' + since + ' (' + reason + '). Retrying every 2 s.' + shown);
    $('banner').hidden = false;
    text($('live-text'), 'not answering since ' + since);
  }

  // ---- formatting -----------------------------------------------------------------------------------------
  function text(element, value) {
    const string = value == null ? '' : String(value);
    if (element.textContent !== string) element.textContent = string;
  }
  function clock(date) {
    return date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
  }
  function when(iso) {
    if (!iso) return '—';
    const date = new Date(iso);
    const seconds = Math.max(0, Math.round((Date.now() - date.getTime()) / 1000));
    let ago;
    if (seconds < 60) ago = seconds + ' s ago';
    else if (seconds < 3600) ago = Math.floor(seconds / 60) + ' min ago';
    else if (seconds < 86400) ago = Math.floor(seconds / 3600) + ' h ago';
    else ago = Math.floor(seconds / 86400) + ' d ago';
    const day = date.toDateString() === new Date().toDateString() ? '' : date.toLocaleDateString() + ' ';
    return day + clock(date) + ' (' + ago + ')';
  }
  function ms(value) {
    if (value == null) return '';
    if (value >= 1000) return (value / 1000).toFixed(2) + ' s';
    return (value < 10 ? value.toFixed(2) : value.toFixed(1)) + ' ms';
  }
  const STATES = {
    healthy: ['●', 'up'],
    unhealthy: ['▲', 'down'],
    unknown: ['○', 'unknown'],
  };
  function stateText(state) {
    const [shape, word] = STATES[state] || ['○', String(state)];
    return shape + ' ' + word;
  }
  function has(object, key) { return object != null && Object.prototype.hasOwnProperty.call(object, key); }

  // ---- keyed rows, updated in place ----------------------------------------------------------------------
  function makeRow(labels) {
    const row = document.createElement('tr');
    for (const label of labels) {
      const cell = document.createElement('td');
      cell.dataset.label = label;
      row.appendChild(cell);
    }
    return row;
  }
  function sync(tbody, items, keyOf, make, update) {
    const existing = new Map();
    for (const row of Array.from(tbody.rows)) existing.set(row.dataset.key, row);
    items.forEach((item, index) => {
      const key = keyOf(item, index);
      let row = existing.get(key);
      if (row) existing.delete(key);
      else { row = make(item); row.dataset.key = key; }
      update(row, item, index);
      if (tbody.rows[index] !== row) tbody.insertBefore(row, tbody.rows[index] || null);
    });
    for (const row of existing.values()) row.remove();
  }
  function span(className) {
    const element = document.createElement('span');
    if (className) element.className = className;
    return element;
  }
  function setClass(element, name) { if (element.className !== name) element.className = name; }

  // ---- rendering ------------------------------------------------------------------------------------------
  function render(status) {
    const table = status.table || {};
    const backends = status.backends || [];
    backendStates = new Map(backends.map((b) => [b.name, b.state]));
    renderTable(table);
    renderBackends(backends);
    renderRoutes(status.routes || [], table);
    renderPools(status.pools || []);
    renderDecisions(status.decisions || []);
    renderReplicas(status.store || null, status.replicas || []);
    showCalls(Boolean(status.store));
    renderDownChoices(backends);
    $('main').hidden = false;
  }

  function renderTable(table) {
    text($('t-version'), table.version || '—');
    text($('t-loaded'), when(table.loaded_at) + (table.loaded_by ? ' · by ' + table.loaded_by : ''));
    text($('t-fallback'), table.fallback || 'reject');
    const error = table.last_reload_error;
    text($('t-reload'), error ? '▲ failed ' + when(table.last_reload_error_at) : '✓ no failed reload');
    setClass($('t-reload'), error ? 'bad-text' : '');
    $('t-error').hidden = !error;
    text($('t-error-text'), error || '');
    text($('t-error-at'), table.last_reload_error_at ? when(table.last_reload_error_at) : '');
  }

  function renderBackends(backends) {
    const capacity = backends.some((b) => has(b, 'active_calls') || has(b, 'max_calls') || has(b, 'draining') || has(b, 'drained'));
    for (const th of document.querySelectorAll('#backends th.cap')) th.hidden = !capacity;
    const counts = { healthy: 0, unhealthy: 0, unknown: 0 };
    for (const b of backends) counts[b.state] = (counts[b.state] || 0) + 1;
    text($('b-summary'), backends.length + ' backends: ' + counts.healthy + ' up, ' + counts.unhealthy + ' down, ' + counts.unknown + ' unknown');
    sync($('backends').tBodies[0], backends, (b) => b.name, makeBackendRow, (row, b) => updateBackendRow(row, b, capacity));
  }

  function makeBackendRow() {
    const row = makeRow(['Backend', 'State', 'Last probe', 'Recent probes', 'Calls', 'Drain']);
    const [name, state, probe, spark, calls, drainCell] = row.cells;
    const title = document.createElement('strong');
    name.append(title, span('sub mono'));
    state.append(span('state'));
    probe.append(span(), span('sub'));
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('class', 'spark');
    svg.setAttribute('viewBox', '0 0 120 28');
    svg.setAttribute('role', 'img');
    const line = document.createElementNS(SVG, 'path');
    line.setAttribute('class', 'line');
    const fails = document.createElementNS(SVG, 'path');
    fails.setAttribute('class', 'fail');
    svg.append(line, fails);
    spark.append(svg, span('sub'));
    calls.append(span('mono'), document.createElement('meter'), span('badge'));
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'secondary';
    button.addEventListener('click', () => drain(button));
    drainCell.append(button);
    return row;
  }

  function updateBackendRow(row, b, capacity) {
    const [name, state, probe, spark, calls, drainCell] = row.cells;
    row.dataset.state = b.state;
    setClass(row, b.state === 'unhealthy' ? 'unhealthy' : '');
    text(name.firstChild, b.name);
    text(name.lastChild, b.url || '');
    const stateSpan = state.firstChild;
    text(stateSpan, stateText(b.state));
    setClass(stateSpan, 'state ' + b.state);
    const runs = b.consecutive_failures > 0
      ? b.consecutive_failures + (b.consecutive_failures === 1 ? ' failure' : ' failures') + ' in a row'
      : (b.consecutive_successes > 0 ? b.consecutive_successes + ' ok in a row' : '');
    const last = b.last_probe;
    if (last) {
      text(probe.firstChild, (last.ok ? '✓ ok' : '✗ ' + (last.reason || 'failed')) + ' · ' + ms(last.latency_ms));
      setClass(probe.firstChild, last.ok ? '' : 'bad-text');
      text(probe.lastChild, clock(new Date(last.at)) + (runs ? ' · ' + runs : ''));
    } else {
      text(probe.firstChild, 'no probe yet');
      setClass(probe.firstChild, '');
      text(probe.lastChild, '');
    }
    drawSparkline(spark.firstChild, spark.lastChild, b.recent_latencies_ms);
    calls.hidden = !capacity;
    drainCell.hidden = !capacity;
    if (capacity) {
      const [count, meter, badge] = calls.children;
      const active = b.active_calls == null ? 0 : b.active_calls;
      const limit = b.max_calls;
      text(count, limit == null ? active + ' active (no limit)' : active + ' / ' + limit);
      meter.hidden = limit == null;
      if (limit != null) { meter.max = Math.max(1, limit); meter.value = Math.min(active, limit); meter.high = Math.max(1, limit) * 0.8; }
      meter.setAttribute('aria-label', b.name + ' active calls');
      const drainState = b.drained ? '◌ drained' : (b.draining ? '◐ draining' : '');
      text(badge, drainState);
      badge.hidden = !drainState;
      const button = drainCell.firstChild;
      const draining = Boolean(b.draining || b.drained);
      text(button, draining ? 'Undrain' : 'Drain');
      button.dataset.backend = b.name;
      button.dataset.action = draining ? 'undrain' : 'drain';
      button.setAttribute('aria-label', (draining ? 'Undrain ' : 'Drain ') + b.name);
    }
  }

  function drawSparkline(svg, caption, values) {
    values = Array.isArray(values) ? values : [];
    const width = 120, height = 28, slots = 60, step = width / (slots - 1);
    const numbers = values.filter((v) => typeof v === 'number');
    const top = Math.max(0.001, ...numbers);
    let line = '', fails = '', pen = false;
    values.forEach((v, i) => {
      const x = (width - (values.length - 1 - i) * step).toFixed(1);
      if (typeof v === 'number') {
        const y = (height - 2 - (v / top) * (height - 4)).toFixed(1);
        line += (pen ? 'L' : 'M') + x + ' ' + y;
        pen = true;
      } else {
        fails += 'M' + x + ' ' + height + 'V' + (height - 8);
        pen = false;
      }
    });
    const [path, failPath] = svg.children;
    if (path.getAttribute('d') !== line) path.setAttribute('d', line);
    if (failPath.getAttribute('d') !== fails) failPath.setAttribute('d', fails);
    const failed = values.length - numbers.length;
    let summary;
    if (!values.length) summary = 'no probes yet';
    else {
      const sorted = numbers.slice().sort((a, b) => a - b);
      const median = sorted.length ? sorted[Math.floor(sorted.length / 2)] : null;
      summary = values.length + ' probes';
      if (median != null) summary += ', median ' + ms(median) + ', max ' + ms(sorted[sorted.length - 1]);
      if (failed) summary += ', ' + failed + ' failed';
    }
    svg.setAttribute('aria-label', 'Recent probe latencies: ' + summary);
    text(caption, summary);
  }

  function renderRoutes(routes, table) {
    const rows = routes.map((r) => Object.assign({ key: 'route:' + r.name }, r));
    rows.push({ key: 'no-route', name: '(no route matched)', target: table.fallback || 'reject', fallback: null, decisions: table.unmatched_decisions, noRoute: true });
    sync($('routes').tBodies[0], rows, (r) => r.key, () => makeRow(['#', 'Route', 'Target', 'Fallback', 'Decisions']), (row, r, index) => {
      const [number, name, target, fallback, decisions] = row.cells;
      number.className = 'num';
      decisions.className = 'num';
      setClass(row, r.noRoute ? 'no-route' : '');
      text(number, r.noRoute ? '' : index + 1);
      text(name, r.name);
      text(target, r.target + (r.strategy ? ' (' + r.strategy + ')' : ''));
      text(fallback, r.fallback || '—');
      text(decisions, r.decisions == null ? '—' : r.decisions);
    });
  }

  function renderPools(pools) {
    $('pools-empty').hidden = pools.length > 0;
    $('pools').hidden = pools.length === 0;
    sync($('pools').tBodies[0], pools, (p) => p.name, () => makeRow(['Pool', 'Strategy', 'Members', 'When none is up']), (row, p) => {
      const [name, strategy, members, fallback] = row.cells;
      text(name, p.name);
      text(strategy, p.strategy);
      text(members, (p.members || []).map((m) => {
        const [shape] = STATES[backendStates.get(m)] || ['○'];
        return shape + ' ' + m;
      }).join('  '));
      text(fallback, p.panic ? 'panic: use all members' : (p.fallback || 'table fallback'));
    });
  }

  function renderDecisions(decisions) {
    const newest = decisions.slice().reverse();
    $('decisions-empty').hidden = newest.length > 0;
    sync($('decisions').tBodies[0], newest, (d, i) => d.request_id + '@' + d.at, () => makeRow(['Time', 'Caller → number', 'Route', 'Answer']), (row, d) => {
      const [time, numbers, route, answer] = row.cells;
      text(time, clock(new Date(d.at)));
      text(numbers, d.caller + ' → ' + d.number);
      text(route, d.route || '(no route)');
      let outcome;
      if (d.outcome === 'reject') outcome = '✕ reject';
      else if (d.backend) outcome = '✓ ' + d.backend;
      else outcome = '✓ number default';
      text(answer, outcome);
      setClass(answer, d.outcome === 'reject' ? 'bad-text' : '');
    });
  }

  // With a shared store: its state and every replica heartbeating in it; the section stays hidden without one.
  function renderReplicas(store, replicas) {
    $('replicas-section').hidden = !store;
    if (!store) return;
    const state = store.state === 'available' ? '✓ store available'
      : store.state === 'unavailable' ? '▲ store unavailable since ' + when(store.since) + ' (' + (store.last_error || 'no answer') + '); calls decided by policy "' + store.unavailable_policy + '"'
      : '○ connecting to the store';
    text($('r-store'), state);
    setClass($('r-store'), store.state === 'available' ? 'summary' : 'summary bad-text');
    sync($('replicas').tBodies[0], replicas, (r) => r.id, () => makeRow(['Replica', 'Version', 'Host', 'Started', 'Last heartbeat', 'Sees down']), (row, r) => {
      const [id, version, host, started, heartbeat, down] = row.cells;
      text(id, r.id + (r.self ? ' (this one)' : ''));
      text(version, r.version);
      text(host, r.host);
      text(started, when(r.started_at));
      const age = (Date.now() - new Date(r.heartbeat_at).getTime()) / 1000;
      text(heartbeat, when(r.heartbeat_at) + (age > 10 ? ' ▲ stale' : ''));
      setClass(heartbeat, age > 10 ? 'bad-text' : '');
      // The backends this replica's own health checks see down, as of its last heartbeat.
      const seen = Array.isArray(r.backends_down) ? r.backends_down : null;
      text(down, seen == null ? '' : (seen.length ? '▲ ' + seen.join(', ') : 'none'));
      setClass(down, seen && seen.length ? 'bad-text' : '');
    });
    renderDisagreements(Array.isArray(store.health_disagreements) ? store.health_disagreements : []);
  }

  // Backends that live replicas see differently (up at some, down at others); nothing while they agree.
  function renderDisagreements(disagreements) {
    $('r-disagree').hidden = disagreements.length === 0;
    const list = $('r-disagreements');
    const existing = new Map(Array.from(list.children).map((item) => [item.dataset.key, item]));
    disagreements.forEach((d, index) => {
      let item = existing.get(d.backend);
      if (item) existing.delete(d.backend);
      else { item = document.createElement('li'); item.dataset.key = d.backend; }
      text(item, 'backend ' + d.backend + ': ● up at ' + (d.up || []).join(', ') + '; ▲ down at ' + (d.down || []).join(', '));
      if (list.children[index] !== item) list.insertBefore(item, list.children[index] || null);
    });
    for (const item of existing.values()) item.remove();
  }

  // ---- call records (with a store): searched on submit and once when the section first appears, not polled
  function showCalls(store) {
    $('calls-section').hidden = !store;
    if (store && !callsSearched) {
      callsSearched = true;
      searchCalls();
    }
  }

  $('calls-form').addEventListener('submit', (event) => {
    event.preventDefault();
    searchCalls();
  });

  async function searchCalls() {
    const form = $('calls-form');
    const query = new URLSearchParams();
    for (const key of ['number', 'call', 'backend', 'route', 'outcome', 'since']) {
      const value = form.elements[key].value.trim();
      if (value) query.append(key, value);
    }
    query.append('limit', String(CALLS_LIMIT));
    const out = $('calls-result');
    const button = $('c-submit');
    const search = ++callsSearch;
    button.disabled = true;
    text($('c-summary'), 'searching…');
    try {
      // URLSearchParams writes a space as '+' and a '+' as '%2B'; the server reads '+' as a plus sign.
      const result = await request('GET', '/admin/calls?' + query.toString().replace(/\+/g, '%20'));
      if (search !== callsSearch) return;  // a newer search has started: its answer counts
      if (result.status === 401) {
        // The page asks for the token; the section searches again once it has it.
        callsSearched = false;
        text($('c-summary'), '');
        return;
      }
      if (result.status !== 200 || !result.body || !Array.isArray(result.body.calls)) {
        show(out, false, '✗ ' + errorText(result));
        clearCalls();
        return;
      }
      out.replaceChildren();
      setClass(out, 'result');
      renderCalls(result.body.calls);
    } catch (error) {
      if (search !== callsSearch) return;
      show(out, false, '✗ No answer from Switchboard (' + (error.name === 'AbortError' ? 'no answer within 5 s' : error.message) + ')');
      clearCalls();
    } finally {
      if (search === callsSearch) button.disabled = false;
    }
  }

  function clearCalls() {
    $('calls').hidden = true;
    $('calls').tBodies[0].replaceChildren();
    text($('c-summary'), '');
  }

  // A call record's time. The records' times are UTC; one without a zone designator is read as UTC, not as the
  // browser's local time.
  function recordTime(iso) {
    return new Date(/(Z|[+-]\d\d:?\d\d)$/i.test(iso) ? iso : iso + 'Z');
  }

  // The time a call was decided: the clock, with the date when it is not today.
  function stamp(iso) {
    const date = recordTime(iso);
    return (date.toDateString() === new Date().toDateString() ? '' : date.toLocaleDateString() + ' ') + clock(date);
  }

  // As `switchboard calls` prints it: 2m03s; live for a call not rejected whose call.ended has not come; — for a reject.
  // A duration counts only with an end time (a record not ended yet may carry 0).
  function duration(c) {
    const seconds = c.ended_at ? c.duration_seconds : null;
    if (seconds == null) return c.outcome === 'reject' ? '—' : 'live';
    if (seconds < 60) return seconds + 's';
    return Math.floor(seconds / 60) + 'm' + String(seconds % 60).padStart(2, '0') + 's';
  }

  function renderCalls(calls) {
    const body = $('calls').tBodies[0];
    body.replaceChildren();
    const labels = ['Time', 'Call', 'Caller', 'Number', 'Route', 'Answer', 'Duration', 'Replica', 'Why'];
    for (const c of calls) {
      const row = makeRow(labels);
      row.dataset.key = String(c.id);
      const [time, call, caller, number, route, answer, length, replica, why] = row.cells;
      text(time, stamp(c.decided_at));
      time.title = recordTime(c.decided_at).toISOString();
      const id = span('mono wrap-any');
      text(id, c.call_id || '—');
      call.append(id);
      text(caller, c.caller);
      text(number, c.number);
      text(route, c.route || '(no route)');
      text(answer, c.outcome === 'reject' ? '✕ reject' : (c.backend ? '✓ ' + c.backend : '✓ number default'));
      setClass(answer, c.outcome === 'reject' ? 'bad-text' : '');
      text(length, duration(c));
      text(replica, c.replica);
      const detail = document.createElement('tr');
      detail.className = 'why';
      detail.id = 'call-why-' + c.id;
      detail.hidden = true;
      const cell = document.createElement('td');
      cell.colSpan = labels.length;
      cell.append(explanation(c));
      detail.append(cell);
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'secondary';
      button.textContent = '▸ Why';
      button.setAttribute('aria-expanded', 'false');
      button.setAttribute('aria-controls', detail.id);
      button.setAttribute('aria-label', 'Why: the decision for call ' + (c.call_id || c.request_id));
      button.addEventListener('click', () => {
        const open = detail.hidden;
        detail.hidden = !open;
        button.setAttribute('aria-expanded', String(open));
        text(button, (open ? '▾' : '▸') + ' Why');
      });
      why.append(button);
      body.append(row, detail);
    }
    $('calls').hidden = calls.length === 0;
    let summary = calls.length === 0 ? 'No calls match.' : calls.length + (calls.length === 1 ? ' call' : ' calls');
    if (calls.length >= CALLS_LIMIT) summary += ' (the newest ' + CALLS_LIMIT + '; narrow the search for older ones)';
    text($('c-summary'), summary + ' · searched at ' + clock(new Date()));
  }

  // A record's reason: the steps of its decision, in the words `switchboard explain` uses.
  function explanation(c) {
    const box = document.createElement('div');
    box.className = 'why-box';
    const heading = document.createElement('p');
    heading.textContent = 'Decided by replica ' + c.replica + ' with table version ' + c.table_version
      + (c.ended_at ? '; ended ' + stamp(c.ended_at) : '') + ':';
    box.append(heading);
    const steps = Array.isArray(c.reason) ? c.reason : [];
    if (steps.length) {
      const list = document.createElement('ol');
      list.className = 'steps';
      for (const step of steps) {
        const item = document.createElement('li');
        item.textContent = step;
        list.append(item);
      }
      box.append(list);
    } else {
      const none = document.createElement('p');
      none.textContent = 'No steps were recorded for this decision.';
      box.append(none);
    }
    return box;
  }

  function renderDownChoices(backends) {
    const box = $('x-down');
    const existing = new Map(Array.from(box.children).map((label) => [label.dataset.key, label]));
    backends.forEach((b, index) => {
      let label = existing.get(b.name);
      if (label) existing.delete(b.name);
      else {
        label = document.createElement('label');
        label.dataset.key = b.name;
        const input = document.createElement('input');
        input.type = 'checkbox';
        input.name = 'down';
        input.value = b.name;
        label.append(input, document.createTextNode(' ' + b.name));
      }
      if (box.children[index] !== label) box.insertBefore(label, box.children[index] || null);
    });
    for (const label of existing.values()) label.remove();
  }

  // ---- actions --------------------------------------------------------------------------------------------
  function show(element, ok, message, detail) {
    element.replaceChildren();
    setClass(element, 'result ' + (ok ? 'ok' : 'bad'));
    const line = document.createElement('p');
    line.textContent = message;
    element.append(line);
    if (detail) {
      const pre = document.createElement('pre');
      pre.textContent = detail;
      element.append(pre);
    }
  }

  $('reload').addEventListener('click', async () => {
    const button = $('reload');
    button.disabled = true;
    try {
      const result = await request('POST', '/admin/reload');
      if (result.status === 401) return;
      if (result.status === 200 && result.body) show($('reload-result'), true, '✓ Reloaded: version ' + result.body.version + ' at ' + clock(new Date()));
      else show($('reload-result'), false, '✗ Reload failed at ' + clock(new Date()) + '; the running table stays:', errorText(result));
    } catch (error) {
      show($('reload-result'), false, '✗ Reload: no answer from Switchboard (' + error.message + ')');
    } finally {
      button.disabled = false;
    }
    refresh();
  });

  async function drain(button) {
    const name = button.dataset.backend;
    const action = button.dataset.action;
    if (!name || !action) return;
    button.disabled = true;
    try {
      const result = await request('POST', '/admin/backends/' + encodeURIComponent(name) + '/' + action);
      if (result.status === 401) return;
      if (result.status >= 200 && result.status < 300) show($('drain-result'), true, '✓ ' + action + ' ' + name + ': done');
      else show($('drain-result'), false, '✗ ' + action + ' ' + name + ': ' + errorText(result));
    } catch (error) {
      show($('drain-result'), false, '✗ ' + action + ' ' + name + ': no answer (' + error.message + ')');
    } finally {
      button.disabled = false;
    }
    refresh();
  }

  $('explain-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = event.target;
    const query = new URLSearchParams();
    for (const key of ['caller', 'number', 'at']) {
      const value = form.elements[key].value.trim();
      if (value) query.append(key, value);
    }
    for (const box of form.querySelectorAll('input[name=down]:checked')) query.append('down', box.value);
    const out = $('explain-result');
    $('x-submit').disabled = true;
    try {
      const result = await request('GET', '/admin/explain?' + query.toString().replace(/\+/g, '%20'));
      if (result.status === 401) return;
      if (result.status !== 200 || !result.body) { show(out, false, '✗ ' + errorText(result)); return; }
      renderExplanation(out, result.body);
    } catch (error) {
      show(out, false, '✗ No answer from Switchboard (' + error.message + ')');
    } finally {
      $('x-submit').disabled = false;
    }
  });

  function renderExplanation(out, x) {
    out.replaceChildren();
    setClass(out, 'result');
    const heading = document.createElement('p');
    const strong = document.createElement('strong');
    strong.id = 'explain-route';
    strong.textContent = x.matched_route ? '✓ Route “' + x.matched_route + '” matches' : '○ No route matches: the table fallback decides';
    heading.append(strong);
    out.append(heading);
    const answer = document.createElement('p');
    answer.id = 'explain-answer';
    const action = x.answer && x.answer.action;
    if (action === 'reject') answer.textContent = '✕ Rejected';
    else if (x.backend) answer.textContent = '→ Backend ' + x.backend + ' answers';
    else answer.textContent = '→ Inkbox uses the number’s own URL (number default)';
    out.append(answer);
    if (x.skipped && x.skipped.length) {
      const title = document.createElement('h3');
      title.textContent = 'Routes above it that did not match';
      const list = document.createElement('ul');
      list.className = 'trace';
      for (const s of x.skipped) {
        const item = document.createElement('li');
        item.textContent = '✗ ' + s.route + ': ' + s.condition + ' — ' + s.reason;
        list.append(item);
      }
      out.append(title, list);
    }
    if (x.steps && x.steps.length) {
      const title = document.createElement('h3');
      title.textContent = 'How the target resolved';
      const list = document.createElement('ol');
      for (const step of x.steps) {
        const item = document.createElement('li');
        item.textContent = step;
        list.append(item);
      }
      out.append(title, list);
    }
    const title = document.createElement('h3');
    title.textContent = 'Webhook answer';
    const pre = document.createElement('pre');
    pre.textContent = JSON.stringify(x.answer);
    out.append(title, pre);
  }

  refresh();
})();
