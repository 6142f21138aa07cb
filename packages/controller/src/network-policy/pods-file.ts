// `policy.podsFile`: the pods of the cluster as standalone mode knows them (the lab writes it). Strict: unknown keys
// and wrong types are errors naming the file, the line and the field.
import type { ContainerPort, Protocol } from '@gannet/policy';
import { isMap, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { isIP } from '../net.js';

export interface PodEntry {
  namespace: string;
  name: string;
  /** The node that runs it (entries of this node only add labels and ports to the store's pods). */
  node?: string;
  ips: string[];
  labels?: Record<string, string>;
  ports?: ContainerPort[];
  hostNetwork?: boolean;
}

const MAX_BYTES = 16 * 1024 * 1024;
const NAME_RE = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const POD_KEYS = ['namespace', 'name', 'node', 'ips', 'labels', 'ports', 'hostNetwork'];
const PORT_KEYS = ['name', 'containerPort', 'protocol'];

export function parsePodsFile(text: string, file: string): PodEntry[] {
  return parsePodsDocument(text, file).pods;
}

/**
 * The whole file: `pods`, and `nodes: [{name, addresses: [...]}]` — the cluster's node addresses, which pod traffic
 * reaches without NAT (the agent knows only its own and its peers' otherwise).
 */
export function parsePodsDocument(text: string, file: string): { pods: PodEntry[]; nodeAddresses: string[] } {
  if (text.length > MAX_BYTES) throw new Error(`${file}: larger than ${MAX_BYTES} bytes`);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const fail = (node: unknown, field: string, msg: string): never => {
    const range = (node as { range?: [number] } | undefined)?.range;
    const line = range ? lines.linePos(range[0]).line : 1;
    throw new Error(`${file}:${line}: ${field ? `${field}: ` : ''}${msg}`);
  };
  const first = doc.errors[0];
  if (first) fail({ range: first.pos }, '', `YAML: ${first.message.split('\n')[0]}`);
  const root = doc.contents as Node | null;
  if (root === null) return { pods: [], nodeAddresses: [] };
  if (!isMap(root)) return fail(root, '', 'must be a mapping with a `pods` list');
  const keyOf = (p: { key: unknown }) => String((p.key as { value?: unknown })?.value ?? p.key);
  for (const p of root.items) {
    if (keyOf(p) !== 'pods' && keyOf(p) !== 'nodes') fail(p.key, keyOf(p), 'unknown key (allowed here: pods, nodes)');
  }
  const nodeAddresses: string[] = [];
  const nodesNode = root.get('nodes', true) as Node | undefined;
  if (nodesNode !== undefined && nodesNode !== null) {
    if (!isSeq(nodesNode)) return fail(nodesNode, 'nodes', 'must be a list');
    for (const [i, item] of nodesNode.items.entries()) {
      if (!isMap(item)) return fail(item, `nodes[${i}]`, 'must be a mapping');
      for (const p of item.items) {
        if (keyOf(p) !== 'name' && keyOf(p) !== 'addresses') {
          fail(p.key, `nodes[${i}].${keyOf(p)}`, 'unknown key (allowed here: name, addresses)');
        }
      }
      const addrs = item.get('addresses', true) as Node | undefined;
      if (!isSeq(addrs)) return fail(addrs ?? item, `nodes[${i}].addresses`, 'must be a list');
      for (const [j, n] of addrs.items.entries()) {
        const v = (n as { value?: unknown }).value;
        if (typeof v !== 'string' || !isIP(v))
          fail(n, `nodes[${i}].addresses[${j}]`, `must be an IP address, got ${JSON.stringify(v)}`);
        nodeAddresses.push(v as string);
      }
    }
  }
  const podsNode = root.get('pods', true) as Node | undefined;
  if (podsNode === undefined || podsNode === null) return { pods: [], nodeAddresses };
  if (!isSeq(podsNode)) return fail(podsNode, 'pods', 'must be a list');
  const seen = new Set<string>();
  const pods = podsNode.items.map((item, i) => {
    const at = `pods[${i}]`;
    if (!isMap(item)) return fail(item, at, 'must be a mapping');
    const value = (k: string) => item.get(k, true) as Node | undefined;
    for (const p of item.items) {
      if (!POD_KEYS.includes(keyOf(p)))
        fail(p.key, `${at}.${keyOf(p)}`, `unknown key (allowed here: ${POD_KEYS.join(', ')})`);
    }
    const str = (k: string, required: boolean): string | undefined => {
      const n = value(k);
      if (n === undefined) return required ? fail(item, `${at}.${k}`, 'is required') : undefined;
      const v = (n as { value?: unknown }).value;
      if (typeof v !== 'string') return fail(n, `${at}.${k}`, `must be a string, got ${JSON.stringify(v)}`);
      if (!NAME_RE.test(v)) return fail(n, `${at}.${k}`, `"${v}" is not a DNS-1123 name`);
      return v;
    };
    const namespace = str('namespace', true)!;
    const name = str('name', true)!;
    const node = str('node', false);
    if (seen.has(`${namespace}/${name}`)) fail(item, at, `pod ${namespace}/${name} is listed twice`);
    seen.add(`${namespace}/${name}`);
    const entry: PodEntry = { namespace, name, ips: [], ...(node && { node }) };
    const ips = value('ips');
    if (ips !== undefined) {
      if (!isSeq(ips)) return fail(ips, `${at}.ips`, 'must be a list');
      entry.ips = ips.items.map((n, j) => {
        const v = (n as { value?: unknown }).value;
        if (typeof v !== 'string' || !isIP(v))
          return fail(n, `${at}.ips[${j}]`, `must be an IP address, got ${JSON.stringify(v)}`);
        return v;
      });
    }
    const labels = value('labels');
    if (labels !== undefined) {
      if (!isMap(labels)) return fail(labels, `${at}.labels`, 'must be a mapping');
      entry.labels = {};
      for (const p of labels.items) {
        const v = (p.value as { value?: unknown } | null)?.value;
        if (typeof v !== 'string')
          fail(p.value ?? p.key, `${at}.labels.${keyOf(p)}`, 'must be a string (quote numbers and booleans)');
        entry.labels[keyOf(p)] = v as string;
      }
    }
    const ports = value('ports');
    if (ports !== undefined) {
      if (!isSeq(ports)) return fail(ports, `${at}.ports`, 'must be a list');
      entry.ports = ports.items.map((n, j) => {
        const pa = `${at}.ports[${j}]`;
        if (!isMap(n)) return fail(n, pa, 'must be a mapping');
        for (const p of n.items) {
          if (!PORT_KEYS.includes(keyOf(p)))
            fail(p.key, `${pa}.${keyOf(p)}`, `unknown key (allowed here: ${PORT_KEYS.join(', ')})`);
        }
        const cp = (n.get('containerPort', true) as { value?: unknown } | undefined)?.value;
        if (typeof cp !== 'number' || !Number.isInteger(cp) || cp < 1 || cp > 65535) {
          return fail(n, `${pa}.containerPort`, 'must be a port number 1..65535');
        }
        const port: ContainerPort = { containerPort: cp };
        const pn = (n.get('name', true) as { value?: unknown } | undefined)?.value;
        if (pn !== undefined) {
          if (typeof pn !== 'string' || !/^[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?$/.test(pn)) {
            fail(n, `${pa}.name`, 'must be an IANA service name (1 to 15 lower-case letters, digits and "-")');
          }
          port.name = pn as string;
        }
        const proto = (n.get('protocol', true) as { value?: unknown } | undefined)?.value;
        if (proto !== undefined) {
          if (proto !== 'TCP' && proto !== 'UDP' && proto !== 'SCTP')
            fail(n, `${pa}.protocol`, 'must be TCP, UDP or SCTP');
          port.protocol = proto as Protocol;
        }
        return port;
      });
    }
    const hn = value('hostNetwork');
    if (hn !== undefined) {
      const v = (hn as { value?: unknown }).value;
      if (typeof v !== 'boolean') fail(hn, `${at}.hostNetwork`, 'must be true or false');
      if (v) entry.hostNetwork = true;
    }
    return entry;
  });
  return { pods, nodeAddresses };
}
