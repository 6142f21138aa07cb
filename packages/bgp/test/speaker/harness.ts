// Two (or more) speakers on an in-memory network under a fake clock.
import { FakeClock } from '@gannet/core/testing';
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

/** Lets queued microtasks and setImmediate callbacks run (message delivery, flushes, 'best' batches). */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
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
  readonly clock = new FakeClock(1_000_000);
  readonly net = new MemoryNetwork();
  readonly nodes: Node[] = [];

  node(address: string, opts: Omit<SpeakerOptions, 'clock' | 'connect'>): Node {
    const speaker = createSpeaker({
      listen: { address, port: 179 },
      random: () => 0.5,
      ...opts,
      clock: this.clock,
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
      await settle(5);
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
