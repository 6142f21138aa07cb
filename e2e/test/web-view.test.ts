// The agent's web view in a real browser (Debian's chromium, headless, driven by playwright-core) on a real lab: the
// page shows the node's session, its routes and its pod; the session cut on the router turns red on the page without
// a reload. Screenshots are saved as test artifacts (GANNET_ARTIFACTS, default e2e/artifacts).
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromiumMissing, launchBrowser, type TestBrowser } from '../src/browser.js';
import { runIn, TestLab } from '../src/lab-fixture.js';
import { requireRoot } from '../src/root.js';

const ARTIFACTS = process.env.GANNET_ARTIFACTS ?? fileURLToPath(new URL('../../artifacts', import.meta.url));

describe('web view: the agent’s page in chromium', function () {
  this.timeout(120_000);
  let t: TestLab;
  let b: TestBrowser;

  before(async function () {
    requireRoot(this);
    const missing = chromiumMissing();
    if (missing) throw new Error(missing);
    mkdirSync(ARTIFACTS, { recursive: true });
    t = new TestLab({ nodes: 2, router: 'frr', podsPerNode: 1 });
    await t.up();
    b = await launchBrowser(t.node('node1').ns);
  });

  after(async () => {
    await b?.close();
    await t?.destroy();
  });

  it('shows sessions, routes and pods, and a session cut turns red without a reload', async () => {
    const page = await b.browser.newPage({ viewport: { width: 1280, height: 800 } });
    let loads = 0;
    page.on('load', () => loads++);
    await page.goto('http://127.0.0.1:9179/');
    const router = t.plan.router!;
    const peer = page.locator(`tr[data-peer="${router.address}"]`);
    await peer.and(page.locator('[data-state="Established"]')).waitFor({ timeout: 20_000 });
    await page.locator('#ready[data-ready="true"]').waitFor({ timeout: 20_000 });
    assert.match((await page.locator('#node').textContent()) ?? '', /node1/);
    await page
      .locator(`tr[data-prefix="${t.node('node2').podCIDR}"][data-installed="true"]`)
      .waitFor({ timeout: 10_000 });
    const pod = t.pods('node1')[0]!;
    assert.match((await page.locator('#pods').textContent()) ?? '', new RegExp(pod.ip.replace(/\./g, '\\.')));
    await page.screenshot({ path: join(ARTIFACTS, 'web-view-node1.png'), fullPage: true });

    const vtysh = (cmd: string) =>
      runIn(router.ns, 'vtysh', [
        '--vty_socket',
        join(t.lab.dir, 'router'),
        '-c',
        'configure terminal',
        '-c',
        `router bgp ${router.asn}`,
        '-c',
        cmd,
      ]);
    const cutAt = Date.now();
    vtysh(`neighbor ${t.node('node1').address} shutdown`);
    try {
      await page
        .locator(`tr[data-peer="${router.address}"]:not([data-state="Established"])`)
        .waitFor({ timeout: 20_000 });
      const shownAfter = Date.now() - cutAt;
      const badgeClass = await peer.locator('.badge').first().getAttribute('class');
      assert.match(badgeClass ?? '', /\bbad\b/, 'the state badge turns red');
      await page
        .locator(`tr[data-prefix="${t.node('node2').podCIDR}"]`)
        .waitFor({ state: 'detached', timeout: 20_000 });
      await page.screenshot({ path: join(ARTIFACTS, 'web-view-node1-session-down.png'), fullPage: true });
      assert.equal(loads, 1, 'no reload');
      console.log(`      (session cut shown on the page ${shownAfter} ms after the shutdown command)`);
    } finally {
      vtysh(`no neighbor ${t.node('node1').address} shutdown`);
    }
    await peer.and(page.locator('[data-state="Established"]')).waitFor({ timeout: 30_000 });
    await page.close();
  });
});
