// What a top-of-rack router needs to know to peer with Gannet nodes, from the nodes' own configs (standalone files, or
// derived from the Kubernetes API): for each router a node peers with, the nodes as its neighbours, each with the pod
// CIDRs it may announce. Pure: the renderers (render.ts) turn a plan into one vendor's configuration.
import type { AgentConfig, PeerConfig } from '../config/types.js';
import { isIP, isIPv4, parseCidr } from '../net.js';

export interface RouterNeighbor {
  /** The Gannet node (its nodeName). */
  node: string;
  /** The node's address as the router sees it: the session's source address on the node. */
  address: string;
  asn: number;
  /** The node's pod CIDRs: exactly these are accepted from it, nothing longer, nothing else. */
  prefixes: string[];
  /** The node's BGP port when it is not 179 (the router must dial that port). */
  port?: number;
  holdTime?: number;
  /** A TCP-MD5 password: the text, or where it lives when the node's config only references it. */
  password?: { text: string } | { reference: string };
  bfd?: { minRxMs: number; minTxMs: number; multiplier: number };
  /** eBGP hops allowed (absent: single hop, TTL 1). */
  ebgpMultihop?: number;
  /** GTSM (RFC 5082): TTL 255 sent and at least 255 − hops + 1 accepted. */
  ttlSecurity?: boolean;
}

export interface RouterPlan {
  /** The router's address as the nodes dial it. */
  address: string;
  asn: number;
  neighbors: RouterNeighbor[];
}

/** A peer entry's optional peering extras (TCP-MD5, BFD, TTL), read when the config has them. */
interface PeerExtras {
  password?: unknown;
  passwordFile?: unknown;
  passwordSecretRef?: unknown;
  bfd?: unknown;
  ebgpMultihop?: unknown;
  ttlSecurity?: unknown;
}

export interface PlanOptions {
  /** Only the router with this address. */
  router?: string;
  /** Also list node-to-node mesh peers (peers whose source is `mesh:…`); default: only routers. */
  includeMesh?: boolean;
}

/** The source address of the node's session with `peer`. */
export function nodeAddressFor(config: AgentConfig, peer: PeerConfig): string {
  if (peer.localAddress) return peer.localAddress;
  const listen = config.listen.address;
  if (isIP(listen) && isIPv4(listen) === isIPv4(peer.address) && listen !== '0.0.0.0' && listen !== '::') {
    return listen;
  }
  return config.routerId;
}

function extras(peer: PeerConfig): Partial<RouterNeighbor> {
  const x = peer as PeerConfig & PeerExtras;
  const out: Partial<RouterNeighbor> = {};
  if (typeof x.password === 'string' && x.password !== '') out.password = { text: x.password };
  else if (typeof x.passwordFile === 'string') out.password = { reference: `file ${x.passwordFile}` };
  else if (x.passwordSecretRef && typeof x.passwordSecretRef === 'object') {
    const r = x.passwordSecretRef as { name?: string; key?: string; namespace?: string };
    out.password = { reference: `Secret ${r.namespace ? `${r.namespace}/` : ''}${r.name ?? '?'} key ${r.key ?? '?'}` };
  }
  const bfd = x.bfd as { enabled?: boolean; minRxMs?: number; minTxMs?: number; multiplier?: number } | undefined;
  if (bfd && bfd.enabled !== false) {
    out.bfd = { minRxMs: bfd.minRxMs ?? 300, minTxMs: bfd.minTxMs ?? 300, multiplier: bfd.multiplier ?? 3 };
  }
  if (typeof x.ebgpMultihop === 'number' && x.ebgpMultihop > 1) out.ebgpMultihop = x.ebgpMultihop;
  if (x.ttlSecurity === true) out.ttlSecurity = true;
  return out;
}

/** Groups the nodes' peers by router; routers sorted by address, their neighbours by node name. */
export function planRouters(configs: readonly AgentConfig[], options: PlanOptions = {}): RouterPlan[] {
  const routers = new Map<string, RouterPlan>();
  // A peer that is one of the given nodes is a node-to-node session, not a router.
  const nodes = new Set(configs.flatMap((c) => [c.routerId, ...c.peers.map((p) => nodeAddressFor(c, p))]));
  for (const config of configs) {
    for (const peer of config.peers) {
      if (!options.includeMesh && (peer.source?.startsWith('mesh:') || nodes.has(peer.address))) continue;
      if (options.router !== undefined && peer.address !== options.router) continue;
      let plan = routers.get(peer.address);
      if (!plan) {
        plan = { address: peer.address, asn: peer.asn, neighbors: [] };
        routers.set(peer.address, plan);
      } else if (plan.asn !== peer.asn) {
        throw new Error(
          `router ${peer.address}: node ${config.nodeName} says AS ${peer.asn}, another node says AS ${plan.asn}`,
        );
      }
      const neighbor: RouterNeighbor = {
        node: config.nodeName,
        address: nodeAddressFor(config, peer),
        asn: config.asn,
        // one session per family (docs/dual-stack.md): a session carries the pod CIDRs of its own family
        prefixes: config.podCIDRs
          .map((c) => parseCidr(c))
          .filter((c) => (c.family === 4) === isIPv4(peer.address))
          .map((c) => c.text),
        ...extras(peer),
      };
      if (config.listen.port !== 179) neighbor.port = config.listen.port;
      if (peer.holdTime !== undefined) neighbor.holdTime = peer.holdTime;
      plan.neighbors.push(neighbor);
    }
  }
  const out = [...routers.values()].sort((a, b) => compareAddresses(a.address, b.address));
  for (const r of out) r.neighbors.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  return out;
}

function compareAddresses(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Prefixes of one family. */
export function prefixesOf(n: RouterNeighbor, family: 4 | 6): string[] {
  return n.prefixes.filter((p) => parseCidr(p).family === family);
}

export function familiesOf(n: RouterNeighbor): (4 | 6)[] {
  return ([4, 6] as const).filter((f) => prefixesOf(n, f).length > 0);
}
