// The kernel side of the plugin behind a narrow interface: the real one (LinuxPodNetwork) runs iproute2, tests use
// an in-memory double. Names and MAC addresses are derived from (containerID, ifname) so that every step can be
// repeated or undone by a later process that knows only those two. The hash is plain JavaScript on purpose: the
// first use of node:crypto initialises OpenSSL, about 4 ms of every plugin run.

/** CNI_NETNS: missing, not a network namespace (a regular file, a directory…), the plugin's own, or usable. */
export type NetnsState = 'ok' | 'missing' | 'not-a-netns' | 'own';

/** What a CNI_NETNS that cannot be wired is, for the code 4 message (undefined when it can be). */
export function netnsRefusal(netns: string, state: NetnsState): string | undefined {
  if (state === 'missing') return `CNI_NETNS ${netns} does not exist (was the pod sandbox deleted?)`;
  if (state === 'not-a-netns') return `CNI_NETNS ${netns} is not a network namespace (not a file of nsfs)`;
  if (state === 'own') {
    return `CNI_NETNS ${netns} is the plugin's own network namespace: wiring it would give the host the pod's address and default route`;
  }
  return undefined;
}

/** Everything needed to wire one pod. */
export interface PodWiring {
  /** CNI_NETNS: the pod's network namespace path. */
  readonly netns: string;
  /** CNI_IFNAME: the interface inside the pod. */
  readonly podIfName: string;
  readonly podMac: string;
  readonly hostIfName: string;
  readonly hostMac: string;
  /** The pod's IPv4 address, dotted quad, configured as /32 with a default route via POD_GATEWAY (169.254.1.1). */
  readonly ipv4?: string;
  /** The pod's IPv6 address (RFC 5952), configured as /128 without DAD, default route via POD_GATEWAY6 (fe80::1). */
  readonly ipv6?: string;
  readonly mtu: number;
}

export interface PodNetwork {
  /** Creates the veth pair and configures both ends; throws a CniError. Leftovers are for remove() to clean. */
  add(w: PodWiring): void;
  /** Deletes the host veth (the pod end goes with it); false when it was already gone. */
  remove(hostIfName: string): boolean;
  /** Lists what differs from the wiring (empty when all is in place). */
  check(w: PodWiring): string[];
  /** What CNI_NETNS is: a network namespace other than the plugin's own ('ok'), or why it cannot be wired. */
  netnsState(netns: string): NetnsState;
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

/** 128 bits as 32 hex characters: four murmur3-style 32-bit hashes of the UTF-16 code units, different seeds. */
export function digest(containerId: string, ifname: string): string {
  const text = `${containerId}\0${ifname}`;
  let out = '';
  for (const seed of [0x9747b28c, 0x85ebca6b, 0xc2b2ae35, 0x27d4eb2f]) {
    let h = seed ^ text.length;
    for (let i = 0; i < text.length; i++) {
      let k = Math.imul(text.charCodeAt(i), 0xcc9e2d51);
      k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
      h ^= k;
      h = Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64;
    }
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    out += (h >>> 0).toString(16).padStart(8, '0');
  }
  return out;
}
