// The agent's web page: sessions, routes, pods and what selects them, updated live from /api/v1/events (server-sent
// events; the page never polls). Plain HTML, CSS and a little script, no framework and nothing fetched from
// elsewhere. States carry their name as text as well as colour (colours chosen for WCAG AA contrast on their
// background); data-* attributes name what the browser tests look for.
export const WEB_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Gannet</title>
<style>
  :root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #ffffff; --panel: #f6f8fa;
    --ok-bg: #dafbe1; --ok-fg: #0f5323; --bad-bg: #ffebe9; --bad-fg: #a0111f; --warn-bg: #fff8c5; --warn-fg: #6c4400; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
  header { display: flex; gap: 16px; align-items: center; padding: 12px 20px; border-bottom: 1px solid var(--line); background: var(--panel); }
  header h1 { font-size: 18px; margin: 0; }
  main { padding: 12px 20px; display: grid; gap: 16px; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); }
  section { border: 1px solid var(--line); border-radius: 6px; overflow: hidden; }
  section h2 { font-size: 15px; margin: 0; padding: 8px 12px; background: var(--panel); border-bottom: 1px solid var(--line); }
  section.wide { grid-column: 1 / -1; }
  .scroll { max-height: 60vh; overflow: auto; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 4px 10px; border-bottom: 1px solid var(--line); white-space: nowrap; }
  th { font-weight: 600; color: var(--muted); position: sticky; top: 0; background: var(--bg); }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  .badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-weight: 600; font-size: 12px; }
  .ok { background: var(--ok-bg); color: var(--ok-fg); }
  .bad { background: var(--bad-bg); color: var(--bad-fg); }
  .warn { background: var(--warn-bg); color: var(--warn-fg); }
  .muted { color: var(--muted); }
  .empty { padding: 10px 12px; color: var(--muted); }
  #why { color: var(--bad-fg); }
</style>
</head>
<body>
<header>
  <h1>Gannet <span id="node" class="muted"></span></h1>
  <span id="ready" class="badge warn" data-ready="unknown">connecting…</span>
  <span id="why"></span>
  <span id="link" class="muted" style="margin-left:auto">live</span>
</header>
<main>
  <section class="wide" aria-labelledby="h-peers"><h2 id="h-peers">BGP sessions</h2>
    <div class="scroll"><table><thead><tr><th>Peer</th><th>ASN</th><th>State</th><th>Up</th><th>Received</th><th>Accepted</th><th>Advertised</th><th>BFD</th><th>Last error</th></tr></thead>
    <tbody id="peers"></tbody></table></div></section>
  <section aria-labelledby="h-routes"><h2 id="h-routes">Routes <span id="summary" class="muted"></span></h2>
    <div class="scroll"><table><thead><tr><th>Prefix</th><th>Source</th><th>Next hops</th><th>Installed</th></tr></thead>
    <tbody id="routes"></tbody></table></div></section>
  <section aria-labelledby="h-pods"><h2 id="h-pods">Pods <span id="policy" class="muted"></span></h2>
    <div class="scroll"><table><thead><tr><th>Pod</th><th>IP</th><th>Ingress policies</th><th>Egress policies</th></tr></thead>
    <tbody id="pods"></tbody></table></div></section>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
const badge = (text, cls, attrs) => '<span class="badge ' + cls + '" ' + (attrs || '') + '>' + esc(text) + '</span>';
let peers = [];
function uptime(since) {
  if (since == null) return '';
  let s = Math.max(0, Math.round(Date.now() / 1000 - since));
  const d = Math.floor(s / 86400); s -= d * 86400;
  const h = Math.floor(s / 3600); s -= h * 3600;
  const m = Math.floor(s / 60); s -= m * 60;
  return d ? d + 'd' + h + 'h' : h ? h + 'h' + m + 'm' : m ? m + 'm' + s + 's' : s + 's';
}
function renderPeers() {
  $('peers').innerHTML = peers.length === 0
    ? '<tr><td colspan="9" class="empty">no peers configured</td></tr>'
    : peers.map((p) => '<tr data-peer="' + esc(p.address) + '" data-state="' + esc(p.state) + '">' +
        '<td>' + esc(p.address) + '</td><td class="num">' + p.asn + '</td>' +
        '<td>' + badge(p.state, p.state === 'Established' ? 'ok' : 'bad') + '</td>' +
        '<td class="num">' + uptime(p.since) + '</td>' +
        '<td class="num">' + p.prefixesReceived + '</td><td class="num">' + p.prefixesAccepted + '</td><td class="num">' + p.prefixesAdvertised + '</td>' +
        '<td>' + (p.bfd ? badge(p.bfd, p.bfd === 'Up' ? 'ok' : 'bad') : '<span class="muted">off</span>') + '</td>' +
        '<td class="muted">' + esc(p.lastError || '') + '</td></tr>').join('');
}
const on = {
  node(d) {
    $('node').textContent = d.name ? '— node ' + d.name : '';
    document.title = 'Gannet' + (d.name ? ' — ' + d.name : '');
    const r = $('ready');
    r.textContent = d.ready ? 'ready' : 'not ready';
    r.className = 'badge ' + (d.ready ? 'ok' : 'bad');
    r.dataset.ready = String(d.ready);
    $('why').textContent = d.ready ? '' : d.notReady.join('; ');
  },
  peers(d) { peers = d; renderPeers(); },
  routes(d) {
    const s = d.summary;
    $('summary').textContent = '(' + s.routes + ': ' + s.local + ' local, ' + s.bgp + ' from BGP, ' + s.installed + ' installed' + (s.failed ? ', ' + s.failed + ' refused' : '') + (s.routes > d.routes.length ? '; first ' + d.routes.length + ' shown' : '') + ')';
    $('routes').innerHTML = d.routes.length === 0 ? '<tr><td colspan="4" class="empty">no routes</td></tr>' :
      d.routes.map((r) => '<tr data-prefix="' + esc(r.prefix) + '" data-installed="' + r.installed + '"><td>' + esc(r.prefix) + '</td><td>' + esc(r.source) + '</td><td>' + esc(r.nexthops.join(', ')) + '</td><td>' +
        (r.installed ? badge('yes', 'ok') : badge('no', 'bad')) + '</td></tr>').join('');
  },
  pods(d) {
    const list = (xs) => xs.length ? esc(xs.join(', ')) : '<span class="muted">all allowed</span>';
    $('pods').innerHTML = d.length === 0 ? '<tr><td colspan="4" class="empty">no pods on this node</td></tr>' :
      d.map((p) => '<tr data-pod="' + esc(p.namespace + '/' + p.name) + '"><td>' + esc(p.namespace + '/' + p.name) + '</td><td>' + esc(p.ips.join(', ')) + '</td><td>' + list(p.ingress) + '</td><td>' + list(p.egress) + '</td></tr>').join('');
  },
  policy(d) {
    $('policy').textContent = d ? '(NetworkPolicy: ' + d.policies + ' policies, ' + d.selectedPods + ' pods selected, ' + (d.applied ? 'applied' : 'NOT applied' + (d.lastError ? ': ' + d.lastError : '')) + (d.natOutgoing ? '; egress NAT on' : '') + ')' : '';
  },
};
const es = new EventSource('api/v1/events');
for (const name of Object.keys(on)) es.addEventListener(name, (e) => on[name](JSON.parse(e.data)));
es.onopen = () => { $('link').textContent = 'live'; $('link').dataset.live = 'true'; };
es.onerror = () => { $('link').textContent = 'reconnecting…'; $('link').dataset.live = 'false'; };
// Uptime counts on the page itself (a local re-render, no request): the server sends nothing every second.
setInterval(() => { if (peers.some((p) => p.since != null)) renderPeers(); }, 1000);
</script>
</body>
</html>
`;
