// Binds the agent's SpeakerPort to @gannet/bgp. The speaker is created at start(), when the agent knows whether this
// is a graceful restart (our routes survived in the kernel).
import { getAsset, isSea } from 'node:sea';
import type { PrefixExplanation } from '@gannet/bgp';
import {
  attachTtlFilter,
  BfdManager,
  type BfdService,
  type BfdTransportFactory,
  BfdWorker,
  type ConnectionFactory,
  createSpeaker,
  type PeerOptions,
  type PeerRangeOptions,
  type Speaker,
  udpBfdTransport,
} from '@gannet/bgp';
import type { Logger } from '../log.js';
import type {
  BestChange,
  PeerStateEvent,
  PeerStatus,
  RouteAttributes,
  SpeakerPeer,
  SpeakerPeerRange,
  SpeakerPort,
} from '../ports.js';
import { LocalAddresses } from './local-addresses.js';

export interface BgpSpeakerOptions {
  asn: number;
  routerId: string;
  listen: { address: string; port: number } | false;
  /** Seconds peers keep our routes while we restart (RFC 4724). */
  restartTime: number;
  /** Longest wait for End-of-RIB from every peer before selecting and sweeping anyway. */
  deferralTime: number;
  logger: Logger;
  connect?: ConnectionFactory;
  /** The node's addresses and connected subnets for NEXT_HOP checks (default: os.networkInterfaces()). */
  localAddresses?: LocalAddresses;
  /** Be a route reflector (RFC 4456) for the peers marked routeReflectorClient. */
  routeReflector?: { clusterId?: string };
  /**
   * Where BFD packets go: given, BFD runs on the main thread over it (tests); absent, BFD runs over UDP (port 3784,
   * opened only when some peer enables BFD) on a worker thread, or on the main thread when GANNET_BFD_THREAD=main
   * (for comparison: e2e/bench/bfd-ingest.bench.ts).
   */
  bfdTransport?: BfdTransportFactory;
}

/** The SEA asset holding the BFD worker's bundle (scripts/build-bins.mjs). */
export const BFD_WORKER_ASSET = 'bfd-worker.cjs';

function bfdService(o: BgpSpeakerOptions): BfdService {
  const onError = (err: Error, peer?: string) => o.logger.debug('bfd socket error', { peer, error: err.message });
  if (o.bfdTransport) return new BfdManager({ transport: o.bfdTransport, logger: o.logger });
  if (process.env.GANNET_BFD_THREAD === 'main') {
    const receiveFilter = (s: Parameters<typeof attachTtlFilter>[0]) => attachTtlFilter(s, 255);
    return new BfdManager({ transport: udpBfdTransport({ onError, receiveFilter }), logger: o.logger });
  }
  if (!isSea()) return new BfdWorker({ logger: o.logger });
  // Inside the single executable the worker's code is an asset, a CommonJS wrapper function (build-bins.mjs).
  const wrapper = new TextDecoder().decode(getAsset(BFD_WORKER_ASSET));
  return new BfdWorker({
    logger: o.logger,
    source: { code: `(${wrapper})(exports, require, module, __filename, __dirname);` },
  });
}

export class BgpSpeaker implements SpeakerPort {
  private speaker: Speaker | undefined;
  private peersWanted: SpeakerPeer[] = [];
  private rangesWanted: SpeakerPeerRange[] = [];
  private origins = new Set<string>();
  private readonly bestListeners: ((c: BestChange[]) => void)[] = [];
  private readonly stateListeners: ((e: PeerStateEvent) => void)[] = [];
  private readonly syncListeners: (() => void)[] = [];

  private readonly local: LocalAddresses;

  constructor(private readonly opts: BgpSpeakerOptions) {
    this.local = opts.localAddresses ?? new LocalAddresses();
  }

  async start({ restarting }: { restarting: boolean }): Promise<void> {
    const o = this.opts;
    const speaker = createSpeaker({
      // NEXT_HOP checks: routes via our own addresses, or off-link from an eBGP peer, are ignored (RFC 4271 §6.3).
      isLocalAddress: (a) => this.local.isLocal(a),
      isConnected: (a) => this.local.isConnected(a),
      asn: o.asn,
      routerId: o.routerId,
      listen: o.listen,
      ...(o.routeReflector ? { routeReflector: o.routeReflector } : {}),
      gracefulRestart: {
        restartTime: o.restartTime,
        restarting,
        // The kernel kept our routes (we never flush them), so forwarding state survived.
        forwardingStateKept: restarting,
        selectionDeferralMs: o.deferralTime * 1000,
      },
      initialSyncTimeoutMs: o.deferralTime * 1000,
      logger: o.logger,
      bfd: bfdService(o),
      ...(o.connect ? { connect: o.connect } : {}),
    });
    speaker.on('best', (changes) => {
      const out: BestChange[] = changes.map((c) => ({
        prefix: c.prefix,
        // A locally originated best path is not a kernel route here: the agent blackholes its own CIDRs.
        nexthops: c.withdrawn || c.source === 'local' ? [] : c.nexthops,
      }));
      for (const l of this.bestListeners) l(out);
    });
    speaker.on('peer-state', (ev) => {
      for (const l of this.stateListeners) l(ev);
    });
    speaker.once('initial-sync-complete', () => {
      for (const l of this.syncListeners) l();
    });
    this.speaker = speaker;
    for (const p of this.origins) speaker.originate(p);
    speaker.setPeers(this.peersWanted.map(toPeerOptions));
    speaker.setPeerRanges(this.rangesWanted.map(toRangeOptions));
    await speaker.start();
  }

  async stop(opts: { graceful: boolean }): Promise<void> {
    await this.speaker?.stop({ graceful: opts.graceful });
  }

  setPeers(peers: SpeakerPeer[]): void {
    this.peersWanted = peers;
    this.speaker?.setPeers(peers.map(toPeerOptions));
  }

  setPeerRanges(ranges: SpeakerPeerRange[]): void {
    this.rangesWanted = ranges;
    this.speaker?.setPeerRanges(ranges.map(toRangeOptions));
  }

  setOrigins(prefixes: string[]): void {
    const next = new Set(prefixes);
    if (this.speaker) {
      for (const p of this.origins) if (!next.has(p)) this.speaker.withdrawOrigin(p);
      for (const p of next) if (!this.origins.has(p)) this.speaker.originate(p);
    }
    this.origins = next;
  }

  peers(): PeerStatus[] {
    return (this.speaker?.peers() ?? []).map((p) => ({
      address: p.address,
      asn: p.asn,
      state: p.state,
      uptimeSeconds: p.uptimeSeconds,
      lastError: p.lastError || null,
      prefixesReceived: p.prefixesReceived,
      prefixesAccepted: p.prefixesAccepted,
      prefixesAdvertised: p.prefixesAdvertised,
      updatesIn: p.updatesIn,
      updatesOut: p.updatesOut,
      flaps: p.flaps,
      nextHopInvalid: p.nextHopInvalid,
      firstAsViolations: p.firstAsViolations,
      sendHoldExpired: p.sendHoldExpired,
      ...(p.dynamic ? { dynamic: p.dynamic } : {}),
      ...(p.transport ? { transport: { ...p.transport } } : {}),
      ...(p.bfd
        ? {
            bfd: {
              state: p.bfd.state,
              remoteState: p.bfd.remoteState,
              localDiag: p.bfd.localDiag,
              remoteDiag: p.bfd.remoteDiag,
              txIntervalMs: p.bfd.txIntervalMs,
              detectTimeMs: p.bfd.detectTimeMs,
              uptimeSeconds: p.bfd.uptimeSeconds,
              downs: p.bfd.downs,
              downsByDiag: p.bfd.downsByDiag,
            },
          }
        : {}),
    }));
  }

  onBest(listener: (changes: BestChange[]) => void): void {
    this.bestListeners.push(listener);
  }
  onPeerState(listener: (event: PeerStateEvent) => void): void {
    this.stateListeners.push(listener);
  }
  onInitialSync(listener: () => void): void {
    this.syncListeners.push(listener);
  }

  explain(prefix: string): PrefixExplanation | undefined {
    return this.speaker?.explain(prefix);
  }

  routeAttributes(prefix: string): RouteAttributes | undefined {
    const best = this.speaker?.bestOf(prefix);
    if (!best || best.source === 'local') return undefined;
    const out: RouteAttributes = { asPath: best.asPath };
    if (best.communities) out.communities = best.communities;
    if (best.largeCommunities) out.largeCommunities = best.largeCommunities;
    return out;
  }
}

function toPeerOptions(p: SpeakerPeer): PeerOptions {
  const o: PeerOptions = {
    address: p.address,
    asn: p.asn,
    maxPrefixes: p.maxPrefixes,
    import: p.import,
    export: p.export,
    gracefulRestart: p.gracefulRestart,
  };
  if (p.port !== undefined) o.port = p.port;
  if (p.holdTime !== undefined) o.holdTime = p.holdTime;
  if (p.passive !== undefined) o.passive = p.passive;
  if (p.localAddress !== undefined) o.localAddress = p.localAddress;
  if (p.enforceFirstAs !== undefined) o.enforceFirstAs = p.enforceFirstAs;
  if (p.routeReflectorClient) o.routeReflectorClient = true;
  if (p.bfd) o.bfd = { ...p.bfd };
  if (p.families !== undefined) o.families = [...p.families];
  // what we attach to the routes we send it
  if (p.communities !== undefined) o.communities = p.communities;
  if (p.largeCommunities !== undefined) o.largeCommunities = p.largeCommunities;
  if (p.localPref !== undefined) o.localPref = p.localPref;
  if (p.med !== undefined) o.med = p.med;
  if (p.asPathPrepend !== undefined) o.asPathPrepend = p.asPathPrepend;
  if (p.password !== undefined) o.password = p.password;
  if (p.ebgpMultihop !== undefined) o.ebgpMultihop = p.ebgpMultihop;
  if (p.ttlSecurity !== undefined) o.ttlSecurity = p.ttlSecurity;
  return o;
}

function toRangeOptions(r: SpeakerPeerRange): PeerRangeOptions {
  const { address: _a, asn: _b, passive: _p, bfd: _f, ...options } = toPeerOptions({ ...r, address: '', asn: 0 });
  const o: PeerRangeOptions = { ...options, prefix: r.prefix };
  if (r.asn !== undefined) o.asn = r.asn;
  if (r.asnRange !== undefined) o.asnRange = { ...r.asnRange };
  if (r.limit !== undefined) o.limit = r.limit;
  return o;
}
