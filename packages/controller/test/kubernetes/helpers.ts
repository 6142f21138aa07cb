// Test doubles and builders for the Kubernetes-mode tests.

import { FakeClock as CoreFakeClock } from '@gannet/core/testing';
import { KubeConfig } from '@kubernetes/client-node';
import type { Backoff } from '../../src/kubernetes/clock.js';
import { BGP_CONFIGURATIONS, BGP_PEERS, NODE_STATUSES } from '../../src/kubernetes/resources.js';
import { CORE_NODES, type ResourceDef } from './fake-apiserver.js';
import { crdResources } from './fake-crd.js';

/** Nodes, and our CRDs as deploy/crds defines them (schemas enforced). */
export const RESOURCES: ResourceDef[] = [
  CORE_NODES,
  ...[BGP_PEERS, BGP_CONFIGURATIONS, NODE_STATUSES].map((p) => {
    const def = crdResources().find((d) => d.plural === p);
    if (!def) throw new Error(`deploy/crds has no CRD for ${p}`);
    return def;
  }),
];

/** A clock that only moves when the test says so (@gannet/core's), starting at a date-like reading. */
export class FakeClock extends CoreFakeClock {
  constructor() {
    super(1_700_000_000_000);
  }
}

/** Fixed delays, counted. */
export class CountingBackoff implements Backoff {
  calls = 0;
  resets = 0;
  constructor(readonly delayMs = 1000) {}
  next(): number {
    this.calls++;
    return this.delayMs;
  }
  reset(): void {
    this.resets++;
  }
}

export function kubeConfigFor(url: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'fake', server: url, skipTLSVerify: true }],
    users: [{ name: 'gannet', token: 'test-token' }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'gannet' }],
    currentContext: 'fake',
  });
  return kc;
}

/** Polls (5 ms steps, bounded) until `check` stops throwing; for I/O with the in-process server, never the clock. */
export async function eventually<T>(check: () => T, what = 'condition', timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return check();
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${(e as Error).message}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}

/** Lets pending I/O settle: a few round trips through the event loop and the loopback socket. */
export async function settle(ms = 60): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

export function node(
  name: string,
  ip: string,
  podCIDRs: string[],
  labels: Record<string, string> = {},
): Record<string, unknown> {
  return {
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } },
    spec: { podCIDR: podCIDRs[0], podCIDRs },
    status: {
      addresses: [
        { type: 'Hostname', address: name },
        { type: 'InternalIP', address: ip },
      ],
    },
  };
}

export function bgpPeer(name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return { metadata: { name }, spec };
}

export { repoRoot } from './repo-root.js';
