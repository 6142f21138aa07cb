// The fake API server itself, spoken to with plain HTTP: the protocol details the other tests rely on.
import assert from 'node:assert/strict';
import type { Obj } from './fake-api-objects.js';
import { FakeApiServer } from './fake-apiserver.js';
import { node, RESOURCES } from './helpers.js';

const STATUS = '/apis/gannet.dev/v1/gannetnodestatuses';
const json = async (res: Response | Promise<Response>): Promise<Obj> => (await (await res).json()) as Obj;

/** Reads a watch stream until `count` events arrived (or the stream ended), then cancels it. */
async function readEvents(url: string, count: number): Promise<{ type: string; object: Record<string, unknown> }[]> {
  const res = await fetch(url);
  assert.equal(res.status, 200);
  const reader = res.body!.getReader();
  const events: { type: string; object: Record<string, unknown> }[] = [];
  let buf = '';
  while (events.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += Buffer.from(value).toString('utf8');
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      events.push(JSON.parse(buf.slice(0, nl)));
      buf = buf.slice(nl + 1);
      nl = buf.indexOf('\n');
    }
  }
  await reader.cancel();
  return events;
}

describe('test double: FakeApiServer', function () {
  this.timeout(5000);
  let s: FakeApiServer;
  beforeEach(async () => {
    s = await FakeApiServer.start(RESOURCES, { audit: false });
    s.put('nodes', node('n1', '10.0.0.1', ['10.244.1.0/24']));
  });
  afterEach(() => s.close());

  it('lists with the current resourceVersion, watches from one, and starts a watch without one with ADDED', async () => {
    const list = await json(fetch(`${s.url}/api/v1/nodes`));
    assert.equal(list.kind, 'NodeList');
    assert.equal(list.metadata.resourceVersion, String(s.resourceVersion));
    const rv = list.metadata.resourceVersion;
    s.put('nodes', node('n2', '10.0.0.2', ['10.244.2.0/24']));
    s.remove('nodes', 'n1');
    const after = await readEvents(`${s.url}/api/v1/nodes?watch=1&resourceVersion=${rv}`, 2);
    assert.deepEqual(
      after.map((e) => `${e.type} ${(e.object.metadata as { name: string }).name}`),
      ['ADDED n2', 'DELETED n1'],
    );
    const fresh = await readEvents(`${s.url}/api/v1/nodes?watch=true`, 1);
    assert.deepEqual(
      fresh.map((e) => `${e.type} ${(e.object.metadata as { name: string }).name}`),
      ['ADDED n2'],
    );
  });

  it('answers a compacted resourceVersion with 410 Gone, as an ERROR event or an HTTP status', async () => {
    const rv = s.resourceVersion - 1;
    s.compact();
    const [ev] = await readEvents(`${s.url}/api/v1/nodes?watch=1&resourceVersion=${rv}`, 1);
    assert.equal(ev!.type, 'ERROR');
    assert.equal(ev!.object.code, 410);
    assert.equal(ev!.object.reason, 'Expired');
    s.expiredAs = 'status';
    const res = await fetch(`${s.url}/api/v1/nodes?watch=1&resourceVersion=${rv}`);
    assert.equal(res.status, 410);
    assert.equal((await json(res)).reason, 'Expired');
  });

  it('sends bookmarks only to watches that asked for them', async () => {
    const url = `${s.url}/api/v1/nodes?watch=1&resourceVersion=${s.resourceVersion}`;
    const withBookmarks = readEvents(`${url}&allowWatchBookmarks=true`, 1);
    const without = fetch(url);
    while (s.watchCount() < 2) await new Promise((r) => setTimeout(r, 5));
    s.bookmark();
    const [bm] = await withBookmarks;
    assert.equal(bm!.type, 'BOOKMARK');
    assert.deepEqual(bm!.object.metadata, { resourceVersion: String(s.resourceVersion) });
    s.endWatches();
    assert.equal(await (await without).text(), '');
  });

  it('create, replace with optimistic concurrency, merge-patch, delete', async () => {
    const body = (o: unknown) => ({ body: JSON.stringify(o), headers: { 'content-type': 'application/json' } });
    const obj = {
      metadata: { name: 'n1' },
      status: { node: 'n1', sessions: [], advertisedPrefixes: [], updatedAt: '2026-01-01T00:00:00Z', summary: 'a' },
    };
    const created = await fetch(`${s.url}${STATUS}`, { method: 'POST', ...body(obj) });
    assert.equal(created.status, 201);
    const stored = await json(created);
    assert.equal((await fetch(`${s.url}${STATUS}`, { method: 'POST', ...body(obj) })).status, 409);
    assert.equal((await fetch(`${s.url}${STATUS}/n1`, { method: 'PUT', ...body(obj) })).status, 422);
    const stale = { ...obj, metadata: { name: 'n1', resourceVersion: '1' } };
    assert.equal((await fetch(`${s.url}${STATUS}/n1`, { method: 'PUT', ...body(stale) })).status, 409);
    const ok = await fetch(`${s.url}${STATUS}/n1`, { method: 'PUT', ...body({ ...obj, metadata: stored.metadata }) });
    assert.equal(ok.status, 200);
    const patch = { status: { summary: null, lastError: 'x', unknownField: 1 } };
    const jsonPatch = await fetch(`${s.url}${STATUS}/n1`, { method: 'PATCH', ...body(patch) });
    assert.equal(jsonPatch.status, 415, 'only merge-patch is spoken');
    const merged = await fetch(`${s.url}${STATUS}/n1`, {
      method: 'PATCH',
      body: JSON.stringify(patch),
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    assert.deepEqual(
      (await json(merged)).status,
      { node: 'n1', sessions: [], advertisedPrefixes: [], updatedAt: '2026-01-01T00:00:00Z', lastError: 'x' },
      'merged, and the unknown field pruned',
    );
    assert.equal((await fetch(`${s.url}${STATUS}/n1`, { method: 'DELETE' })).status, 200);
    assert.equal((await fetch(`${s.url}${STATUS}/n1`)).status, 404);
    assert.deepEqual(
      s.calls.map((c) => `${c.verb} ${c.status}`),
      [
        'create 201',
        'create 409',
        'update 422',
        'update 409',
        'update 200',
        'patch 415',
        'patch 200',
        'delete 200',
        'get 404',
      ],
    );
  });

  it('forbids, injects failures, and 404s unknown resources', async () => {
    s.forbid('list', 'nodes');
    assert.equal((await fetch(`${s.url}/api/v1/nodes`)).status, 403);
    s.allow('list', 'nodes');
    s.failNext('list', 'nodes', 500);
    assert.equal((await fetch(`${s.url}/api/v1/nodes`)).status, 500);
    assert.equal((await fetch(`${s.url}/api/v1/nodes`)).status, 200);
    assert.equal((await fetch(`${s.url}/api/v1/pods`)).status, 404);
    assert.equal((await fetch(`${s.url}/apis/gannet.dev/v2/bgppeers`)).status, 404);
  });

  it('goes away and comes back on the same port', async () => {
    const port = s.port;
    await s.outage();
    await assert.rejects(fetch(`${s.url}/api/v1/nodes`));
    await s.restore();
    assert.equal(s.port, port);
    assert.equal((await fetch(`${s.url}/api/v1/nodes`)).status, 200);
  });
});
