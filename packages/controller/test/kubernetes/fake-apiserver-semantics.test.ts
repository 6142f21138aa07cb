// The fake API server's kube-apiserver semantics, spoken to with plain HTTP: lists at a resourceVersion, watch
// timeouts, Retry-After, the status subresource, CRD pruning and validation, garbage collection, server-side apply.
import assert from 'node:assert/strict';
import type { Obj } from './fake-api-objects.js';
import { FakeApiServer } from './fake-apiserver.js';
import { FakeClock, node, RESOURCES, settle } from './helpers.js';

const json = async (res: Response | Promise<Response>): Promise<Obj> => (await (await res).json()) as Obj;
const PEERS = '/apis/gannet.dev/v1/bgppeers';
const GNS = '/apis/gannet.dev/v1/gannetnodestatuses';
const names = (l: Obj) => l.items.map((i: Obj) => i.metadata.name).sort();

describe('test double: FakeApiServer semantics', function () {
  this.timeout(5000);
  let s: FakeApiServer;
  let clock: FakeClock;
  beforeEach(async () => {
    clock = new FakeClock();
    s = await FakeApiServer.start(RESOURCES, { audit: false, clock });
    s.put('nodes', node('n1', '10.0.0.1', ['10.244.1.0/24']));
  });
  afterEach(() => s.close());

  const send = (path: string, method: string, body: unknown, type = 'application/json') =>
    fetch(`${s.url}${path}`, { method, body: JSON.stringify(body), headers: { 'content-type': type } });
  const apply = (path: string, body: unknown, manager: string, force = false) =>
    send(`${path}?fieldManager=${manager}${force ? '&force=true' : ''}`, 'PATCH', body, 'application/apply-patch+yaml');

  it('lists: unset is a quorum read, "0" and NotOlderThan the watch cache, Exact a snapshot', async () => {
    const rv1 = s.resourceVersion;
    s.put('nodes', node('n2', '10.0.0.2', ['10.244.2.0/24']));
    const list = (q: string) => fetch(`${s.url}/api/v1/nodes${q}`);
    assert.deepEqual(names(await json(list(''))), ['n1', 'n2']);
    assert.deepEqual(names(await json(list('?resourceVersion=0'))), ['n1', 'n2']);
    assert.deepEqual(names(await json(list(`?resourceVersion=${rv1}&resourceVersionMatch=NotOlderThan`))), [
      'n1',
      'n2',
    ]);
    const exact = await json(list(`?resourceVersion=${rv1}&resourceVersionMatch=Exact`));
    assert.deepEqual(names(exact), ['n1'], 'the state as it was at rv1');
    assert.equal(exact.metadata.resourceVersion, String(rv1));
    assert.deepEqual(s.load, { ...s.load, quorumLists: 1, cacheLists: 3 });
    const tooNew = await list(`?resourceVersion=${s.resourceVersion + 5}&resourceVersionMatch=NotOlderThan`);
    assert.equal(tooNew.status, 504);
    assert.equal((await json(tooNew)).details.causes[0].reason, 'ResourceVersionTooLarge');
    s.compact();
    const old = await list(`?resourceVersion=${rv1}&resourceVersionMatch=Exact`);
    assert.equal(old.status, 410);
    assert.equal((await json(old)).reason, 'Expired');
    assert.equal((await list('?resourceVersionMatch=NotOlderThan')).status, 400);
    assert.equal((await list('?resourceVersion=0&resourceVersionMatch=Exact')).status, 400);
  });

  it('ends a watch after its timeoutSeconds on its clock, with a last bookmark when asked for', async () => {
    const res = await fetch(
      `${s.url}/api/v1/nodes?watch=1&resourceVersion=${s.resourceVersion}&timeoutSeconds=300&allowWatchBookmarks=true`,
    );
    assert.equal(s.watchCount(), 1);
    clock.advance(299_999);
    await settle(20);
    assert.equal(s.watchCount(), 1);
    clock.advance(1);
    const lines = (await res.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      lines.map((e) => [e.type, e.object.metadata.resourceVersion]),
      [['BOOKMARK', String(s.resourceVersion)]],
    );
    assert.equal(s.watchCount(), 0);
  });

  it('answers injected 429 and 504 with their Retry-After', async () => {
    s.failNext('list', 'nodes', 429, { retryAfter: 3 });
    s.failNext('watch', 'nodes', 504);
    const r429 = await fetch(`${s.url}/api/v1/nodes`);
    assert.equal(r429.status, 429);
    assert.equal(r429.headers.get('retry-after'), '3');
    assert.equal((await json(r429)).reason, 'TooManyRequests');
    const r504 = await fetch(`${s.url}/api/v1/nodes?watch=1`);
    assert.equal(r504.status, 504);
    assert.equal((await json(r504)).reason, 'Timeout');
  });

  it('the status subresource: a write to the object keeps its status, a write to /status changes only that', async () => {
    const n1 = s.get('nodes', 'n1')!;
    const put = await json(
      send('/api/v1/nodes/n1', 'PUT', { ...n1, metadata: { ...n1.metadata, labels: { a: 'b' } }, status: {} }),
    );
    assert.deepEqual(put.metadata.labels, { a: 'b' });
    assert.deepEqual(put.status, n1.status, 'status untouched');
    const st = await json(
      send('/api/v1/nodes/n1/status', 'PUT', { ...put, metadata: { ...put.metadata, labels: {} }, status: { x: 1 } }),
    );
    assert.deepEqual(st.status, { x: 1 });
    assert.deepEqual(st.metadata.labels, { a: 'b' }, 'labels untouched');
    assert.equal((await fetch(`${s.url}${PEERS}/p/status`, { method: 'PUT', body: '{}' })).status, 404);
  });

  it('prunes unknown fields and refuses what the CRD schema forbids (422, every violation named)', async () => {
    const created = await send(PEERS, 'POST', {
      metadata: { name: 'p' },
      spec: { peerAddress: '192.0.2.1', asn: 65000, color: 'blue' },
      extra: true,
    });
    assert.equal(created.status, 201);
    const p = await json(created);
    assert.deepEqual(p.spec, { peerAddress: '192.0.2.1', asn: 65000 });
    assert.equal(p.extra, undefined);
    const bad = await send(PEERS, 'POST', { metadata: { name: 'q' }, spec: { peerAddress: 'nope', asn: 0 } });
    assert.equal(bad.status, 422);
    const { message } = await json(bad);
    assert.match(message, /^BGPPeer "q" is invalid: /);
    assert.match(message, /\.spec\.asn: must be >= 1/);
    assert.match(message, /\.spec\.peerAddress/);
    assert.equal(s.get('bgppeers', 'q'), undefined);
  });

  it('collects objects whose owner is gone, and objects created with an owner uid that does not exist', async () => {
    const uid = s.get('nodes', 'n1')!.metadata.uid;
    const status = (name: string, owner: string) => ({
      metadata: { name, ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: owner }] },
      status: { node: name, sessions: [], advertisedPrefixes: [], updatedAt: '2026-01-01T00:00:00Z' },
    });
    assert.equal((await send(GNS, 'POST', status('owned', uid))).status, 201);
    assert.equal((await send(GNS, 'POST', status('stale', 'not-the-uid'))).status, 201);
    await settle(10);
    assert.deepEqual(s.collected, ['gannetnodestatuses/stale']);
    assert.ok(s.get('gannetnodestatuses', 'owned'));
    s.remove('nodes', 'n1');
    await settle(10);
    assert.deepEqual(s.collected, ['gannetnodestatuses/stale', 'gannetnodestatuses/owned']);
  });

  it('server-side apply: ownership per manager, conflicts unless forced, fields no longer applied removed', async () => {
    const path = `${PEERS}/p`;
    const peer = (spec: Obj, labels?: Obj) => ({
      apiVersion: 'gannet.dev/v1',
      kind: 'BGPPeer',
      metadata: { name: 'p', ...(labels ? { labels } : {}) },
      spec,
    });
    const a = await apply(path, peer({ peerAddress: '192.0.2.1', asn: 65000, holdTime: 30 }, { a: '1' }), 'alice');
    assert.equal(a.status, 201);
    // bob shares asn (same value: no conflict) and sets a field of his own
    assert.equal((await apply(path, peer({ asn: 65000, passive: true }), 'bob')).status, 200);
    // bob wants another holdTime: alice's field, a conflict
    const conflict = await apply(path, peer({ asn: 65000, passive: true, holdTime: 90 }), 'bob');
    assert.equal(conflict.status, 409);
    assert.match((await json(conflict)).message, /conflict with "alice": \.spec\.holdTime/);
    const forced = await json(apply(path, peer({ asn: 65000, passive: true, holdTime: 90 }), 'bob', true));
    assert.equal(forced.spec.holdTime, 90);
    // alice stops applying holdTime (bob's now: stays), her label and asn (bob still owns asn: stays)
    const after = await json(apply(path, peer({ peerAddress: '192.0.2.1' }), 'alice'));
    assert.deepEqual(after.spec, { peerAddress: '192.0.2.1', asn: 65000, holdTime: 90, passive: true });
    assert.equal(after.metadata.labels, undefined, 'her label went with her');
    const owners = Object.fromEntries(
      after.metadata.managedFields.map((m: Obj) => [m.manager, Object.keys(m.fieldsV1['f:spec'] ?? {}).sort()]),
    );
    assert.deepEqual(owners, { alice: ['f:peerAddress'], bob: ['f:asn', 'f:holdTime', 'f:passive'] });
    assert.equal((await send(`${path}?force=true`, 'PATCH', peer({}), 'application/apply-patch+yaml')).status, 422);
  });
});
