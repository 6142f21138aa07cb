// ADD results in the requested spec version (0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0), and reading a previous result back (CHECK).
// The shape follows the spec's "Success" section: interfaces (host veth, then the pod's interface with `sandbox`),
// ips referring to the pod interface by index, routes, dns.
import type { CniVersion } from './netconf.js';

/** What ADD built, in plugin terms. */
export interface PodAttachment {
  readonly hostIfName: string;
  readonly hostMac: string;
  readonly podIfName: string;
  readonly podMac: string;
  /** CNI_NETNS. */
  readonly netns: string;
  /** The pod address, dotted quad (it is configured as a /32). */
  readonly address: string;
  readonly gateway: string;
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

/** The link-local gateway every pod routes through (answered by the host veth). */
export const POD_GATEWAY = '169.254.1.1';

export function buildResult(version: CniVersion, a: PodAttachment): CniResult {
  const host: CniInterface = { name: a.hostIfName, mac: a.hostMac };
  const pod: CniInterface = { name: a.podIfName, mac: a.podMac, sandbox: a.netns };
  if (version === '1.1.0') {
    // interface mtu is a 1.1.0 field
    host.mtu = a.mtu;
    pod.mtu = a.mtu;
  }
  const ip: CniIpConfig = { address: `${a.address}/32`, gateway: a.gateway, interface: 1 };
  return {
    cniVersion: version,
    interfaces: [host, pod],
    // before 1.0.0 each address names its family
    ips: [version.startsWith('0.') ? { version: '4', ...ip } : ip],
    routes: [{ dst: '0.0.0.0/0', gw: a.gateway }],
    dns: {},
  };
}

/** What CHECK needs from a previous result: the pod interface and its IPv4 address. */
export interface PrevAttachment {
  readonly podIfName: string;
  readonly address: string;
}

/**
 * Finds, in a prevResult of any supported version, the interface named `ifname` inside a sandbox and the IPv4
 * address assigned to it. Undefined when the result does not describe such an attachment.
 */
export function readPrevResult(prev: Record<string, unknown>, ifname: string): PrevAttachment | undefined {
  const interfaces = Array.isArray(prev.interfaces) ? (prev.interfaces as CniInterface[]) : [];
  const ips = Array.isArray(prev.ips) ? (prev.ips as CniIpConfig[]) : [];
  const index = interfaces.findIndex((i) => i && i.name === ifname && typeof i.sandbox === 'string');
  if (index < 0) return undefined;
  for (const ip of ips) {
    if (!ip || typeof ip.address !== 'string' || ip.address.includes(':')) continue;
    if (ip.interface !== undefined && ip.interface !== index) continue;
    return { podIfName: ifname, address: ip.address.split('/')[0] ?? '' };
  }
  return undefined;
}
