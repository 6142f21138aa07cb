// The lab's web page: an SVG picture of the lab (routers, nodes, pods; BGP sessions green and solid when Established,
// red and dashed otherwise: colour is never the only signal) updated from server-sent events, and a doctor form.
// Plain HTML, CSS and script; nothing loaded from elsewhere.
export const LAB_WEB_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Gannet lab</title>
<style>
  :root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --panel: #f6f8fa; --up: #1a7f37; --down: #cf222e; }
  body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); }
  header { display: flex; gap: 16px; align-items: baseline; padding: 12px 20px; border-bottom: 1px solid var(--line); background: var(--panel); }
  header h1 { font-size: 18px; margin: 0; }
  main { display: grid; grid-template-columns: minmax(0, 3fr) minmax(300px, 1fr); gap: 16px; padding: 12px 20px; }
  section { border: 1px solid var(--line); border-radius: 6px; overflow: hidden; }
  section h2 { font-size: 15px; margin: 0; padding: 8px 12px; background: var(--panel); border-bottom: 1px solid var(--line); }
  svg { width: 100%; height: auto; display: block; }
  .box { fill: #fff; stroke: #57606a; stroke-width: 1.5; }
  .box.router { fill: #ddf4ff; }
  .box.down { fill: #ffebe9; stroke: var(--down); }
  .box.hit { stroke: #bf8700; stroke-width: 4; }
  text { font: 12px system-ui, sans-serif; fill: var(--fg); }
  text.small { font-size: 10px; fill: var(--muted); }
  .session { fill: none; stroke-width: 3; }
  .session.up { stroke: var(--up); }
  .session.down { stroke: var(--down); stroke-dasharray: 6 4; }
  .podlink { stroke: #8c959f; stroke-width: 1; }
  .legend { padding: 6px 12px; color: var(--muted); }
  form { padding: 10px 12px; display: grid; gap: 8px; }
  select, button { font: inherit; padding: 4px 6px; }
  #result { padding: 0 12px 12px; }
  #result ol { padding-left: 20px; margin: 6px 0; }
  .ok { color: var(--up); } .fail { color: var(--down); font-weight: 600; } .warn { color: #7d4e00; }
</style>
</head>
<body>
<header><h1>Gannet lab <span id="name"></span></h1><span id="summary" style="color:var(--muted)"></span><span id="link" style="margin-left:auto;color:var(--muted)">connecting…</span></header>
<main>
  <section><h2>Topology</h2><div id="pic"></div>
    <div class="legend"><svg width="220" height="14" style="display:inline;width:auto"><line x1="0" y1="7" x2="30" y2="7" class="session up"/><text x="36" y="11">Established</text><line x1="120" y1="7" x2="150" y2="7" class="session down"/><text x="156" y="11">down</text></svg></div></section>
  <section><h2>Doctor</h2>
    <form id="doctor"><label>from <select id="src"></select></label><label>to <select id="dst"></select></label><button type="submit">Walk the path</button></form>
    <div id="result" aria-live="polite"></div></section>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
let lab = null;
let highlight = new Set();
function layout(l) {
  const tiers = [l.routers.filter((r) => r.role === 'spine'), l.routers.filter((r) => r.role !== 'spine'), l.nodes, l.pods].filter((t) => t.length);
  const W = Math.max(600, Math.max(...tiers.map((t) => t.length)) * 130 + 40);
  const pos = new Map();
  tiers.forEach((t, i) => t.forEach((e, j) => pos.set(e.name || e.id, { x: (W / t.length) * (j + 0.5), y: 50 + i * 110 })));
  return { W, H: 50 + tiers.length * 110, pos };
}
function draw() {
  const l = lab; if (!l) return;
  const { W, H, pos } = layout(l);
  let s = '<svg viewBox="0 0 ' + W + ' ' + H + '" role="img" aria-label="lab topology">';
  for (const p of l.pods) { const a = pos.get(p.id), b = pos.get(p.node); if (a && b) s += '<line class="podlink" x1="' + a.x + '" y1="' + a.y + '" x2="' + b.x + '" y2="' + b.y + '"/>'; }
  for (const x of l.sessions) {
    const a = pos.get(x.a), b = pos.get(x.b); if (!a || !b) continue;
    const up = x.state === 'Established';
    const mid = a.y === b.y ? ' Q ' + (a.x + b.x) / 2 + ' ' + (a.y - 30 - Math.abs(a.x - b.x) / 6) + ' ' : ' L ';
    s += '<path class="session ' + (up ? 'up' : 'down') + '" data-session="' + esc(x.a + '|' + x.b) + '" data-state="' + esc(x.state) + '" d="M ' + a.x + ' ' + a.y + mid + b.x + ' ' + b.y + '"><title>' + esc(x.a + ' – ' + x.b + ': ' + x.state) + '</title></path>';
  }
  const box = (name, lines, cls, w) => { const p = pos.get(name); if (!p) return '';
    return '<g data-entity="' + esc(name) + '"><rect class="box ' + cls + (highlight.has(name) ? ' hit' : '') + '" x="' + (p.x - w / 2) + '" y="' + (p.y - 20) + '" width="' + w + '" height="40" rx="6"/>' +
      lines.map((t, i) => '<text x="' + p.x + '" y="' + (p.y - 4 + i * 14) + '" text-anchor="middle"' + (i ? ' class="small"' : '') + '>' + esc(t) + '</text>').join('') + '</g>'; };
  for (const r of l.routers) s += box(r.name, [r.name, r.kind.toUpperCase() + ' AS ' + r.asn], 'router', 112);
  for (const n of l.nodes) s += box(n.name, [n.name + (n.agent === 'up' ? '' : ' (agent down)'), n.podCIDR], n.agent === 'up' ? 'node' : 'node down', 112);
  for (const p of l.pods) s += box(p.id, [p.id.replace(/^node\\d+-/, ''), p.ip], 'pod', 96);
  $('pic').innerHTML = s + '</svg>';
}
function fillPods(l) {
  for (const id of ['src', 'dst']) {
    const sel = $(id), keep = sel.value;
    sel.innerHTML = l.pods.map((p) => '<option value="' + esc(p.id) + '">' + esc(p.id + ' (' + p.ip + ')') + '</option>').join('');
    if (keep && l.pods.some((p) => p.id === keep)) sel.value = keep;
  }
  if (!$('dst').dataset.touched && l.pods.length > 1 && $('dst').value === $('src').value) $('dst').selectedIndex = l.pods.length - 1;
}
const es = new EventSource('api/lab/events');
es.addEventListener('lab', (e) => {
  const first = !lab; lab = JSON.parse(e.data);
  $('name').textContent = lab.name;
  const up = lab.sessions.filter((x) => x.state === 'Established').length;
  $('summary').textContent = lab.topology + ': ' + lab.nodes.length + ' nodes, ' + lab.routers.length + ' routers, ' + lab.pods.length + ' pods; sessions ' + up + '/' + lab.sessions.length + ' Established';
  $('summary').dataset.up = up; $('summary').dataset.total = lab.sessions.length;
  draw(); if (first || $('src').options.length !== lab.pods.length) fillPods(lab);
});
es.onopen = () => { $('link').textContent = 'live'; };
es.onerror = () => { $('link').textContent = 'reconnecting…'; };
$('dst').addEventListener('change', () => { $('dst').dataset.touched = '1'; });
$('doctor').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  $('result').innerHTML = '<p>walking…</p>';
  const res = await fetch('api/lab/doctor', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ src: $('src').value, dst: $('dst').value }) });
  const r = await res.json();
  if (!res.ok) { $('result').innerHTML = '<p class="fail">' + esc(r.error) + '</p>'; return; }
  highlight = new Set();
  let html = '<p data-verdict="' + (r.ok ? 'ok' : 'broken') + '">' + (r.ok ? '<span class="ok">path OK</span>' : '<span class="fail" data-broken="' + esc(r.broken.hop + ': ' + r.broken.check) + '">broken at ' + esc(r.broken.hop) + ': ' + esc(r.broken.check) + '</span> — ' + esc(r.broken.detail) + (r.broken.hint ? '<br><i>' + esc(r.broken.hint) + '</i>' : '')) + ' (' + r.elapsedMs + ' ms)</p><ol>';
  for (const h of r.hops) {
    const bad = h.checks.find((c) => c.status === 'fail');
    const entity = h.label.split(' ')[1];
    if (bad && entity) highlight.add(entity);
    html += '<li><b>' + esc(h.label) + '</b> ' + (bad ? '<span class="fail">✗ ' + esc(bad.name) + '</span>' : '<span class="ok">✓</span>') + '</li>';
  }
  $('result').innerHTML = html + '</ol>' + (r.ping === undefined ? '' : '<p>ping: ' + (r.ping ? 'answered' : 'no answer') + '</p>');
  draw();
});
</script>
</body>
</html>
`;
