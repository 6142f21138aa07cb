// NetworkPolicy in the lab: the two files every agent of the lab reads (policies.yaml: NetworkPolicy and Namespace
// documents; pods.yaml: every pod with its namespace, labels and named ports — see docs/network-policy.md), pods added
// and removed by name, policies applied and deleted (and waited for until every agent has applied them), the nodes'
// default routes and the "outside" address that makes egress NAT visible, and the removal of table inet gannet.
import { randomUUID } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type NetworkPolicy, parsePolicyDocuments } from '@gannet/policy';
import { stringify } from 'yaml';
import type { PolicyEngineStatus } from '../network-policy/policy-engine.js';
import type { Lab } from './lab.js';
import { inNs, ip, sleep } from './lab-host.js';
import { ProbeHelper } from './lab-probe.js';
import type { LabPlan, PlannedNode } from './topology.js';

/**
 * The "outside" address (TEST-NET-2, RFC 5737), on the loopback of every router that is a node's default gateway:
 * pods reaching it leave the cluster, so with natOutgoing (the default) it sees the node's address as the source.
 */
export const OUTSIDE_ADDRESS = '198.51.100.1';

/** The container ports every lab pod has, named as the upstream netpol suite names them (serve-80-tcp …). */
export const LAB_POD_PORTS = [80, 81].flatMap((port) =>
  (['TCP', 'UDP', 'SCTP'] as const).map((protocol) => ({
    name: `serve-${port}-${protocol.toLowerCase()}`,
    containerPort: port,
    protocol,
  })),
);

export function labPolicyFiles(labDir: string): { policies: string; pods: string } {
  return { policies: join(labDir, 'policies.yaml'), pods: join(labDir, 'pods.yaml') };
}

/** Writes `text` to `file` by rename (the agents' watchers never see half a file). */
function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

export function writePodsFile(lab: Lab): void {
  const pods = lab.state.pods.map((p) => ({
    namespace: p.namespace ?? 'default',
    name: p.id,
    node: p.node,
    ips: [p.ip],
    ...(p.labels && Object.keys(p.labels).length > 0 && { labels: p.labels }),
    ports: LAB_POD_PORTS,
  }));
  // the nodes' addresses too: pod-to-node traffic is never NATed, whichever node
  const nodes = lab.plan.nodes.map((n) => ({
    name: n.name,
    addresses: [
      ...new Set([
        n.address,
        ...lab.plan.links.filter((l) => l.a.ns === n.ns && l.a.address).map((l) => l.a.address!.split('/')[0]!),
      ]),
    ],
  }));
  writeAtomic(
    labPolicyFiles(lab.dir).pods,
    `# Written by gannet lab: every node and pod of lab ${lab.plan.options.name}.\n${stringify({ nodes, pods }, { aliasDuplicateObjects: false })}`,
  );
}

export function writePoliciesFile(lab: Lab): void {
  const docs = [
    ...(lab.state.policy?.namespaces ?? []).map((n) => ({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: n.name, ...(n.labels && { labels: n.labels }) },
    })),
    ...(lab.state.policy?.policies ?? []).map((p) => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      ...p,
    })),
  ];
  const text = docs.map((d) => `---\n${stringify(d, { aliasDuplicateObjects: false })}`).join('');
  writeAtomic(
    labPolicyFiles(lab.dir).policies,
    `# Written by gannet lab policy apply|delete for lab ${lab.plan.options.name}.\n${text}`,
  );
}

/** Each node's default route via its gateway router, and the outside address on those routers. */
export function setupEgress(plan: LabPlan): void {
  const gateways = new Map<string, string>(); // gateway address → its namespace
  for (const node of plan.nodes) {
    const gw = nodeGateway(plan, node);
    if (!gw) continue;
    ip('-n', node.ns, 'route', 'replace', 'default', 'via', gw.address);
    gateways.set(gw.address, gw.ns);
  }
  for (const ns of new Set(gateways.values())) ip('-n', ns, 'addr', 'add', `${OUTSIDE_ADDRESS}/32`, 'dev', 'lo');
}

/** The router on the node's first uplink: the gateway of the segment that link is a port of. */
export function nodeGateway(plan: LabPlan, node: PlannedNode): { address: string; ns: string } | undefined {
  for (const link of plan.links) {
    if (link.a.ns !== node.ns) continue;
    const seg = plan.segments.find((s) => s.ns === link.b.ns && s.bridge === link.b.bridge);
    if (seg?.gateway) return { address: seg.gateway.split('/')[0]!, ns: seg.ns };
    if (!link.b.bridge && link.b.address) return { address: link.b.address.split('/')[0]!, ns: link.b.ns };
  }
  return undefined;
}

/** Removes table inet gannet from every node namespace of the lab (nothing else: no other table, no flush). */
export async function removePolicyTables(lab: Lab): Promise<void> {
  const mine = new Set(lab.state.namespaces);
  await Promise.all(
    lab.plan.nodes
      .filter((n) => mine.has(n.ns))
      .map((n) => inNs(n.ns, 'nft', ['delete', 'table', 'inet', 'gannet'], { timeoutMs: 10_000 }).catch(() => {})),
  );
}

/** The agent's /api/v1/policy inside its namespace, or undefined when it does not answer. */
export async function agentPolicyStatus(ns: string): Promise<PolicyEngineStatus | undefined> {
  const url = 'http://127.0.0.1:9179/api/v1/policy';
  try {
    const body = await inNs(ns, 'curl', ['-sf', '-m', '3', url], { timeoutMs: 5000 });
    return JSON.parse(body) as PolicyEngineStatus;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && !/ENOENT|No such file/.test(String(err))) return undefined;
  }
  const h = new ProbeHelper(ns, [], 30);
  try {
    await h.ready;
    const r = await h.request({ op: 'http', url, timeoutMs: 3000 });
    return r.ok && r.seen ? (JSON.parse(r.seen) as PolicyEngineStatus) : undefined;
  } catch {
    return undefined;
  } finally {
    await h.stop();
  }
}

/** Each running agent's apply count, to wait for the next one. */
export async function policyApplies(lab: Lab): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  await Promise.all(
    lab.plan.nodes.map(async (n) => {
      const s = await agentPolicyStatus(n.ns);
      if (s) out.set(n.name, s.applies);
    }),
  );
  return out;
}

/**
 * Waits until every agent that answered before has applied again since (`before`) and reports no error; throws
 * with the agents' problems after `timeoutMs`.
 */
export async function waitEnforced(lab: Lab, before: Map<string, number>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (let i = 0; i < 1000 && Date.now() < deadline; i++) {
    const pending: string[] = [];
    for (const n of lab.plan.nodes) {
      if (!before.has(n.name)) continue;
      const s = await agentPolicyStatus(n.ns);
      const problems = s ? s.sources.flatMap((x) => x.problems) : [];
      if (!s) pending.push(`${n.name}: agent not answering`);
      else if (s.lastError) pending.push(`${n.name}: ${s.lastError}`);
      else if (problems.length > 0) pending.push(`${n.name}: ${problems.join('; ')}`);
      else if (s.applies <= before.get(n.name)!) pending.push(`${n.name}: not applied yet`);
    }
    if (pending.length === 0) return;
    last = pending.join(', ');
    await sleep(100);
  }
  throw new Error(`the agents have not applied the change within ${Math.round(timeoutMs / 1000)} s: ${last}`);
}

/** `lab policy apply -f FILE`: validated like the agent does, merged by namespace/name, written, waited for. */
export async function applyPolicyFile(lab: Lab, file: string, text: string): Promise<string[]> {
  const docs = parsePolicyDocuments(text, { source: file, defaultNamespace: 'default' });
  const state = lab.state.policy ?? { policies: [], namespaces: [] };
  lab.state.policy = state;
  const said: string[] = [];
  for (const n of docs.namespaces) {
    state.namespaces = [...state.namespaces.filter((x) => x.name !== n.name), n];
    said.push(`namespace/${n.name} configured`);
  }
  for (const p of docs.policies) {
    const key = (x: NetworkPolicy) => `${x.metadata.namespace}/${x.metadata.name}`;
    const existed = state.policies.some((x) => key(x) === key(p));
    state.policies = [...state.policies.filter((x) => key(x) !== key(p)), p];
    said.push(`networkpolicy/${key(p)} ${existed ? 'configured' : 'created'}`);
  }
  await rewritePolicies(lab);
  return said;
}

/** `lab policy delete NAME -n NS`. */
export async function deletePolicy(lab: Lab, name: string, namespace: string): Promise<void> {
  const state = lab.state.policy;
  const found = state?.policies.find((p) => p.metadata.name === name && p.metadata.namespace === namespace);
  if (!state || !found) throw new Error(`no NetworkPolicy ${namespace}/${name} in lab "${lab.plan.options.name}"`);
  state.policies = state.policies.filter((p) => p !== found);
  await rewritePolicies(lab);
}

async function rewritePolicies(lab: Lab): Promise<void> {
  const before = await policyApplies(lab);
  lab.saveState();
  writePoliciesFile(lab);
  await waitEnforced(lab, before);
}

const POD_NAME_RE = /^[a-z][a-z0-9]{0,11}$/;
const NS_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const LABEL_KEY_RE = /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE_RE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** `--labels k=v,k2=v2` → a label map; refuses what the API server would. */
export function parseLabels(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!text) return out;
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    const k = eq < 0 ? part : part.slice(0, eq);
    const v = eq < 0 ? '' : part.slice(eq + 1);
    if (eq < 0 || !LABEL_KEY_RE.test(k)) throw new Error(`--labels: "${part}" is not key=value with a valid label key`);
    if (!LABEL_VALUE_RE.test(v)) throw new Error(`--labels: "${v}" is not a valid label value (${k})`);
    out[k] = v;
  }
  return out;
}

/** `lab pod add NAME --node NODE [--namespace NS] [--labels …]`: a namespace gnt-<lab>-<node>-<NAME>, via gannet-cni. */
export async function addLabPod(
  lab: Lab,
  o: { name: string; node: string; namespace?: string; labels?: Record<string, string> },
): Promise<string> {
  if (!POD_NAME_RE.test(o.name)) throw new Error(`pod name "${o.name}" must be 1-12 lower-case letters and digits`);
  const namespace = o.namespace ?? 'default';
  if (!NS_RE.test(namespace)) throw new Error(`--namespace "${namespace}" is not a Kubernetes namespace name`);
  const node = lab.plan.nodes.find((n) => n.name === o.node);
  if (!node) throw new Error(`no node "${o.node}" (nodes: ${lab.plan.nodes.map((n) => n.name).join(', ')})`);
  if (lab.state.pods.some((p) => p.id === o.name)) throw new Error(`pod "${o.name}" exists already`);
  const before = await policyApplies(lab);
  const meta = { namespace, labels: o.labels ?? {}, uid: randomUUID() };
  // --runtime containerd: a CRI sandbox of the node's containerd (its namespace is containerd's cni-…)
  const addr =
    lab.plan.options.runtime === 'containerd'
      ? await lab.runSandbox(node, o.name, meta)
      : await lab.addPod(node, o.name, `${lab.plan.prefix}${node.name}-${o.name}`, meta);
  await waitEnforced(lab, before);
  return addr;
}

export async function deleteLabPod(lab: Lab, name: string): Promise<void> {
  if (!lab.state.pods.some((p) => p.id === name)) throw new Error(`no pod "${name}"`);
  const before = await policyApplies(lab);
  await lab.deletePod(name);
  await waitEnforced(lab, before);
}
