// The on-disk address store: one file per reserved address under `dataDir/<network>/`, named after the address (its
// canonical text, dotted quad or RFC 5952, both families in one directory) and holding "containerID\nifname\n",
// followed by "namespace\nname\nuid\n" of the pod when the runtime named it (CNI_ARGS; the agent's NetworkPolicy
// reads them; claims written before had two lines and still parse). A dual-stack attachment has two claims, one per
// family, each as crash-safe as the other. A claim is `link(tmp, address)`, which the kernel makes atomic: two processes can
// never both create the same name, so no address is handed out twice, whatever the concurrency, without a lock.
// The file is complete before it gets its name (written as a temp file first), so a crash leaves either no claim, a
// whole claim (released by DEL or GC), or a temp file of a dead process (removed by the next allocation or GC).
import {
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import type { IpFamily } from '@gannet/core';
import { removeStaleLocks, sameStart } from './container-lock.js';
import { CniCode, CniError } from './errors.js';
import { type Attachment, type PodMeta, parsePodCidr } from './netconf.js';
import { addressAt, offsetOf, type PodCidr, storedAddress } from './pod-cidr.js';

/** The round-robin hint per family (host-local's names for a first and a second range). */
const HINT_FILE: Readonly<Record<IpFamily, string>> = { 4: 'last_reserved_ip.0', 6: 'last_reserved_ip.1' };
let tempCounter = 0;
const TMP_PREFIX = '.tmp-';

export interface Reservation extends Attachment {
  /** Canonical text of the address. */
  readonly address: string;
  /** The pod, when the ADD that made the claim knew it. */
  readonly pod?: PodMeta;
}

/** An allocation; `done()` ends it (call it once ADD has finished, in success or failure). */
export interface Allocation {
  /** Canonical text of the address. */
  readonly address: string;
  /** True when the attachment already had this address (a repeated ADD). */
  readonly existing: boolean;
  readonly done: () => void;
}

export interface IpamUsage {
  readonly used: number;
  readonly free: number;
  readonly total: number;
}

/** Is a process alive? Injected so that tests can play crashed processes. */
export type PidAlive = (pid: number) => boolean;

const pidAlive: PidAlive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

export class IpamStore {
  readonly dir: string;

  constructor(
    dataDir: string,
    readonly network: string,
    private readonly alive: PidAlive = pidAlive,
  ) {
    this.dir = join(dataDir, network);
  }

  /** All reservations on disk (in any range). Unreadable or damaged files count with an empty owner. */
  list(): Reservation[] {
    return this.reservations(this.names());
  }

  private reservations(names: readonly string[]): Reservation[] {
    const out: Reservation[] = [];
    for (const name of names) {
      const address = storedAddress(name);
      if (address === undefined) continue;
      out.push({ address, ...this.owner(name) });
    }
    return out;
  }

  /** The addresses reserved for an attachment (one per family at most, unless a pod CIDR changed under it). */
  find(who: Attachment): string[] {
    const out: string[] = [];
    for (const r of this.list()) if (r.containerId === who.containerId && r.ifname === who.ifname) out.push(r.address);
    return out;
  }

  /**
   * Returns the attachment's address, reserving the next free one (round-robin after the last reservation) when it
   * has none. Throws code 11 when the range is full. Until `done()`, the claim keeps a second name (the temp file of
   * this process): GC sees that the ADD is still in flight and leaves the claim alone.
   */
  allocate(who: Attachment, range: PodCidr, pod?: PodMeta): Allocation {
    const names = this.names();
    const used = new Set<number>();
    for (const name of names) {
      const address = storedAddress(name);
      if (address === undefined) continue;
      const offset = offsetOf(range, address);
      if (offset === undefined) continue; // the other family, or another range
      const owner = this.owner(name);
      if (owner.containerId === who.containerId && owner.ifname === who.ifname) {
        return { address, existing: true, done: () => {} };
      }
      used.add(offset);
    }
    this.removeDeadTemps(names);
    const { first, last, count } = range;
    const hint = this.hint(range);
    const start = hint !== undefined && hint >= first && hint < last ? hint + 1 : first;
    const meta = pod ? `${pod.namespace}\n${pod.name}\n${pod.uid ?? ''}\n` : '';
    const tmp = this.writeTemp(`${who.containerId}\n${who.ifname}\n${meta}`);
    // bounded by the free addresses met, not by the window (2^32 for an IPv6 /64): the loop ends at the first
    // offset nobody holds, after at most used.size + racing claims steps
    for (let i = 0; i < count; i++) {
      const offset = first + ((start - first + i) % count);
      if (used.has(offset)) continue;
      const address = addressAt(range, offset);
      try {
        linkSync(tmp, join(this.dir, address));
      } catch (err) {
        if (errno(err) === 'EEXIST') continue; // another process claimed it first
        tryUnlink(tmp);
        throw ioError(`cannot reserve ${address} in ${this.dir}`, err);
      }
      this.setHint(range, address);
      return { address, existing: false, done: () => tryUnlink(tmp) };
    }
    tryUnlink(tmp);
    throw new CniError(
      CniCode.TryAgainLater,
      `no free address in pod CIDR ${range.text}: all ${count} addresses are reserved; delete pods or give the node a larger CIDR`,
      `store ${this.dir}`,
    );
  }

  /**
   * Releases every address of an attachment (or of those `only` names; and temp files of dead processes); returns
   * the addresses. A missing
   * store or already released addresses are not an error; a claim that cannot be removed (a read-only store) is an
   * I/O failure, code 5: the address is still reserved and the runtime must retry the DEL.
   */
  release(who: Attachment, only?: readonly string[]): string[] {
    const names = this.names(); // one directory read for both passes
    this.removeDeadTemps(names);
    const released: string[] = [];
    for (const r of this.reservations(names)) {
      if (r.containerId !== who.containerId || r.ifname !== who.ifname) continue;
      if (only && !only.includes(r.address)) continue;
      const path = join(this.dir, r.address);
      try {
        unlinkSync(path);
      } catch (err) {
        if (errno(err) !== 'ENOENT') {
          throw ioError(`cannot release ${r.address} of ${who.containerId}/${who.ifname} (${path})`, err);
        }
      }
      released.push(r.address);
    }
    return released;
  }

  /**
   * Creates the store directory (and missing parents) one level at a time: a bounded number of mkdir(2) calls,
   * where Node's recursive mkdir loops forever on a parent that answers ENOENT to everything (/proc, /sys).
   */
  mkdir(): void {
    const missing: string[] = [];
    for (let d = this.dir; missing.length < 64; d = dirname(d)) {
      try {
        mkdirSync(d, { mode: 0o700 });
        break;
      } catch (err) {
        if (errno(err) === 'EEXIST') break;
        if (errno(err) !== 'ENOENT' || dirname(d) === d)
          throw ioError(`cannot create the address store ${this.dir}`, err);
        missing.push(d);
      }
    }
    for (const d of missing.reverse()) {
      try {
        mkdirSync(d, { mode: 0o700 });
      } catch (err) {
        if (errno(err) !== 'EEXIST') throw ioError(`cannot create the address store ${this.dir}`, err);
      }
    }
  }

  /**
   * Releases every reservation whose attachment is not in `valid`, except claims of ADDs still in flight (their
   * temp file, of a live process, is a second name of the claim). Temp files of dead processes go first.
   * `cleanup(r)` runs before each release (the plugin deletes the veth there); when it throws, that claim is kept
   * for the next GC and the error is returned, and GC goes on with the others.
   */
  gc(
    valid: readonly Attachment[],
    cleanup: (r: Reservation) => void = () => {},
  ): { released: Reservation[]; kept: { reservation: Reservation; error: unknown }[] } {
    const names = this.names();
    this.removeDeadTemps(names);
    removeStaleLocks(this.dir, names, (pid, start) => this.alive(pid) && sameStart(pid, start));
    const keep = new Set(valid.map((a) => `${a.containerId}\n${a.ifname}`));
    const released: Reservation[] = [];
    const kept: { reservation: Reservation; error: unknown }[] = [];
    for (const r of this.reservations(names)) {
      if (keep.has(`${r.containerId}\n${r.ifname}`)) continue;
      const path = join(this.dir, r.address);
      if (linkCount(path) > 1) continue; // an ADD in flight: not garbage yet
      try {
        cleanup(r);
      } catch (error) {
        kept.push({ reservation: r, error });
        continue;
      }
      tryUnlink(path);
      released.push(r);
    }
    return { released, kept };
  }

  /** Addresses used and free in a range (for STATUS and the agent's metrics). */
  usage(range: PodCidr): IpamUsage {
    const { first, last, count } = range;
    let used = 0;
    for (const name of this.names()) {
      const a = storedAddress(name);
      const offset = a === undefined ? undefined : offsetOf(range, a);
      if (offset !== undefined && offset >= first && offset <= last) used++;
    }
    return { used, free: count - used, total: count };
  }

  private names(): string[] {
    try {
      return readdirSync(this.dir);
    } catch (err) {
      if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') return []; // no store: nothing reserved
      throw ioError(`cannot read the address store ${this.dir}`, err);
    }
  }

  private owner(name: string): Attachment & { pod?: PodMeta } {
    let text = '';
    try {
      text = readFileSync(join(this.dir, name), 'utf8');
    } catch {
      // gone meanwhile or unreadable: an owner nobody has
    }
    const [containerId = '', ifname = '', namespace = '', podName = '', uid = ''] = text.split('\n');
    if (!namespace || !podName) return { containerId, ifname };
    return { containerId, ifname, pod: { namespace, name: podName, ...(uid && { uid }) } };
  }

  /** The offset of the last reservation in this range, if the hint names one. */
  private hint(range: PodCidr): number | undefined {
    try {
      return offsetOf(range, readFileSync(join(this.dir, HINT_FILE[range.family]), 'utf8').trim());
    } catch {
      return undefined;
    }
  }

  private setHint(range: PodCidr, address: string): void {
    try {
      const tmp = this.writeTemp(address);
      renameSync(tmp, join(this.dir, HINT_FILE[range.family]));
    } catch {
      // the hint only spreads allocations; losing it is harmless
    }
  }

  private writeTemp(content: string): string {
    for (let attempt = 0; ; attempt++) {
      // unique among live processes by the PID, then by a counter and Math.random (threads share the PID);
      // not node:crypto, whose first use costs ~4 ms (see pod-network.ts)
      const tail = `${(++tempCounter).toString(36)}${Math.random().toString(36).slice(2, 10)}`;
      const tmp = join(this.dir, `${TMP_PREFIX}${process.pid}-${tail}`);
      try {
        writeFileSync(tmp, content, { flag: 'wx' });
        return tmp;
      } catch (err) {
        if (errno(err) === 'EEXIST' && attempt < 8) continue; // a leftover with the same name: pick another
        if (errno(err) !== 'ENOENT') throw ioError(`cannot write to the address store ${this.dir}`, err);
      }
      this.mkdir();
      try {
        writeFileSync(tmp, content, { flag: 'wx' });
        return tmp;
      } catch (err) {
        throw ioError(`cannot create the address store ${this.dir}`, err);
      }
    }
  }

  private removeDeadTemps(names: readonly string[]): void {
    for (const name of names) {
      if (!name.startsWith(TMP_PREFIX)) continue;
      const pid = Number(name.slice(TMP_PREFIX.length).split('-')[0]);
      if (Number.isInteger(pid) && pid > 0 && !this.alive(pid)) tryUnlink(join(this.dir, name));
    }
  }
}

function linkCount(path: string): number {
  try {
    return statSync(path).nlink;
  } catch {
    return 0;
  }
}

function tryUnlink(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

function ioError(msg: string, err: unknown): CniError {
  const why = err instanceof Error ? err.message : String(err);
  return new CniError(CniCode.IoFailure, `${msg}: ${why}`, '', { cause: err });
}

/**
 * For the agent's metrics: addresses used and free in a node's pod CIDR (e.g. "10.244.1.0/24" or
 * "fd00:10:244:1::/64"), read from the store
 * of network `network` under `dataDir` (the netconf's `dataDir` and `name`). Throws a CniError (code 7) on a bad CIDR.
 */
export function ipamUsage(opts: { dataDir: string; network: string; podCIDR: string }): IpamUsage {
  return new IpamStore(opts.dataDir, opts.network).usage(parsePodCidr(opts.podCIDR, 'podCIDR'));
}
