// The node's own addresses and connected subnets, for the speaker's NEXT_HOP checks (a route via one of our own
// addresses, or from an eBGP single-hop peer via an address off every connected subnet, is ignored). Read from
// os.networkInterfaces(): re-read when older than refreshMs, and on a miss at most once per missRefreshMs (so an
// address added a moment ago counts, and a peer sending off-link next hops cannot make us re-read per UPDATE).
import os from 'node:os';
import { Address4, Address6 } from 'ip-address';

type InterfaceTable = NodeJS.Dict<os.NetworkInterfaceInfo[]>;

export interface LocalAddressesOptions {
  read?: () => InterfaceTable;
  now?: () => number;
  refreshMs?: number;
  missRefreshMs?: number;
}

interface Table {
  local: Set<string>;
  subnets4: Address4[];
  subnets6: Address6[];
}

/** One text per address: IPv4 as is, IPv6 in its canonical form, IPv4-mapped IPv6 as the IPv4 address. */
function key(address: string): string | undefined {
  if (Address4.isValid(address)) return address;
  if (!Address6.isValid(address)) return undefined;
  const a = new Address6(address);
  if (a.isMapped4()) return a.to4().correctForm();
  return a.canonicalForm();
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
    this.now = o.now ?? Date.now;
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
      if (k === undefined) return false;
      if (Address4.isValid(k)) {
        const a = new Address4(k);
        return t.subnets4.some((s) => a.isHostInSubnet(s));
      }
      const a = new Address6(k);
      return t.subnets6.some((s) => a.isHostInSubnet(s));
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
    const t: Table = { local: new Set(), subnets4: [], subnets6: [] };
    for (const infos of Object.values(this.read())) {
      for (const i of infos ?? []) {
        const k = key(i.address);
        if (k !== undefined) t.local.add(k);
        if (!i.cidr) continue;
        try {
          if (i.family === 'IPv4') t.subnets4.push(new Address4(i.cidr));
          else t.subnets6.push(new Address6(i.cidr));
        } catch {
          // an address the library cannot parse is no subnet of ours
        }
      }
    }
    this.table = t;
    this.readAt = now;
  }
}
