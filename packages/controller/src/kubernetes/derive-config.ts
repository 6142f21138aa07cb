// From what the API server says (Nodes, BGPPeers, the `default` BGPConfiguration) to the AgentConfig of one node.
// Pure: the same snapshot always gives the same config (peers sorted by address), so a relist that changed nothing
// compares equal and emits nothing.
import { parseIpv4, parsePrefixLength } from '@gannet/core';
import { peerAttributeProblem } from '../config/load-peer-attributes.js';
import { routerIdFromName } from '../config/router-id.js';
import type { AgentConfig, PeerAttributes, PeerBfdConfig, PeerConfig, PrefixRule } from '../config/types.js';
import { isIP, isIPv4, parseCidr } from '../net.js';
import { KubernetesError } from './kubernetes-error.js';
import { parseLabelSelector } from './label-selector.js';
import { nodePeering, type ReflectionSettings, reflectionSettings } from './node-peering.js';
import { attributesFromSpec, ruleCommunities } from './peer-attributes.js';
import {
  type BgpConfigurationObject,
  type BgpPeerObject,
  type BgpPeerSpec,
  DEFAULT_ASN,
  DEFAULT_CONFIGURATION,
  type NodeObject,
  ROUTER_ID_ANNOTATION,
} from './resources.js';
import { type ServiceRanges, serviceRangesFrom } from './service-selection.js';

export interface ClusterSnapshot {
  nodeName: string;
  nodes: Iterable<NodeObject>;
  peers: Iterable<BgpPeerObject>;
  configurations: Iterable<BgpConfigurationObject>;
  /** Status API listen address of the agent (AgentConfig.api.listen). */
  apiListen: string;
  /** BGP listen address (the port comes from BGPConfiguration.listenPort, default 179). */
  listenAddress: string;
}

export interface Derivation {
  /** Absent when our own Node is not usable yet (see problems). */
  config?: AgentConfig;
  /** Objects ignored and why; one entry per object, worded for a log line. */
  problems: KubernetesError[];
}

const MAX_ASN = 4294967295;

function validAsn(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= MAX_ASN;
}

function invalid(message: string): KubernetesError {
  return new KubernetesError('ERR_GANNET_K8S_INVALID_OBJECT', message);
}

/** The node's IPv4 InternalIP: its router ID and the address the mesh dials. */
export function nodeInternalIPv4(node: NodeObject): string | undefined {
  return node.status?.addresses?.find((a) => a.type === 'InternalIP' && isIPv4(a.address))?.address;
}

/**
 * The node's InternalIP of each family (the first one listed): a dual-stack node has both, and the mesh runs one
 * session per family between two nodes that both have it.
 */
export function nodeInternalIPs(node: NodeObject): { 4?: string; 6?: string } {
  const out: { 4?: string; 6?: string } = {};
  for (const a of node.status?.addresses ?? []) {
    if (a.type !== 'InternalIP' || typeof a.address !== 'string' || !isIP(a.address)) continue;
    const f = isIPv4(a.address) ? 4 : 6;
    out[f] ??= f === 6 ? parseCidr(`${a.address}/128`).address : a.address;
  }
  return out;
}

/**
 * The parts of a Node the derivation reads: name, uid, labels, pod CIDRs, InternalIPs. Everything else (images,
 * conditions, heartbeat times, managedFields) is dropped on arrival, so memory stays small on large clusters and a
 * status heartbeat compares equal to what we hold.
 */
export function trimNode(n: NodeObject): NodeObject {
  const m = n.metadata ?? {};
  const metadata: NodeObject['metadata'] = { name: m.name };
  if (m.uid) metadata.uid = m.uid;
  if (m.resourceVersion) metadata.resourceVersion = m.resourceVersion;
  if (m.labels) metadata.labels = { ...m.labels };
  const routerId = m.annotations?.[ROUTER_ID_ANNOTATION];
  if (routerId !== undefined) metadata.annotations = { [ROUTER_ID_ANNOTATION]: routerId };
  const spec: NonNullable<NodeObject['spec']> = {};
  if (n.spec?.podCIDR) spec.podCIDR = n.spec.podCIDR;
  if (n.spec?.podCIDRs) spec.podCIDRs = [...n.spec.podCIDRs];
  const addresses = (n.status?.addresses ?? [])
    .filter((a) => a.type === 'InternalIP')
    .map((a) => ({ type: a.type, address: a.address }));
  return { metadata, spec, status: { addresses } };
}

/** Node.spec.podCIDRs, or the older single podCIDR; canonical text. */
export function nodePodCIDRs(node: NodeObject): string[] {
  const list = node.spec?.podCIDRs?.length ? node.spec.podCIDRs : node.spec?.podCIDR ? [node.spec.podCIDR] : [];
  return list.map((c) => parseCidr(c).text);
}

function checkRules(rules: unknown, where: string): PrefixRule[] {
  if (!Array.isArray(rules)) throw invalid(`${where}: must be a list of prefix rules`);
  return rules.map((r: PrefixRule, i) => {
    const key = `${where}[${i}]`;
    if (typeof r !== 'object' || r === null) throw invalid(`${key}: must be an object`);
    let cidr: ReturnType<typeof parseCidr>;
    try {
      cidr = parseCidr(String(r.prefix));
    } catch (e) {
      throw invalid(`${key}.prefix: ${(e as Error).message}`);
    }
    if (r.action !== 'permit' && r.action !== 'deny') throw invalid(`${key}.action: must be "permit" or "deny"`);
    const max = cidr.family === 4 ? 32 : 128;
    const rule: PrefixRule = { prefix: cidr.text, action: r.action };
    for (const k of ['ge', 'le'] as const) {
      const v = r[k];
      if (v === undefined) continue;
      if (!Number.isInteger(v) || v < cidr.length || v > max)
        throw invalid(`${key}.${k}: must be ${cidr.length}..${max}`);
      rule[k] = v;
    }
    if (rule.ge !== undefined && rule.le !== undefined && rule.le < rule.ge) throw invalid(`${key}.le: must be >= ge`);
    try {
      ruleCommunities(r, key, rule);
    } catch (e) {
      throw invalid((e as Error).message);
    }
    return rule;
  });
}

/** spec.bfd → PeerBfdConfig (the schema's bounds, checked again: a cluster may run without the CRD's validation). */
function checkBfd(b: NonNullable<BgpPeerSpec['bfd']>, key: string): PeerBfdConfig {
  if (typeof b !== 'object' || b === null || Array.isArray(b)) throw invalid(`${key}: must be an object`);
  const int = (k: 'minRxMs' | 'minTxMs' | 'multiplier', min: number, max: number, dflt: number): number => {
    const v = b[k];
    if (v === undefined) return dflt;
    if (!Number.isInteger(v) || v < min || v > max) throw invalid(`${key}.${k}: must be an integer ${min}..${max}`);
    return v;
  };
  for (const k of ['enabled', 'checkControlPlaneFailure'] as const) {
    if (b[k] !== undefined && typeof b[k] !== 'boolean') throw invalid(`${key}.${k}: must be true or false`);
  }
  const out: PeerBfdConfig = {
    enabled: b.enabled !== false,
    minRxMs: int('minRxMs', 10, 60_000, 300),
    minTxMs: int('minTxMs', 10, 60_000, 300),
    multiplier: int('multiplier', 1, 255, 3),
  };
  if (b.checkControlPlaneFailure !== undefined) out.checkControlPlaneFailure = b.checkControlPlaneFailure;
  return out;
}

/** The namespace whose Secrets hold BGPPeer passwords: the agent's own (the DaemonSet's POD_NAMESPACE). */
export const DEFAULT_SECRET_NAMESPACE = 'gannet-system';

/**
 * spec.password.secretKeyRef, spec.ebgpMultihop, spec.ttlSecurity → PeerConfig fields (checked as the schema does);
 * the password itself is read from the Secret by the source (peer-secrets.ts).
 */
function transportFromSpec(s: BgpPeerSpec, where: string): Partial<PeerConfig> {
  const out: Partial<PeerConfig> = {};
  if (s.ebgpMultihop !== undefined) {
    if (!Number.isInteger(s.ebgpMultihop) || s.ebgpMultihop < 1 || s.ebgpMultihop > 255)
      throw invalid(`${where}: spec.ebgpMultihop must be 1..255`);
    out.ebgpMultihop = s.ebgpMultihop;
  }
  if (s.ttlSecurity !== undefined) {
    if (typeof s.ttlSecurity !== 'boolean') throw invalid(`${where}: spec.ttlSecurity must be true or false`);
    out.ttlSecurity = s.ttlSecurity;
  }
  if (s.password !== undefined) {
    const r = s.password?.secretKeyRef;
    const okName = (v: unknown): v is string =>
      typeof v === 'string' && /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(v);
    if (!r || !okName(r.name) || typeof r.key !== 'string' || !/^[-._a-zA-Z0-9]{1,253}$/.test(r.key))
      throw invalid(
        `${where}: spec.password needs secretKeyRef { name, key } (a Secret in ${DEFAULT_SECRET_NAMESPACE})`,
      );
    out.passwordSecretRef = { namespace: DEFAULT_SECRET_NAMESPACE, name: r.name, key: r.key };
  }
  return out;
}

/** BGPPeer → PeerConfig, or throws an INVALID_OBJECT error naming the object and field. */
export function peerFromBgpPeer(obj: BgpPeerObject): PeerConfig {
  const name = obj.metadata?.name ?? '?';
  const where = `BGPPeer/${name}`;
  const s = obj.spec;
  if (!s) throw invalid(`${where}: has no spec`);
  if (typeof s.peerAddress !== 'string' || !isIP(s.peerAddress)) {
    throw invalid(`${where}: spec.peerAddress "${s.peerAddress}" is not an IP address`);
  }
  if (!validAsn(s.asn)) throw invalid(`${where}: spec.asn must be an integer 1..${MAX_ASN}`);
  const peer: PeerConfig = { address: s.peerAddress, asn: s.asn, source: where };
  if (s.port !== undefined) {
    if (!Number.isInteger(s.port) || s.port < 1 || s.port > 65535)
      throw invalid(`${where}: spec.port must be 1..65535`);
    peer.port = s.port;
  }
  if (s.holdTime !== undefined) {
    const h = s.holdTime;
    if (!Number.isInteger(h) || h < 0 || h > 65535 || h === 1 || h === 2) {
      throw invalid(`${where}: spec.holdTime must be 0 or 3..65535 seconds`);
    }
    peer.holdTime = h;
  }
  if (s.passive !== undefined) peer.passive = s.passive === true;
  if (s.maxPrefixes !== undefined) {
    if (!Number.isInteger(s.maxPrefixes) || s.maxPrefixes < 1) throw invalid(`${where}: spec.maxPrefixes must be >= 1`);
    peer.maxPrefixes = s.maxPrefixes;
  }
  if (s.gracefulRestart !== undefined) peer.gracefulRestart = s.gracefulRestart === true;
  if (s.import !== undefined) peer.import = checkRules(s.import, `${where}: spec.import`);
  if (s.export !== undefined) peer.export = checkRules(s.export, `${where}: spec.export`);
  if (s.bfd !== undefined) peer.bfd = checkBfd(s.bfd, `${where}: spec.bfd`);
  Object.assign(peer, transportFromSpec(s, where));
  try {
    Object.assign(peer, attributesFromSpec(s, 'spec.'));
  } catch (e) {
    throw invalid(`${where}: ${(e as Error).message}`);
  }
  return peer;
}

interface ClusterSettings {
  asn: number;
  mesh: boolean;
  clusterCIDRs: string[];
  nodeASNs: Map<string, number>;
  port: number;
  reflection: ReflectionSettings;
  /** Egress NAT, as the agent config's keys (absent: the agent's defaults). */
  nat: Pick<AgentConfig, 'natOutgoing' | 'natExclude'>;
  peerDefaults: PeerAttributes | undefined;
  serviceRanges: ServiceRanges | undefined;
}

function clusterSettings(configs: Iterable<BgpConfigurationObject>, problems: KubernetesError[]): ClusterSettings {
  const out: ClusterSettings = {
    asn: DEFAULT_ASN,
    mesh: true,
    clusterCIDRs: [],
    nodeASNs: new Map(),
    port: 179,
    reflection: reflectionSettings(undefined, '', problems),
    nat: {},
    peerDefaults: undefined,
    serviceRanges: undefined,
  };
  let obj: BgpConfigurationObject | undefined;
  for (const c of configs) if (c.metadata?.name === DEFAULT_CONFIGURATION) obj = c;
  const s = obj?.spec;
  if (!s) return out;
  const where = `BGPConfiguration/${DEFAULT_CONFIGURATION}`;
  out.reflection = reflectionSettings(s, where, problems);
  out.serviceRanges = serviceRangesFrom(s, where, problems);
  if (s.asn !== undefined) {
    if (validAsn(s.asn)) out.asn = s.asn;
    else problems.push(invalid(`${where}: spec.asn must be an integer 1..${MAX_ASN}; using ${out.asn}`));
  }
  if (s.nodeToNodeMesh !== undefined) out.mesh = s.nodeToNodeMesh !== false;
  if (s.listenPort !== undefined) {
    if (Number.isInteger(s.listenPort) && s.listenPort >= 1 && s.listenPort <= 65535) out.port = s.listenPort;
    else problems.push(invalid(`${where}: spec.listenPort must be 1..65535; using ${out.port}`));
  }
  for (const [i, c] of (s.clusterCIDRs ?? []).entries()) {
    try {
      out.clusterCIDRs.push(parseCidr(c).text);
    } catch (e) {
      problems.push(invalid(`${where}: spec.clusterCIDRs[${i}]: ${(e as Error).message}; entry ignored`));
    }
  }
  for (const [i, n] of (s.nodeASNs ?? []).entries()) {
    if (typeof n?.node === 'string' && validAsn(n.asn)) out.nodeASNs.set(n.node, n.asn);
    else problems.push(invalid(`${where}: spec.nodeASNs[${i}] needs node and asn 1..${MAX_ASN}; entry ignored`));
  }
  if (s.natOutgoing !== undefined) {
    if (typeof s.natOutgoing === 'boolean') out.nat.natOutgoing = s.natOutgoing;
    else problems.push(invalid(`${where}: spec.natOutgoing must be true or false; using the default (true)`));
  }
  if (s.natExclude !== undefined) {
    out.nat.natExclude = [];
    for (const [i, c] of (Array.isArray(s.natExclude) ? s.natExclude : []).entries()) {
      try {
        out.nat.natExclude.push(parseCidr(c).text);
      } catch (e) {
        problems.push(invalid(`${where}: spec.natExclude[${i}]: ${(e as Error).message}; entry ignored`));
      }
    }
  }
  if (s.peerDefaults !== undefined) {
    try {
      if (typeof s.peerDefaults !== 'object' || s.peerDefaults === null)
        throw new Error('spec.peerDefaults: must be an object');
      out.peerDefaults = attributesFromSpec(s.peerDefaults, 'spec.peerDefaults.');
    } catch (e) {
      problems.push(invalid(`${where}: ${(e as Error).message}; peerDefaults ignored`));
    }
  }
  return out;
}

/** The default clusterCIDRs are never longer than these: a node joining from elsewhere in a typical cluster CIDR
 * (a /16 of IPv4 /24 blocks, a /48 of IPv6 /64 blocks) then changes no import rule of any peer. */
export const DEFAULT_CLUSTER_CIDR_MAX_LENGTH = { 4: 16, 6: 48 } as const;

/**
 * The clusterCIDRs used when no BGPConfiguration sets them: per family, the shortest prefix covering every Node's pod
 * CIDRs (the cluster's own allocation, as kube-controller-manager's --cluster-cidr made it), widened to at most
 * DEFAULT_CLUSTER_CIDR_MAX_LENGTH. Unparseable pod CIDRs are skipped (the Node's own derivation reports them).
 */
/** Parsed pod CIDRs by text: every derivation reads every Node's (IPv4 read without allocation). */
const cidrMemo = new Map<string, { family: 4 | 6; value: bigint; length: number } | null>();

function cidrValue(text: string): { family: 4 | 6; value: bigint; length: number } | null {
  let c = cidrMemo.get(text);
  if (c !== undefined) return c;
  const slash = text.indexOf('/');
  const v = slash > 0 ? parseIpv4(text, 0, slash) : -1; // @gannet/core's, without allocation
  const length = v >= 0 ? parsePrefixLength(text, slash + 1, text.length, 32) : -1;
  if (length >= 0) {
    c = { family: 4, value: BigInt(v), length };
  } else {
    try {
      c = parseCidr(text);
    } catch {
      c = null;
    }
  }
  if (cidrMemo.size >= 100_000) cidrMemo.clear();
  cidrMemo.set(text, c);
  return c;
}

interface Span {
  lo: bigint;
  hi: bigint;
  len: number;
}

export function defaultClusterCIDRs(nodes: Iterable<NodeObject>): string[] {
  const span: Record<4 | 6, Span | undefined> = { 4: undefined, 6: undefined };
  for (const n of nodes) {
    const list = n.spec?.podCIDRs?.length ? n.spec.podCIDRs : n.spec?.podCIDR ? [n.spec.podCIDR] : [];
    for (const text of list) {
      const c = cidrValue(text);
      if (!c) continue;
      const s = span[c.family];
      if (!s) span[c.family] = { lo: c.value, hi: c.value, len: c.length };
      else {
        if (c.value < s.lo) s.lo = c.value;
        if (c.value > s.hi) s.hi = c.value;
        if (c.length < s.len) s.len = c.length;
      }
    }
  }
  const out: string[] = [];
  for (const family of [4, 6] as const) {
    const s = span[family];
    if (!s) continue;
    const bits = family === 4 ? 32 : 128;
    // Leading bits shared by the lowest and the highest network address are shared by every one between them.
    const differing = (s.lo ^ s.hi).toString(2).length - (s.lo === s.hi ? 1 : 0);
    const len = Math.min(s.len, bits - differing, DEFAULT_CLUSTER_CIDR_MAX_LENGTH[family]);
    const shift = BigInt(bits - len);
    out.push(cidrText(family, (s.lo >> shift) << shift, len));
  }
  return out;
}

function cidrText(family: 4 | 6, value: bigint, length: number): string {
  if (family === 4) return `${[24n, 16n, 8n, 0n].map((s) => String((value >> s) & 255n)).join('.')}/${length}`;
  const groups = Array.from({ length: 8 }, (_, i) => ((value >> BigInt(112 - 16 * i)) & 0xffffn).toString(16));
  return parseCidr(`${groups.join(':')}/${length}`).text;
}

/** Plain string order (not the locale's): stable everywhere, and localeCompare costs ~40 ms per 5000-node sort. */
export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byName<T extends { metadata?: { name?: string } }>(items: Iterable<T>): T[] {
  return [...items].sort((a, b) => byCodeUnits(a.metadata?.name ?? '', b.metadata?.name ?? ''));
}

export function deriveAgentConfig(snap: ClusterSnapshot): Derivation {
  const problems: KubernetesError[] = [];
  const settings = clusterSettings(snap.configurations, problems);
  const nodes = byName(snap.nodes);
  const self = nodes.find((n) => n.metadata?.name === snap.nodeName);
  const notReady = (why: string): Derivation => ({
    problems: [...problems, new KubernetesError('ERR_GANNET_K8S_NODE_NOT_READY', `Node/${snap.nodeName}: ${why}`)],
  });
  if (!self) return notReady('not found in the API (is NODE_NAME right?)');
  const own = nodeInternalIPs(self);
  if (own[4] === undefined && own[6] === undefined) return notReady('has no InternalIP in status.addresses yet');
  // the annotation, else the IPv4 InternalIP; an IPv6-only node without the annotation has no IPv4 address to be
  // its BGP Identifier: one derived from its name (router-id.ts)
  const annotated = self.metadata?.annotations?.[ROUTER_ID_ANNOTATION];
  let routerId = own[4] ?? routerIdFromName(snap.nodeName);
  if (annotated !== undefined) {
    const v = parseIpv4(annotated);
    if (v > 0 && v !== 0xffffffff) routerId = annotated;
    else {
      problems.push(
        invalid(
          `Node/${snap.nodeName}: annotation ${ROUTER_ID_ANNOTATION} "${annotated}" is not a non-zero dotted quad; using ${routerId}`,
        ),
      );
    }
  }
  let podCIDRs: string[];
  try {
    podCIDRs = nodePodCIDRs(self);
  } catch (e) {
    return notReady(`spec.podCIDRs: ${(e as Error).message}`);
  }
  if (podCIDRs.length === 0) return notReady('has no spec.podCIDRs yet (is the node IPAM controller allocating?)');

  const asnOf = (name: string) => settings.nodeASNs.get(name) ?? settings.asn;
  // The full mesh, or route reflectors (node-peering.ts).
  const peering = nodePeering({
    nodes,
    selfName: snap.nodeName,
    routerId,
    mesh: settings.mesh,
    port: settings.port,
    asnOf,
    ownIPs: own,
    internalIPs: nodeInternalIPs,
    settings: settings.reflection,
  });
  problems.push(...peering.problems);
  const peers = peering.peers;
  const claimed = new Map<string, string>();
  for (const obj of byName(snap.peers)) {
    const name = obj.metadata?.name ?? '';
    try {
      if (!parseLabelSelector(obj.spec?.nodeSelector).matches(self.metadata?.labels)) continue;
      const peer = peerFromBgpPeer(obj);
      if (peer.address === own[4] || peer.address === own[6]) continue; // a ToR peer list that includes ourselves
      const first = claimed.get(peer.address);
      if (first) {
        problems.push(invalid(`BGPPeer/${name}: peer ${peer.address} is already configured by ${first}; ignored`));
        continue;
      }
      claimed.set(peer.address, `BGPPeer/${name}`);
      peers.set(peer.address, peer); // an explicit BGPPeer wins over the mesh entry for the same address
      // localPref towards eBGP, a prepend towards iBGP: the speaker ignores them; say so (the peer itself runs)
      const attr = peerAttributeProblem({ asn: asnOf(snap.nodeName) }, peer);
      if (attr) problems.push(invalid(`BGPPeer/${name}: spec.${attr.key} ${attr.message}; the field is ignored`));
    } catch (e) {
      const msg = (e as Error).message;
      problems.push(
        e instanceof KubernetesError
          ? invalid(msg.startsWith('BGPPeer/') ? msg : `BGPPeer/${name}: ${msg}`)
          : invalid(msg),
      );
    }
  }
  const config: AgentConfig = {
    nodeName: snap.nodeName,
    asn: asnOf(snap.nodeName),
    routerId,
    podCIDRs,
    clusterCIDRs: settings.clusterCIDRs.length > 0 ? settings.clusterCIDRs : defaultClusterCIDRs(nodes),
    listen: { address: snap.listenAddress, port: settings.port },
    api: { listen: snap.apiListen },
    peers: [...peers.values()].sort((a, b) => byCodeUnits(a.address, b.address)),
  };
  if (peering.routeReflector) config.routeReflector = peering.routeReflector;
  Object.assign(config, settings.nat);
  if (settings.peerDefaults && Object.keys(settings.peerDefaults).length > 0)
    config.peerDefaults = settings.peerDefaults;
  if (settings.serviceRanges) config.serviceRanges = settings.serviceRanges;
  return { config, problems };
}
