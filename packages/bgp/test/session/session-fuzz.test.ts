// Whatever bytes a peer sends, the session never throws: it either carries on or sends a NOTIFICATION and closes.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MemoryNetwork } from '../../src/session/memory-net.js';
import { createSpeaker } from '../../src/speaker.js';
import { encodeMessage } from '../../src/wire/index.js';
import { fakeClock, settle } from '../speaker/harness.js';
import { openMessage, RawPeer } from './raw-peer.js';

const MARKER = Buffer.alloc(16, 0xff);

/** A BGP header (valid marker, a length and a type chosen by fast-check) followed by random body bytes. */
const framed = fc
  .record({
    type: fc.integer({ min: 0, max: 7 }),
    body: fc.uint8Array({ maxLength: 300 }),
    lie: fc.integer({ min: -3, max: 3 }),
  })
  .map(({ type, body, lie }) => {
    const len = Math.max(0, 19 + body.length + (lie === 0 ? 0 : lie));
    const head = Buffer.alloc(3);
    head.writeUInt16BE(Math.min(len, 0xffff), 0);
    head.writeUInt8(type, 2);
    return Buffer.concat([MARKER, head, Buffer.from(body)]);
  });

const VALID = encodeMessage(
  {
    type: 'update',
    withdrawn: [],
    attributes: {
      origin: 0,
      asPath: [{ type: 'sequence', asns: [64512] }],
      nextHop: '192.0.2.2',
      localPref: 100,
      communities: [1],
    },
    nlri: ['10.244.7.0/24', '10.244.8.0/24'],
  },
  { fourOctetAs: true, extendedMessage: false },
);

/** A valid UPDATE with one byte after the header changed (exercises RFC 7606 handling, not just framing). */
const mutated = fc
  .record({ at: fc.integer({ min: 19, max: VALID.length - 1 }), value: fc.integer({ min: 0, max: 255 }) })
  .map(({ at, value }) => {
    const b = Buffer.from(VALID);
    b[at] = value;
    return b;
  });

const chunk = fc.oneof(
  framed,
  mutated,
  mutated,
  fc.constant(VALID),
  fc.uint8Array({ minLength: 1, maxLength: 100 }).map((a) => Buffer.from(a)),
);

describe('session: fuzzed input from an established peer', () => {
  it('never throws; the session stays up or ends with a NOTIFICATION', async function () {
    this.timeout(30_000);
    const errors: unknown[] = [];
    const outcomes = { up: 0, reset: 0 };
    const onError = (e: unknown) => errors.push(e);
    process.on('uncaughtException', onError);
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(chunk, { minLength: 1, maxLength: 5 }), async (chunks) => {
          const clock = fakeClock();
          const net = new MemoryNetwork(clock.defer);
          const speaker = createSpeaker({
            asn: 64512,
            routerId: '10.0.0.1',
            listen: { address: '192.0.2.1', port: 179 },
            clock,
            defer: clock.defer,
            connect: net.factory('192.0.2.1'),
          });
          speaker.addPeer({ address: '192.0.2.2', asn: 64512, passive: true });
          await speaker.start();
          const raw = await RawPeer.connect(net, '192.0.2.2', '192.0.2.1');
          raw.send(openMessage(64512, '10.0.0.2'));
          raw.send({ type: 'keepalive' });
          await settle();
          assert.equal(speaker.peers()[0]?.state, 'Established');
          for (const c of chunks) raw.sendRaw(c);
          raw.sendRaw(encodeMessage({ type: 'keepalive' }, raw.opts));
          await settle();
          const state = speaker.peers()[0]?.state;
          const notified = raw.of('notification').length > 0;
          outcomes[state === 'Established' ? 'up' : 'reset']++;
          await speaker.stop();
          assert.ok(state === 'Established' || notified || raw.closed, `state ${state}`);
          assert.deepEqual(errors, []);
        }),
        { numRuns: 150, seed: 7 },
      );
      assert.ok(outcomes.up > 0 && outcomes.reset > 0, JSON.stringify(outcomes)); // both paths exercised
    } finally {
      process.off('uncaughtException', onError);
    }
  });
});
