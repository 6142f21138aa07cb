import assert from 'node:assert/strict';
import { buildResult, type PodAttachment, readPrevResult } from '../src/result.js';

const att: PodAttachment = {
  hostIfName: 'gnt0123456789a',
  hostMac: 'ee:01:02:03:04:05',
  podIfName: 'eth0',
  podMac: '0e:01:02:03:04:05',
  netns: '/run/netns/p',
  ipv4: '10.244.1.7',
  mtu: 1450,
};

describe('result: buildResult per spec version', () => {
  it('1.1.0: interfaces with mtu, ips without version, the default route', () => {
    assert.deepEqual(buildResult('1.1.0', att), {
      cniVersion: '1.1.0',
      interfaces: [
        { name: 'gnt0123456789a', mac: 'ee:01:02:03:04:05', mtu: 1450 },
        { name: 'eth0', mac: '0e:01:02:03:04:05', sandbox: '/run/netns/p', mtu: 1450 },
      ],
      ips: [{ address: '10.244.1.7/32', gateway: '169.254.1.1', interface: 1 }],
      routes: [{ dst: '0.0.0.0/0', gw: '169.254.1.1' }],
      dns: {},
    });
  });

  it('1.0.0: no interface mtu (a 1.1.0 field)', () => {
    const r = buildResult('1.0.0', att);
    assert.equal(r.cniVersion, '1.0.0');
    assert.deepEqual(r.interfaces[1], { name: 'eth0', mac: '0e:01:02:03:04:05', sandbox: '/run/netns/p' });
    assert.deepEqual(r.ips, [{ address: '10.244.1.7/32', gateway: '169.254.1.1', interface: 1 }]);
  });

  it('0.4.0: ips carry version "4"', () => {
    const r = buildResult('0.4.0', att);
    assert.equal(r.cniVersion, '0.4.0');
    assert.deepEqual(r.ips, [{ version: '4', address: '10.244.1.7/32', gateway: '169.254.1.1', interface: 1 }]);
    assert.equal(r.interfaces[0]?.mtu, undefined);
  });

  for (const v of ['0.4.0', '1.0.0', '1.1.0'] as const) {
    it(`${v}: reads back as a prevResult`, () => {
      const prev = JSON.parse(JSON.stringify(buildResult(v, att))) as Record<string, unknown>;
      assert.deepEqual(readPrevResult(prev, 'eth0'), { podIfName: 'eth0', ipv4: '10.244.1.7' });
    });
  }

  it('readPrevResult: ignores host interfaces and other interfaces, takes one address per family, copes with junk', () => {
    const prev = {
      interfaces: [{ name: 'eth0' }, { name: 'net1', sandbox: '/x' }, { name: 'eth0', sandbox: '/x' }],
      ips: [
        { address: '10.0.0.1/32', interface: 1 },
        { address: 'fd00::1/128', interface: 2 },
        { address: '10.0.0.2/32', interface: 2 },
      ],
    };
    assert.deepEqual(readPrevResult(prev, 'eth0'), { podIfName: 'eth0', ipv4: '10.0.0.2', ipv6: 'fd00::1' });
    const other = {
      interfaces: prev.interfaces,
      ips: [
        { address: 'fd00::6/128', interface: 1 },
        { address: 'FD00:0::7/128', interface: 2 },
        { address: 'fd00::8/128' },
      ],
    };
    assert.deepEqual(readPrevResult(other, 'eth0'), { podIfName: 'eth0', ipv6: 'fd00::7' });
    assert.equal(readPrevResult(prev, 'eth1'), undefined);
    assert.equal(readPrevResult({ interfaces: 'x', ips: 3 }, 'eth0'), undefined);
    assert.equal(readPrevResult({ interfaces: [{ name: 'eth0', sandbox: '/x' }], ips: [] }, 'eth0'), undefined);
  });
});

describe('result: dual-stack and IPv6-only per spec version', () => {
  const dual: PodAttachment = { ...att, ipv6: 'fd00:10:244:1::7' };
  const v4 = { address: '10.244.1.7/32', gateway: '169.254.1.1', interface: 1 };
  const v6 = { address: 'fd00:10:244:1::7/128', gateway: 'fe80::1', interface: 1 };
  const routes = [
    { dst: '0.0.0.0/0', gw: '169.254.1.1' },
    { dst: '::/0', gw: 'fe80::1' },
  ];
  for (const v of ['0.3.0', '0.3.1', '0.4.0'] as const) {
    it(`${v}: both addresses, each naming its version, both default routes`, () => {
      const r = buildResult(v, dual);
      assert.deepEqual(r.ips, [
        { version: '4', ...v4 },
        { version: '6', ...v6 },
      ]);
      assert.deepEqual(r.routes, routes);
    });
  }
  for (const v of ['1.0.0', '1.1.0'] as const) {
    it(`${v}: both addresses without version, both default routes`, () => {
      const r = buildResult(v, dual);
      assert.deepEqual(r.ips, [v4, v6]);
      assert.deepEqual(r.routes, routes);
    });
  }
  for (const v of ['0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const) {
    it(`${v}: a dual-stack result reads back with both addresses; IPv6-only with one`, () => {
      const back = (a: PodAttachment) => readPrevResult(JSON.parse(JSON.stringify(buildResult(v, a))), 'eth0');
      assert.deepEqual(back(dual), { podIfName: 'eth0', ipv4: '10.244.1.7', ipv6: 'fd00:10:244:1::7' });
      const { ipv4: _, ...only6 } = dual;
      assert.deepEqual(back(only6), { podIfName: 'eth0', ipv6: 'fd00:10:244:1::7' });
    });
  }
  it('IPv6-only: one address, one default route, no IPv4 gateway anywhere', () => {
    const { ipv4: _, ...only6 } = dual;
    const r = buildResult('1.0.0', only6);
    assert.deepEqual(r.ips, [v6]);
    assert.deepEqual(r.routes, [{ dst: '::/0', gw: 'fe80::1' }]);
    assert.doesNotMatch(JSON.stringify(r), /169\.254/);
  });
});
