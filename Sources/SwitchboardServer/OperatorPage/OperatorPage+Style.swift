extension OperatorPage {
    /// The page's style sheet: light and dark (`prefers-color-scheme`), one column below 1000 px, tables as
    /// labelled cards below 640 px.
    static let style = #"""
:root {
  color-scheme: light dark;
  --bg: #f6f7f9; --fg: #1b1f24; --muted: #59636e; --card: #ffffff; --line: #d1d9e0; --head: #eef1f4;
  --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --unknown: #59636e; --accent: #0969da;
  --bad-bg: #ffebe9; --warn-bg: #fff8c5; --focus: #0969da; --spark: #0969da; --on-accent: #ffffff;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --card: #151b23; --line: #3d444d; --head: #1f2630;
    --ok: #3fb950; --bad: #ff7b72; --warn: #d29922; --unknown: #9198a1; --accent: #4493f8;
    --bad-bg: #3c1618; --warn-bg: #3a2e0a; --focus: #4493f8; --spark: #4493f8; --on-accent: #0d1117;
  }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--fg);
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif;
}
code, pre, .mono { font-family: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.92em; }
.wrap { max-width: 1260px; margin: 0 auto; padding: 0 16px 24px; }
.skip { position: absolute; left: -9999px; }
.skip:focus { left: 16px; top: 8px; z-index: 10; background: var(--card); padding: 6px 10px; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
header.top {
  display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 16px;
  padding: 12px 0 8px; border-bottom: 1px solid var(--line); margin-bottom: 12px;
}
header.top h1 { font-size: 1.35rem; margin: 0; }
.live { margin: 0; color: var(--muted); }
.live .dot { display: inline-block; width: 0.6em; height: 0.6em; border-radius: 50%; background: var(--ok); margin-right: 0.35em; }
.stale .live .dot { background: var(--bad); border-radius: 0; }
.banner {
  border: 2px solid var(--bad); background: var(--bad-bg); color: var(--fg);
  padding: 10px 14px; margin: 0 0 12px; font-weight: 600; border-radius: 6px;
}
.stale main { opacity: 0.6; }
section {
  background: var(--card); border: 1px solid var(--line); border-radius: 8px;
  padding: 12px 14px; margin: 0 0 14px; min-width: 0;
}
h2 { font-size: 1.05rem; margin: 0 0 8px; }
h3 { font-size: 0.95rem; margin: 10px 0 4px; }
.section-head { display: flex; flex-wrap: wrap; align-items: baseline; justify-content: space-between; gap: 6px 12px; }
.section-head h2 { margin: 0; }
.summary { color: var(--muted); margin: 0; }
.facts { display: grid; grid-template-columns: repeat(auto-fit, minmax(190px, 1fr)); gap: 6px 18px; margin: 8px 0 0; }
.facts div { min-width: 0; }
.facts dt { color: var(--muted); font-size: 0.85rem; }
.facts dd { margin: 0; overflow-wrap: anywhere; }
.reload-error { border: 2px solid var(--bad); background: var(--bad-bg); border-radius: 6px; padding: 8px 12px; margin-top: 10px; }
.reload-error p { margin: 0 0 6px; }
.reload-error pre, .result pre { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
button {
  font: inherit; font-weight: 600; padding: 5px 14px; min-height: 34px; border-radius: 6px; cursor: pointer;
  border: 1px solid var(--accent); background: var(--accent); color: var(--on-accent);
}
button.secondary { background: transparent; color: var(--accent); }
button:disabled { opacity: 0.6; cursor: progress; }
.result { margin: 8px 0 0; }
.result:empty { display: none; }
.result.ok { color: var(--ok); }
.result.bad { color: var(--bad); }
.scroll { overflow-x: auto; }
table.data { width: 100%; border-collapse: collapse; font-size: 0.93rem; }
table.data th, table.data td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
table.data th { background: var(--head); font-weight: 600; white-space: nowrap; }
table.data td.num, table.data th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.data tbody tr:last-child td { border-bottom: 0; }
.sub { display: block; color: var(--muted); font-size: 0.85rem; overflow-wrap: anywhere; }
.state { font-weight: 700; white-space: nowrap; }
.state.healthy, .ok-text { color: var(--ok); }
.state.unhealthy, .bad-text { color: var(--bad); }
.state.unknown { color: var(--unknown); }
.badge { display: inline-block; border: 1px solid currentColor; border-radius: 4px; padding: 0 5px; font-size: 0.82rem; font-weight: 700; color: var(--warn); white-space: nowrap; }
tr.unhealthy td:first-child { box-shadow: inset 4px 0 0 var(--bad); }
tr.no-route td { color: var(--muted); font-style: italic; }
svg.spark { display: block; width: 120px; height: 28px; overflow: visible; }
svg.spark .line { fill: none; stroke: var(--spark); stroke-width: 1.5; stroke-linejoin: round; stroke-linecap: round; }
svg.spark .fail { fill: none; stroke: var(--bad); stroke-width: 2; }
meter { width: 80px; vertical-align: middle; }
.grid2 { display: grid; grid-template-columns: 1fr; gap: 0 14px; }
@media (min-width: 1000px) { .grid2 { grid-template-columns: 1fr 1fr; } }
form.explain { display: grid; grid-template-columns: 1fr 1fr; gap: 8px 12px; align-items: end; }
form.explain label, form.auth label { display: block; font-weight: 600; font-size: 0.9rem; }
form.explain .wide { grid-column: 1 / -1; }
input[type=text], input[type=password] {
  font: inherit; width: 100%; padding: 5px 8px; min-height: 34px; border-radius: 6px;
  border: 1px solid var(--line); background: var(--bg); color: var(--fg);
}
fieldset { border: 1px solid var(--line); border-radius: 6px; margin: 0; padding: 4px 10px 6px; }
legend { font-weight: 600; font-size: 0.9rem; padding: 0 4px; }
fieldset label { display: inline-flex !important; align-items: center; gap: 4px; margin-right: 14px; font-weight: 400 !important; min-height: 30px; }
input[type=checkbox] { width: 18px; height: 18px; margin: 0; }
.trace { margin: 4px 0 0; padding-left: 0; list-style: none; }
.trace li { padding: 2px 0; overflow-wrap: anywhere; }
.auth { border: 2px solid var(--accent); max-width: 560px; }
form.auth { display: flex; flex-wrap: wrap; gap: 8px; align-items: end; }
form.auth div { flex: 1 1 240px; }
footer { color: var(--muted); font-size: 0.85rem; padding-top: 4px; }
@media (max-width: 640px) {
  body { font-size: 16px; }
  .wrap { padding: 0 10px 20px; }
  section { padding: 10px; }
  form.explain { grid-template-columns: 1fr; }
  table.data thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  table.data, table.data tbody, table.data tr, table.data td { display: block; width: 100%; }
  table.data tr { border-bottom: 1px solid var(--line); padding: 6px 0; }
  table.data tbody tr:last-child { border-bottom: 0; }
  table.data td { border: 0; padding: 2px 0; display: grid; grid-template-columns: 7.5em minmax(0, 1fr); column-gap: 10px; }
  table.data td.num, table.data th.num { text-align: left; }
  table.data td::before { content: attr(data-label); font-weight: 600; color: var(--muted); grid-column: 1; grid-row: 1 / span 3; }
  table.data td > * { grid-column: 2; min-width: 0; }
  table.data td[hidden] { display: none; }
  tr.unhealthy td:first-child { box-shadow: none; }
  tr.unhealthy { box-shadow: inset 4px 0 0 var(--bad); padding-left: 8px; }
}
@media (prefers-reduced-motion: no-preference) { .banner { transition: opacity 0.2s; } }
"""#
}
