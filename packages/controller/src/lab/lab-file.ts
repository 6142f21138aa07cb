// `gannet lab up -f lab.yaml`: the options of `lab up` as a YAML file, so a topology can be kept in a repository.
// Keys are the long options in camelCase (name, topology, router, nodes, podsPerNode, runtime, racks, nodesPerRack,
// spines, holdTime, routeReflectors, bfd, timeout, ipFamily); an unknown key or a wrong type is an error naming the key
// and its line, as the agent's config loader does (its Walker does the work).
import { readFileSync } from 'node:fs';
import { isMap, LineCounter, type Node, parseDocument } from 'yaml';
import { Walker } from '../config/load-config.js';
import { ConfigError } from '../errors.js';
import { IP_FAMILIES } from './plan-ip-family.js';
import { TOPOLOGIES } from './plan-types.js';
import type { LabOptions } from './topology.js';

export interface LabFile {
  options: Partial<LabOptions>;
  timeout?: number;
}

const KEYS = [
  'name',
  'topology',
  'router',
  'nodes',
  'podsPerNode',
  'runtime',
  'racks',
  'nodesPerRack',
  'spines',
  'holdTime',
  'routeReflectors',
  'bfd',
  'timeout',
  'ipFamily',
] as const;

const MAX_LAB_FILE = 64 * 1024;

export function loadLabFile(path: string): LabFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read lab file: ${(err as Error).message}`, undefined, undefined, path);
  }
  return parseLabFile(text, path);
}

export function parseLabFile(text: string, file?: string): LabFile {
  if (text.length > MAX_LAB_FILE) {
    throw new ConfigError(`larger than ${MAX_LAB_FILE} bytes: not a lab file`, undefined, undefined, file);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0]?.line ?? lines.linePos(e.pos[0]).line;
    throw new ConfigError(`YAML syntax error: ${e.message.split('\n')[0]}`, undefined, line, file);
  }
  const w = new Walker(doc, lines, file);
  const root = doc.contents as Node | null;
  if (root === null) return { options: {} };
  if (!isMap(root)) throw new ConfigError('a lab file is a YAML mapping of keys', undefined, 1, file);
  const f = w.fields(root, '', KEYS, []);
  const o: Partial<LabOptions> = {};
  const oneOf = <T extends string>(key: string, allowed: readonly T[]): T | undefined => {
    if (!f.has(key)) return undefined;
    const v = w.str(f.get(key), key);
    if (!(allowed as readonly string[]).includes(v))
      w.fail(`must be one of ${allowed.join(', ')}, got "${v}"`, key, f.get(key));
    return v as T;
  };
  const int = (key: string, min: number, max: number) => (f.has(key) ? w.int(f.get(key), key, min, max) : undefined);
  if (f.has('name')) o.name = w.str(f.get('name'), 'name');
  const topology = oneOf('topology', TOPOLOGIES);
  if (topology) o.topology = topology;
  const router = oneOf('router', ['frr', 'bird', 'none'] as const);
  if (router) o.router = router;
  const runtime = oneOf('runtime', ['netns', 'containerd'] as const);
  if (runtime) o.runtime = runtime;
  const ipFamily = oneOf('ipFamily', IP_FAMILIES);
  if (ipFamily) o.ipFamily = ipFamily;
  const set = <K extends keyof LabOptions>(k: K, v: LabOptions[K] | undefined) => {
    if (v !== undefined) o[k] = v;
  };
  set('nodes', int('nodes', 1, 1000));
  set('podsPerNode', int('podsPerNode', 0, 1000));
  set('racks', int('racks', 1, 1000));
  set('nodesPerRack', int('nodesPerRack', 1, 1000));
  set('spines', int('spines', 1, 1000));
  set('holdTime', int('holdTime', 3, 65535));
  set('routeReflectors', int('routeReflectors', 1, 1000));
  if (f.has('bfd')) o.bfd = w.bool(f.get('bfd'), 'bfd');
  const timeout = int('timeout', 1, 86_400);
  if ((o.racks ?? o.nodesPerRack ?? o.spines) !== undefined && (o.topology ?? 'flat') !== 'leaf-spine') {
    w.fail('racks, nodesPerRack and spines need topology: leaf-spine', 'topology', f.get('topology') ?? root);
  }
  return { options: o, ...(timeout !== undefined ? { timeout } : {}) };
}
