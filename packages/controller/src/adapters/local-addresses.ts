// The node's own addresses and connected subnets, for the speaker's NEXT_HOP checks (a route via one of our own
// addresses, or from an eBGP single-hop peer via an address off every connected subnet, is ignored). Read from
// os.networkInterfaces(): re-read when older than refreshMs, and on a miss at most once per missRefreshMs (so an
// address added a moment ago counts, and a peer sending off-link next hops cannot make us re-read per UPDATE).
import os from 'node:os';
import { canonicalIp, type IpAddress, type IpPrefix, ipPrefixContains, parseIp, parsePrefixLength } from '@gannet/core';

type InterfaceTable = NodeJS.Dict<os.NetworkInterfaceInfo[]>;

export interface LocalAddressesOptions {
  read?: () => InterfaceTable;
  now?: () => number;
  refreshMs?: number;
  missRefreshMs?: number;
}

interface Table {
  local: Set<string>;
  /** Connected subnets (the interface's own address with its length: host bits may be set). */
  subnets: IpPrefix[];
}

/** One text per address: IPv4 as is, IPv6 in its canonical form, IPv4-mapped IPv6 as the IPv4 address. */
function key(address: string): string | undefined {
  const text = canonicalIp(address);
  return text?.startsWith('::ffff:') && text.includes('.') ? text.slice(7) : text;
}

/** The interface's address and prefix length ("10.0.0.5/24"), as a prefix that may have host bits set. */
function subnet(cidr: string): IpPrefix | undefined {
  const slash = cidr.indexOf('/');
  const a = slash > 0 ? parseIp(cidr.slice(0, slash)) : undefined;
  const length = a ? parsePrefixLength(cidr, slash + 1, cidr.length, a.family === 4 ? 32 : 128) : -1;
  return a && length >= 0 ? { ...a, length, text: cidr } : undefined;
}

export class LocalAddresses {
  private table: Table | undefined;
  private readAt = Number.NEGATIVE_INFINITY;
  private readonly read: () => InterfaceTable;
  private readonly now: () => number;
  private readonly refreshMs: number;
  private readonly missRefreshMs: number;

  constructor(o: LocalAddressesOptions = {}) {
    this.read = o.read ?? os.networkInterfaces;
    this.now = o.now ?? (() => performance.now());
    this.refreshMs = o.refreshMs ?? 10_000;
    this.missRefreshMs = o.missRefreshMs ?? 1_000;
  }

  /** One of this node's addresses. */
  isLocal(address: string): boolean {
    return this.lookup((t) => {
      const k = key(address);
      return k !== undefined && t.local.has(k);
    });
  }

  /** On a subnet of one of this node's interfaces. */
  isConnected(address: string): boolean {
    return this.lookup((t) => {
      const k = key(address);
      const a: IpAddress | undefined = k === undefined ? undefined : parseIp(k);
      return a !== undefined && t.subnets.some((s) => ipPrefixContains(s, a));
    });
  }

  private lookup(test: (t: Table) => boolean): boolean {
    const now = this.now();
    if (!this.table || now - this.readAt >= this.refreshMs) this.load(now);
    if (test(this.table as Table)) return true;
    if (now - this.readAt < this.missRefreshMs) return false;
    this.load(now);
    return test(this.table as Table);
  }

  private load(now: number): void {
    const t: Table = { local: new Set(), subnets: [] };
    for (const infos of Object.values(this.read())) {
      for (const i of infos ?? []) {
        const k = key(i.address);
        if (k !== undefined) t.local.add(k);
        const s = i.cidr ? subnet(i.cidr) : undefined; // one that cannot be parsed is no subnet of ours
        if (s) t.subnets.push(s);
      }
    }
    this.table = t;
    this.readAt = now;
  }
}
