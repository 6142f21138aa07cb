// Reflector paths the fake API server cannot reach: a Watch that throws before sending any request.
import assert from 'node:assert/strict';
import type { Watch } from '@kubernetes/client-node';
import type { KubernetesError } from '../../src/kubernetes/kubernetes-error.js';
import { Reflector } from '../../src/kubernetes/reflector.js';
import type { KubeObject } from '../../src/kubernetes/resources.js';
import { CountingBackoff, FakeClock } from './helpers.js';

type OnEvent = (type: string, obj: unknown) => void;

describe('kubernetes/Reflector with a stub Watch', () => {
  it('a watch() that throws is reported and retried after backoff, then events flow', async () => {
    const clock = new FakeClock();
    let calls = 0;
    let deliver: OnEvent | undefined;
    const watch = {
      watch: async (_path: string, _q: unknown, onEvent: OnEvent) => {
        calls++;
        if (calls === 1) throw new Error('unable to read the token file');
        deliver = onEvent;
        return new AbortController();
      },
    } as unknown as Watch;
    const failures: KubernetesError[] = [];
    let changes = 0;
    let recovered = 0;
    const r = new Reflector<KubeObject>(
      {
        resource: 'things',
        path: '/apis/x/v1/things',
        list: async () => ({
          items: [{ metadata: { name: 'a', resourceVersion: '1' } }],
          metadata: { resourceVersion: '1' },
        }),
        watch,
        clock,
        backoff: new CountingBackoff(500),
        watchTimeoutSeconds: 300,
      },
      { changed: () => changes++, failed: (e) => failures.push(e), recovered: () => recovered++ },
    );
    r.start();
    for (let i = 0; i < 5 && failures.length === 0; i++) await new Promise((res) => setImmediate(res));
    assert.equal(failures.length, 1);
    assert.match(failures[0]!.message, /^watch things: API server unreachable \(unable to read the token file\)/);
    assert.equal(changes, 1, 'the list went through');
    clock.advance(500);
    for (let i = 0; i < 5 && recovered === 0; i++) await new Promise((res) => setImmediate(res));
    assert.equal(calls, 2);
    assert.equal(recovered, 1);
    deliver!('ADDED', { metadata: { name: 'b', resourceVersion: '2' } });
    assert.deepEqual([...r.items.keys()], ['a', 'b']);
    assert.equal(r.resourceVersion, '2');
    r.stop();
  });
});
