import assert from 'node:assert/strict';
import type os from 'node:os';
import { LocalAddresses } from '../src/adapters/local-addresses.js';

function info(address: string, cidr: string): os.NetworkInterfaceInfo {
  const family = address.includes(':') ? 'IPv6' : 'IPv4';
  return { address, cidr, family, netmask: '', mac: '00:00:00:00:00:00', internal: false, scopeid: 0 } as never;
}

describe('adapters: local addresses and connected subnets (NEXT_HOP checks)', () => {
  it('knows our addresses (IPv6 in any notation, IPv4-mapped as IPv4) and connected subnets', () => {
    const l = new LocalAddresses({
      read: () => ({
        lo: [info('127.0.0.1', '127.0.0.1/8'), info('::1', '::1/128')],
        eth0: [info('192.0.2.1', '192.0.2.1/24'), info('2001:db8::1', '2001:db8::1/64')],
      }),
    });
    assert.equal(l.isLocal('192.0.2.1'), true);
    assert.equal(l.isLocal('2001:db8:0::1'), true);
    assert.equal(l.isLocal('::ffff:192.0.2.1'), true);
    assert.equal(l.isLocal('192.0.2.2'), false);
    assert.equal(l.isConnected('192.0.2.200'), true);
    assert.equal(l.isConnected('192.0.3.1'), false);
    assert.equal(l.isConnected('2001:db8::ff'), true);
    assert.equal(l.isConnected('2001:db9::1'), false);
    assert.equal(l.isConnected('not an address'), false);
  });

  it('re-reads the table when stale, and on a miss at most once per missRefreshMs', () => {
    let now = 0;
    let reads = 0;
    const table: Record<string, os.NetworkInterfaceInfo[]> = { eth0: [info('192.0.2.1', '192.0.2.1/24')] };
    const l = new LocalAddresses({
      read: () => {
        reads++;
        return table;
      },
      now: () => now,
      refreshMs: 10_000,
      missRefreshMs: 1_000,
    });
    assert.equal(l.isConnected('192.0.2.9'), true);
    assert.equal(reads, 1);
    for (let i = 0; i < 100; i++) assert.equal(l.isConnected('198.51.100.9'), false);
    assert.equal(reads, 1, 'misses within a second do not re-read');
    table.eth1 = [info('198.51.100.1', '198.51.100.1/24')]; // an interface comes up
    now = 1_500;
    assert.equal(l.isConnected('198.51.100.9'), true, 'a miss after a second re-reads');
    assert.equal(reads, 2);
    now = 20_000;
    assert.equal(l.isLocal('192.0.2.1'), true);
    assert.equal(reads, 3, 'stale after refreshMs');
  });
});
