import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFile, parseConfig } from '../src/config/load-config.js';
import { ConfigError } from '../src/errors.js';

const GOOD = `# node 1 of the lab
nodeName: node1
asn: 64512
routerId: 172.30.0.1
podCIDRs: [10.244.1.0/24]
clusterCIDRs: [10.244.0.0/16]
listen: { address: 0.0.0.0, port: 179 }
api: { listen: 127.0.0.1:9179 }
peers:
  - address: 172.30.0.254
    asn: 65000
    holdTime: 9
    passive: false
    maxPrefixes: 500
  - address: fd00::2
    asn: 64512
    port: 1179
    import:
      - { prefix: 10.96.0.0/12, le: 32, action: permit }
`;

describe('controller: config file', () => {
  it('parses a complete config and applies defaults', () => {
    const c = parseConfig(GOOD);
    assert.equal(c.nodeName, 'node1');
    assert.equal(c.asn, 64512);
    assert.deepEqual(c.podCIDRs, ['10.244.1.0/24']);
    assert.deepEqual(c.listen, { address: '0.0.0.0', port: 179 });
    assert.equal(c.peers.length, 2);
    assert.deepEqual(c.peers[0], {
      address: '172.30.0.254',
      asn: 65000,
      holdTime: 9,
      passive: false,
      maxPrefixes: 500,
      source: 'config',
    });
    assert.deepEqual(c.peers[1]?.import, [{ prefix: '10.96.0.0/12', le: 32, action: 'permit' }]);
  });

  it('applies defaults for optional keys', () => {
    const c = parseConfig('nodeName: n\nasn: 4200000000\nrouterId: 10.0.0.1\npodCIDRs: [10.244.7.0/24]\n');
    assert.deepEqual(c.clusterCIDRs, []);
    assert.deepEqual(c.listen, { address: '0.0.0.0', port: 179 });
    assert.deepEqual(c.api, { listen: '127.0.0.1:9179' });
    assert.deepEqual(c.peers, []);
    assert.equal(c.asn, 4200000000, '4-octet ASNs are accepted');
  });

  const base = GOOD.split('\n');
  /** Replace line `n` (1-based) of GOOD. */
  const withLine = (n: number, text: string) => base.map((l, i) => (i === n - 1 ? text : l)).join('\n');

  const cases: [string, string, RegExp][] = [
    ['unknown top-level key', GOOD + 'colour: blue\n', /:20: colour: unknown key/],
    ['unknown peer key', withLine(13, '    pasive: false'), /:13: peers\[0\]\.pasive: unknown key/],
    ['ASN not a number', withLine(3, 'asn: sixty'), /:3: asn: must be an integer, got "sixty"/],
    ['ASN zero', withLine(3, 'asn: 0'), /:3: asn: must be in 1\.\.4294967295, got 0/],
    ['ASN too big', withLine(3, 'asn: 4294967296'), /asn: must be in 1\.\.4294967295/],
    ['peer ASN wrong type', withLine(11, '    asn: [1]'), /:11: peers\[0\]\.asn: must be a number/],
    ['bad router id', withLine(4, 'routerId: 172.30.0'), /:4: routerId: must be a dotted-quad IPv4 address/],
    ['IPv6 router id', withLine(4, 'routerId: "fd00::1"'), /routerId: must be a dotted-quad/],
    [
      'zero router id',
      withLine(4, 'routerId: 0.0.0.0'),
      /:4: routerId: must not be 0\.0\.0\.0 \(a BGP Identifier is non-zero, RFC 6286\)/,
    ],
    ['bad CIDR', withLine(5, 'podCIDRs: [10.244.1.0/33]'), /:5: podCIDRs\[0\]: "10.244.1.0\/33": IPv4 prefix length/],
    [
      'host bits set',
      withLine(5, 'podCIDRs: [10.244.1.5/24]'),
      /podCIDRs\[0\]: "10.244.1.5\/24" has host bits set \(did you mean 10\.244\.1\.0\/24\?\)/,
    ],
    ['not a CIDR', withLine(6, 'clusterCIDRs: [banana]'), /:6: clusterCIDRs\[0\]: "banana" is not a CIDR/],
    [
      'pod CIDR outside cluster',
      withLine(5, 'podCIDRs: [10.245.1.0/24]'),
      /podCIDRs\[0\]: 10\.245\.1\.0\/24 is not inside any of clusterCIDRs/,
    ],
    ['podCIDRs not a list', withLine(5, 'podCIDRs: 10.244.1.0/24'), /:5: podCIDRs: must be a list/],
    ['empty podCIDRs', withLine(5, 'podCIDRs: []'), /podCIDRs: must list at least one prefix/],
    ['missing nodeName', withLine(2, '# gone'), /nodeName: is required/],
    ['bad nodeName', withLine(2, 'nodeName: Node_1'), /:2: nodeName: must be a DNS-1123 name/],
    ['hold time 2', withLine(12, '    holdTime: 2'), /:12: peers\[0\]\.holdTime: must be 0 or 3\.\.65535/],
    ['hold time too big', withLine(12, '    holdTime: 70000'), /peers\[0\]\.holdTime: must be in 0\.\.65535/],
    ['passive not bool', withLine(13, '    passive: "yes"'), /:13: peers\[0\]\.passive: must be true or false/],
    [
      'bad peer address',
      withLine(10, '  - address: 172.30.0.256'),
      /:10: peers\[0\]\.address: must be an IPv4 or IPv6 address/,
    ],
    [
      'duplicate peer',
      withLine(15, '  - address: 172.30.0.254'),
      /peers\[1\]\.address: duplicate peer address 172\.30\.0\.254 \(also peers\[0\]\)/,
    ],
    [
      'listen port',
      withLine(7, 'listen: { address: 0.0.0.0, port: 99999 }'),
      /:7: listen\.port: must be in 0\.\.65535/,
    ],
    ['api listen', withLine(8, 'api: { listen: "localhost" }'), /:8: api\.listen: "localhost" is not host:port/],
    [
      'rule action',
      withLine(19, '      - { prefix: 10.96.0.0/12, le: 32, action: allow }'),
      /:19: peers\[1\]\.import\[0\]\.action: must be "permit" or "deny"/,
    ],
    [
      'rule le shorter than prefix',
      withLine(19, '      - { prefix: 10.96.0.0/12, le: 8, action: permit }'),
      /peers\[1\]\.import\[0\]\.le: must be in 12\.\.32/,
    ],
    ['duplicate key', GOOD + 'asn: 1\n', /:20: asn: duplicate key/],
    ['YAML syntax', withLine(3, 'asn: [64512'), /YAML syntax error/],
    ['not a mapping', '- a\n- b\n', /the config must be a YAML mapping/],
  ];
  for (const [what, text, expected] of cases) {
    it(`rejects: ${what}`, () => {
      assert.throws(
        () => parseConfig(text, 'gannet.yaml'),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError, `ConfigError expected, got ${err}`);
          assert.equal(err.code, 'ERR_GANNET_CONFIG');
          assert.match(err.message, expected);
          assert.match(err.message, /^gannet\.yaml/);
          return true;
        },
      );
    });
  }

  it('names the file when it cannot be read, and reads a real file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gannet-cfg-'));
    try {
      assert.throws(() => loadConfigFile(join(dir, 'missing.yaml')), /missing\.yaml: cannot read config file/);
      writeFileSync(join(dir, 'ok.yaml'), GOOD);
      assert.equal(loadConfigFile(join(dir, 'ok.yaml')).routerId, '172.30.0.1');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('natOutgoing, natExclude and policy.files; errors name key and line', () => {
    const base = 'nodeName: n1\nasn: 64512\nrouterId: 10.0.0.1\npodCIDRs: [10.244.1.0/24]\n';
    const c = parseConfig(`${base}natOutgoing: false\nnatExclude: [192.168.0.0/16]\npolicy: {files: [/etc/p.yaml]}\n`);
    assert.equal(c.natOutgoing, false);
    assert.deepEqual(c.natExclude, ['192.168.0.0/16']);
    assert.deepEqual(c.policy, { files: ['/etc/p.yaml'] });
    assert.equal(parseConfig(base).natOutgoing, undefined, 'the default (on) is the engine’s');
    for (const [text, message] of [
      ['natOutgoing: yes-please\n', 'line 5: natOutgoing: must be true or false, got "yes-please"'],
      ['natExclude: [192.168.0.1/16]\n', 'line 5: natExclude[0]: '],
      ['policy: {file: [a.yaml]}\n', 'line 5: policy.file: unknown key (allowed here: files, podsFile)'],
      ['policy: {files: a.yaml}\n', 'line 5: policy.files: must be a list'],
      ['policy:\n  files: ["", b]\n', 'line 6: policy.files[0]: must not be empty'],
    ] as const) {
      assert.throws(
        () => parseConfig(base + text),
        (e: Error) => e instanceof ConfigError && e.message.includes(message),
        `${text} → ${message}`,
      );
    }
  });
});
