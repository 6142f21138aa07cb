// The config keys of a peer's transport and of dynamic neighbours: `password` / `passwordFile` (TCP-MD5),
// `ebgpMultihop`, `ttlSecurity`, and `peers` entries with `prefix` instead of `address` (with `asn` or `asnRange`,
// and `limit`). Errors name the key and line; a password never appears in one. configFileWarnings() tells when a file
// holding a password can be read by every user.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isMap, isScalar, type Node, type YAMLMap } from 'yaml';
import { isIP, parseCidr, peerAddressProblem } from '../net.js';
import type { Walker } from './load-config.js';
import type { AgentConfig, PeerConfig, PeerRangeConfig, PrefixRule } from './types.js';

/** The peer keys this module reads (added to load-config's PEER_KEYS). */
export const TRANSPORT_KEYS = ['password', 'passwordFile', 'ebgpMultihop', 'ttlSecurity'] as const;
/** TCP_MD5SIG_MAXKEYLEN. */
export const MAX_PASSWORD_BYTES = 80;
/** A password file larger than this is not a password file. */
const MAX_PASSWORD_FILE_BYTES = 4096;

type Fields = Map<string, Node>;

function readPasswordFile(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(MAX_PASSWORD_FILE_BYTES + 1);
    let n = 0;
    for (let got = 1; got > 0 && n <= MAX_PASSWORD_FILE_BYTES; n += got)
      got = readSync(fd, buf, n, buf.length - n, null);
    if (n > MAX_PASSWORD_FILE_BYTES) throw new Error(`larger than ${MAX_PASSWORD_FILE_BYTES} bytes`);
    // one trailing newline is the editor's, not the password's
    return buf.toString('utf8', 0, n).replace(/\r?\n$/, '');
  } finally {
    closeSync(fd);
  }
}

function checkPassword(w: Walker, text: string, key: string, node: Node | undefined, from: string): string {
  if (text.length === 0) w.fail(`${from} is empty`, key, node);
  if (/[\r\n]/.test(text)) w.fail(`${from} holds a line break`, key, node);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_PASSWORD_BYTES)
    w.fail(`${from} is ${bytes} bytes, TCP-MD5 takes at most ${MAX_PASSWORD_BYTES}`, key, node);
  return text;
}

/** password / passwordFile / ebgpMultihop / ttlSecurity of a peer or range entry. */
export function parseTransport(
  w: Walker,
  f: Fields,
  path: string,
  out: Pick<PeerConfig, 'password' | 'passwordFile' | 'ebgpMultihop' | 'ttlSecurity'>,
  file: string | undefined,
): void {
  if (f.has('password') && f.has('passwordFile'))
    w.fail('give password or passwordFile, not both', `${path}.passwordFile`, f.get('passwordFile'));
  if (f.has('password')) {
    const node = f.get('password');
    const v = isScalar(node) ? node.value : undefined;
    // a number or boolean would be a YAML surprise (password: 0123 is 83): quote it
    if (typeof v !== 'string') w.fail('must be a string (quote it)', `${path}.password`, node);
    out.password = checkPassword(w, v, `${path}.password`, node, 'the password');
  }
  if (f.has('passwordFile')) {
    const node = f.get('passwordFile');
    const name = w.str(node, `${path}.passwordFile`);
    const abs = isAbsolute(name) ? name : resolve(file ? dirname(file) : process.cwd(), name);
    let text = '';
    try {
      text = readPasswordFile(abs);
    } catch (err) {
      w.fail(`cannot read ${abs}: ${(err as Error).message}`, `${path}.passwordFile`, node);
    }
    out.password = checkPassword(w, text, `${path}.passwordFile`, node, `the password in ${abs}`);
    out.passwordFile = abs;
  }
  if (f.has('ebgpMultihop')) out.ebgpMultihop = w.int(f.get('ebgpMultihop'), `${path}.ebgpMultihop`, 1, 255);
  if (f.has('ttlSecurity')) out.ttlSecurity = w.bool(f.get('ttlSecurity'), `${path}.ttlSecurity`);
}

/** A `peers` entry with `prefix` (a dynamic range) rather than `address`. */
export function isRangeEntry(w: Walker, node: Node, path: string): boolean {
  const map = w.deref(node, path);
  return isMap(map) && map.items.some((p) => isScalar(p.key) && p.key.value === 'prefix');
}

const RANGE_KEYS = [
  'prefix',
  'asn',
  'asnRange',
  'limit',
  'holdTime',
  'maxPrefixes',
  'import',
  'export',
  'gracefulRestart',
  'enforceFirstAs',
  ...TRANSPORT_KEYS,
] as const;

export function parseRange(
  w: Walker,
  node: Node,
  path: string,
  file: string | undefined,
  parseRules: (w: Walker, node: Node | undefined, path: string) => PrefixRule[],
): PeerRangeConfig {
  const map = w.value(node, path, 'map') as YAMLMap;
  const f = w.fields(map, path, RANGE_KEYS, ['prefix']);
  if (f.has('address')) w.fail('give address or prefix, not both', `${path}.prefix`, f.get('prefix'));
  const prefix = w.cidr(f.get('prefix'), `${path}.prefix`);
  const c = parseCidr(prefix);
  const problem = peerAddressProblem(c.text.split('/')[0] ?? '');
  if (problem && !problem.includes('unspecified'))
    w.fail(`${c.text} ${problem}: peers come from unicast addresses`, `${path}.prefix`, f.get('prefix'));
  const range: PeerRangeConfig = { prefix: c.text, source: 'config' };
  if (f.has('asn') === f.has('asnRange'))
    w.fail("give asn or asnRange (the AS the range's peers may have)", `${path}.asn`, map);
  if (f.has('asn')) range.asn = w.int(f.get('asn'), `${path}.asn`, 1, 4_294_967_295);
  if (f.has('asnRange')) {
    const key = `${path}.asnRange`;
    const af = w.fields(w.value(f.get('asnRange'), key, 'map') as YAMLMap, key, ['min', 'max'], ['min', 'max']);
    const min = w.int(af.get('min'), `${key}.min`, 1, 4_294_967_295);
    const max = w.int(af.get('max'), `${key}.max`, min, 4_294_967_295);
    range.asnRange = { min, max };
  }
  if (f.has('limit')) range.limit = w.int(f.get('limit'), `${path}.limit`, 1, 10_000);
  if (f.has('holdTime')) {
    range.holdTime = w.int(f.get('holdTime'), `${path}.holdTime`, 0, 65535);
    if (range.holdTime === 1 || range.holdTime === 2)
      w.fail('must be 0 or 3..65535 seconds (RFC 4271 §4.2)', `${path}.holdTime`, f.get('holdTime'));
  }
  if (f.has('maxPrefixes')) range.maxPrefixes = w.int(f.get('maxPrefixes'), `${path}.maxPrefixes`, 1, 100_000_000);
  if (f.has('gracefulRestart')) range.gracefulRestart = w.bool(f.get('gracefulRestart'), `${path}.gracefulRestart`);
  if (f.has('enforceFirstAs')) range.enforceFirstAs = w.bool(f.get('enforceFirstAs'), `${path}.enforceFirstAs`);
  for (const dir of ['import', 'export'] as const) {
    if (f.has(dir)) range[dir] = parseRules(w, f.get(dir), `${path}.${dir}`);
  }
  parseTransport(w, f, path, range, file);
  return range;
}

/** Whether a config address lies in a range prefix (a configured peer there takes precedence, as in FRR). */
export function rangeHolds(prefix: string, address: string): boolean {
  if (!isIP(address)) return false;
  const c = parseCidr(prefix);
  const a = parseCidr(`${address}/${address.includes(':') ? 128 : 32}`);
  if (a.family !== c.family) return false;
  const width = BigInt(c.family === 4 ? 32 : 128);
  const shift = width - BigInt(c.length);
  return a.value >> shift === c.value >> shift;
}

/**
 * Warnings about files holding TCP-MD5 passwords that every user may read: the config file itself when a password is
 * written in it, and each passwordFile. Never fails (a file it cannot stat is skipped).
 */
export function configFileWarnings(file: string, config: AgentConfig): string[] {
  const out: string[] = [];
  const entries = [...config.peers, ...(config.peerRanges ?? [])];
  const inline = entries.some((p) => p.password !== undefined && p.passwordFile === undefined);
  const files = new Set<string>(inline ? [resolve(file)] : []);
  for (const p of entries) if (p.passwordFile) files.add(p.passwordFile);
  for (const f of files) {
    let mode: number;
    try {
      mode = statSync(f).mode;
    } catch {
      continue;
    }
    if (mode & 0o004)
      out.push(
        `${f} holds a TCP-MD5 password and every user can read it (mode ${(mode & 0o777).toString(8)}): chmod o-r ${f}`,
      );
  }
  return out;
}
