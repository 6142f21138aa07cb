// WatchClient against a hand-written HTTP server: the edges the fake API server does not produce.
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { WatchClient, WatchHttpError } from '../../src/kubernetes/watch-client.js';
import { eventually, kubeConfigFor } from './helpers.js';

describe('kubernetes/WatchClient', () => {
  let server: Server;
  let handler: (res: ServerResponse, url: URL) => void;
  let client: WatchClient;
  before(async () => {
    server = createServer((req, res) => handler(res, new URL(req.url ?? '/', 'http://x')));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  after(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    client = new WatchClient(kubeConfigFor(`http://127.0.0.1:${(server.address() as { port: number }).port}`));
  });
  afterEach(() => client.destroy());

  it('passes the query, skips lines that are not JSON, and reports a clean end as done(null)', async () => {
    let query = '';
    handler = (res, url) => {
      query = url.search;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"type":"ADDED","object":{"metadata":{"name":"a"}}}\nnot json\n{"type":"BOOK');
      res.end('MARK","object":{"metadata":{"resourceVersion":"7"}}}\n');
    };
    const events: string[] = [];
    let done: unknown = 'pending';
    await client.watch(
      '/api/v1/nodes',
      { resourceVersion: '5', timeoutSeconds: 300, skip: undefined },
      (t) => events.push(t),
      (e) => {
        done = e;
      },
    );
    await eventually(() => assert.equal(done, null));
    assert.deepEqual(events, ['ADDED', 'BOOKMARK']);
    assert.equal(query, '?watch=true&resourceVersion=5&timeoutSeconds=300');
  });

  it('a refusal carries the status code, the Status reason and message, and Retry-After', async () => {
    handler = (res) => {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '4' });
      res.end(JSON.stringify({ kind: 'Status', reason: 'TooManyRequests', message: 'slow down', code: 429 }));
    };
    let done: unknown;
    await client.watch(
      '/api/v1/nodes',
      {},
      () => {},
      (e) => {
        done = e;
      },
    );
    assert.ok(done instanceof WatchHttpError, 'done() before watch() resolves');
    assert.deepEqual(
      [done.statusCode, done.reason, done.message, done.retryAfterSeconds],
      [429, 'TooManyRequests', 'slow down', 4],
    );
  });

  it('gives up on a stream that went quiet for longer than its idle timeout (TimeoutError)', async () => {
    handler = (res) => {
      res.writeHead(200);
      res.flushHeaders(); // and then nothing
    };
    client.idleTimeoutMs = 50;
    let done: unknown;
    await client.watch(
      '/api/v1/nodes',
      {},
      () => {},
      (e) => {
        done = e;
      },
    );
    await eventually(() => assert.equal((done as Error)?.name, 'TimeoutError'));
  });

  it('list(): the JSON, a refusal with its Status and Retry-After, and an answer that is not JSON', async () => {
    let answer: [number, Record<string, string>, string] = [200, {}, '{"items":[],"metadata":{"resourceVersion":"9"}}'];
    let query = '';
    handler = (res, url) => {
      query = url.search;
      res.writeHead(answer[0], answer[1]);
      res.end(answer[2]);
    };
    const ok = await client.list<{ metadata: { resourceVersion: string } }>('/api/v1/nodes', {
      resourceVersion: '5',
      resourceVersionMatch: 'NotOlderThan',
      limit: undefined,
    });
    assert.equal(ok.metadata.resourceVersion, '9');
    assert.equal(query, '?resourceVersion=5&resourceVersionMatch=NotOlderThan');
    answer = [
      504,
      { 'retry-after': '2' },
      JSON.stringify({
        kind: 'Status',
        reason: 'Timeout',
        message: 'Too large',
        details: { causes: [{ reason: 'ResourceVersionTooLarge' }] },
      }),
    ];
    await assert.rejects(client.list('/api/v1/nodes', {}), (e: unknown) => {
      assert.ok(e instanceof WatchHttpError);
      assert.deepEqual([e.statusCode, e.reason, e.message, e.retryAfterSeconds], [504, 'Timeout', 'Too large', 2]);
      assert.deepEqual((e.body as { details: unknown }).details, { causes: [{ reason: 'ResourceVersionTooLarge' }] });
      return true;
    });
    answer = [200, {}, '<html>proxy error</html>'];
    await assert.rejects(client.list('/api/v1/nodes', {}), /^Error: list \/api\/v1\/nodes: the answer is not JSON/);
  });

  it('an abort by the caller ends it quietly', async () => {
    handler = (res) => {
      res.writeHead(200);
      res.flushHeaders();
    };
    let done: unknown = 'pending';
    const ctrl = await client.watch(
      '/api/v1/nodes',
      {},
      () => {},
      (e) => {
        done = e;
      },
    );
    ctrl.abort();
    await eventually(() => assert.notEqual(done, 'pending'));
    assert.equal(done, null);
  });
});
