// `gannet lab up|status|down`: the main job on one machine (see ../shared/DESIGN.md, Lab).

import { isSea } from 'node:sea';
import { parseArgs } from 'node:util';
import { type CliIo, UsageError } from '../cli/cli-io.js';
import { table } from '../cli/status.js';
import { writeContainerlab } from './export-containerlab.js';
import { DEFAULT_STATE_ROOT, Lab } from './lab.js';
import { labReport, pingAll, routesComplete, sessionsUp, waitProgress } from './lab-check.js';
import { FAULT_COMMANDS, faultCommand } from './lab-fault-command.js';
import { saveBaseline } from './lab-fault-run.js';
import { linkStates } from './lab-faults.js';
import { loadLabFile } from './lab-file.js';
import { listNetns } from './lab-host.js';
import { labPolicyCommand, POLICY_HELP, POLICY_SUBCOMMANDS } from './lab-policy-command.js';
import { fabricSessionsUp } from './lab-router-status.js';
import {
  IP_FAMILIES,
  isLabNamespace,
  type LabIpFamily,
  type LabOptions,
  type LabRuntime,
  planLab,
  type RouterKind,
  type TopologyKind,
} from './topology.js';

const HELP = `Usage:
  gannet lab up [--nodes N] [--router frr|bird|none] [--pods-per-node K] [--runtime netns|containerd] [--name NAME]
                [--topology flat|dual-homed|leaf-spine|rr] [--racks R --nodes-per-rack N --spines S]
                [--route-reflectors R] [--ip-family ipv4|ipv6|dual]
                [--hold-time SECONDS] [--bfd] [--timeout SECONDS]
  gannet lab up -f lab.yaml [options]       (the same options as a file: docs/lab.md; flags given override it)
  gannet lab export containerlab DIR [lab up options]   (the same plan as a containerlab topology: docs/lab.md)
  gannet lab status [--name NAME] [--json]
  gannet lab web [--name NAME] [--listen 127.0.0.1:PORT]   (a live page of the lab, with doctor: docs/web-view.md)
  gannet lab down [--name NAME]
  gannet lab cut LINK [--silent] [--watch SECONDS]      gannet lab heal LINK
  gannet lab kill NODE|ROUTER [--watch SECONDS]
  gannet lab restart NODE|ROUTER [--graceful]
  gannet lab flap LINK [--times N] [--interval SECONDS] [--silent]
${POLICY_HELP}

Builds, as network namespaces on this machine, N nodes (default 3), a router (default frr: FRR's bgpd+zebra from
Debian; bird: BIRD 2; none: the nodes form an iBGP full mesh) and K pods per node (default 2) attached through
gannet-cni; starts one gannet agent per node; waits until every BGP session is Established and every pod pings every
other pod. Every namespace is named gnt-NAME-… (NAME defaults to "lab"); nothing is added to the machine's own
namespace. With --runtime containerd each node also runs its own containerd (Debian's package, its files under the
lab's directory) and the pods are CRI sandboxes whose network gannet-cni (+ portmap) sets up through libcni, as on a
Kubernetes node. 'down' removes exactly what 'up' made, also after a crash. Needs root.

Topologies (docs/lab.md): flat (default) is one segment and one router; dual-homed gives every node two uplinks to
two routers (ECMP through both); leaf-spine builds R racks of N nodes (default 2 × 2), a leaf router per rack and S
spines (default 2), leaves eBGP to every spine, ECMP across spines; rr has no router: the first R nodes (default 2)
are route reflectors and every other node peers with them only (iBGP, AS 64512). --hold-time sets every session's (default 9).

Address families (--ip-family, flat topology; docs/dual-stack.md): ipv4 (default); dual gives every node, the router
and every pod an IPv6 address too (segment fd00:172:30::/64, pod CIDRs fd00:10:244:<i>::/64) and runs an IPv6 BGP
session beside every IPv4 one; ipv6 builds the same without IPv4. Pings then cover every pod's every address.

Faults (links and members named as 'lab status' lists them): cut sets a link's upper end down (the lower end loses
carrier; --silent: carrier stays up and the lower end drops every packet, so only the hold timer notices), heal
brings it back; kill is a crash (an agent: SIGKILL; a router: its daemons killed and its links down);
restart stops (SIGKILL, or SIGTERM with --graceful) and starts again; flap cuts and heals N times. While a fault is
applied every pod pings every pod of the other nodes (above 12 pods: the first pod of each) every 10 ms; the report gives per pair
packets lost and the longest blackhole, when traffic was whole again, and when the routes settled or were all back.

NetworkPolicy (docs/network-policy.md): nodes have a default route via their router, which carries the "outside"
address 198.51.100.1 (egress NAT: pods reach it from their node's address). 'gannet lab pod --help' and
'gannet lab policy --help' tell more.
`;

export async function labCommand(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if ((POLICY_SUBCOMMANDS as readonly string[]).includes(sub ?? '')) return await labPolicyCommand(sub!, rest, io);
  if (sub === 'web') {
    const { labWebCommand } = await import('./lab-web.js');
    return await labWebCommand(rest, io);
  }
  const { values: v, positionals, tokens } = parseLabArgs(rest);
  const explicit = new Set<string>(tokens.filter((t) => t.kind === 'option').map((t) => t.name));
  const isFault = (FAULT_COMMANDS as readonly string[]).includes(sub ?? '');
  if (positionals.length > (isFault ? 1 : sub === 'export' ? 2 : 0))
    throw new UsageError(`unexpected argument "${positionals.at(-1)}"`);
  if (v.help || sub === '--help' || sub === '-h' || sub === undefined) {
    io.out(HELP);
    return sub === undefined ? 2 : 0;
  }
  if (process.getuid?.() !== 0 && sub !== 'export') throw new Error('the lab needs root (network namespaces)');
  const env = { stateRoot: v['state-dir'], progress: (line: string) => io.out(`[lab] ${line}\n`) };
  const name = v.name;
  switch (sub) {
    case 'up': {
      const { options, timeout } = upOptions(v, explicit);
      const lab = new Lab(planLab(options), env);
      return await up(lab, timeout * 1000, io);
    }
    case 'export': {
      const [format, dir] = positionals;
      if (format !== 'containerlab' || !dir)
        throw new UsageError('usage: gannet lab export containerlab DIR [lab up options]');
      const plan = planLab(upOptions(v, explicit).options);
      const files = writeContainerlab(plan, dir);
      io.out(
        `[lab] wrote ${files.length} files to ${dir} (${plan.topology}: ${plan.routers.length} FRR routers, ${plan.nodes.length} nodes)\n`,
      );
      return 0;
    }
    case 'status': {
      const lab = Lab.load(name, env);
      if (!lab) {
        io.out(`no lab "${name}" (start one with: gannet lab up)\n`);
        return 1;
      }
      const reports = await labReport(lab);
      if (v.json) io.out(`${JSON.stringify({ state: lab.state, nodes: reports }, null, 2)}\n`);
      else io.out(await summary(lab, reports, undefined));
      return 0;
    }
    case 'down': {
      const lab = Lab.load(name, env);
      if (lab) {
        await lab.destroy();
        io.out(`[lab] lab "${name}" removed\n`);
        return 0;
      }
      const stray = listNetns().filter((ns) => isLabNamespace(name, ns));
      if (stray.length === 0) {
        io.out(`[lab] no lab "${name}"\n`);
        return 0;
      }
      // No state file (it was lost): the namespaces alone, by their exact lab names.
      const orphan = new Lab(planLab({ name, nodes: 1, router: 'none', podsPerNode: 0 }), env);
      orphan.state.namespaces = stray;
      await orphan.destroy();
      io.out(`[lab] removed ${stray.length} namespaces of lab "${name}"\n`);
      return 0;
    }
    default: {
      if (!isFault)
        throw new UsageError(`unknown lab command "${sub}" (up, status, down, ${FAULT_COMMANDS.join(', ')})`);
      const lab = Lab.load(name, env);
      if (!lab) {
        io.out(`no lab "${name}" (start one with: gannet lab up)\n`);
        return 1;
      }
      return await faultCommand(
        lab,
        sub!,
        {
          target: positionals[0],
          ...(v.watch !== undefined ? { watch: intArg(v.watch, '--watch') } : {}),
          ...(v.times !== undefined ? { times: intArg(v.times, '--times') } : {}),
          ...(v.interval !== undefined ? { interval: intArg(v.interval, '--interval') } : {}),
          graceful: !!v.graceful,
          silent: !!v.silent,
          json: !!v.json,
          all: !!v.all,
        },
        io,
      );
    }
  }
}

function parseLabArgs(args: string[]) {
  try {
    return parseArgs({
      args,
      options: {
        help: { type: 'boolean', short: 'h' },
        name: { type: 'string', default: 'lab' },
        nodes: { type: 'string', default: '3' },
        router: { type: 'string', default: 'frr' },
        runtime: { type: 'string', default: 'netns' },
        'pods-per-node': { type: 'string', default: '2' },
        timeout: { type: 'string', default: '120' },
        topology: { type: 'string' },
        racks: { type: 'string' },
        'nodes-per-rack': { type: 'string' },
        spines: { type: 'string' },
        'hold-time': { type: 'string' },
        'route-reflectors': { type: 'string' },
        'ip-family': { type: 'string' },
        watch: { type: 'string' },
        times: { type: 'string' },
        interval: { type: 'string' },
        graceful: { type: 'boolean' },
        silent: { type: 'boolean' },
        bfd: { type: 'boolean' },
        all: { type: 'boolean' },
        json: { type: 'boolean' },
        file: { type: 'string', short: 'f' },
        'state-dir': { type: 'string', default: DEFAULT_STATE_ROOT },
      },
      strict: true,
      allowPositionals: true,
      tokens: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message, { cause: err });
  }
}

/** The options beyond the flat lab's, only when given (a flat lab's state file stays as it was). */
/** The options of `lab up` (and `lab export`): -f FILE's values over the defaults, flags given over the file's. */
function upOptions(
  v: ReturnType<typeof parseLabArgs>['values'],
  explicit: Set<string>,
): { options: LabOptions; timeout: number } {
  const file = v.file ? loadLabFile(v.file) : { options: {} as Partial<LabOptions>, timeout: undefined };
  const given = (o: string) => explicit.has(o) || !v.file;
  const flags: Partial<LabOptions> = {
    name: v.name,
    nodes: intArg(v.nodes, '--nodes'),
    router: v.router as RouterKind,
    podsPerNode: intArg(v['pods-per-node'], '--pods-per-node'),
    runtime: v.runtime as LabRuntime,
  };
  const fromFlags = Object.fromEntries(
    Object.entries(flags).filter(([k]) => given(FLAG_OF[k as keyof typeof FLAG_OF])),
  ) as Partial<LabOptions>;
  const options = {
    ...flags,
    ...file.options,
    ...fromFlags,
    ...topologyOptions(v, file.options.topology),
  } as LabOptions;
  const timeout = given('timeout') || file.timeout === undefined ? intArg(v.timeout, '--timeout') : file.timeout;
  return { options, timeout };
}

const FLAG_OF = { name: 'name', nodes: 'nodes', router: 'router', podsPerNode: 'pods-per-node', runtime: 'runtime' };

function topologyOptions(v: ReturnType<typeof parseLabArgs>['values'], fileTopology?: string): Partial<LabOptions> {
  const o: Partial<LabOptions> = {};
  if (v.topology !== undefined) o.topology = v.topology as TopologyKind;
  if (v.racks !== undefined) o.racks = intArg(v.racks, '--racks');
  if (v['nodes-per-rack'] !== undefined) o.nodesPerRack = intArg(v['nodes-per-rack'], '--nodes-per-rack');
  if (v.spines !== undefined) o.spines = intArg(v.spines, '--spines');
  if (v['hold-time'] !== undefined) o.holdTime = intArg(v['hold-time'], '--hold-time');
  if (v.bfd) o.bfd = true;
  if (v['route-reflectors'] !== undefined) o.routeReflectors = intArg(v['route-reflectors'], '--route-reflectors');
  if (v['ip-family'] !== undefined) {
    if (!(IP_FAMILIES as readonly string[]).includes(v['ip-family'])) {
      throw new UsageError(`--ip-family must be ${IP_FAMILIES.join(', ')}`);
    }
    o.ipFamily = v['ip-family'] as LabIpFamily;
  }
  if (o.routeReflectors !== undefined && (o.topology ?? fileTopology) !== 'rr') {
    throw new UsageError('--route-reflectors needs --topology rr');
  }
  if ((o.racks ?? o.nodesPerRack ?? o.spines) !== undefined && (o.topology ?? fileTopology) !== 'leaf-spine') {
    throw new UsageError('--racks, --nodes-per-rack and --spines need --topology leaf-spine');
  }
  return o;
}

function intArg(s: string | undefined, flag: string): number {
  if (!s || !/^\d+$/.test(s)) throw new UsageError(`${flag} must be a whole number`);
  return Number(s);
}

async function up(lab: Lab, timeoutMs: number, io: CliIo): Promise<number> {
  const t0 = Date.now();
  const say = (line: string) => io.out(`[lab] ${line}\n`);
  try {
    await lab.build();
  } catch (err) {
    say(`failed: ${(err as Error).message}`);
    say('removing what was made');
    await lab.destroy();
    throw err;
  }
  const deadline = t0 + timeoutMs;
  const sessions = await waitProgress(
    Math.max(1000, deadline - Date.now()),
    async () => {
      const reports = await labReport(lab);
      const s = sessionsUp(lab, reports);
      const f = await fabricSessionsUp(lab.dir, lab.plan.routers);
      const r = routesComplete(lab, reports);
      const fabric = f.total > 0 ? `, leaf–spine ${f.up}/${f.total}` : '';
      return {
        done: s.up === s.total && f.up === f.total && r.done === r.total,
        line: `BGP sessions Established: ${s.up}/${s.total}${fabric}; nodes with every pod CIDR: ${r.done}/${r.total}`,
      };
    },
    say,
  );
  let pings = { done: lab.state.pods.length < 2, line: '' };
  if (sessions.done && lab.state.pods.length >= 2) {
    pings = await waitProgress(
      Math.max(1000, deadline - Date.now()),
      async () => {
        const r = await pingAll(lab);
        const ok = r.filter((x) => x.ok).length;
        return { done: ok === r.length, line: `pod-to-pod pings answered: ${ok}/${r.length}` };
      },
      say,
    );
  }
  const reports = await labReport(lab);
  if (sessions.done && pings.done) await saveBaseline(lab); // what heal and restart wait to see again
  io.out(await summary(lab, reports, (Date.now() - t0) / 1000));
  if (!sessions.done || !pings.done) {
    say(`NOT converged within ${Math.round(timeoutMs / 1000)} s: ${sessions.done ? pings.line : sessions.line}`);
    say(
      `logs: ${lab.dir}/*/agent.log; remove with: gannet lab down${lab.plan.options.name === 'lab' ? '' : ` --name ${lab.plan.options.name}`}`,
    );
    return 1;
  }
  return 0;
}

async function summary(
  lab: Lab,
  reports: Awaited<ReturnType<typeof labReport>>,
  seconds: number | undefined,
): Promise<string> {
  const { plan } = lab;
  const s = sessionsUp(lab, reports);
  const lines: string[] = [''];
  const routers =
    plan.topology === 'rr'
      ? `route reflectors ${plan.nodes
          .filter((n) => n.routeReflector)
          .map((n) => n.name)
          .join(', ')} (cluster ${plan.routeReflectorClusterId})`
      : plan.topology === 'flat'
        ? `router ${plan.router ? `${plan.router.kind.toUpperCase()} (AS ${plan.router.asn}, ${plan.router.address})` : 'none (iBGP full mesh)'}`
        : `${plan.topology}: ${plan.routers.map((r) => `${r.name} (AS ${r.asn})`).join(', ')}`;
  lines.push(
    `Lab "${plan.options.name}": ${plan.nodes.length} nodes${plan.options.runtime === 'containerd' ? ' (containerd)' : ''}, ${routers}, ${lab.state.pods.length} pods; sessions ${s.up}/${s.total} Established${seconds !== undefined ? `; ready in ${seconds.toFixed(1)} s` : ''}`,
  );
  lines.push('');
  lines.push(
    table(
      ['NODE', 'NAMESPACE', 'ADDRESS', 'ASN', 'POD CIDR', 'AGENT', 'SESSIONS', 'ROUTES', 'PODS'],
      reports.map((r) => [
        r.node,
        r.ns,
        [r.address, r.address6].filter(Boolean).join(' '),
        String(r.asn),
        [r.podCIDR, r.podCIDR6].filter(Boolean).join(' '),
        r.agent === 'running' ? (r.ready ? 'ready' : 'not ready') : 'DOWN',
        `${r.peers.filter((p) => p.state === 'Established').length}/${plan.nodes.find((n) => n.name === r.node)?.peers.length ?? 0}`,
        String(r.routes.filter((x) => x.source === 'bgp' && x.installed).length),
        lab.state.pods
          .filter((p) => p.node === r.node)
          .map((p) => [p.ip, p.ip6].filter(Boolean).join(' '))
          .join(' '),
      ]),
    ),
  );
  lines.push('');
  lines.push(
    table(
      ['LINK', 'FROM', 'TO', 'STATE'],
      linkStates(plan).map((l) => [l.name, l.from, l.to, l.state]),
    ),
  );
  const n1 = plan.nodes[0]!;
  const pod = lab.state.pods.find((p) => p.node !== n1.name) ?? lab.state.pods[0];
  lines.push('');
  // Full paths: these work from any shell, without Node 24 on PATH.
  const gannet = isSea() ? process.execPath : `${process.execPath} ${process.argv[1] ?? 'dist/bin/gannet'}`;
  const named = plan.options.name === 'lab' ? '' : ` --name ${plan.options.name}`;
  lines.push('Poke at it:');
  lines.push(`  ip netns exec ${n1.ns} ${gannet} status   # sessions and routes of ${n1.name}`);
  lines.push(`  ip netns exec ${n1.ns} ip route show proto gannet`);
  if (pod) lines.push(`  ip netns exec ${lab.state.pods[0]!.ns} ping -c 3 ${pod.ip}`);
  if (pod?.ip6) lines.push(`  ip netns exec ${lab.state.pods[0]!.ns} ping -c 3 ${pod.ip6}`);
  const r0 = plan.routers[0];
  if (r0?.kind === 'frr')
    lines.push(`  ip netns exec ${r0.ns} vtysh --vty_socket ${lab.dir}/${r0.name} -c 'show bgp summary'`);
  if (r0?.kind === 'bird') lines.push(`  birdc -s ${lab.dir}/${r0.name}/bird.ctl show protocols`);
  lines.push(`  ${gannet} lab status${named}`);
  lines.push(`  ${gannet} lab down${named}`);
  return `${lines.join('\n')}\n`;
}
