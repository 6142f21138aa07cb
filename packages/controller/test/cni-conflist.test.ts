import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from '../src/agent.js';
import { conflistTargetFromEnv, installConflist } from '../src/cni-conflist.js';
import { parseConfig } from '../src/config/load-config.js';
import { silentLogger } from '../src/log.js';
import { FakeRoutes, FakeSpeaker } from './fakes.js';

const CONFLIST = `{
  "cniVersion": "1.0.0",
  "name": "gannet",
  "plugins": [
    { "type": "gannet-cni" },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
`;
const CALICO = '{"cniVersion":"0.3.1","name":"k8s-pod-network","plugins":[{"type":"calico"}]}';

describe('controller: the CNI conflist, installed once the pod CIDR is known', () => {
  let dir: string;
  let netDir: string;
  let source: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gannet-conflist-'));
    netDir = join(dir, 'net.d');
    mkdirSync(netDir);
    mkdirSync(join(dir, 'cm'));
    source = join(dir, 'cm', '05-gannet.conflist');
    writeFileSync(source, CONFLIST);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('waits while the node has no IPv4 pod CIDR: nothing written, nothing removed', () => {
    writeFileSync(join(netDir, '10-gannet.conflist'), CONFLIST);
    assert.equal(installConflist({ source, netDir }, []), 'waiting');
    assert.equal(installConflist({ source, netDir }, ['fd00:10:244:1::/64']), 'waiting');
    assert.deepEqual(readdirSync(netDir), ['10-gannet.conflist']);
  });

  it('writes 05-gannet.conflist (mode 0600, no temp file left), then leaves it alone while unchanged', () => {
    assert.equal(installConflist({ source, netDir }, ['10.244.1.0/24']), 'written');
    assert.deepEqual(readdirSync(netDir), ['05-gannet.conflist']);
    const dest = join(netDir, '05-gannet.conflist');
    assert.equal(readFileSync(dest, 'utf8'), CONFLIST);
    assert.equal(statSync(dest).mode & 0o777, 0o600);
    const ino = statSync(dest).ino;
    assert.equal(installConflist({ source, netDir }, ['10.244.1.0/24']), 'unchanged');
    assert.equal(statSync(dest).ino, ino, 'not rewritten (runtimes watch the directory)');
    writeFileSync(source, CONFLIST.replace('1.0.0', '1.1.0'));
    assert.equal(installConflist({ source, netDir }, ['10.244.1.0/24']), 'written', 'a changed ConfigMap is applied');
    assert.match(readFileSync(dest, 'utf8'), /1\.1\.0/);
  });

  it('removes the name earlier versions installed when it is ours, and nobody else’s file', () => {
    writeFileSync(join(netDir, '10-gannet.conflist'), CONFLIST);
    writeFileSync(join(netDir, '10-calico.conflist'), CALICO);
    installConflist({ source, netDir }, ['10.244.1.0/24']);
    assert.deepEqual(readdirSync(netDir).sort(), ['05-gannet.conflist', '10-calico.conflist']);
    // a 10-gannet.conflist that is not a gannet-cni config (someone else's) stays
    writeFileSync(join(netDir, '10-gannet.conflist'), CALICO);
    installConflist({ source, netDir }, ['10.244.1.0/24']);
    assert.ok(readdirSync(netDir).includes('10-gannet.conflist'));
  });

  it('refuses a source that is not a gannet-cni conflist, and reports an unwritable directory (no temp file left)', () => {
    writeFileSync(source, CALICO);
    assert.throws(() => installConflist({ source, netDir }, ['10.244.1.0/24']), /is not a CNI config list whose first/);
    writeFileSync(source, '{not json');
    assert.throws(() => installConflist({ source, netDir }, ['10.244.1.0/24']), /gannet-cni/);
    assert.throws(() => installConflist({ source: join(dir, 'absent'), netDir }, ['10.244.1.0/24']), /ENOENT/);
    writeFileSync(source, CONFLIST);
    assert.throws(
      () => installConflist({ source, netDir: join(dir, 'no-such-dir') }, ['10.244.1.0/24']),
      /cannot install .*no-such-dir\/05-gannet\.conflist/,
    );
    if (process.getuid?.() !== 0) {
      chmodSync(netDir, 0o555);
      assert.throws(() => installConflist({ source, netDir }, ['10.244.1.0/24']), /cannot install/);
      chmodSync(netDir, 0o755);
    }
    assert.deepEqual(readdirSync(netDir), []);
  });

  it('is configured by GANNET_CNI_CONFLIST and GANNET_CNI_NET_DIR, both or nothing', () => {
    assert.deepEqual(conflistTargetFromEnv({ GANNET_CNI_CONFLIST: '/a/05-x.conflist', GANNET_CNI_NET_DIR: '/n' }), {
      source: '/a/05-x.conflist',
      netDir: '/n',
    });
    assert.equal(conflistTargetFromEnv({ GANNET_CNI_CONFLIST: '/a' }), undefined);
    assert.equal(conflistTargetFromEnv({}), undefined);
  });

  it('the agent installs it right after writing the node state, and logs (not throws) when it cannot', async () => {
    const config = (cidrs: string) =>
      parseConfig(`nodeName: n1\nasn: 64512\nrouterId: 172.30.0.1\npodCIDRs: [${cidrs}]\npeers: []\n`);
    const deps = (target: { source: string; netDir: string }) => ({
      speaker: new FakeSpeaker(),
      routes: new FakeRoutes(),
      logger: silentLogger(),
      writeState: () => {},
      cniConflist: target,
    });
    const agent = new Agent(config('10.244.1.0/24'), deps({ source, netDir }));
    await agent.start();
    assert.deepEqual(readdirSync(netDir), ['05-gannet.conflist']);
    await agent.stop();
    const broken = new Agent(config('10.244.1.0/24'), deps({ source: join(dir, 'absent'), netDir }));
    await broken.start();
    await broken.stop();
    assert.deepEqual(readdirSync(netDir), ['05-gannet.conflist'], 'the installed one untouched');
  });
});
