// `gannet lab web` in a real browser (Debian's chromium, headless, playwright-core) on a leaf-spine lab (2 racks × 1
// node, 2 spines, FRR): the page draws every router, node and pod and every session Established; a session shut down
// on a leaf turns red without a reload; the doctor form names the broken hop. Screenshots as artifacts.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromiumMissing, launchBrowser, type TestBrowser } from '../src/browser.js';
import { GANNET_BIN } from '../src/cri-node.js';
import { runIn, TestLab } from '../src/lab-fixture.js';
import { requireRoot } from '../src/root.js';

const ARTIFACTS = process.env.GANNET_ARTIFACTS ?? fileURLToPath(new URL('../../artifacts', import.meta.url));

describe('lab web: the whole lab in one live page', function () {
  this.timeout(120_000);
  let t: TestLab;
  let b: TestBrowser;
  let server: ChildProcess | undefined;
  let url = '';

  before(async function () {
    requireRoot(this);
    const missing = chromiumMissing();
    if (missing) throw new Error(missing);
    mkdirSync(ARTIFACTS, { recursive: true });
    t = new TestLab({
      nodes: 2,
      router: 'frr',
      podsPerNode: 1,
      topology: 'leaf-spine',
      racks: 2,
      nodesPerRack: 1,
      spines: 2,
    });
    await t.up();
    server = spawn(
      join(GANNET_BIN, 'gannet'),
      ['lab', 'web', '--name', t.plan.options.name, '--state-dir', dirname(t.lab.dir), '--listen', '127.0.0.1:0'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('lab web did not say where it listens in 20 s')), 20_000);
      let out = '';
      let err = '';
      server!.stderr!.on('data', (d: Buffer) => {
        err += d;
      });
      server!.stdout!.on('data', (d: Buffer) => {
        out += d;
        const m = /at (http:\/\/\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      server!.once('exit', (code) => reject(new Error(`lab web exited ${code}: ${err}`)));
    });
    b = await launchBrowser();
  });

  after(async () => {
    await b?.close();
    if (server?.pid && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => server!.once('exit', r));
    }
    await t?.destroy();
  });

  it('draws the lab, turns a cut session red without a reload, and doctor names the broken hop', async () => {
    const page = await b.browser.newPage({ viewport: { width: 1280, height: 720 } });
    let loads = 0;
    page.on('load', () => loads++);
    await page.goto(url);
    for (const e of ['spine1', 'spine2', 'leaf1', 'leaf2', 'node1', 'node2', 'node1-pod1', 'node2-pod1']) {
      await page.locator(`g[data-entity="${e}"]`).waitFor({ timeout: 20_000 });
    }
    await page.locator('#summary[data-up="6"][data-total="6"]').waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'lab-web.png') });

    const leaf = t.plan.routers.find((r) => r.name === 'leaf1')!;
    const node1 = t.node('node1');
    const vtysh = (cmd: string) =>
      runIn(leaf.ns, 'vtysh', [
        '--vty_socket',
        join(t.lab.dir, leaf.name),
        '-c',
        'configure terminal',
        '-c',
        `router bgp ${leaf.asn}`,
        '-c',
        cmd,
      ]);
    vtysh(`neighbor ${node1.address} shutdown`);
    try {
      const edge = page.locator('path[data-session="node1|leaf1"]');
      await page
        .locator('path[data-session="node1|leaf1"]:not([data-state="Established"])')
        .waitFor({ state: 'attached', timeout: 20_000 });
      assert.match((await edge.getAttribute('class')) ?? '', /\bdown\b/);
      assert.equal(loads, 1, 'no reload');
      await page.selectOption('#src', 'node1-pod1');
      await page.selectOption('#dst', 'node2-pod1');
      await page.click('button[type="submit"]');
      const broken = page.locator('[data-broken]');
      await broken.waitFor({ timeout: 30_000 });
      assert.equal(await broken.getAttribute('data-broken'), 'node node1: sessions');
      await page.locator('g[data-entity="node1"] rect.hit').waitFor({ state: 'attached', timeout: 5_000 });
      await page.screenshot({ path: join(ARTIFACTS, 'lab-web-session-down-doctor.png') });
    } finally {
      vtysh(`no neighbor ${node1.address} shutdown`);
    }
    await page.locator('#summary[data-up="6"]').waitFor({ timeout: 30_000 });
    await page.close();
  });
});
