// The lab pinger's parser (pure: no root, no namespaces): what counts as lost, duplicated, or still in flight.
import assert from 'node:assert/strict';
import { describeLost, parsePing } from '../src/lab-pinger.js';

const reply = (seq: number, dup = false) =>
  `[1795441351.649580] 64 bytes from 10.244.2.2: icmp_seq=${seq} ttl=62 time=0.053 ms${dup ? ' (DUP!)' : ''}`;

function output(lines: string[], summary: string): string {
  return [
    'PING 10.244.2.2 (10.244.2.2) 56(84) bytes of data.',
    ...lines,
    '',
    '--- 10.244.2.2 ping statistics ---',
    summary,
    '',
  ].join('\n');
}

describe('lab e2e helpers: ping output', () => {
  it('counts every answered sequence number; nothing lost', () => {
    const s = parsePing(
      output(
        [1, 2, 3, 4, 5].map((i) => reply(i)),
        '5 packets transmitted, 5 received, 0% packet loss, time 79ms',
      ),
      false,
    );
    assert.deepEqual(s, { transmitted: 5, received: 5, lost: [], duplicates: 0 });
  });

  it('reads ping6 answers (an IPv6 address has colons of its own)', () => {
    const s = parsePing(
      output(
        [1, 3].map((i) => `[1795441351.${i}] 64 bytes from fd00:10:244:2::2: icmp_seq=${i} ttl=62 time=0.08 ms`),
        '3 packets transmitted, 2 received, 33% packet loss, time 20ms',
      ),
      false,
    );
    assert.deepEqual(s, { transmitted: 3, received: 2, lost: [2], duplicates: 0 });
  });

  it('names the unanswered sequence numbers, with -O "no answer yet" lines and an errors field around', () => {
    const lines = [
      reply(1),
      '[1795441351.66] no answer yet for icmp_seq=2',
      '[1795441351.67] From 10.244.1.1 icmp_seq=3 Destination Host Unreachable',
      reply(4),
      reply(6),
    ];
    const s = parsePing(
      output(lines, '6 packets transmitted, 3 received, +1 errors, 50% packet loss, time 60ms'),
      false,
    );
    assert.deepEqual(s.lost, [2, 3, 5]);
    assert.equal(s.received, 3);
    assert.equal(describeLost(s.lost), '3 lost (≈0.03 s of traffic): seq 2-3, 5');
  });

  it('does not count the packet in flight when the pinger was stopped, but does when it ended by itself', () => {
    const out = output([reply(1), reply(2)], '3 packets transmitted, 2 received, 33.3333% packet loss, time 20ms');
    assert.deepEqual(parsePing(out, true).lost, []);
    assert.deepEqual(parsePing(out, false).lost, [3]);
  });

  it('counts duplicates apart', () => {
    const out = output(
      [reply(1), reply(1, true), reply(2)],
      '2 packets transmitted, 2 received, +1 duplicates, 0% packet loss',
    );
    assert.deepEqual(parsePing(out, false), { transmitted: 2, received: 2, lost: [], duplicates: 1 });
  });

  it('throws with the output when ping printed no summary (it could not send at all)', () => {
    assert.throws(
      () => parsePing('ping: connect: Network is unreachable\n', false),
      /no ping summary in:\nping: connect/,
    );
  });

  it('describes long runs of losses as ranges', () => {
    assert.equal(describeLost([]), 'none');
    assert.equal(describeLost([7]), '1 lost (≈0.01 s of traffic): seq 7');
    assert.equal(describeLost([10, 11, 12, 40, 41]), '5 lost (≈0.05 s of traffic): seq 10-12, 40-41');
  });
});
