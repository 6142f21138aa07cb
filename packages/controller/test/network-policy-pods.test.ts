import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkPodCidr, IpamStore, type PodCidr } from '@gannet/cni';
import { FakeClock } from '@gannet/core/testing';
import { parsePodsFile } from '../src/network-policy/pods-file.js';
import { LocalPodsSource } from '../src/network-policy/pods-source.js';

const PREFIX = checkPodCidr('10.244.1.0/24') as PodCidr;

describe('controller: standalone pods for network policy', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gannet-pods-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('local pods from the CNI store, labels and ports from the pods file, other nodes’ pods as peers', () => {
    const store = new IpamStore(join(dir, 'ipam'), 'gannet');
    store.allocate({ containerId: 'c1', ifname: 'eth0' }, PREFIX, { namespace: 'x', name: 'a' }).done();
    store.allocate({ containerId: 'c2', ifname: 'eth0' }, PREFIX).done(); // a runtime without CNI_ARGS
    const podsFile = join(dir, 'pods.yaml');
    writeFileSync(
      podsFile,
      [
        'nodes:',
        '  - {name: n1, addresses: [172.30.0.1]}',
        '  - {name: n2, addresses: [172.30.0.2, "fd00::2"]}',
        'pods:',
        '  - {namespace: x, name: a, node: n1, labels: {pod: a}, ports: [{name: http, containerPort: 80}]}',
        '  - {namespace: x, name: gone, node: n1, ips: [10.244.1.77], labels: {pod: gone}}',
        '  - {namespace: y, name: b, node: n2, ips: [10.244.2.2], labels: {pod: b}}',
        '  - {namespace: y, name: h, node: n2, ips: [172.30.0.2], hostNetwork: true}',
        '',
      ].join('\n'),
    );
    const clock = new FakeClock();
    const src = new LocalPodsSource({
      nodeName: 'n1',
      dataDir: join(dir, 'ipam'),
      network: 'gannet',
      podsFile,
      watch: false,
      clock,
    });
    let changes = 0;
    src.start(() => changes++);
    assert.equal(changes, 1);
    assert.equal(src.synced(), true);
    assert.deepEqual(src.objects().nodeAddresses, ['172.30.0.1', '172.30.0.2'], 'IPv4 only (the tables are IPv4)');
    assert.deepEqual(src.objects().pods, [
      {
        namespace: 'x',
        name: 'a',
        ips: ['10.244.1.2'],
        local: true,
        labels: { pod: 'a' },
        ports: [{ name: 'http', containerPort: 80 }],
      },
      { namespace: 'default', name: 'c2', ips: ['10.244.1.3'], local: true },
      { namespace: 'y', name: 'b', ips: ['10.244.2.2'], local: false, labels: { pod: 'b' } },
      { namespace: 'y', name: 'h', ips: ['172.30.0.2'], local: false, hostNetwork: true },
    ]);
    // a pod wired and one deleted: seen at the next poll
    store.allocate({ containerId: 'c3', ifname: 'eth0' }, PREFIX, { namespace: 'x', name: 'gone' }).done();
    store.release({ containerId: 'c2', ifname: 'eth0' });
    clock.advance(2000);
    assert.equal(changes, 2);
    assert.deepEqual(
      src.objects().pods!.map((p) => `${p.namespace}/${p.name} ${p.ips} ${p.local}`),
      ['x/a 10.244.1.2 true', 'x/gone 10.244.1.4 true', 'y/b 10.244.2.2 false', 'y/h 172.30.0.2 false'],
    );
    clock.advance(2000);
    assert.equal(changes, 2, 'nothing changed, no callback');
    // a bad edit keeps the last good content
    writeFileSync(podsFile, 'pods:\n  - {namespace: x, name: a, labels: {n: 5}}\n');
    clock.advance(2000);
    assert.match(src.problems()[0]!, /pods\.yaml:2: pods\[0\]\.labels\.n: must be a string .*last good content stays/);
    assert.deepEqual(src.objects().nodeAddresses, ['172.30.0.1', '172.30.0.2'], 'kept too');
    assert.equal(src.objects().pods!.find((p) => p.name === 'a')!.labels!.pod, 'a');
    src.stop();
    assert.equal(clock.pending(), 0);
  });

  it('not synced until the pods file has been read once', () => {
    const clock = new FakeClock();
    const podsFile = join(dir, 'pods.yaml');
    const src = new LocalPodsSource({ nodeName: 'n1', dataDir: dir, network: 'g', podsFile, watch: false, clock });
    src.start(() => {});
    assert.equal(src.synced(), false);
    assert.match(src.problems()[0]!, /cannot read .*pods\.yaml: ENOENT/);
    writeFileSync(podsFile, 'pods: []\n');
    clock.advance(2000);
    assert.equal(src.synced(), true);
    assert.deepEqual(src.problems(), []);
    src.stop();
  });

  it('the pods file is strict: file, line and field', () => {
    const bad: [string, RegExp][] = [
      ['pods: {}\n', /p\.yaml:1: pods: must be a list$/],
      ['pod: []\n', /p\.yaml:1: pod: unknown key \(allowed here: pods, nodes\)$/],
      ['pods:\n  - {namespace: x}\n', /p\.yaml:2: pods\[0\]\.name: is required$/],
      ['pods:\n  - {namespace: X, name: a}\n', /p\.yaml:2: pods\[0\]\.namespace: "X" is not a DNS-1123 name$/],
      ['pods:\n  - name: a\n    namespace: x\n    ips: [10.1]\n', /p\.yaml:4: pods\[0\]\.ips\[0\]: must be an IP/],
      ['pods:\n  - {namespace: x, name: a, lables: {}}\n', /p\.yaml:2: pods\[0\]\.lables: unknown key/],
      [
        'pods:\n  - namespace: x\n    name: a\n    ports: [{name: a-very-long-port-name, containerPort: 80}]\n',
        /p\.yaml:4: pods\[0\]\.ports\[0\]\.name: must be an IANA service name/,
      ],
      [
        'pods:\n  - {namespace: x, name: a}\n  - {namespace: x, name: a}\n',
        /p\.yaml:3: pods\[1\]: pod x\/a is listed twice$/,
      ],
    ];
    for (const [text, re] of bad) assert.throws(() => parsePodsFile(text, 'p.yaml'), re, text);
    assert.deepEqual(parsePodsFile('', 'p.yaml'), []);
    assert.throws(
      () => parsePodsFile('nodes:\n  - {name: n1, addresses: [1.2.3]}\n', 'p.yaml'),
      /p\.yaml:2: nodes\[0\]\.addresses\[0\]: must be an IP address/,
    );
    assert.throws(
      () => parsePodsFile('nodes:\n  - {name: n1, adresses: []}\n', 'p.yaml'),
      /p\.yaml:2: nodes\[0\]\.adresses: unknown key/,
    );
  });
});
