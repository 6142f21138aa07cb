// `gannet lab pod add|del|list`, `gannet lab policy apply|delete`, `gannet lab probe` (and the internal
// `gannet lab probe-helper` those probes run in each pod). See docs/network-policy.md.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type CliIo, UsageError } from '../cli/cli-io.js';
import { table } from '../cli/status.js';
import { DEFAULT_STATE_ROOT, Lab } from './lab.js';
import { addLabPod, applyPolicyFile, deleteLabPod, deletePolicy, parseLabels } from './lab-policy.js';
import { type MatrixPod, ProbeHelper, type ProbeProtocol, probeAll, renderMatrix } from './lab-probe.js';
import { probeHelper } from './probe-helper.js';

export const POLICY_SUBCOMMANDS = ['pod', 'policy', 'probe', 'probe-helper'] as const;

export const POLICY_HELP = `  gannet lab pod add NAME --node NODE [--namespace NS] [--labels k=v,…] | pod del NAME | pod list
  gannet lab policy apply -f FILE | policy delete NAME -n NS
  gannet lab probe [--port P] [--protocol tcp|udp|sctp]
`;

const HELP = `Usage:
${POLICY_HELP}
pod add      attaches a pod (namespace gnt-LAB-NODE-NAME) through gannet-cni, with its Kubernetes namespace (default
             "default") and labels; every lab pod has the upstream netpol suite's container ports (serve-80-tcp,
             serve-81-udp, … on 80 and 81); waits until every agent has applied the change
pod del      detaches and removes it; pod list shows the pods
policy apply NetworkPolicy and Namespace documents (standard Kubernetes YAML), merged by namespace/name into the
             lab's policies; waits until every agent enforces them
probe        starts a listener in every pod, probes every pair once (1 s each) and prints the matrix as the upstream
             netpol suite does ("." reachable, "X" blocked; rows are clients), then stops the listeners
Every command takes --name LAB (default lab).
`;

function parse(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        name: { type: 'string', default: 'lab' },
        'state-dir': { type: 'string', default: DEFAULT_STATE_ROOT },
        node: { type: 'string' },
        namespace: { type: 'string', short: 'n' },
        labels: { type: 'string' },
        file: { type: 'string', short: 'f' },
        port: { type: 'string', default: '80' },
        protocol: { type: 'string', default: 'tcp' },
        ports: { type: 'string', default: '' },
        lifetime: { type: 'string', default: '120' },
        bind: { type: 'string', default: '0.0.0.0' },
        json: { type: 'boolean' },
      },
      strict: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message, { cause: err });
  }
}

export async function labPolicyCommand(sub: string, args: string[], io: CliIo): Promise<number> {
  const { values: v, positionals: pos } = parse(args);
  if (v.help) {
    io.out(HELP);
    return 0;
  }
  if (sub === 'probe-helper') {
    const ports = v.ports === '' ? [] : v.ports.split(',').map((p) => port(p, '--ports'));
    return await probeHelper(ports, whole(v.lifetime, '--lifetime'), v.bind);
  }
  const [verb, target, ...extra] = pos;
  checkUsage(sub, verb, target, extra, v);
  if (process.getuid?.() !== 0) throw new Error('the lab needs root (network namespaces)');
  const lab = Lab.load(v.name, { stateRoot: v['state-dir'] });
  if (!lab) throw new Error(`no lab "${v.name}" (start one with: gannet lab up)`);
  if (sub === 'pod') {
    if (verb === 'add') {
      if (!target) throw new UsageError('lab pod add NAME --node NODE');
      if (!v.node) throw new UsageError('lab pod add: --node NODE is required');
      const addr = await addLabPod(lab, {
        name: target,
        node: v.node,
        ...(v.namespace && { namespace: v.namespace }),
        labels: parseLabels(v.labels),
      });
      const netns = lab.state.pods.find((p) => p.id === target)?.ns;
      io.out(`pod/${target} added on ${v.node}: ${addr} (network namespace ${netns})\n`);
      return 0;
    }
    if (verb === 'del' || verb === 'delete') {
      if (!target) throw new UsageError('lab pod del NAME');
      await deleteLabPod(lab, target);
      io.out(`pod/${target} deleted\n`);
      return 0;
    }
    if (verb === 'list' || verb === undefined) {
      const rows = lab.state.pods.map((p) => [
        p.id,
        p.namespace ?? 'default',
        p.node,
        p.ip,
        Object.entries(p.labels ?? {})
          .map(([k, val]) => `${k}=${val}`)
          .join(',') || '-',
        p.ns,
      ]);
      if (v.json) io.out(`${JSON.stringify(lab.state.pods, null, 2)}\n`);
      else io.out(`${table(['NAME', 'NAMESPACE', 'NODE', 'IP', 'LABELS', 'NETNS'], rows)}\n`);
      return 0;
    }
    throw new UsageError(`unknown lab pod command "${verb}" (add, del, list)`);
  }
  if (sub === 'policy') {
    if (verb === 'apply') {
      if (!v.file) throw new UsageError('lab policy apply -f FILE');
      let text: string;
      try {
        text = readFileSync(v.file, 'utf8');
      } catch (err) {
        throw new Error(`cannot read ${v.file}: ${(err as Error).message}`);
      }
      for (const line of await applyPolicyFile(lab, v.file, text)) io.out(`${line}\n`);
      return 0;
    }
    if (verb === 'delete' || verb === 'del') {
      if (!target) throw new UsageError('lab policy delete NAME -n NS');
      const ns = v.namespace ?? 'default';
      await deletePolicy(lab, target, ns);
      io.out(`networkpolicy/${ns}/${target} deleted\n`);
      return 0;
    }
    if (verb === 'list' || verb === undefined) {
      const rows = (lab.state.policy?.policies ?? []).map((p) => [p.metadata.namespace, p.metadata.name]);
      io.out(`${table(['NAMESPACE', 'NAME'], rows)}\n`);
      return 0;
    }
    throw new UsageError(`unknown lab policy command "${verb}" (apply, delete, list)`);
  }
  // probe
  if (verb !== undefined) throw new UsageError(`unexpected argument "${verb}"`);
  const protocol = v.protocol as ProbeProtocol;
  if (!['tcp', 'udp', 'sctp'].includes(protocol)) throw new UsageError('--protocol must be tcp, udp or sctp');
  const p = port(v.port, '--port');
  const pods: MatrixPod[] = lab.state.pods.map((x) => ({
    key: `${x.namespace ?? 'default'}/${x.id}`,
    ns: x.ns,
    ip: x.ip,
  }));
  if (pods.length === 0) throw new Error(`lab "${v.name}" has no pods`);
  const { matrix, seconds } = await probeMatrix(pods, p, protocol);
  io.out(`Reachability matrix (${protocol}/${p}), probed in ${seconds.toFixed(1)} s ("." reachable, "X" blocked):\n`);
  io.out(
    renderMatrix(
      pods.map((x) => x.key),
      matrix,
    ),
  );
  if (protocol === 'sctp') io.out('(sctp: this machine has no SCTP sockets: every probe counts as blocked)\n');
  return 0;
}

/** Listeners in every pod, one probe per pair, listeners stopped again whatever happens. */
export async function probeMatrix(
  pods: MatrixPod[],
  port: number,
  protocol: ProbeProtocol,
): Promise<{ matrix: Map<string, Map<string, boolean>>; seconds: number }> {
  const t0 = Date.now();
  const helpers = new Map(pods.map((x) => [x.key, new ProbeHelper(x.ns, [port], 120)]));
  try {
    await Promise.all([...helpers.values()].map((h) => h.ready));
    const matrix = await probeAll(pods, helpers, port, protocol);
    return { matrix, seconds: (Date.now() - t0) / 1000 };
  } finally {
    await Promise.all([...helpers.values()].map((h) => h.stop()));
  }
}

const VERBS: Record<string, string[]> = {
  pod: ['add', 'del', 'delete', 'list'],
  policy: ['apply', 'delete', 'del', 'list'],
};

/** Usage errors (exit 2) before anything is looked up: verbs, required arguments, option values. */
function checkUsage(
  sub: string,
  verb: string | undefined,
  target: string | undefined,
  extra: string[],
  v: ReturnType<typeof parse>['values'],
): void {
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (sub === 'probe') {
    if (verb !== undefined) throw new UsageError(`unexpected argument "${verb}"`);
    if (!['tcp', 'udp', 'sctp'].includes(v.protocol)) throw new UsageError('--protocol must be tcp, udp or sctp');
    port(v.port, '--port');
    return;
  }
  const verbs = VERBS[sub] ?? [];
  if (verb !== undefined && !verbs.includes(verb)) {
    throw new UsageError(`unknown lab ${sub} command "${verb}" (${verbs.filter((x) => x !== 'del').join(', ')})`);
  }
  if (sub === 'pod' && verb === 'add' && (!target || !v.node)) throw new UsageError('lab pod add NAME --node NODE');
  if (sub === 'pod' && (verb === 'del' || verb === 'delete') && !target) throw new UsageError('lab pod del NAME');
  if (sub === 'policy' && verb === 'apply' && !v.file) throw new UsageError('lab policy apply -f FILE');
  if (sub === 'policy' && (verb === 'delete' || verb === 'del') && !target) {
    throw new UsageError('lab policy delete NAME -n NS');
  }
}

function whole(s: string, flag: string): number {
  if (!/^\d+$/.test(s)) throw new UsageError(`${flag} must be a whole number`);
  return Number(s);
}

function port(s: string, flag: string): number {
  const n = whole(s, flag);
  if (n < 1 || n > 65535) throw new UsageError(`${flag} must be 1..65535`);
  return n;
}
