// Two (or more) speakers on an in-memory network under a fake clock.
import { FakeClock } from '@gannet/core/testing';
import { afterEach } from 'mocha';
import { MemoryNetwork } from '../../src/session/memory-net.js';
import { type BestChange, createSpeaker, type PeerStateEvent, type Speaker } from '../../src/speaker.js';

/** A flat view of a best-path change for assertions. */
export interface BestView {
  prefix: string;
  nexthops: readonly string[];
  withdrawn: boolean;
  source: string | undefined;
}

export function view(c: BestChange): BestView {
  return { prefix: c.prefix, nexthops: c.nexthops, withdrawn: c.withdrawn, source: c.source };
}

import type { PeerOptions, SpeakerOptions } from '../../src/speaker-options.js';

/** The fake clocks of the current test: settle() drains their deferred work. Forgotten after each test. */
const clocks = new Set<FakeClock>();
afterEach(() => clocks.clear());

/** A FakeClock whose `defer` (given to the speaker and the MemoryNetwork) settle() drains. */
export function fakeClock(start = 0): FakeClock {
  const clock = new FakeClock(start);
  clocks.add(clock);
  return clock;
}

/**
 * Runs what is in flight until nothing is left, without moving time: the fake clocks' deferred work (message
 * delivery, outbound flushes, 'best' batches) and, between drains, the promise continuations it resolved (connect,
 * listen, start: a single event-loop turn empties the microtask queue). Throws if the work never runs out.
 */
export async function settle(): Promise<void> {
  for (let i = 0; i < 100_000; i++) {
    await new Promise((r) => setImmediate(r));
    let ran = 0;
    for (const c of clocks) ran += c.runDeferred();
    if (ran === 0) return;
  }
  throw new Error('settle: deferred work never ran out');
}

export interface Node {
  speaker: Speaker;
  address: string;
  best: Map<string, BestView>;
  states: PeerStateEvent[];
  eor: { address: string; afi: number }[];
  synced: number;
}

export class Lab {
  readonly clock = fakeClock(1_000_000);
  readonly net = new MemoryNetwork(this.clock.defer);
  readonly nodes: Node[] = [];

  node(address: string, opts: Omit<SpeakerOptions, 'clock' | 'connect'>): Node {
    const speaker = createSpeaker({
      listen: { address, port: 179 },
      random: () => 0.5,
      ...opts,
      clock: this.clock,
      defer: this.clock.defer,
      connect: this.net.factory(address),
    });
    const node: Node = { speaker, address, best: new Map(), states: [], eor: [], synced: 0 };
    speaker.on('best', (changes) => {
      for (const c of changes) node.best.set(c.prefix, view(c));
    });
    speaker.on('peer-state', (e) => node.states.push(e));
    speaker.on('end-of-rib', (e) => node.eor.push(e));
    speaker.on('initial-sync-complete', () => node.synced++);
    this.nodes.push(node);
    return node;
  }

  /** Advances the fake clock in steps, letting I/O settle between them. */
  async advance(ms: number, step = 1_000): Promise<void> {
    for (let t = 0; t < ms; t += step) {
      this.clock.advance(Math.min(step, ms - t));
      await settle();
    }
  }

  async stopAll(): Promise<void> {
    for (const n of this.nodes) await n.speaker.stop();
    await settle();
  }
}

export function state(n: Node, address: string): string | undefined {
  return n.speaker.peers().find((p) => p.address === address)?.state;
}

export const permitPods: PeerOptions['import'] = [{ prefix: '10.244.0.0/16', le: 32, action: 'permit' }];
