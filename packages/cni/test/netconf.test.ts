import assert from 'node:assert/strict';
import { CniCode, CniError } from '../src/errors.js';
import { DEFAULT_DATA_DIR, DEFAULT_NODE_STATE_FILE, parseEnv, parseNetConf, peekVersion } from '../src/netconf.js';

const base = { cniVersion: '1.1.0', name: 'gannet', type: 'gannet-cni' };
const conf = (extra: Record<string, unknown> = {}) => JSON.stringify({ ...base, ...extra });

function rejects(fn: () => unknown, code: number, msg: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof CniError, `a CniError, got ${err}`);
    assert.equal(err.code, code, err.message);
    assert.match(err.message, msg);
    return true;
  });
}

describe('netconf: parseNetConf', () => {
  it('reads a full configuration', () => {
    const c = parseNetConf(
      conf({ podCIDR: '10.244.1.0/24', mtu: 1400, dataDir: '/tmp/x', nodeStateFile: '/tmp/s.json', prevResult: {} }),
      'ADD',
    );
    assert.equal(c.cniVersion, '1.1.0');
    assert.equal(c.name, 'gannet');
    assert.deepEqual(
      c.podCIDRs.map((p) => p.text),
      ['10.244.1.0/24'],
    );
    assert.equal(c.mtu, 1400);
    assert.equal(c.dataDir, '/tmp/x');
    assert.equal(c.nodeStateFile, '/tmp/s.json');
    assert.deepEqual(c.prevResult, {});
  });

  it('applies defaults and ignores keys the runtime adds', () => {
    const c = parseNetConf(conf({ runtimeConfig: { portMappings: [] }, args: {}, capabilities: {}, ipam: {} }), 'ADD');
    assert.equal(c.dataDir, DEFAULT_DATA_DIR);
    assert.equal(c.nodeStateFile, DEFAULT_NODE_STATE_FILE);
    assert.deepEqual(c.podCIDRs, []);
    assert.equal(c.mtu, undefined);
  });

  for (const v of ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0']) {
    it(`accepts cniVersion ${v}`, () => assert.equal(parseNetConf(conf({ cniVersion: v }), 'ADD').cniVersion, v));
  }

  it('rejects bad JSON with code 6', () => {
    rejects(() => parseNetConf('{"cniVersion": ', 'ADD'), CniCode.DecodeFailure, /not valid JSON/);
    rejects(() => parseNetConf('[1]', 'ADD'), CniCode.DecodeFailure, /JSON object/);
    rejects(() => parseNetConf('', 'ADD'), CniCode.DecodeFailure, /not valid JSON/);
  });

  it('rejects an unknown version with code 1 naming the supported ones', () => {
    rejects(
      () => parseNetConf(conf({ cniVersion: '0.2.0' }), 'ADD'),
      CniCode.IncompatibleVersion,
      /0\.3\.0, 0\.3\.1, 0\.4\.0, 1\.0\.0, 1\.1\.0/,
    );
    rejects(() => parseNetConf(conf({ cniVersion: '9.9.9' }), 'ADD'), CniCode.IncompatibleVersion, /"9\.9\.9"/);
  });

  it('rejects a command the version does not have with code 1 (CHECK from 0.4.0, GC and STATUS from 1.1.0)', () => {
    for (const v of ['0.3.0', '0.3.1']) {
      rejects(
        () => parseNetConf(conf({ cniVersion: v }), 'CHECK'),
        CniCode.IncompatibleVersion,
        /does not allow CHECK/,
      );
    }
    for (const v of ['0.3.1', '0.4.0', '1.0.0']) {
      for (const cmd of ['GC', 'STATUS'] as const) {
        rejects(
          () => parseNetConf(conf({ cniVersion: v }), cmd),
          CniCode.IncompatibleVersion,
          new RegExp(`config version ${v} does not allow ${cmd} \\(it needs cniVersion 1\\.1\\.0`),
        );
      }
    }
    assert.equal(parseNetConf(conf({ cniVersion: '0.4.0' }), 'CHECK').cniVersion, '0.4.0');
    assert.equal(parseNetConf(conf({ cniVersion: '0.3.0' }), 'DEL').cniVersion, '0.3.0');
    assert.equal(parseNetConf(conf(), 'STATUS').cniVersion, '1.1.0');
  });

  it('rejects an ipam section with code 2 naming the field', () => {
    rejects(
      () => parseNetConf(conf({ ipam: { type: 'host-local' } }), 'ADD'),
      CniCode.UnsupportedField,
      /ipam=\{"type":"host-local"\}/,
    );
  });

  const invalid: [string, Record<string, unknown>, RegExp][] = [
    ['missing cniVersion', { cniVersion: undefined }, /cniVersion is missing/],
    ['missing name', { name: undefined }, /name must be/],
    ['a name with a slash', { name: '../etc' }, /name must be/],
    ['another type', { type: 'bridge' }, /type is "bridge"/],
    ['a podCIDR that is no prefix', { podCIDR: '10.244.1.0' }, /podCIDR must be an IPv4 or IPv6 prefix/],
    ['a podCIDR with host bits', { podCIDR: '10.244.1.1/24' }, /host bits zero/],
    ['a podCIDR octet over 255', { podCIDR: '10.256.1.0/24' }, /IPv4 or IPv6 prefix/],
    ['a /31 podCIDR', { podCIDR: '10.244.1.0/31' }, /between \/8 and \/30/],
    [
      'an IPv6 podCIDR too long for the IPAM',
      { podCIDR: 'fd00::/121' },
      /podCIDR fd00::\/121 must be between \/16 and \/120 to hold pods \(the IPAM needs at least 8 host bits\)/,
    ],
    ['an IPv6 podCIDR shorter than /16', { podCIDR: 'fd00::/15' }, /between \/16 and \/120/],
    ['an IPv6 podCIDR with host bits', { podCIDR: 'fd00::1/64' }, /host bits zero/],
    ['a link-local IPv6 podCIDR', { podCIDR: 'fe80::/64' }, /special-use range link-local \(fe80::\/10\)/],
    ['an IPv4-mapped podCIDR', { podCIDR: '::ffff:10.0.0.0/120' }, /special-use range IPv4-mapped/],
    ['a multicast IPv6 podCIDR', { podCIDR: 'ff02::/64' }, /special-use range multicast/],
    ['podCIDRs not a list', { podCIDRs: '10.0.0.0/24' }, /podCIDRs must be a non-empty array/],
    ['an empty podCIDRs', { podCIDRs: [] }, /podCIDRs must be a non-empty array/],
    [
      'two IPv4 podCIDRs',
      { podCIDRs: ['10.0.0.0/24', '10.0.1.0/24'] },
      /podCIDRs\[1\] 10\.0\.1\.0\/24 is a second IPv4 pod CIDR \(podCIDRs\[0\] is 10\.0\.0\.0\/24\)/,
    ],
    [
      'podCIDR and podCIDRs of one family',
      { podCIDR: 'fd00::/64', podCIDRs: ['fd01::/64'] },
      /podCIDRs\[0\] fd01::\/64 is a second IPv6 pod CIDR \(podCIDR is fd00::\/64\)/,
    ],
    ['a bad podCIDRs entry', { podCIDRs: ['10.0.0.0/24', 'fd00::/200'] }, /podCIDRs\[1\] must be an IPv4 or IPv6/],
    ['a loopback podCIDR', { podCIDR: '127.0.0.0/24' }, /127\.0\.0\.0\/24 overlaps the special-use range loopback/],
    ['a link-local podCIDR', { podCIDR: '169.254.1.0/24' }, /special-use range link-local \(169\.254\.0\.0\/16\)/],
    ['a multicast podCIDR', { podCIDR: '239.1.0.0/16' }, /special-use range multicast \(224\.0\.0\.0\/4\)/],
    ['a podCIDR in 0.0.0.0/8', { podCIDR: '0.0.1.0/24' }, /special-use range "this network"/],
    ['a class E podCIDR', { podCIDR: '255.255.255.0/24' }, /special-use range reserved and broadcast/],
    ['a podCIDR covering link-local', { podCIDR: '169.0.0.0/8' }, /special-use range link-local/],
    ['a small mtu', { mtu: 20 }, /mtu must be an integer from 68/],
    ['a string mtu', { mtu: '1500' }, /mtu must be/],
    ['a relative dataDir', { dataDir: 'var/lib' }, /dataDir must be an absolute path/],
    ['a relative nodeStateFile', { nodeStateFile: 'x.json' }, /nodeStateFile must be an absolute path/],
    ['a prevResult that is no object', { prevResult: [] }, /prevResult must be a JSON object/],
  ];
  for (const [what, extra, msg] of invalid) {
    it(`rejects ${what} with code 7`, () =>
      rejects(() => parseNetConf(conf(extra), 'ADD'), CniCode.InvalidNetworkConfig, msg));
  }

  it('reads cni.dev/valid-attachments for GC and rejects malformed entries', () => {
    const c = parseNetConf(conf({ 'cni.dev/valid-attachments': [{ containerID: 'a', ifname: 'eth0' }] }), 'GC');
    assert.deepEqual(c.validAttachments, [{ containerId: 'a', ifname: 'eth0' }]);
    assert.deepEqual(parseNetConf(conf(), 'GC').validAttachments, []);
    const legacy = parseNetConf(conf({ 'cni.dev/attachments': [{ containerID: 'b', ifname: 'net1' }] }), 'GC');
    assert.deepEqual(legacy.validAttachments, [{ containerId: 'b', ifname: 'net1' }]);
    rejects(
      () => parseNetConf(conf({ 'cni.dev/valid-attachments': [{ containerID: 1 }] }), 'GC'),
      CniCode.InvalidNetworkConfig,
      /valid-attachments\[0\]/,
    );
    rejects(
      () => parseNetConf(conf({ 'cni.dev/valid-attachments': {} }), 'GC'),
      CniCode.InvalidNetworkConfig,
      /must be an array/,
    );
  });

  it('peekVersion reports in the request version when it is supported, else 1.1.0', () => {
    assert.equal(peekVersion(conf({ cniVersion: '0.4.0' })), '0.4.0');
    assert.equal(peekVersion(conf({ cniVersion: '0.2.0' })), '1.1.0');
    assert.equal(peekVersion('nope'), '1.1.0');
  });
});

describe('netconf: parseEnv', () => {
  const env = { CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'abc-1', CNI_NETNS: '/run/netns/p', CNI_IFNAME: 'eth0' };

  it('reads the variables of each command', () => {
    assert.deepEqual(parseEnv(env), { command: 'ADD', containerId: 'abc-1', netns: '/run/netns/p', ifname: 'eth0' });
    assert.equal(parseEnv({ ...env, CNI_COMMAND: 'DEL', CNI_NETNS: undefined }).netns, '');
    assert.equal(parseEnv({ CNI_COMMAND: 'VERSION' }).command, 'VERSION');
    assert.equal(parseEnv({ CNI_COMMAND: 'GC' }).command, 'GC');
    assert.equal(parseEnv({ CNI_COMMAND: 'STATUS' }).command, 'STATUS');
  });

  const bad: [string, Record<string, string | undefined>, RegExp][] = [
    ['no CNI_COMMAND', { CNI_COMMAND: undefined }, /CNI_COMMAND is missing.*container runtime/],
    ['an unknown command', { CNI_COMMAND: 'UP' }, /"UP" is not one of ADD, DEL/],
    ['no CNI_CONTAINERID', { CNI_CONTAINERID: undefined }, /CNI_CONTAINERID is missing/],
    ['a container ID with a slash', { CNI_CONTAINERID: 'a/b' }, /CNI_CONTAINERID "a\/b"/],
    ['no CNI_NETNS on ADD', { CNI_NETNS: undefined }, /CNI_NETNS is missing/],
    ['a relative CNI_NETNS', { CNI_NETNS: 'netns/p' }, /must be an absolute path/],
    ['no CNI_IFNAME', { CNI_IFNAME: undefined }, /CNI_IFNAME is missing/],
    ['a 16-character CNI_IFNAME', { CNI_IFNAME: 'a234567890123456' }, /longer than 15/],
    ['a CNI_IFNAME with a slash', { CNI_IFNAME: 'e/0' }, /not a valid interface name/],
    ['CNI_IFNAME ..', { CNI_IFNAME: '..' }, /not a valid interface name/],
  ];
  for (const [what, extra, msg] of bad) {
    it(`rejects ${what} with code 4`, () =>
      rejects(() => parseEnv({ ...env, ...extra }), CniCode.InvalidEnvironment, msg));
  }

  it('CHECK needs CNI_NETNS too', () =>
    rejects(() => parseEnv({ ...env, CNI_COMMAND: 'CHECK', CNI_NETNS: '' }), CniCode.InvalidEnvironment, /NETNS/));
});
