// `gannet doctor` wall time (issue 15, goal < 1 s) on a 10-node lab (FRR ToR, one pod per node): the real CLI from
// node1's pod to each other node's pod, with and without the final ping; next to, in the same run, what a user does
// by hand for one pair: a ping from the pod (`ip netns exec … ping -c1`) and one agent query (`gannet status --json`
// in the node's namespace), the two things doctor cannot do faster than.
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { GANNET_BIN } from '../src/cri-node.js';
import { TestLab } from '../src/lab-fixture.js';
import { isRoot } from '../src/root.js';

const NODES = Number(process.env.DOCTOR_BENCH_NODES ?? 10);
const ROUNDS = Number(process.env.DOCTOR_BENCH_ROUNDS ?? 3);

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)] as number;

function time(file: string, args: string[]): number {
  const t0 = performance.now();
  execFileSync(file, args, { stdio: 'pipe', timeout: 30_000 });
  return performance.now() - t0;
}

async function main(): Promise<void> {
  if (!isRoot()) {
    console.log('doctor bench: needs root (a lab), skipped');
    return;
  }
  const t = new TestLab({ nodes: NODES, router: 'frr', podsPerNode: 1 });
  try {
    await t.up(120_000);
    const g = join(GANNET_BIN, 'gannet');
    const lab = ['--lab', t.plan.options.name, '--state-dir', dirname(t.lab.dir)];
    const src = t.pods('node1')[0]!;
    const dsts = t.plan.nodes.slice(1).map((n) => t.pods(n.name)[0]!);
    const full: number[] = [];
    const noPing: number[] = [];
    const ping: number[] = [];
    const status: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      for (const d of dsts) {
        full.push(time(g, ['doctor', src.id, d.id, ...lab]));
        noPing.push(time(g, ['doctor', src.id, d.id, ...lab, '--no-ping']));
        ping.push(time('ip', ['netns', 'exec', src.ns, 'ping', '-n', '-q', '-c', '1', '-W', '1', d.ip]));
        status.push(time('ip', ['netns', 'exec', t.node('node1').ns, g, 'status', '--json']));
      }
    }
    const row = (label: string, xs: number[]) =>
      console.log(
        `${label.padEnd(44)} p50 ${pct(xs, 50).toFixed(0).padStart(5)} ms   p99 ${pct(xs, 99).toFixed(0).padStart(5)} ms`,
      );
    console.log(
      `doctor on a ${NODES}-node lab, node1-pod1 → every other pod, ${full.length} walks (load ${loadavg()[0]!.toFixed(1)})`,
    );
    row('gannet doctor (4 hops, agents asked, ping)', full);
    row('gannet doctor --no-ping', noPing);
    row('reference: ping -c1 from the pod', ping);
    row('reference: gannet status --json in node1', status);
    console.log(`goal < 1000 ms: p99 ${pct(full, 99) < 1000 ? 'met' : 'NOT met'}`);
  } finally {
    await t.destroy();
  }
}

await main();
