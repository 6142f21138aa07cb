// In-memory doubles for the agent's ports.
import type {
  BestChange,
  DesiredRoute,
  PeerStateEvent,
  PeerStatus,
  RouteAttributes,
  RoutesPort,
  RoutesStatus,
  SpeakerPeer,
  SpeakerPeerRange,
  SpeakerPort,
} from '../src/ports.js';

export class FakeSpeaker implements SpeakerPort {
  running = false;
  stoppedGracefully: boolean | undefined;
  peerSets: SpeakerPeer[][] = [];
  origins: string[] = [];
  status: PeerStatus[] = [];
  private best: ((c: BestChange[]) => void)[] = [];
  private state: ((e: PeerStateEvent) => void)[] = [];
  private sync: (() => void)[] = [];

  restarting: boolean | undefined;
  async start(opts: { restarting: boolean }) {
    this.running = true;
    this.restarting = opts.restarting;
  }
  async stop(opts: { graceful: boolean }) {
    this.running = false;
    this.stoppedGracefully = opts.graceful;
  }
  setPeers(peers: SpeakerPeer[]) {
    this.peerSets.push(peers);
  }
  /** Every range list the agent set, in order. */
  readonly rangeSets: SpeakerPeerRange[][] = [];
  setPeerRanges(ranges: SpeakerPeerRange[]) {
    this.rangeSets.push(ranges);
  }
  setOrigins(prefixes: string[]) {
    this.origins = [...prefixes];
  }
  peers() {
    return this.status;
  }
  onBest(l: (c: BestChange[]) => void) {
    this.best.push(l);
  }
  onPeerState(l: (e: PeerStateEvent) => void) {
    this.state.push(l);
  }
  onInitialSync(l: () => void) {
    this.sync.push(l);
  }
  emitBest(changes: BestChange[]) {
    for (const l of this.best) l(changes);
  }
  /** Best-path attributes by prefix, as routeAttributes() answers them. */
  attributes = new Map<string, RouteAttributes>();
  routeAttributes(prefix: string): RouteAttributes | undefined {
    return this.attributes.get(prefix);
  }
  emitPeerState(e: PeerStateEvent) {
    for (const l of this.state) l(e);
  }
  emitInitialSync() {
    for (const l of this.sync) l();
  }
}

export class FakeRoutes implements RoutesPort {
  desired: DesiredRoute[] = [];
  started = false;
  stopped = false;
  initialDone = false;
  failed: { dst: string; reason: string }[] = [];
  isSynced = true;
  adopted = 0;
  async start() {
    this.started = true;
    return { adopted: this.adopted };
  }
  setDesired(routes: DesiredRoute[]) {
    this.desired = routes.map((r) => ({ ...r, nexthops: [...r.nexthops] }));
  }
  update(set: DesiredRoute[], removed: string[]) {
    const gone = new Set([...removed, ...set.map((r) => r.dst)]);
    this.desired = [
      ...this.desired.filter((r) => !gone.has(r.dst)),
      ...set.map((r) => ({ ...r, nexthops: [...r.nexthops] })),
    ];
  }
  initialStateComplete() {
    this.initialDone = true;
  }
  async stop() {
    this.stopped = true;
  }
  status(): RoutesStatus {
    const failed = this.failed.filter((f) => this.desired.some((r) => r.dst === f.dst)).length;
    return {
      desired: this.desired.length,
      installed: this.isSynced ? this.desired.length - failed : 0,
      failed,
      applies: 3,
      errors: 0,
      lastApplySeconds: 0.002,
    };
  }
  routeState(dst: string) {
    if (!this.desired.some((r) => r.dst === dst)) return undefined;
    const f = this.failed.find((x) => x.dst === dst);
    if (f) return { installed: false, reason: f.reason };
    return { installed: this.isSynced };
  }
  synced() {
    return this.isSynced;
  }
}

export function peerStatus(over: Partial<PeerStatus> = {}): PeerStatus {
  return {
    address: '172.30.0.254',
    asn: 65000,
    state: 'Established',
    uptimeSeconds: 42,
    lastError: null,
    prefixesReceived: 3,
    prefixesAccepted: 2,
    prefixesAdvertised: 1,
    updatesIn: 7,
    updatesOut: 2,
    flaps: 1,
    ...over,
  };
}
