// The `gannet` executable as a shell runs it: a reader that closes the pipe early, exit statuses.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { repoRoot } from './kubernetes/helpers.js';

export const GANNET_BIN = join(repoRoot(), 'dist', 'bin', 'gannet');

/** Runs dist/bin/gannet; `onStdout` sees the stdout stream (to close it early). Bounded by `timeoutMs`. */
export function runGannet(
  args: string[],
  opts: { onStdout?: (out: NodeJS.ReadableStream & { destroy(): void }) => void; timeoutMs?: number } = {},
): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(GANNET_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    opts.onStdout?.(child.stdout);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gannet ${args.join(' ')} did not finish; stderr: ${stderr}`));
    }, opts.timeoutMs ?? 15_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

describe('controller: the gannet executable', function () {
  this.timeout(20_000);
  let server: Server;
  let api: string;
  before(async () => {
    // A status API with a large table: the answer is far more than a pipe's 64 KiB buffer.
    const routes = Array.from({ length: 20_000 }, (_, i) => ({
      prefix: `10.${(i >> 8) & 255}.${i & 255}.0/24`,
      nexthops: ['172.30.0.2'],
      source: 'bgp',
      installed: true,
    }));
    const body: Record<string, string> = {
      '/api/v1/peers': '[]',
      '/api/v1/routes': JSON.stringify(routes),
      '/api/v1/routes/summary': JSON.stringify({ routes: 20_000, local: 0, bgp: 20_000, installed: 20_000, failed: 0 }),
      '/readyz': '{"status":"ready"}',
    };
    server = createServer((req, res) => {
      const b = body[(req.url ?? '').split('?')[0] ?? ''];
      res.writeHead(b ? 200 : 404, { 'content-type': 'application/json' }).end(b ?? '{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise((r) => server.close(r)));

  it('`gannet status | head`: the reader closing the pipe ends the output quietly, exit 0, no stack trace', async () => {
    const r = await runGannet(['status', '--api', api, '--all'], {
      // `head` reads a little, then exits: its end of the pipe closes while gannet still writes.
      onStdout: (out) => out.once('data', () => out.destroy()),
    });
    assert.equal(r.stderr, '');
    assert.equal(r.signal, null);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Gannet agent at/);
  });

  it('exit statuses: 0 for help, 2 for a usage error, 1 for an error; each error one line', async () => {
    const help = await runGannet(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Exit status: 0 .* 1 .* 2 a usage error; 3 /s);
    const usage = await runGannet(['agent', '--bogus']);
    assert.equal(usage.code, 2);
    assert.equal(usage.stderr.split('\n').length, 2, usage.stderr);
    const err = await runGannet(['status', '--api', 'http://127.0.0.1:1']);
    assert.equal(err.code, 1);
    assert.match(err.stderr, /^gannet status: cannot reach the agent's status API at http:\/\/127\.0\.0\.1:1 .*\n$/);
  });
});
