// The lab as a fabric (issue 16): (1) lab up time for a leaf-spine fabric of 4 racks × 4 nodes × 2 spines (FRR, 2
// pods per node), beside a flat lab of the same 16 nodes and 32 pods built in the same run; (2) convergence per
// topology and fault — uplink cut, spine (router) down, node agent killed — with default timers (hold 9 s), with a
// 3 s hold time, and with BFD (100 ms × 3) at hold 9 s: packets lost, the longest blackhole, when traffic was whole
// again, when the routes settled; then the repair (heal / restart) and when every route was back. Pings every 10 ms
// between all pods of different nodes (2 per node). An uplink cut comes as carrier loss (the far end set down) and
// silent (packets dropped, carrier up).
import { availableParallelism, loadavg } from 'node:os';
import {
  cutLink,
  type FaultReport,
  fabricSessionsUp,
  findLink,
  healLink,
  killMember,
  type LabOptions,
  measureFault,
  renderFaultReport,
  restartMember,
  saveBaseline,
} from '@gannet/controller';
import { TestLab } from '../src/lab-fixture.js';
import { waitFor } from '../src/netns.js';
import { isRoot } from '../src/root.js';

type Options = Omit<LabOptions, 'name'>;

async function fabricUp(t: TestLab, timeoutMs = 180_000): Promise<void> {
  await t.up(timeoutMs);
  await waitFor(
    'every leaf–spine session',
    async () => {
      const f = await fabricSessionsUp(t.lab.dir, t.plan.routers);
      return f.up === f.total;
    },
    { timeoutMs: 60_000, intervalMs: 200 },
  );
}

/** Seconds from build start to every session Established and every pod pinging every pod. */
async function timeUp(
  label: string,
  options: Options,
): Promise<{ label: string; nodes: number; pods: number; s: number }> {
  const t = new TestLab(options);
  try {
    const t0 = performance.now();
    await fabricUp(t);
    return { label, nodes: t.plan.nodes.length, pods: t.lab.state.pods.length, s: (performance.now() - t0) / 1000 };
  } finally {
    await t.destroy();
  }
}

interface Row {
  topology: string;
  timers: string;
  fault: string;
  hit: FaultReport;
  repair: FaultReport;
}

interface Scenario {
  fault: string;
  apply: (t: TestLab) => Promise<void> | void;
  repair: (t: TestLab) => Promise<void> | void;
}

function scenarios(topology: 'dual-homed' | 'leaf-spine'): Scenario[] {
  const uplink = topology === 'dual-homed' ? 'node1-router2' : 'leaf1-spine1';
  const spine = topology === 'dual-homed' ? 'router2' : 'spine1';
  return [
    {
      fault: `uplink cut (${uplink})`,
      apply: (t) => cutLink(findLink(t.plan, uplink)),
      repair: (t) => healLink(findLink(t.plan, uplink)),
    },
    {
      fault: `uplink cut, silent (${uplink})`,
      apply: (t) => cutLink(findLink(t.plan, uplink), true),
      repair: (t) => healLink(findLink(t.plan, uplink)),
    },
    {
      fault: `${topology === 'dual-homed' ? 'router' : 'spine'} down (${spine})`,
      apply: (t) => killMember(t.lab, spine),
      repair: (t) => restartMember(t.lab, spine, false),
    },
    {
      fault: 'node agent killed (node1)',
      apply: (t) => killMember(t.lab, 'node1'),
      repair: (t) => restartMember(t.lab, 'node1', false),
    },
  ];
}

async function convergence(topology: 'dual-homed' | 'leaf-spine', hold: number, bfd: boolean): Promise<Row[]> {
  const options: Options =
    topology === 'dual-homed'
      ? { nodes: 3, router: 'frr', podsPerNode: 2, topology, holdTime: hold, bfd }
      : {
          nodes: 0,
          router: 'frr',
          podsPerNode: 2,
          topology,
          racks: 2,
          nodesPerRack: 2,
          spines: 2,
          holdTime: hold,
          bfd,
        };
  const timers = `hold ${hold} s${bfd ? ' + BFD' : ''}`;
  const t = new TestLab(options);
  const rows: Row[] = [];
  try {
    await fabricUp(t);
    await saveBaseline(t.lab);
    for (const s of scenarios(topology)) {
      const hit = await measureFault(t.lab, s.fault, () => s.apply(t), { repairs: false, watchMs: (hold + 4) * 1000 });
      const repair = await measureFault(t.lab, `repair ${s.fault}`, () => s.repair(t), {
        repairs: true,
        repairTimeoutMs: (hold * 3 + 60) * 1000,
      });
      rows.push({ topology, timers, fault: s.fault, hit, repair });
      if (repair.routesBackAfterMs === undefined) console.log(`${topology} ${timers}: ${renderFaultReport(repair)}`);
      await t.waitConverged(60_000);
    }
  } finally {
    await t.destroy();
  }
  return rows;
}

const sec = (ms: number | undefined) => (ms === undefined ? '-' : (ms / 1000).toFixed(2));

async function main(): Promise<void> {
  if (!isRoot()) {
    console.log('lab-fabric.bench: SKIPPED (needs root for network namespaces)');
    return;
  }
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(1))
      .join(' ');
  console.log(`lab-fabric.bench: ${availableParallelism()} CPUs, load ${load()}; FRR routers; pings every 10 ms`);

  // LAB_FABRIC_ONLY=dual-homed:9,leaf-spine:3,leaf-spine:9bfd runs those convergence groups only (no lab up timing)
  const only = process.env.LAB_FABRIC_ONLY;
  const ups = only
    ? []
    : [
        await timeUp('leaf-spine 4 racks × 4 nodes × 2 spines', {
          nodes: 0,
          router: 'frr',
          podsPerNode: 2,
          topology: 'leaf-spine',
          racks: 4,
          nodesPerRack: 4,
          spines: 2,
        }),
        await timeUp('flat, one ToR (reference)', { nodes: 16, router: 'frr', podsPerNode: 2 }),
      ];
  if (ups.length > 0) {
    console.log('\nlab up → every session Established and all pairs ping (goal < 15 s for leaf-spine 4×4×2)');
    console.log('lab                                        nodes  pods  seconds');
  }
  for (const u of ups) {
    console.log(
      `${u.label.padEnd(43)}${String(u.nodes).padStart(5)}  ${String(u.pods).padStart(4)}  ${u.s.toFixed(1).padStart(7)}`,
    );
  }
  console.log(`(load after: ${load()})`);

  const rows: Row[] = [];
  for (const topology of ['dual-homed', 'leaf-spine'] as const) {
    for (const [key, hold, bfd] of [
      ['9', 9, false],
      ['3', 3, false],
      ['9bfd', 9, true],
    ] as const) {
      if (only && !only.split(',').includes(`${topology}:${key}`)) continue;
      rows.push(...(await convergence(topology, hold, bfd)));
    }
  }
  console.log('\nconvergence (seconds after the fault; blackhole = longest run of lost pings of any pod pair)');
  console.log(
    'topology    timers            fault                              lost/sent     blackhole  whole after  settled | repair: lost  routes back',
  );
  for (const r of rows) {
    console.log(
      `${r.topology.padEnd(10)}  ${r.timers.padEnd(16)}  ${r.fault.padEnd(33)}  ${`${r.hit.lost}/${r.hit.sent}`.padStart(11)}  ${sec(r.hit.longestBlackholeMs).padStart(9)}  ${sec(r.hit.trafficRestoredAfterMs).padStart(11)}  ${sec(r.hit.routesSettledAfterMs).padStart(7)} | ${String(r.repair.lost).padStart(12)}  ${sec(r.repair.routesBackAfterMs).padStart(11)}`,
    );
  }
  console.log(`(load after: ${load()}; BFD: 100 ms × 3 on every session, FRR bfdd on the routers)`);
}

await main();
