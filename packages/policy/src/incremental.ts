// The fast path for the most frequent change: pods added, removed or changed while policies, namespaces and the
// address options stay the same. It edits the previous model in place (the caller gives it up) and records what it
// changed, so the nft delta comes from the changes rather than from comparing every set: O(changed pods × peers),
// not O(all elements). Anything else (or a pod sharing an address with another) returns undefined and the caller
// compiles in full; both give the same model (tested).
import { groupChain } from './compile.js';
import { isEmptySelector, selectorMatches } from './label-selector.js';
import { type ChainDef, type PolicyModel, type Rule, type SetDef, TABLE } from './model.js';
import { renderRule } from './render.js';
import type { CheckedInput, CheckedPod } from './validate-input.js';

export interface PodUpdate {
  model: PolicyModel;
  /** The nft script for the change ('' when nothing changed). */
  script: string;
}

/** Applies a pod-only change to `prev` (edited in place) and returns it with the nft delta; undefined: compile. */
export function updatePods(prev: PolicyModel, before: CheckedInput, after: CheckedInput): PodUpdate | undefined {
  const index = prev.index;
  if (!index || !sameExceptPods(before, after)) return undefined;
  const old = new Map(before.pods.map((p) => [p.key, p]));
  const now = new Map(after.pods.map((p) => [p.key, p]));
  if (old.size !== before.pods.length || now.size !== after.pods.length) return undefined;
  const removed: CheckedPod[] = [];
  const added: CheckedPod[] = [];
  for (const [k, p] of old) if (now.get(k) !== p) removed.push(p);
  for (const [k, p] of now) if (old.get(k) !== p) added.push(p);
  if (removed.length === 0 && added.length === 0) return { model: prev, script: '' };
  if (sharesAddress(before.pods, removed) || sharesAddress(after.pods, added)) return undefined;

  const { sets, chains } = prev;
  // Per set: the value each touched key had before this update (undefined: absent).
  const original = new Map<string, Map<string, string | undefined>>();
  const newChains: string[] = [];
  const dropped = new Set<string>();

  const place = (p: CheckedPod, add: boolean) => {
    if (p.hostNetwork || p.ips.length === 0) return;
    const nsLabels = after.namespaces.get(p.namespace) ?? {};
    const edit = (set: string, key: string, value = '') => {
      const s = sets.get(set)!;
      let orig = original.get(set);
      if (!orig) {
        orig = new Map();
        original.set(set, orig);
      }
      if (!orig.has(key)) orig.set(key, s.elements.get(key));
      if (add) s.elements.set(key, value);
      else s.elements.delete(key);
    };
    for (const peer of index.peers) {
      const nsOk =
        peer.namespaceSelector === undefined
          ? p.namespace === peer.policyNamespace
          : isEmptySelector(peer.namespaceSelector) || selectorMatches(peer.namespaceSelector, nsLabels);
      if (nsOk && (peer.podSelector === undefined || selectorMatches(peer.podSelector, p.labels))) {
        for (const ip of p.ips) edit(peer.set, ip);
      }
    }
    for (const [name, proto] of index.namedPorts) {
      for (const cp of p.ports) {
        if (cp.name === name && cp.protocol.toLowerCase() === proto) {
          for (const ip of p.ips) edit(`port.${name}.${proto}`, `${ip} . ${cp.port}`);
        }
      }
    }
    if (!p.local) return;
    for (const ip of p.ips) edit('hairpin', `${ip} . ${ip}`);
    for (const dir of ['in', 'eg'] as const) {
      const pols = index.targets[dir]
        .filter((t) => t.namespace === p.namespace && selectorMatches(t.podSelector, p.labels))
        .map((t) => t.chain);
      if (pols.length === 0) continue;
      const chain = groupChain(pols, dir);
      const map = dir === 'in' ? 'ingress-pods' : 'egress-pods';
      if (add && !chains.has(chain)) {
        const rules: Rule[] = [
          ...pols.map((c): Rule => ({ match: [], verdict: { kind: 'jump', chain: c } })),
          { match: [], verdict: { kind: 'drop' } },
        ];
        chains.set(chain, { rules } satisfies ChainDef);
        newChains.push(chain);
      }
      if (!add) dropped.add(chain);
      for (const ip of p.ips) edit(map, ip, `jump ${chain}`);
    }
  };
  for (const p of removed) place(p, false);
  for (const p of added) place(p, true);

  // Group chains no pod jumps to any more go, as in a full compile.
  const gone: string[] = [];
  if (dropped.size > 0) {
    const used = new Set<string>();
    for (const m of ['ingress-pods', 'egress-pods'])
      for (const v of sets.get(m)!.elements.values()) used.add(v.slice(5));
    for (const c of dropped) {
      if (used.has(c) || !chains.has(c)) continue;
      chains.delete(c);
      gone.push(c);
    }
  }
  let rules = 0;
  for (const c of chains.values()) rules += c.rules.length;
  let selectedPods = 0;
  const ing = sets.get('ingress-pods')!.elements;
  const eg = sets.get('egress-pods')!.elements;
  for (const p of after.pods)
    if (p.local && !p.hostNetwork && p.ips.some((ip) => ing.has(ip) || eg.has(ip))) selectedPods++;
  const model = { sets, chains, index, stats: { policies: prev.stats.policies, selectedPods, rules } };
  return { model, script: deltaScript(sets, chains, original, newChains, gone) };
}

/** New chains first (filled: they only jump to policy chains), stale elements, new elements, then unused chains. */
function deltaScript(
  sets: Map<string, SetDef>,
  chains: Map<string, ChainDef>,
  original: Map<string, Map<string, string | undefined>>,
  newChains: string[],
  gone: string[],
): string {
  const out: string[] = [];
  const fresh = newChains.filter((c) => chains.has(c));
  for (const c of fresh) out.push(`add chain ${TABLE} ${c}`);
  for (const c of fresh) for (const r of chains.get(c)!.rules) out.push(`add rule ${TABLE} ${c} ${renderRule(r)}`);
  const adds: string[] = [];
  for (const [name, orig] of original) {
    const s = sets.get(name)!;
    const del: string[] = [];
    const add: string[] = [];
    for (const [k, was] of orig) {
      const now = s.elements.get(k);
      if (now === was) continue;
      if (was !== undefined) del.push(k);
      if (now !== undefined) add.push(s.map ? `${k} : ${now}` : k);
    }
    if (del.length > 0) out.push(`delete element ${TABLE} ${name} { ${del.join(', ')} }`);
    if (add.length > 0) adds.push(`add element ${TABLE} ${name} { ${add.join(', ')} }`);
  }
  out.push(...adds);
  for (const c of gone) out.push(`flush chain ${TABLE} ${c}`, `delete chain ${TABLE} ${c}`);
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

function sameExceptPods(a: CheckedInput, b: CheckedInput): boolean {
  if (a.policies.length !== b.policies.length || a.policies.some((p, i) => p !== b.policies[i])) return false;
  if (a.natOutgoing !== b.natOutgoing) return false;
  for (const k of ['nodeAddresses', 'clusterCidrs', 'natExclude'] as const) {
    if (a[k].join(' ') !== b[k].join(' ')) return false;
  }
  if (a.namespaces.size !== b.namespaces.size) return false;
  for (const [name, labels] of a.namespaces) {
    const other = b.namespaces.get(name);
    if (!other || JSON.stringify(labels) !== JSON.stringify(other)) return false;
  }
  return true;
}

/** True when a changed pod has an address some other pod of the same input also has. */
function sharesAddress(all: CheckedPod[], changed: CheckedPod[]): boolean {
  if (changed.length === 0) return false;
  const mine = new Set(changed.filter((p) => !p.hostNetwork).flatMap((p) => p.ips));
  const keys = new Set(changed.map((p) => p.key));
  return all.some((p) => !keys.has(p.key) && !p.hostNetwork && p.ips.some((ip) => mine.has(ip)));
}
