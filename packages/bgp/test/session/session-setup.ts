// Shared set-up for the session tests: a speaker on an in-memory network with one passive iBGP peer, and a raw peer.
import type { FakeClock } from '@gannet/core/testing';
import { MemoryNetwork } from '../../src/session/memory-net.js';
import { createSpeaker, type PeerStateEvent, type Speaker } from '../../src/speaker.js';
import type { PeerOptions, SpeakerOptions } from '../../src/speaker-options.js';
import type { Capability, UpdateMessage } from '../../src/wire/types.js';
import { type BestView, fakeClock, settle, view } from '../speaker/harness.js';
import { openMessage, RawPeer } from './raw-peer.js';

export const US = '192.0.2.1';
export const PEER = '192.0.2.2';

export interface Setup {
  clock: FakeClock;
  net: MemoryNetwork;
  speaker: Speaker;
  best: Map<string, BestView>;
  states: PeerStateEvent[];
  synced: () => number;
}

export async function setup(peer: Partial<PeerOptions> = {}, opts: Partial<SpeakerOptions> = {}): Promise<Setup> {
  const clock = fakeClock(5_000_000);
  const net = new MemoryNetwork(clock.defer);
  const speaker = createSpeaker({
    asn: 64512,
    routerId: '10.0.0.1',
    listen: { address: US, port: 179 },
    clock,
    defer: clock.defer,
    connect: net.factory(US),
    random: () => 0.5,
    ...opts,
  });
  const best = new Map<string, BestView>();
  const states: PeerStateEvent[] = [];
  let synced = 0;
  speaker.on('best', (cs) => {
    for (const c of cs) best.set(c.prefix, view(c));
  });
  speaker.on('peer-state', (e) => states.push(e));
  speaker.on('initial-sync-complete', () => synced++);
  speaker.addPeer({ address: PEER, asn: 64512, passive: true, ...peer });
  await speaker.start();
  return { clock, net, speaker, best, states, synced: () => synced };
}

/** Connects a raw peer and completes the OPEN/KEEPALIVE exchange. */
export async function establish(s: Pick<Setup, 'net'>, caps?: Capability[], asn = 64512): Promise<RawPeer> {
  const raw = await RawPeer.connect(s.net, PEER, US);
  raw.send(openMessage(asn, '10.0.0.2', {}, caps));
  await settle();
  raw.send({ type: 'keepalive' });
  await settle();
  return raw;
}

export const peerState = (s: Setup) => s.speaker.peers()[0]?.state;

export function update(nlri: string[], extra: Partial<UpdateMessage['attributes']> = {}): UpdateMessage {
  return {
    type: 'update',
    withdrawn: [],
    attributes: { origin: 0, asPath: [], nextHop: '192.0.2.2', localPref: 100, ...extra },
    nlri,
  };
}
