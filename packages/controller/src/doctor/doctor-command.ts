// `gannet doctor SRC DST [--lab NAME] [--json]`: walks the path from one pod to another and names the first broken hop.
// In a lab (--lab) it sees every namespace and takes pod names; on a node it starts from a local pod (found by its
// host route and the named network namespace its veth leads to) and follows the packet until it leaves the node.
import { parseArgs } from 'node:util';
import { type CliIo, UsageError } from '../cli/cli-io.js';
import type { Lab } from '../lab/lab.js';
import { LinuxNetView, type NetView } from './net-view.js';
import { type DoctorInput, type Endpoint, renderReport, walkPath } from './walk.js';

export const DOCTOR_HELP = `Usage: gannet doctor SRC DST [--lab NAME] [--json] [--no-ping]

Walks the path from pod SRC to pod DST hop by hop as the kernel forwards it — the source pod's interface, address
and route; each node or router on the way: interfaces, forwarding, rp_filter, the route to DST and the BGP best path
behind it, the next hop's neighbour entry, MTU; the destination pod's wiring and its route back — then sends one
ping, and names the first broken hop with a hint to fix it.
  --lab NAME   in a lab made by 'gannet lab up' (SRC and DST may be pod names, e.g. node1-pod1)
               without it: on this node, SRC a local pod's IP; the walk ends where the packet leaves the node
  --state-dir DIR  where the lab keeps its state (default /run/gannet/lab)
  --json       the report as JSON
  --no-ping    skip the final ping
Exit status: 0 the path is whole, 1 it is not (or doctor could not look), 2 usage.
`;

export async function doctorCommand(args: string[], io: CliIo, view: NetView = new LinuxNetView()): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        lab: { type: 'string' },
        json: { type: 'boolean' },
        'no-ping': { type: 'boolean' },
        'state-dir': { type: 'string' },
      },
      strict: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values as {
    help?: boolean;
    lab?: string;
    json?: boolean;
    'no-ping'?: boolean;
    'state-dir'?: string;
  };
  if (v.help) {
    io.out(DOCTOR_HELP);
    return 0;
  }
  if (parsed.positionals.length !== 2) throw new UsageError('give SRC and DST (pod IPs, or pod names with --lab)');
  const [srcArg, dstArg] = parsed.positionals as [string, string];
  const input = v.lab ? await labInput(v.lab, srcArg, dstArg, v['state-dir']) : await nodeInput(view, srcArg, dstArg);
  const report = await walkPath(view, { ...input, ping: !v['no-ping'] });
  io.out(v.json ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report));
  return report.ok ? 0 : 1;
}

async function labInput(name: string, srcArg: string, dstArg: string, stateRoot?: string) {
  const { Lab } = await import('../lab/lab.js');
  const lab = Lab.load(name, stateRoot ? { stateRoot } : {});
  if (!lab) throw new Error(`no lab "${name}" (gannet lab up --name ${name})`);
  return labDoctorInput(lab, srcArg, dstArg);
}

/** The walk's input in a lab: pods by name or IP, every non-pod namespace of the lab, node and router labels. */
export function labDoctorInput(lab: Lab, srcArg: string, dstArg: string): DoctorInput {
  const name = lab.plan.options.name;
  const nodeNs = (node: string) => lab.plan.nodes.find((n) => n.name === node)?.ns;
  const prefetchAgents: string[] = [];
  const find = (arg: string): Endpoint => {
    const pod = lab.state.pods.find((p) => p.id === arg || p.ip === arg);
    if (!pod) {
      throw new UsageError(
        `"${arg}" is no pod of lab ${name} (pods: ${lab.state.pods.map((p) => p.id).join(', ') || 'none'})`,
      );
    }
    const ns = nodeNs(pod.node);
    if (ns && !prefetchAgents.includes(ns)) prefetchAgents.push(ns);
    return { ip: pod.ip, ns: pod.ns, name: pod.id };
  };
  const nodes = new Map(lab.plan.nodes.map((n) => [n.ns, n.name] as const));
  const labels = new Map<string, string>();
  for (const r of lab.plan.routers)
    labels.set(r.ns, `${r.role === 'tor' ? 'router' : r.role} ${r.name} (${r.kind.toUpperCase()})`);
  const pods = new Set(lab.state.pods.map((p) => p.ns));
  const src = find(srcArg);
  const dst = find(dstArg);
  return {
    src,
    dst,
    prefetchAgents,
    namespaces: lab.state.namespaces.filter((ns) => !pods.has(ns)),
    nodes,
    labels,
  };
}

/** On a node: SRC is a local pod (its /32 leads to a veth whose far end is a named namespace). */
async function nodeInput(view: NetView, srcArg: string, dstArg: string) {
  const { isIP } = await import('node:net');
  for (const a of [srcArg, dstArg])
    if (!isIP(a)) throw new UsageError(`"${a}" is not an IP address (pod names need --lab)`);
  const podNs = async (ip: string): Promise<string | undefined> => {
    const hit = await view.routeGet('', ip);
    if (!hit.dev || hit.gateway) return undefined;
    const link = (await view.links('')).find((l) => l.name === hit.dev);
    return link?.peer?.ns;
  };
  const srcNs = await podNs(srcArg);
  if (!srcNs) {
    throw new Error(
      `${srcArg} is not a pod of this node in a named network namespace (run doctor on the source pod's node)`,
    );
  }
  const dstNs = await podNs(dstArg);
  return {
    src: { ip: srcArg, ns: srcNs },
    dst: { ip: dstArg, ns: dstNs ?? `(${dstArg} on another node)` },
    namespaces: [''],
    nodes: new Map([['', 'this node']]),
    leavesNodeOk: true,
  };
}
