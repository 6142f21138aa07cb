// An in-memory PodNetwork: records what ADD wired, can fail at a chosen step (crash and fault injection).
import { CniCode, CniError } from '../src/errors.js';
import type { NetnsState, PodNetwork, PodWiring } from '../src/pod-network.js';

export class FakePodNetwork implements PodNetwork {
  /** Host veth name → wiring. */
  readonly links = new Map<string, PodWiring>();
  readonly namespaces = new Set<string>();
  /** Paths that exist but are no network namespace, and the plugin's own namespace. */
  readonly notNetns = new Set<string>();
  ownNetns = '/proc/self/ns/net';
  readonly calls: string[] = [];
  /** When set, add() creates the link and then throws (a failure after the veth exists). */
  failAddAfterLink = false;
  /** When set, remove() throws. */
  failRemove = false;
  mtu: number | undefined = 9000;

  add(w: PodWiring): void {
    this.calls.push(`add ${w.hostIfName} ${[w.ipv4, w.ipv6].filter((a) => a !== undefined).join(' ')}`);
    if (!this.namespaces.has(w.netns)) throw new CniError(CniCode.InvalidEnvironment, `no ${w.netns}`);
    for (const l of this.links.values()) {
      if (l.netns === w.netns && l.podIfName === w.podIfName && l.hostIfName !== w.hostIfName) {
        throw new CniError(CniCode.IoFailure, `${w.podIfName} exists in ${w.netns}`);
      }
    }
    this.links.set(w.hostIfName, w);
    if (this.failAddAfterLink) throw new CniError(CniCode.IoFailure, 'injected failure after the veth was made');
  }

  remove(hostIfName: string): boolean {
    this.calls.push(`remove ${hostIfName}`);
    if (this.failRemove) throw new CniError(CniCode.IoFailure, 'injected remove failure');
    return this.links.delete(hostIfName);
  }

  check(w: PodWiring): string[] {
    const l = this.links.get(w.hostIfName);
    if (!l) return [`host interface ${w.hostIfName} is missing`];
    const problems: string[] = [];
    if (l.ipv4 !== w.ipv4) problems.push(`address ${l.ipv4} != ${w.ipv4}`);
    if (l.ipv6 !== w.ipv6) problems.push(`address ${l.ipv6} != ${w.ipv6}`);
    if (l.mtu !== w.mtu) problems.push(`mtu ${l.mtu} != ${w.mtu}`);
    return problems;
  }

  netnsState(netns: string): NetnsState {
    if (netns === this.ownNetns) return 'own';
    if (this.notNetns.has(netns)) return 'not-a-netns';
    return this.namespaces.has(netns) ? 'ok' : 'missing';
  }

  uplinkMtu(): number | undefined {
    return this.mtu;
  }
}
