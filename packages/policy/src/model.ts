// The compiled ruleset as data (the IR before text rendering): named sets and maps, chains of rules. The renderer
// turns it into nft text, a full table or a delta against the model applied before; tests interpret it directly.

import type { LabelSelector } from './types.js';

export type L4 = 'tcp' | 'udp' | 'sctp';

export type Match =
  /** `ip saddr @set` / `ip daddr @set` (or `!=` when negated). */
  | { kind: 'addr-in-set'; field: 'saddr' | 'daddr'; set: string; negate?: boolean }
  /** `ip saddr . ip daddr @set`: the (source, destination) pair is in the set. */
  | { kind: 'addr-pair-in-set'; set: string }
  | { kind: 'l4proto'; proto: L4 }
  /** `th dport 80` or `th dport 80-90` (after an l4proto match). */
  | { kind: 'dport'; from: number; to: number }
  /** `ip daddr . th dport @set`: a named port, resolved per destination pod. */
  | { kind: 'daddr-dport-in-set'; set: string }
  | { kind: 'ct-state'; states: string[] };

export type Verdict =
  | { kind: 'accept' }
  | { kind: 'drop' }
  | { kind: 'jump'; chain: string }
  /** `ip saddr vmap @map`: look the address up in a verdict map (no element: fall through). */
  | { kind: 'vmap'; field: 'saddr' | 'daddr'; map: string }
  | { kind: 'masquerade' };

export interface Rule {
  match: Match[];
  verdict: Verdict;
}

export interface Hook {
  type: 'filter' | 'nat';
  hook: 'forward' | 'postrouting';
  /** nft priority expression, e.g. `filter - 1` or `srcnat`. */
  priority: string;
}

export interface ChainDef {
  hook?: Hook;
  rules: Rule[];
}

export interface SetDef {
  /** nft key type, e.g. `ipv4_addr` or `ipv4_addr . inet_service`. */
  type: string;
  interval: boolean;
  /** For verdict maps: element key → verdict text (`jump pod.x.a.in`); for sets: key → ''. */
  map: boolean;
  elements: Map<string, string>;
}

/** What the incremental path needs to place one pod without recompiling (internal to the package). */
export interface CompileIndex {
  /** Selector peers, each with the set of pod IPs it feeds. */
  peers: { set: string; policyNamespace: string; podSelector?: LabelSelector; namespaceSelector?: LabelSelector }[];
  /** Per direction, in policy order: the policy chain and which local pods it selects. */
  targets: Record<'in' | 'eg', { chain: string; namespace: string; podSelector: LabelSelector }[]>;
  /** Named ports in use: [name, protocol]. */
  namedPorts: [string, L4][];
}

export interface PolicyModel {
  sets: Map<string, SetDef>;
  chains: Map<string, ChainDef>;
  /** Internal: lets a pod-only change be applied to this model without a full compile. */
  index?: CompileIndex;
  /** Figures for the status: policies, local pods selected by at least one, rules in all chains. */
  stats: { policies: number; selectedPods: number; rules: number };
}

export const TABLE = 'inet gannet';
