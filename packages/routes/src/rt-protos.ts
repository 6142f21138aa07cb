// Gannet's route protocol number and its iproute2 name.
//
// linux/rtnetlink.h (include/uapi/linux/rtnetlink.h) assigns RTPROT_* values 0-4 (unspec, redirect, kernel, boot,
// static), 8-18 (gated … keepalived; 12 is BIRD), 42 (babel), 99 (openr) and 186-192 (bgp, isis, ospf, rip, eigrp);
// values above RTPROT_STATIC are not interpreted by the kernel. Debian's /etc/iproute2/rt_protos lists the same.
// Calico's Felix uses 80; FRR's zebra (zebra/rt_netlink.h) adds 190 (ripng), 191 (nhrp), 193 (ldp), 194 (sharp),
// 195 (pbr), 196 (static), 197 (openfabric) and 198 (srte). 71 appears in none of these: it is Gannet's.
// Written in decimal on purpose (see STYLE.md: kube-router's hex constant was another daemon's number).
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RoutesError } from './routes-error.js';

/** Gannet's kernel route protocol (`proto 71`, printed `proto gannet` once the rt_protos.d entry exists). */
export const GANNET_ROUTE_PROTOCOL = 71;

/** Protocol numbers Gannet refuses to use as its own: the kernel header's, Calico's and FRR's daemons'. */
const RESERVED = new Set([
  0, 1, 2, 3, 4, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 42, 80, 99, 186, 187, 188, 189, 190, 191, 192, 193, 194, 195,
  196, 197, 198,
]);

/** Table ids linux/rtnetlink.h reserves: unspec 0, compat 252, default 253, local 255 (main, 254, is usable). */
const RESERVED_TABLES = new Map([
  [0, 'unspec'],
  [252, 'compat'],
  [253, 'default'],
  [255, 'local'],
]);

/** Throws unless `table` is a routing table Gannet can own routes in: 1..2^32-1, not one the kernel reserves. */
export function checkRouteTable(table: number): number {
  if (!Number.isInteger(table) || table < 0 || table > 4294967295 || RESERVED_TABLES.has(table)) {
    const name = RESERVED_TABLES.get(table);
    throw new RoutesError(
      'ERR_GANNET_ROUTES_INVALID_OPTION',
      `route table ${table} is not usable: ${name ? `it is the kernel's "${name}" table` : 'it must be 1..4294967295'}; use main (254) or a table of your own`,
    );
  }
  return table;
}

/** Throws unless `protocol` is a usable route protocol number for Gannet (1..255, not reserved). */
export function checkRouteProtocol(protocol: number): number {
  if (!Number.isInteger(protocol) || protocol < 1 || protocol > 255 || RESERVED.has(protocol)) {
    throw new RoutesError(
      'ERR_GANNET_ROUTES_INVALID_OPTION',
      `route protocol ${protocol} is not usable: it must be 1..255 and not one of linux/rtnetlink.h's RTPROT_* values, Calico's (80) or FRR's (186-198)`,
    );
  }
  return protocol;
}

export interface RtProtosOptions {
  protocol?: number;
  name?: string;
  /** Directory iproute2 reads names from (default /etc/iproute2/rt_protos.d). */
  dir?: string;
}

/**
 * Writes `<protocol> <name>` to `<dir>/<name>.conf` so `ip route` prints `proto gannet`. Idempotent: leaves an
 * identical file alone; the write is atomic (temp file + rename). Returns what it did.
 */
export async function writeRtProtosEntry(opts: RtProtosOptions = {}): Promise<'created' | 'updated' | 'unchanged'> {
  const protocol = checkRouteProtocol(opts.protocol ?? GANNET_ROUTE_PROTOCOL);
  const name = opts.name ?? 'gannet';
  if (!/^[a-z][a-z0-9_-]{0,30}$/.test(name)) {
    throw new RoutesError('ERR_GANNET_ROUTES_INVALID_OPTION', `bad protocol name ${JSON.stringify(name)}`);
  }
  const dir = opts.dir ?? '/etc/iproute2/rt_protos.d';
  const file = join(dir, `${name}.conf`);
  const content = `# Written by Gannet: its kernel route protocol number.\n${protocol}\t${name}\n`;
  let existing: string | undefined;
  try {
    existing = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (existing === content) return 'unchanged';
  await mkdir(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, content, { mode: 0o644 });
  await rename(tmp, file);
  return existing === undefined ? 'created' : 'updated';
}
