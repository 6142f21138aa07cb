import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExponentialBackoff, systemClock } from '../../src/kubernetes/clock.js';
import { loadKubeConfig, nodeNameFromEnv } from '../../src/kubernetes/kube-config.js';

describe('kubernetes/loadKubeConfig and nodeNameFromEnv', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gannet-kubeconfig-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a kubeconfig file', () => {
    const file = join(dir, 'ok.yaml');
    writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{ name: c, cluster: { server: "https://192.0.2.10:6443" } }]',
        'users: [{ name: u, user: { token: t } }]',
        'contexts: [{ name: x, context: { cluster: c, user: u } }]',
        'current-context: x',
      ].join('\n'),
    );
    assert.equal(loadKubeConfig(file).getCurrentCluster()?.server, 'https://192.0.2.10:6443');
  });

  it('names the file when it cannot be read or has no cluster', () => {
    assert.throws(
      () => loadKubeConfig(join(dir, 'missing.yaml')),
      (e: Error & { code?: string }) => e.code === 'ERR_GANNET_K8S_CONFIG' && e.message.includes('missing.yaml'),
    );
    const empty = join(dir, 'empty.yaml');
    writeFileSync(empty, 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n');
    assert.throws(() => loadKubeConfig(empty), /no current cluster with a server/);
  });

  it('outside a pod, the in-cluster config fails with a hint', function () {
    if (process.env.KUBERNETES_SERVICE_HOST) this.skip(); // running inside a pod: in-cluster config is real
    assert.throws(
      () => loadKubeConfig(),
      /not running in a pod \(KUBERNETES_SERVICE_HOST unset\); pass --kubeconfig FILE/,
    );
  });

  it('NODE_NAME is required', () => {
    assert.equal(nodeNameFromEnv({ NODE_NAME: ' node1 ' }), 'node1');
    assert.throws(() => nodeNameFromEnv({}), /NODE_NAME is not set/);
  });
});

describe('kubernetes/ExponentialBackoff and systemClock', () => {
  it('doubles up to the maximum, with jitter below the nominal delay, and resets', () => {
    const b = new ExponentialBackoff({ initialMs: 1000, maxMs: 8000, jitter: 0.5, random: () => 0 });
    assert.deepEqual([b.next(), b.next(), b.next(), b.next(), b.next()], [1000, 2000, 4000, 8000, 8000]);
    b.reset();
    assert.equal(b.next(), 1000);
    const j = new ExponentialBackoff({ initialMs: 1000, jitter: 0.5, random: () => 1 });
    assert.equal(j.next(), 500);
  });

  it('systemClock timers fire and can be cancelled', async () => {
    let fired = 0;
    const h = systemClock.setTimeout(() => fired++, 0);
    systemClock.clearTimeout(systemClock.setTimeout(() => fired++, 0));
    await new Promise((r) => setTimeout(r, 5));
    assert.equal(fired, 1);
    systemClock.clearTimeout(h);
    const a = systemClock.now();
    assert.ok(systemClock.now() >= a, 'monotonic (performance.now, not Date.now)');
    assert.ok((h as NodeJS.Timeout).hasRef(), 'a retry timer keeps the process alive');
  });
});
