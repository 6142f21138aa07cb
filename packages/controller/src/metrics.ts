// Prometheus metrics (prom-client), read from the agent at scrape time: nothing is counted twice. A scrape costs
// O(peers): the routes figures are counters the reconciler keeps, never a walk over the table.
import type { Clock } from '@gannet/core';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { EventLoopLagSampler, LAG_SAMPLE_INTERVAL_MS } from './event-loop-lag.js';
import type { PolicyEngineStatus } from './network-policy/policy-engine.js';
import type { PeerStatus, RoutesStatus } from './ports.js';
import { SESSION_STATES } from './ports.js';

export interface MetricsSource {
  peers(): PeerStatus[];
  routes(): RoutesStatus;
  /** IPAM addresses used/free on this node, when the CNI store is readable. */
  ipam(): { used: number; free: number } | undefined;
  /** The NetworkPolicy engine's state, when it runs. */
  policy?(): PolicyEngineStatus | undefined;
}

export interface Metrics {
  registry: Registry;
  /** Records one reconcile (the routes reconciler calls back through the agent). */
  observeApply(seconds: number): void;
  /** Stops the event-loop lag sampler. */
  close(): void;
}

export interface MetricsOptions {
  /** The lag sampler's clock (tests). */
  clock?: Clock;
}

export function createMetrics(source: MetricsSource, opts: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  // Process metrics (CPU, RSS, heap, event-loop lag, GC), prefixed gannet_process_* / gannet_nodejs_*.
  collectDefaultMetrics({ register: registry, prefix: 'gannet_' });
  const peerLabels = ['peer', 'asn'] as const;

  new Gauge({
    name: 'gannet_bgp_peer_state',
    help: 'BGP session state per peer: 1 for the current RFC 4271 state, 0 for the others',
    labelNames: [...peerLabels, 'state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const p of source.peers()) {
        for (const s of SESSION_STATES)
          this.set({ peer: p.address, asn: String(p.asn), state: s }, p.state === s ? 1 : 0);
      }
    },
  });
  const perPeer = (name: string, help: string, pick: (p: PeerStatus) => number, counter = false) =>
    new Gauge({
      name,
      help: counter ? `${help} (monotonic)` : help,
      labelNames: [...peerLabels],
      registers: [registry],
      collect() {
        this.reset();
        for (const p of source.peers()) this.set({ peer: p.address, asn: String(p.asn) }, pick(p));
      },
    });
  perPeer('gannet_bgp_session_flaps', 'Times the session left Established', (p) => p.flaps, true);
  perPeer('gannet_bgp_session_uptime_seconds', 'Seconds since the session became Established', (p) => p.uptimeSeconds);
  perPeer('gannet_bgp_prefixes_received', 'Prefixes received from the peer', (p) => p.prefixesReceived);
  perPeer('gannet_bgp_prefixes_accepted', 'Prefixes accepted by import policy', (p) => p.prefixesAccepted);
  perPeer('gannet_bgp_prefixes_advertised', 'Prefixes advertised to the peer', (p) => p.prefixesAdvertised);
  perPeer('gannet_bgp_updates_received', 'UPDATE messages received', (p) => p.updatesIn, true);
  perPeer('gannet_bgp_updates_sent', 'UPDATE messages sent', (p) => p.updatesOut, true);
  perPeer(
    'gannet_bgp_nexthop_invalid',
    'Prefix announcements ignored for an unusable next hop (RFC 7606 §7.3)',
    (p) => p.nextHopInvalid ?? 0,
    true,
  );
  perPeer(
    'gannet_bgp_first_as_violations',
    'eBGP UPDATEs treated as withdraw: AS_PATH not starting with the peer AS',
    (p) => p.firstAsViolations ?? 0,
    true,
  );
  perPeer(
    'gannet_bgp_send_hold_expired',
    'Sessions dropped: the peer read nothing for the send hold time (RFC 9687)',
    (p) => p.sendHoldExpired ?? 0,
    true,
  );

  new Gauge({
    name: 'gannet_bfd_session_state',
    help: 'BFD session state per peer with BFD enabled: 1 for the current RFC 5880 state, 0 for the others',
    labelNames: [...peerLabels, 'state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const p of source.peers()) {
        if (!p.bfd) continue;
        for (const s of ['AdminDown', 'Down', 'Init', 'Up'])
          this.set({ peer: p.address, asn: String(p.asn), state: s }, p.bfd.state === s ? 1 : 0);
      }
    },
  });
  const perBfdPeer = (name: string, help: string, pick: (b: NonNullable<PeerStatus['bfd']>) => number) =>
    new Gauge({
      name,
      help,
      labelNames: [...peerLabels],
      registers: [registry],
      collect() {
        this.reset();
        for (const p of source.peers()) if (p.bfd) this.set({ peer: p.address, asn: String(p.asn) }, pick(p.bfd));
      },
    });
  perBfdPeer('gannet_bfd_session_downs', 'Times the BFD session left Up (monotonic)', (b) => b.downs);
  perBfdPeer(
    'gannet_bfd_detect_time_seconds',
    'BFD detection time in force (0 until the peer is heard)',
    (b) => b.detectTimeMs / 1000,
  );

  new Gauge({
    name: 'gannet_routes_installed',
    help: 'Kernel routes Gannet owns (our route protocol) that match the desired state',
    registers: [registry],
    collect() {
      this.set(source.routes().installed);
    },
  });
  new Gauge({
    name: 'gannet_routes_failed',
    help: 'Desired routes the kernel currently rejects (retried)',
    registers: [registry],
    collect() {
      this.set(source.routes().failed);
    },
  });
  new Gauge({
    name: 'gannet_routes_reconcile_errors',
    help: 'Reconcile errors since start (monotonic)',
    registers: [registry],
    collect() {
      this.set(source.routes().errors);
    },
  });
  const applies = new Counter({
    name: 'gannet_routes_reconciles_total',
    help: 'Reconciles of the kernel routes performed',
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'gannet_routes_reconcile_duration_seconds',
    help: 'Time to apply one reconcile to the kernel',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [registry],
  });
  for (const [name, help, pick] of [
    ['gannet_ipam_addresses_used', 'Pod addresses allocated on this node', (u: { used: number }) => u.used],
    ['gannet_ipam_addresses_free', 'Pod addresses still free on this node', (u: { free: number }) => u.free],
  ] as const) {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        const u = source.ipam();
        if (u) this.set(pick(u as { used: number; free: number }));
      },
    });
  }
  registerPolicyMetrics(registry, () => source.policy?.());
  const loopBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
  const lag = new Histogram({
    name: 'gannet_event_loop_lag_seconds',
    help:
      `How late a timer asking to run every ${LAG_SAMPLE_INTERVAL_MS} ms ran: how long the event loop (which also runs ` +
      'BGP keepalives and hold timers) was held, by work that did not yield or by the machine not running us. A stall ' +
      'of S seconds is one sample of about S',
    buckets: loopBuckets,
    registers: [registry],
  });
  const busy = new Histogram({
    name: 'gannet_event_loop_busy_seconds',
    help:
      `Main-thread CPU time between two runs of the ${LAG_SAMPLE_INTERVAL_MS} ms lag timer: how long the agent's own ` +
      'work held the event loop, whatever else the machine does',
    buckets: loopBuckets,
    registers: [registry],
  });
  const sampler = new EventLoopLagSampler(
    (s) => {
      lag.observe(s.lag);
      busy.observe(s.busy);
    },
    LAG_SAMPLE_INTERVAL_MS,
    opts.clock,
  );
  sampler.start();
  return {
    registry,
    observeApply(seconds: number) {
      applies.inc();
      duration.observe(seconds);
    },
    close() {
      sampler.stop();
    },
  };
}

/** gannet_policy_*: read from the engine at scrape time (absent while no engine runs). */
function registerPolicyMetrics(registry: Registry, status: () => PolicyEngineStatus | undefined): void {
  const gauges: [string, string, (s: PolicyEngineStatus) => number | null][] = [
    [
      'gannet_policy_applied',
      '1 when the NetworkPolicy ruleset in the kernel matches the current input',
      (s) => +s.applied,
    ],
    ['gannet_policy_policies', 'NetworkPolicies in the applied ruleset', (s) => s.policies],
    ['gannet_policy_selected_pods', 'Local pods selected by at least one NetworkPolicy', (s) => s.selectedPods],
    ['gannet_policy_local_pods', 'Local pods known to the policy engine', (s) => s.localPods],
    ['gannet_policy_rules', 'Rules in the applied ruleset', (s) => s.rules],
    ['gannet_policy_applies', 'Successful applies since start (monotonic)', (s) => s.applies],
    ['gannet_policy_apply_errors', 'Failed applies since start (monotonic)', (s) => s.applyErrors],
    [
      'gannet_policy_last_apply_seconds',
      'Duration of the last successful apply (compile + nft)',
      (s) => (s.lastApplyMs === null ? null : s.lastApplyMs / 1000),
    ],
    ['gannet_policy_nat_outgoing', '1 when pod egress NAT is on', (s) => +s.natOutgoing],
  ];
  for (const [name, help, pick] of gauges) {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        const s = status();
        const v = s ? pick(s) : null;
        if (v !== null) this.set(v);
      },
    });
  }
  // per source: a NetworkPolicy the compiler refused, a bad policy file, a failing watch each count one
  new Gauge({
    name: 'gannet_policy_source_problems',
    help: 'What is wrong with each policy input source now (refused NetworkPolicies, bad files, failing watches)',
    labelNames: ['source'],
    registers: [registry],
    collect() {
      this.reset();
      for (const src of status()?.sources ?? []) this.set({ source: src.name }, src.problems.length);
    },
  });
}
