// The pure compiler: (NetworkPolicies, pods, namespaces, addresses) → PolicyModel for `table inet gannet`.
//
// Shape of the table (see README for the why):
//   chain egress  (forward, filter - 1): ct established,related accept; hairpin accept; ip saddr vmap @egress-pods
//   chain ingress (forward, filter):     ct established,related accept; hairpin accept; ip daddr vmap @ingress-pods
//   map ingress-pods / egress-pods: local pod IP → jump grp.<digest>.in|eg (only pods some policy selects)
//   chain grp.<digest>.in: jump pol.<id>.in for each selecting policy; drop (shared by pods with the same policies)
//   set hairpin: <ip> . <ip> for every local pod (same-pod traffic through a service is allowed)
//   chain pol.<id>.in: one rule per (rule, peer, port) of the policy, accept on match; depends on the policy alone
//   set pol.<id>.in<i>.<j>.pods: IPs of the pods peer j of rule i selects (cidr/except sets for ipBlock)
//   set port.<name>.<proto>: pod IP . port for every pod with a container port of that name (named ports)
//   chain postrouting (nat): pod traffic to outside clusterCidrs, node addresses and natExclude is masqueraded
// Names depend only on the objects they come from, so one change rewrites only what depends on it.
import { createHash } from 'node:crypto';
import { minimalIPv4, parseCidr } from './cidr.js';
import { isEmptySelector, selectorMatches } from './label-selector.js';
import type { ChainDef, CompileIndex, L4, Match, PolicyModel, Rule, SetDef } from './model.js';
import type { NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, PolicyInput } from './types.js';
import { type CheckedInput, type CheckedPod, checkInput } from './validate-input.js';

type Dir = 'in' | 'eg';

const ESTABLISHED: Match = { kind: 'ct-state', states: ['established', 'related'] };
const HAIRPIN: Match = { kind: 'addr-pair-in-set', set: 'hairpin' };

/** The chain shared by the local pods a given list of policy chains selects: `grp.<digest>.in|eg`. */
export function groupChain(policyChains: readonly string[], dir: Dir): string {
  return `grp.${createHash('sha1').update(policyChains.join(' ')).digest('hex').slice(0, 16)}.${dir}`;
}

/** Validates the input (throws PolicyError naming the bad object and field) and compiles it. */
export function compilePolicies(input: PolicyInput): PolicyModel {
  return compileChecked(checkInput(input));
}

/** A name part for nft identifiers: kept readable while short, hashed when long. */
export function objectId(namespace: string, name: string): string {
  const id = `${namespace}.${name}`;
  return id.length <= 100 ? id : `h${createHash('sha1').update(`${namespace}/${name}`).digest('hex').slice(0, 16)}`;
}

export function compileChecked(input: CheckedInput): PolicyModel {
  const sets = new Map<string, SetDef>();
  const chains = new Map<string, ChainDef>();
  const addSet = (name: string, type: string, interval: boolean, keys: Iterable<string>) => {
    const elements = new Map<string, string>();
    for (const k of keys) elements.set(k, '');
    sets.set(name, { type, interval, map: false, elements });
  };
  const ingressPods = new Map<string, string>();
  const egressPods = new Map<string, string>();
  sets.set('ingress-pods', { type: 'ipv4_addr', interval: false, map: true, elements: ingressPods });
  sets.set('egress-pods', { type: 'ipv4_addr', interval: false, map: true, elements: egressPods });
  chains.set('egress', {
    hook: { type: 'filter', hook: 'forward', priority: 'filter - 1' },
    rules: [
      { match: [ESTABLISHED], verdict: { kind: 'accept' } },
      { match: [HAIRPIN], verdict: { kind: 'accept' } },
      { match: [], verdict: { kind: 'vmap', field: 'saddr', map: 'egress-pods' } },
    ],
  });
  chains.set('ingress', {
    hook: { type: 'filter', hook: 'forward', priority: 'filter' },
    rules: [
      { match: [ESTABLISHED], verdict: { kind: 'accept' } },
      { match: [HAIRPIN], verdict: { kind: 'accept' } },
      { match: [], verdict: { kind: 'vmap', field: 'daddr', map: 'ingress-pods' } },
    ],
  });

  // Pods that take part in policy: not on the host network, with an IPv4 address.
  const pods = input.pods.filter((p) => !p.hostNetwork && p.ips.length > 0);
  const byNamespace = new Map<string, CheckedPod[]>();
  for (const p of pods) {
    const list = byNamespace.get(p.namespace);
    if (list) list.push(p);
    else byNamespace.set(p.namespace, [p]);
  }
  const namedPorts = new Set<string>();
  const index: CompileIndex = { peers: [], targets: { in: [], eg: [] }, namedPorts: [] };
  // Local pod key → policy chains that select it, per direction.
  const selected: Record<Dir, Map<string, string[]>> = { in: new Map(), eg: new Map() };

  for (const pol of [...input.policies].sort(byKey)) {
    const id = objectId(pol.metadata.namespace, pol.metadata.name);
    const types = policyTypes(pol);
    const targets = (byNamespace.get(pol.metadata.namespace) ?? []).filter(
      (p) => p.local && selectorMatches(pol.spec.podSelector, p.labels),
    );
    for (const dir of ['in', 'eg'] as const) {
      if (!types.has(dir)) continue;
      const chain = `pol.${id}.${dir}`;
      const rules: Rule[] = [];
      const specRules = dir === 'in' ? (pol.spec.ingress ?? []) : (pol.spec.egress ?? []);
      specRules.forEach((r, i) => {
        const peers =
          (dir === 'in' ? (r as { from?: NetworkPolicyPeer[] }).from : (r as { to?: NetworkPolicyPeer[] }).to) ?? [];
        const peerMatches: Match[][] = peers.length === 0 ? [[]] : [];
        peers.forEach((peer, j) => {
          peerMatches.push(peerMatch(peer, `pol.${id}.${dir}${i}.${j}`, dir, pol, input, byNamespace, addSet, index));
        });
        const portMatches = (r.ports ?? []).length === 0 ? [[]] : (r.ports ?? []).map((p) => portMatch(p, namedPorts));
        for (const pm of peerMatches)
          for (const po of portMatches) rules.push({ match: [...pm, ...po], verdict: { kind: 'accept' } });
      });
      chains.set(chain, { rules });
      index.targets[dir].push({ chain, namespace: pol.metadata.namespace, podSelector: pol.spec.podSelector });
      for (const t of targets) {
        const list = selected[dir].get(t.key);
        if (list) list.push(chain);
        else selected[dir].set(t.key, [chain]);
      }
    }
  }

  // Local pods selected by the same policies share one chain: the selecting policies' chains, then drop. Its name
  // is a digest of that list, so a pod added, removed or relabelled usually changes only map elements.
  for (const p of pods) {
    for (const dir of ['in', 'eg'] as const) {
      const pols = selected[dir].get(p.key);
      if (!pols) continue;
      const chain = groupChain(pols, dir);
      if (!chains.has(chain)) {
        const rules: Rule[] = [
          ...pols.map((c): Rule => ({ match: [], verdict: { kind: 'jump', chain: c } })),
          { match: [], verdict: { kind: 'drop' } },
        ];
        chains.set(chain, { rules });
      }
      for (const ip of p.ips) (dir === 'in' ? ingressPods : egressPods).set(ip, `jump ${chain}`);
    }
  }
  // Same-pod hairpin (a pod reaching itself through a service): source . destination of every local pod's own IPs.
  const hairpin: string[] = [];
  for (const p of pods) if (p.local) for (const ip of p.ips) hairpin.push(`${ip} . ${ip}`);
  addSet('hairpin', 'ipv4_addr . ipv4_addr', false, hairpin);

  // Named ports: every pod's (IP, port) for each (name, protocol) some policy uses.
  for (const np of [...namedPorts].sort()) {
    const [name, proto] = np.split('/') as [string, L4];
    index.namedPorts.push([name, proto]);
    const keys: string[] = [];
    for (const p of pods) {
      for (const cp of p.ports) {
        if (cp.name === name && cp.protocol.toLowerCase() === proto)
          for (const ip of p.ips) keys.push(`${ip} . ${cp.port}`);
      }
    }
    addSet(`port.${name}.${proto}`, 'ipv4_addr . inet_service', false, keys);
  }

  if (input.natOutgoing) {
    addSet('cluster-cidrs', 'ipv4_addr', true, input.clusterCidrs);
    addSet('node-addrs', 'ipv4_addr', false, input.nodeAddresses);
    addSet('nat-exclude', 'ipv4_addr', true, input.natExclude);
    chains.set('postrouting', {
      hook: { type: 'nat', hook: 'postrouting', priority: 'srcnat' },
      rules: [
        {
          match: [
            { kind: 'addr-in-set', field: 'saddr', set: 'cluster-cidrs' },
            { kind: 'addr-in-set', field: 'daddr', set: 'cluster-cidrs', negate: true },
            { kind: 'addr-in-set', field: 'daddr', set: 'node-addrs', negate: true },
            { kind: 'addr-in-set', field: 'daddr', set: 'nat-exclude', negate: true },
          ],
          verdict: { kind: 'masquerade' },
        },
      ],
    });
  }

  let rules = 0;
  for (const c of chains.values()) rules += c.rules.length;
  const selectedPods = new Set([...selected.in.keys(), ...selected.eg.keys()]).size;
  return { sets, chains, index, stats: { policies: input.policies.length, selectedPods, rules } };
}

function byKey(a: NetworkPolicy, b: NetworkPolicy): number {
  const ka = `${a.metadata.namespace}/${a.metadata.name}`;
  const kb = `${b.metadata.namespace}/${b.metadata.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** policyTypes, or the default when omitted: Ingress always, Egress when the policy has egress rules. */
function policyTypes(pol: NetworkPolicy): Set<Dir> {
  const t = pol.spec.policyTypes;
  if (t !== undefined && t.length > 0) return new Set(t.map((x) => (x === 'Ingress' ? 'in' : 'eg')));
  return new Set(pol.spec.egress !== undefined ? ['in', 'eg'] : ['in']);
}

function peerMatch(
  peer: NetworkPolicyPeer,
  base: string,
  dir: Dir,
  pol: NetworkPolicy,
  input: CheckedInput,
  byNamespace: Map<string, CheckedPod[]>,
  addSet: (name: string, type: string, interval: boolean, keys: Iterable<string>) => void,
  index: CompileIndex,
): Match[] {
  const field = dir === 'in' ? 'saddr' : 'daddr';
  if (peer.ipBlock) {
    const cidr = parseCidr(peer.ipBlock.cidr);
    if (typeof cidr === 'string' || cidr.family !== 4) {
      // An IPv6 block never matches IPv4 traffic: an empty set keeps the rule's place.
      addSet(`${base}.cidr`, 'ipv4_addr', true, []);
      return [{ kind: 'addr-in-set', field, set: `${base}.cidr` }];
    }
    addSet(`${base}.cidr`, 'ipv4_addr', true, [cidr.text]);
    const except = (peer.ipBlock.except ?? []).map((e) => parseCidr(e)).filter((e) => typeof e !== 'string');
    const m: Match[] = [{ kind: 'addr-in-set', field, set: `${base}.cidr` }];
    if (except.length > 0) {
      addSet(`${base}.except`, 'ipv4_addr', true, minimalIPv4(except));
      m.push({ kind: 'addr-in-set', field, set: `${base}.except`, negate: true });
    }
    return m;
  }
  const nsSel = peer.namespaceSelector;
  const namespaces =
    nsSel === undefined
      ? [pol.metadata.namespace]
      : isEmptySelector(nsSel)
        ? [...byNamespace.keys()]
        : [...input.namespaces].filter(([, labels]) => selectorMatches(nsSel, labels)).map(([n]) => n);
  const ips: string[] = [];
  for (const ns of namespaces) {
    for (const p of byNamespace.get(ns) ?? []) {
      if (peer.podSelector === undefined || selectorMatches(peer.podSelector, p.labels)) ips.push(...p.ips);
    }
  }
  addSet(`${base}.pods`, 'ipv4_addr', false, ips);
  index.peers.push({
    set: `${base}.pods`,
    policyNamespace: pol.metadata.namespace,
    ...(peer.podSelector ? { podSelector: peer.podSelector } : {}),
    ...(nsSel ? { namespaceSelector: nsSel } : {}),
  });
  return [{ kind: 'addr-in-set', field, set: `${base}.pods` }];
}

function portMatch(p: NetworkPolicyPort, namedPorts: Set<string>): Match[] {
  const proto = (p.protocol ?? 'TCP').toLowerCase() as L4;
  const m: Match[] = [{ kind: 'l4proto', proto }];
  if (typeof p.port === 'number') m.push({ kind: 'dport', from: p.port, to: p.endPort ?? p.port });
  else if (typeof p.port === 'string') {
    namedPorts.add(`${p.port}/${proto}`);
    m.push({ kind: 'daddr-dport-in-set', set: `port.${p.port}.${proto}` });
  }
  return m;
}
