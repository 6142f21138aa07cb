// PolicyModel → nft script text: the whole table (one transaction that replaces `table inet gannet` and nothing else)
// or a delta against the model applied before (set elements added/deleted, changed chains flushed and refilled).
import { type ChainDef, type Match, type PolicyModel, type Rule, type SetDef, TABLE, type Verdict } from './model.js';

function renderMatch(m: Match): string {
  switch (m.kind) {
    case 'addr-in-set':
      return `ip ${m.field} ${m.negate ? '!= ' : ''}@${m.set}`;
    case 'addr-pair-in-set':
      return `ip saddr . ip daddr @${m.set}`;
    case 'l4proto':
      return `meta l4proto ${m.proto}`;
    case 'dport':
      return m.from === m.to ? `th dport ${m.from}` : `th dport ${m.from}-${m.to}`;
    case 'daddr-dport-in-set':
      return `ip daddr . th dport @${m.set}`;
    case 'ct-state':
      return `ct state ${m.states.join(',')}`;
  }
}

function renderVerdict(v: Verdict): string {
  switch (v.kind) {
    case 'accept':
    case 'drop':
    case 'masquerade':
      return v.kind;
    case 'jump':
      return `jump ${v.chain}`;
    case 'vmap':
      return `ip ${v.field} vmap @${v.map}`;
  }
}

export function renderRule(r: Rule): string {
  return [...r.match.map(renderMatch), renderVerdict(r.verdict)].join(' ');
}

function hookLine(c: ChainDef): string {
  const h = c.hook!;
  return `type ${h.type} hook ${h.hook} priority ${h.priority}; policy accept;`;
}

function elementText(s: SetDef, keys: Iterable<string>): string {
  const out: string[] = [];
  for (const k of keys) out.push(s.map ? `${k} : ${s.elements.get(k)}` : k);
  return out.join(', ');
}

function addSetLine(name: string, s: SetDef): string {
  const flags = s.interval ? ' flags interval;' : '';
  return `add ${s.map ? 'map' : 'set'} ${TABLE} ${name} { type ${s.type}${s.map ? ' : verdict' : ''};${flags} }`;
}

/**
 * The whole table as one transaction: create the table if missing, delete it, define it again. nft applies the file
 * atomically, so there is no moment without the rules, and no other table is named.
 */
export function renderFull(model: PolicyModel): string {
  const lines = [`add table ${TABLE}`, `delete table ${TABLE}`, `table ${TABLE} {`];
  for (const [name, s] of model.sets) {
    lines.push(`  ${s.map ? 'map' : 'set'} ${name} {`, `    type ${s.type}${s.map ? ' : verdict' : ''}`);
    if (s.interval) lines.push('    flags interval');
    if (s.elements.size > 0) lines.push(`    elements = { ${elementText(s, s.elements.keys())} }`);
    lines.push('  }');
  }
  // Regular chains first: a rule may only jump to a chain already declared.
  const order = [...model.chains].sort(([, a], [, b]) => Number(a.hook !== undefined) - Number(b.hook !== undefined));
  for (const [name, c] of order) if (!c.hook) lines.push(`  chain ${name} {`, '  }');
  for (const [name, c] of order) {
    lines.push(`  chain ${name} {`);
    if (c.hook) lines.push(`    ${hookLine(c)}`);
    for (const r of c.rules) lines.push(`    ${renderRule(r)}`);
    lines.push('  }');
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** The script to remove the table (and nothing else); a no-op when it does not exist. */
export function renderRemove(): string {
  return `add table ${TABLE}\ndelete table ${TABLE}\n`;
}

function sameHook(a: ChainDef | undefined, b: ChainDef | undefined): boolean {
  return JSON.stringify(a?.hook) === JSON.stringify(b?.hook);
}

const chainTexts = new WeakMap<ChainDef, string>();

/** A chain's rules as text, memoised per ChainDef (the model applied before is compared on every delta). */
function chainText(c: ChainDef): string {
  let t = chainTexts.get(c);
  if (t === undefined) {
    t = c.rules.map(renderRule).join('\n');
    chainTexts.set(c, t);
  }
  return t;
}

/**
 * The delta from `prev` (what the kernel holds) to `next` as one nft transaction, or '' when nothing changed. Falls
 * back to the full table when a base chain appears, disappears or changes its hook, or a set changes its type.
 */
export function renderDelta(prev: PolicyModel, next: PolicyModel): string {
  for (const name of new Set([...prev.chains.keys(), ...next.chains.keys()])) {
    const a = prev.chains.get(name);
    const b = next.chains.get(name);
    if ((a?.hook || b?.hook) && !sameHook(a, b)) return renderFull(next);
  }
  for (const [name, b] of next.sets) {
    const a = prev.sets.get(name);
    if (a && (a.type !== b.type || a.interval !== b.interval || a.map !== b.map)) return renderFull(next);
  }
  const head: string[] = [];
  const flush: string[] = [];
  const delElems: string[] = [];
  const addElems: string[] = [];
  const fill: string[] = [];
  const tail: string[] = [];
  for (const [name, s] of next.sets) {
    const old = prev.sets.get(name);
    if (old === s) continue;
    if (!old) {
      head.push(addSetLine(name, s));
      if (s.elements.size > 0) addElems.push(`add element ${TABLE} ${name} { ${elementText(s, s.elements.keys())} }`);
      continue;
    }
    const gone: string[] = [];
    const added: string[] = [];
    for (const [k, v] of old.elements) {
      const nv = s.elements.get(k);
      if (nv === undefined || nv !== v) gone.push(k);
    }
    for (const [k, v] of s.elements) if (old.elements.get(k) !== v) added.push(k);
    if (gone.length > 0) delElems.push(`delete element ${TABLE} ${name} { ${gone.join(', ')} }`);
    if (added.length > 0) addElems.push(`add element ${TABLE} ${name} { ${elementText(s, added)} }`);
  }
  for (const [name, c] of next.chains) {
    const old = prev.chains.get(name);
    if (old && (old === c || chainText(old) === chainText(c))) continue;
    if (!old) head.push(`add chain ${TABLE} ${name}`);
    else flush.push(`flush chain ${TABLE} ${name}`);
    for (const r of c.rules) fill.push(`add rule ${TABLE} ${name} ${renderRule(r)}`);
  }
  for (const name of prev.chains.keys()) {
    if (next.chains.has(name)) continue;
    flush.push(`flush chain ${TABLE} ${name}`);
    tail.push(`delete chain ${TABLE} ${name}`);
  }
  for (const name of prev.sets.keys())
    if (!next.sets.has(name)) tail.push(`delete ${prev.sets.get(name)!.map ? 'map' : 'set'} ${TABLE} ${name}`);
  // Order: new objects; unhook what changes (flush, stale elements); new elements; refill; delete what is unused.
  const all = [...head, ...flush, ...delElems, ...addElems, ...fill, ...tail];
  return all.length === 0 ? '' : `${all.join('\n')}\n`;
}
