// An interpreter of the compiled model (the IR, before text rendering): walks the forward-hook base chains the way
// the kernel does for one packet, so the compiler's semantics can be checked without root. The e2e tests check the
// same cases against the kernel with the rendered text.
import { parseIpv4 } from '@gannet/core';
import type { ChainDef, L4, Match, PolicyModel, Rule, SetDef } from '../model.js';

export interface Packet {
  saddr: string;
  daddr: string;
  proto: L4;
  dport: number;
  /** A reply or later packet of an accepted connection (conntrack state established). */
  established?: boolean;
}

type Outcome = 'accept' | 'drop' | 'continue';

const v4 = (ip: string): number => parseIpv4(ip);

function inSet(s: SetDef, key: string): boolean {
  if (!s.interval) return s.elements.has(key);
  const ip = v4(key);
  for (const el of s.elements.keys()) {
    const [addr, len = '32'] = el.split('/');
    const size = 2 ** (32 - Number(len));
    const start = v4(addr!);
    if (ip >= start && ip < start + size) return true;
  }
  return false;
}

function matches(model: PolicyModel, m: Match, p: Packet): boolean {
  const addr = (f: 'saddr' | 'daddr') => (f === 'saddr' ? p.saddr : p.daddr);
  switch (m.kind) {
    case 'addr-in-set': {
      const s = model.sets.get(m.set);
      if (!s) throw new Error(`rule refers to missing set ${m.set}`);
      return inSet(s, addr(m.field)) !== (m.negate ?? false);
    }
    case 'addr-pair-in-set': {
      const s = model.sets.get(m.set);
      if (!s) throw new Error(`rule refers to missing set ${m.set}`);
      return s.elements.has(`${p.saddr} . ${p.daddr}`);
    }
    case 'l4proto':
      return p.proto === m.proto;
    case 'dport':
      return p.dport >= m.from && p.dport <= m.to;
    case 'daddr-dport-in-set': {
      const s = model.sets.get(m.set);
      if (!s) throw new Error(`rule refers to missing set ${m.set}`);
      return s.elements.has(`${p.daddr} . ${p.dport}`);
    }
    case 'ct-state':
      return (p.established ?? false) && m.states.includes('established');
  }
}

function runChain(model: PolicyModel, chain: ChainDef, p: Packet, depth: number): Outcome {
  if (depth > 16) throw new Error('jump loop');
  for (const r of chain.rules) {
    if (!r.match.every((m) => matches(model, m, p))) continue;
    const out = verdict(model, r, p, depth);
    if (out !== 'continue') return out;
  }
  return 'continue';
}

function verdict(model: PolicyModel, r: Rule, p: Packet, depth: number): Outcome {
  const v = r.verdict;
  switch (v.kind) {
    case 'accept':
    case 'drop':
      return v.kind;
    case 'masquerade':
      return 'accept';
    case 'jump': {
      const c = model.chains.get(v.chain);
      if (!c) throw new Error(`jump to missing chain ${v.chain}`);
      return runChain(model, c, p, depth + 1);
    }
    case 'vmap': {
      const target = model.sets.get(v.map)?.elements.get(v.field === 'saddr' ? p.saddr : p.daddr);
      if (target === undefined) return 'continue';
      const c = model.chains.get(target.replace(/^jump /, ''));
      if (!c) throw new Error(`map ${v.map} jumps to missing chain ${target}`);
      return runChain(model, c, p, depth + 1);
    }
  }
}

/** True when a forwarded packet gets through every forward-hook base chain (policy accept when none decides). */
export function evaluateForward(model: PolicyModel, p: Packet): boolean {
  const bases = [...model.chains.values()].filter((c) => c.hook?.hook === 'forward');
  for (const c of bases) if (runChain(model, c, p, 0) === 'drop') return false;
  return true;
}

/** True when the postrouting chain would masquerade the packet (egress NAT). */
export function evaluateMasquerade(model: PolicyModel, p: Packet): boolean {
  const c = model.chains.get('postrouting');
  if (!c) return false;
  return c.rules.some((r) => r.verdict.kind === 'masquerade' && r.match.every((m) => matches(model, m, p)));
}
