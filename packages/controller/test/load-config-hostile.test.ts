// Hostile configs: values the runtime cannot use, special-use prefixes, YAML aliases and merge keys, sizes. Each is
// refused at parse time with the file, the line and the key.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RouteReconciler } from '@gannet/routes';
import { MemoryRouteTable } from '@gannet/routes/testing';
import { main } from '../src/cli/main.js';
import { loadConfigFile, MAX_ALIAS_USES, MAX_CONFIG_BYTES, MAX_PEERS, parseConfig } from '../src/config/load-config.js';
import { ConfigError } from '../src/errors.js';

const GOOD = `nodeName: node1
asn: 64512
routerId: 172.30.0.1
podCIDRs:
  - 10.244.1.0/24
  - fd00:244:1::/64
peers:
  - address: 172.30.0.254
    asn: 65000
    localAddress: 172.30.0.1
routes:
  table: 254
  protocol: 71
`;
const lines = GOOD.split('\n');
/** GOOD with line `n` (1-based) replaced. */
const withLine = (n: number, text: string) => lines.map((l, i) => (i === n - 1 ? text : l)).join('\n');

function refuses(text: string, expected: RegExp): void {
  assert.throws(
    () => parseConfig(text, 'gannet.yaml'),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError, `ConfigError expected, got ${err}`);
      assert.match(err.message, expected);
      assert.match(err.message, /^gannet\.yaml:\d+: /, 'names the file and the line');
      return true;
    },
  );
}

describe('controller: hostile configs', () => {
  it('the base config is accepted', () => {
    const c = parseConfig(GOOD);
    assert.deepEqual(c.podCIDRs, ['10.244.1.0/24', 'fd00:244:1::/64']);
    assert.deepEqual(c.routes, { table: 254, protocol: 71 });
  });

  const cases: [string, string, RegExp][] = [
    ['router id 0.0.0.0', withLine(3, 'routerId: 0.0.0.0'), /:3: routerId: must not be 0\.0\.0\.0/],
    ['pod CIDR 0/0', withLine(5, '  - 0.0.0.0/0'), /:5: podCIDRs\[0\]: 0\.0\.0\.0\/0 is the whole address space/],
    ['pod CIDR ::/0', withLine(6, '  - ::/0'), /:6: podCIDRs\[1\]: ::\/0 is the whole address space/],
    ['loopback', withLine(5, '  - 127.0.0.0/24'), /:5: podCIDRs\[0\]: 127\.0\.0\.0\/24 overlaps .*loopback/],
    ['v6 loopback', withLine(6, '  - ::1/128'), /:6: podCIDRs\[1\]: ::1\/128 overlaps .*loopback/],
    ['multicast', withLine(5, '  - 224.1.0.0/24'), /:5: podCIDRs\[0\]: .* overlaps .*multicast \(224\.0\.0\.0\/4\)/],
    ['v6 multicast', withLine(6, '  - ff02::/64'), /:6: podCIDRs\[1\]: .*multicast \(ff00::\/8\)/],
    ['link-local', withLine(5, '  - 169.254.0.0/24'), /:5: podCIDRs\[0\]: .*link-local \(169\.254\.0\.0\/16\)/],
    ['v6 link-local', withLine(6, '  - fe80::/64'), /:6: podCIDRs\[1\]: .*link-local \(fe80::\/10\)/],
    ['0.0.0.0/8', withLine(5, '  - 0.1.0.0/24'), /:5: podCIDRs\[0\]: .*"this network"/],
    ['class E', withLine(5, '  - 240.0.1.0/24'), /:5: podCIDRs\[0\]: .*reserved and broadcast/],
    ['covering a special range', withLine(5, '  - 128.0.0.0/1'), /:5: podCIDRs\[0\]: 128.* overlaps the special-use/],
    [
      'overlapping pod CIDRs',
      withLine(6, '  - 10.244.0.0/16'),
      /:6: podCIDRs\[1\]: 10\.244\.0\.0\/16 overlaps podCIDRs\[0\]/,
    ],
    [
      'same pod CIDR twice',
      withLine(6, '  - 10.244.1.0/24'),
      /:6: podCIDRs\[1\]: .* overlaps podCIDRs\[0\] \(10\.244\.1\.0\/24\)/,
    ],
    [
      'peer 0.0.0.0',
      withLine(8, '  - address: 0.0.0.0'),
      /:8: peers\[0\]\.address: 0\.0\.0\.0 is the unspecified address/,
    ],
    ['peer ::', withLine(8, '  - address: "::"'), /:8: peers\[0\]\.address: :: is the unspecified address/],
    [
      'peer multicast',
      withLine(8, '  - address: 224.0.0.5'),
      /:8: peers\[0\]\.address: 224\.0\.0\.5 is a multicast address/,
    ],
    ['peer v6 multicast', withLine(8, '  - address: ff02::5'), /:8: peers\[0\]\.address: ff02::5 is a multicast/],
    ['peer broadcast', withLine(8, '  - address: 255.255.255.255'), /:8: peers\[0\]\.address: .* is the broadcast/],
    [
      'local address multicast',
      withLine(10, '    localAddress: 239.1.1.1'),
      /:10: peers\[0\]\.localAddress: .*multicast/,
    ],
    ['table 255 (local)', withLine(12, '  table: 255'), /:12: routes\.table: route table 255 is not usable: .*"local"/],
    ['table 253 (default)', withLine(12, '  table: 253'), /:12: routes\.table: .*"default"/],
    ['table 252 (compat)', withLine(12, '  table: 252'), /:12: routes\.table: .*"compat"/],
    ['table 0', withLine(12, '  table: 0'), /:12: routes\.table: .*"unspec"/],
    ['table 2^32', withLine(12, '  table: 4294967296'), /:12: routes\.table: must be in 0\.\.4294967295/],
    ['protocol 12 (BIRD)', withLine(13, '  protocol: 12'), /:13: routes\.protocol: route protocol 12 is not usable/],
    ['protocol 194 (FRR)', withLine(13, '  protocol: 194'), /:13: routes\.protocol: route protocol 194 is not usable/],
    ['protocol 198 (FRR)', withLine(13, '  protocol: 198'), /:13: routes\.protocol: .*FRR/],
    ['protocol 4 (static)', withLine(13, '  protocol: 4'), /:13: routes\.protocol: route protocol 4 is not usable/],
    ['protocol 256', withLine(13, '  protocol: 256'), /:13: routes\.protocol: must be in 0\.\.255/],
    ['YAML tab indentation', withLine(9, '\tasn: 65000'), /:9: YAML syntax error: Tabs are not allowed/],
    ['YAML reserved character', withLine(9, '    asn: @x'), /:9: YAML syntax error/],
    ['YAML nested compact map', withLine(2, 'asn: 1: 2'), /:2: YAML syntax error/],
    ['alias without anchor', `${GOOD}clusterCIDRs: *nope\n`, /:14: clusterCIDRs: alias \*nope has no anchor &nope/],
    [
      'merge key',
      'nodeName: n\nasn: 1\nrouterId: 10.0.0.1\npodCIDRs: [10.244.7.0/24]\npeers:\n  - &p { address: 10.0.0.9, asn: 1 }\n  - <<: *p\n    address: 10.0.0.8\n',
      /:7: peers\[1\]\.<<: merge keys \(<<\) are YAML 1\.1, not YAML 1\.2/,
    ],
    [
      'alias before its anchor',
      `${GOOD}clusterCIDRs: [*a]\napi: &a { listen: "127.0.0.1:9179" }\n`,
      /alias \*a has no anchor/,
    ],
    ['an alias to itself', `${GOOD}clusterCIDRs: &s [*s]\n`, /:14: clusterCIDRs\[0\]: must be a string/],
  ];
  for (const [what, text, expected] of cases) it(`refuses: ${what}`, () => refuses(text, expected));

  it('an alias stands for its anchored node, as YAML defines it', () => {
    const c = parseConfig(
      [
        'nodeName: n',
        'asn: &as 64512',
        'routerId: 10.0.0.1',
        'podCIDRs: &pods [10.244.7.0/24]',
        'clusterCIDRs: *pods',
        'peers:',
        '  - { address: 10.0.0.2, asn: *as, import: &in [{ prefix: 10.244.0.0/16, le: 24, action: permit }] }',
        '  - { address: 10.0.0.3, asn: *as, import: *in }',
        '',
      ].join('\n'),
    );
    assert.deepEqual(c.clusterCIDRs, ['10.244.7.0/24']);
    assert.deepEqual(
      c.peers.map((p) => [p.asn, p.import]),
      [
        [64512, [{ prefix: '10.244.0.0/16', le: 24, action: 'permit' }]],
        [64512, [{ prefix: '10.244.0.0/16', le: 24, action: 'permit' }]],
      ],
    );
  });

  it('errors inside an aliased value name the anchored line; a peer repeated by alias is a duplicate', () => {
    refuses(
      'nodeName: n\nasn: 1\nrouterId: 10.0.0.1\npodCIDRs: [10.244.7.0/24]\npeers:\n  - &p { address: 10.0.0.2, asn: 2 }\n  - *p\n',
      /:7: peers\[1\]\.address: duplicate peer address 10\.0\.0\.2 \(also peers\[0\]\)/,
    );
    refuses(
      'nodeName: n\nasn: 1\nrouterId: 10.0.0.1\npodCIDRs: &p\n  - 10.244.7.0/33\nclusterCIDRs: *p\n',
      /:5: podCIDRs\[0\]: "10\.244\.7\.0\/33": IPv4 prefix length/,
    );
  });

  it(`refuses more than ${MAX_ALIAS_USES} alias uses`, () => {
    const many = Array.from({ length: MAX_ALIAS_USES + 1 }, () => '*c').join(', ');
    refuses(
      `nodeName: n\nasn: 1\nrouterId: 10.0.0.1\npodCIDRs: [&c 10.244.0.0/24]\nclusterCIDRs: [${many}]\n`,
      /:5: clusterCIDRs\[\d+\]: more than 100 alias uses/,
    );
  });

  it(`accepts ${MAX_PEERS} peers and refuses one more, naming the peers line`, () => {
    const peers = (n: number) =>
      Array.from({ length: n }, (_, i) => `  - { address: 10.1.${i >> 8}.${i & 255}, asn: 65000 }`).join('\n');
    const head = 'nodeName: n\nasn: 1\nrouterId: 10.0.0.1\npodCIDRs: [10.244.7.0/24]\npeers:\n';
    assert.equal(parseConfig(`${head}${peers(MAX_PEERS)}\n`).peers.length, MAX_PEERS);
    refuses(`${head}${peers(MAX_PEERS + 1)}\n`, /:6: peers: lists 1001 peers, more than the 1000/);
  });

  it('a pod CIDR outside clusterCIDRs is named at its own line in a block list', () => {
    refuses(
      'nodeName: n\nasn: 1\nrouterId: 10.0.0.1\nclusterCIDRs: [10.244.0.0/16]\npodCIDRs:\n  - 10.244.1.0/24\n  - 10.245.1.0/24\n',
      /:7: podCIDRs\[1\]: 10\.245\.1\.0\/24 is not inside any of clusterCIDRs/,
    );
  });

  it('accepts exactly the route tables and protocols the reconciler runs with', () => {
    const head = 'nodeName: n\nasn: 1\nrouterId: 10.0.0.1\npodCIDRs: [10.244.7.0/24]\n';
    const runs = (opts: { table?: number; protocol?: number }) => {
      try {
        new RouteReconciler({ kernel: new MemoryRouteTable(), ...opts });
        return true;
      } catch {
        return false;
      }
    };
    const parses = (key: string, v: number) => {
      try {
        parseConfig(`${head}routes: { ${key}: ${v} }\n`);
        return true;
      } catch {
        return false;
      }
    };
    let accepted = 0;
    for (let v = 0; v <= 300; v++) {
      assert.equal(parses('table', v), runs({ table: v }), `table ${v}`);
      assert.equal(parses('protocol', v), runs({ protocol: v }), `protocol ${v}`);
      if (parses('protocol', v)) accepted++;
    }
    for (const v of [4294967295, 4294967296]) assert.equal(parses('table', v), runs({ table: v }), `table ${v}`);
    assert.ok(accepted > 200 && accepted < 256, `${accepted} protocols accepted`);
  });

  describe('files', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'gannet-cfg-'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it(`refuses a file larger than ${MAX_CONFIG_BYTES} bytes, and reads one just under`, () => {
      const big = join(dir, 'big.yaml');
      writeFileSync(big, `${GOOD}${'#'.repeat(MAX_CONFIG_BYTES - GOOD.length - 1)}\n`);
      assert.equal(loadConfigFile(big).nodeName, 'node1');
      writeFileSync(big, `${GOOD}${'#'.repeat(MAX_CONFIG_BYTES)}\n`);
      assert.throws(() => loadConfigFile(big), /big\.yaml: cannot read config file: larger than 1048576 bytes/);
    });

    it('gannet agent --check refuses what the agent could not run, with one line and exit 1', async () => {
      for (const [n, text, expected] of [
        [3, 'routerId: 0.0.0.0', 'routerId: must not be 0.0.0.0'],
        [12, '  table: 255', 'routes.table: route table 255 is not usable'],
        [13, '  protocol: 196', 'routes.protocol: route protocol 196 is not usable'],
        [5, '  - 224.0.0.0/24', 'podCIDRs[0]: 224.0.0.0/24 overlaps the special-use range multicast'],
      ] as const) {
        const file = join(dir, 'check.yaml');
        writeFileSync(file, withLine(n, text));
        const out: string[] = [];
        const err: string[] = [];
        const io = { out: (t: string) => out.push(t), err: (t: string) => err.push(t) };
        assert.equal(await main(['agent', '--check', '--config', file], io), 1, text);
        assert.deepEqual(out, []);
        assert.equal(err.length, 1);
        assert.ok(err[0]?.startsWith(`gannet agent: ${file}:${n}: ${expected}`), err[0]);
      }
    });

    it('refuses an endless device at once instead of reading on', () => {
      assert.throws(() => loadConfigFile('/dev/zero'), /\/dev\/zero: cannot read config file: larger than/);
    });
  });
});
