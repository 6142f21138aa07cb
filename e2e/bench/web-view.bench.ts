// The agent's web view (issue 15): (1) time from a session state change to the page showing it (goal < 500 ms),
// next to, in the same run, the time until the agent's own status API says so (polled every 10 ms: the floor);
// (2) the agent's CPU with 10 pages open vs none, over the same interval length. A 2-node FRR lab; chromium runs in
// node1's namespace.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { chromiumMissing, launchBrowser } from '../src/browser.js';
import { runIn, TestLab } from '../src/lab-fixture.js';
import { sleep } from '../src/netns.js';
import { isRoot } from '../src/root.js';

const ROUNDS = Number(process.env.WEB_BENCH_ROUNDS ?? 5);
const CPU_SECONDS = Number(process.env.WEB_BENCH_CPU_SECONDS ?? 10);
/** USER_HZ: /proc reports CPU time in 1/100 s on Linux. */
const USER_HZ = 100;

function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / USER_HZ; // utime + stime
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function main(): Promise<void> {
  if (!isRoot() || chromiumMissing()) {
    console.log(`web view bench: skipped (${isRoot() ? chromiumMissing() : 'needs root'})`);
    return;
  }
  const t = new TestLab({ nodes: 2, router: 'frr', podsPerNode: 1 });
  let browser: Awaited<ReturnType<typeof launchBrowser>> | undefined;
  try {
    await t.up();
    const node = t.node('node1');
    const router = t.plan.router!;
    const agentPid = t.lab.state.processes.find((p) => p.role === 'agent:node1')!.pid;
    browser = await launchBrowser(node.ns);
    const page = await browser.browser.newPage();
    await page.goto('http://127.0.0.1:9179/');
    const row = `tr[data-peer="${router.address}"]`;
    await page.locator(`${row}[data-state="Established"]`).waitFor({ timeout: 30_000 });
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
    const apiState = () =>
      (JSON.parse(runIn(node.ns, 'curl', ['-s', 'http://127.0.0.1:9179/api/v1/peers'])) as { state: string }[])[0]
        ?.state;
    const pageMs: number[] = [];
    const apiMs: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      for (const [cmd, want] of [
        [`neighbor ${node.address} shutdown`, false],
        [`no neighbor ${node.address} shutdown`, true],
      ] as const) {
        const t0 = performance.now();
        vtysh(cmd);
        const pageDone = page
          .locator(want ? `${row}[data-state="Established"]` : `${row}:not([data-state="Established"])`)
          .waitFor({ timeout: 30_000 })
          .then(() => performance.now() - t0);
        let api = Number.NaN;
        for (let i = 0; i < 3000 && Number.isNaN(api); i++) {
          if ((apiState() === 'Established') === want) api = performance.now() - t0;
          else await sleep(10);
        }
        pageMs.push(await pageDone);
        apiMs.push(api);
      }
    }
    await page.close();
    const cpu = async (pages: number) => {
      const open = [];
      for (let i = 0; i < pages; i++) {
        const p = await browser!.browser.newPage();
        await p.goto('http://127.0.0.1:9179/');
        open.push(p);
      }
      await sleep(1000);
      const c0 = cpuSeconds(agentPid);
      const w0 = performance.now();
      await sleep(CPU_SECONDS * 1000);
      const share = (cpuSeconds(agentPid) - c0) / ((performance.now() - w0) / 1000);
      for (const p of open) await p.close();
      return share;
    };
    const idle = await cpu(0);
    const ten = await cpu(10);
    console.log(`web view on a 2-node lab, ${pageMs.length} session changes (load ${loadavg()[0]!.toFixed(1)})`);
    console.log(
      `  change → page shows it        median ${median(pageMs).toFixed(0)} ms   max ${Math.max(...pageMs).toFixed(0)} ms   (goal < 500 ms)`,
    );
    console.log(
      `  change → status API says it   median ${median(apiMs).toFixed(0)} ms   max ${Math.max(...apiMs).toFixed(0)} ms   (reference, polled every 10 ms)`,
    );
    const lag = pageMs.map((x, i) => x - apiMs[i]!);
    console.log(
      `  page behind the status API     median ${median(lag).toFixed(0)} ms   max ${Math.max(...lag).toFixed(0)} ms   (what the web view adds)`,
    );
    console.log(`  agent CPU, no page open       ${(idle * 100).toFixed(1)} % of one core over ${CPU_SECONDS} s`);
    console.log(`  agent CPU, 10 pages open      ${(ten * 100).toFixed(1)} % of one core over ${CPU_SECONDS} s`);
  } finally {
    await browser?.close();
    await t.destroy();
  }
}

await main();
