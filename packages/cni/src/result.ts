// ADD results in the requested spec version (0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0), and reading a previous result back (CHECK).
// The shape follows the spec's "Success" section: interfaces (host veth, then the pod's interface with `sandbox`),
// ips referring to the pod interface by index (one per family: IPv4 first, then IPv6), routes, dns. Every version we
// produce has the `ips` list (0.3.0 introduced it), so a dual-stack pod lists both addresses in all of them.
import { canonicalIp } from '@gannet/core';
import type { CniVersion } from './netconf.js';

/** What ADD built, in plugin terms. */
export interface PodAttachment {
  readonly hostIfName: string;
  readonly hostMac: string;
  readonly podIfName: string;
  readonly podMac: string;
  /** CNI_NETNS. */
  readonly netns: string;
  /** The pod's IPv4 address, dotted quad (configured as a /32). */
  readonly ipv4?: string;
  /** The pod's IPv6 address, RFC 5952 (configured as a /128). */
  readonly ipv6?: string;
  readonly mtu: number;
}

export interface CniInterface {
  name: string;
  mac?: string;
  sandbox?: string;
  mtu?: number;
}

export interface CniIpConfig {
  version?: '4' | '6';
  address: string;
  gateway?: string;
  interface?: number;
}

export interface CniResult {
  cniVersion: string;
  interfaces: CniInterface[];
  ips: CniIpConfig[];
  routes: { dst: string; gw?: string }[];
  dns: Record<string, unknown>;
}

/** The link-local gateway every pod routes IPv4 through (answered by the host veth). */
export const POD_GATEWAY = '169.254.1.1';
/** The link-local gateway every pod routes IPv6 through (a permanent neighbour entry: the host veth's MAC). */
export const POD_GATEWAY6 = 'fe80::1';

export function buildResult(version: CniVersion, a: PodAttachment): CniResult {
  const host: CniInterface = { name: a.hostIfName, mac: a.hostMac };
  const pod: CniInterface = { name: a.podIfName, mac: a.podMac, sandbox: a.netns };
  if (version === '1.1.0') {
    // interface mtu is a 1.1.0 field
    host.mtu = a.mtu;
    pod.mtu = a.mtu;
  }
  const ips: CniIpConfig[] = [];
  const routes: { dst: string; gw?: string }[] = [];
  // before 1.0.0 each address names its family
  const tagged = version.startsWith('0.');
  if (a.ipv4 !== undefined) {
    const ip: CniIpConfig = { address: `${a.ipv4}/32`, gateway: POD_GATEWAY, interface: 1 };
    ips.push(tagged ? { version: '4', ...ip } : ip);
    routes.push({ dst: '0.0.0.0/0', gw: POD_GATEWAY });
  }
  if (a.ipv6 !== undefined) {
    const ip: CniIpConfig = { address: `${a.ipv6}/128`, gateway: POD_GATEWAY6, interface: 1 };
    ips.push(tagged ? { version: '6', ...ip } : ip);
    routes.push({ dst: '::/0', gw: POD_GATEWAY6 });
  }
  return { cniVersion: version, interfaces: [host, pod], ips, routes, dns: {} };
}

/** What CHECK needs from a previous result: the pod interface and its address of each family. */
export interface PrevAttachment {
  readonly podIfName: string;
  readonly ipv4?: string;
  readonly ipv6?: string;
}

/**
 * Finds, in a prevResult of any supported version, the interface named `ifname` inside a sandbox and the first
 * address of each family assigned to it. Undefined when the result does not describe such an attachment.
 */
export function readPrevResult(prev: Record<string, unknown>, ifname: string): PrevAttachment | undefined {
  const interfaces = Array.isArray(prev.interfaces) ? (prev.interfaces as CniInterface[]) : [];
  const ips = Array.isArray(prev.ips) ? (prev.ips as CniIpConfig[]) : [];
  const index = interfaces.findIndex((i) => i && i.name === ifname && typeof i.sandbox === 'string');
  if (index < 0) return undefined;
  let ipv4: string | undefined;
  let ipv6: string | undefined;
  for (const ip of ips) {
    if (!ip || typeof ip.address !== 'string') continue;
    if (ip.interface !== undefined && ip.interface !== index) continue;
    const address = ip.address.split('/')[0] ?? '';
    if (address.includes(':')) ipv6 ??= canonicalIp(address) ?? address;
    else ipv4 ??= address;
  }
  if (ipv4 === undefined && ipv6 === undefined) return undefined;
  return { podIfName: ifname, ...(ipv4 !== undefined && { ipv4 }), ...(ipv6 !== undefined && { ipv6 }) };
}
