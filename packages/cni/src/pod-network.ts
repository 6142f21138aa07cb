// The kernel side of the plugin behind a narrow interface: the real one (LinuxPodNetwork) runs iproute2, tests use
// an in-memory double. Names and MAC addresses are derived from (containerID, ifname) so that every step can be
// repeated or undone by a later process that knows only those two.
import { createHash } from 'node:crypto';

/** Everything needed to wire one pod. */
export interface PodWiring {
  /** CNI_NETNS: the pod's network namespace path. */
  readonly netns: string;
  /** CNI_IFNAME: the interface inside the pod. */
  readonly podIfName: string;
  readonly podMac: string;
  readonly hostIfName: string;
  readonly hostMac: string;
  /** Pod address, dotted quad; configured as /32. */
  readonly address: string;
  readonly gateway: string;
  readonly mtu: number;
}

export interface PodNetwork {
  /** Creates the veth pair and configures both ends; throws a CniError. Leftovers are for remove() to clean. */
  add(w: PodWiring): void;
  /** Deletes the host veth (the pod end goes with it); false when it was already gone. */
  remove(hostIfName: string): boolean;
  /** Lists what differs from the wiring (empty when all is in place). */
  check(w: PodWiring): string[];
  /** Does the pod's network namespace exist? */
  netnsExists(netns: string): boolean;
  /** MTU of the interface carrying the default route of the plugin's namespace, if there is one. */
  uplinkMtu(): number | undefined;
}

/** Host veth name: `gnt` + 11 hex characters of a hash of (containerID, ifname): 14 characters, under IFNAMSIZ. */
export function hostVethName(containerId: string, ifname: string): string {
  return `gnt${digest(containerId, ifname).slice(0, 11)}`;
}

/** Locally administered unicast MACs for both ends, stable for an attachment. */
export function vethMacs(containerId: string, ifname: string): { host: string; pod: string } {
  const h = digest(containerId, ifname);
  const bytes = (from: number) => [0, 2, 4, 6, 8].map((i) => h.slice(from + i, from + i + 2)).join(':');
  return { host: `ee:${bytes(12)}`, pod: `0e:${bytes(22)}` };
}

function digest(containerId: string, ifname: string): string {
  return createHash('sha256').update(`${containerId}\0${ifname}`).digest('hex');
}
