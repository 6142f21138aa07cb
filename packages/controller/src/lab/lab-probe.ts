// Probes between lab pods: one probe helper per namespace (probe-helper.ts, the `gannet` program itself), and the
// all-pairs reachability matrix printed as the upstream sig-network netpol suite prints its truth tables
// ("." reachable, "X" blocked; rows are the clients, columns the servers).
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { gannetCommand } from '../bin/self.js';
import type { ProbeReply, ProbeRequest } from './probe-helper.js';

export type ProbeProtocol = 'tcp' | 'udp' | 'sctp';

/** A probe helper running in one network namespace. */
export class ProbeHelper {
  private next = 1;
  private readonly waiting = new Map<number, (r: ProbeReply) => void>();
  private readonly child: ChildProcess;
  readonly ready: Promise<void>;

  constructor(
    readonly ns: string,
    ports: number[],
    lifetimeSeconds = 120,
    bind?: string,
  ) {
    const g = gannetCommand();
    this.child = spawn(
      'ip',
      [
        'netns',
        'exec',
        ns,
        g.file,
        ...g.args,
        'lab',
        'probe-helper',
        '--ports',
        ports.join(','),
        '--lifetime',
        String(lifetimeSeconds),
        ...(bind ? ['--bind', bind] : []),
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let stderr = '';
    this.child.stderr!.on('data', (d: Buffer) => {
      stderr += d;
    });
    this.ready = new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`probe helper in ${ns} not ready after 20 s: ${stderr}`)), 20_000);
      this.child.once('exit', (code) => {
        clearTimeout(t);
        reject(new Error(`probe helper in ${ns} exited (${code}): ${stderr.trim()}`));
        for (const w of this.waiting.values()) w({ ok: false, error: 'helper exited' });
        this.waiting.clear();
      });
      createInterface({ input: this.child.stdout! }).on('line', (line) => {
        let m: ProbeReply & { ready?: boolean };
        try {
          m = JSON.parse(line) as ProbeReply & { ready?: boolean };
        } catch {
          return;
        }
        if (m.ready) {
          clearTimeout(t);
          resolve();
        } else if (m.id !== undefined) this.waiting.get(m.id)?.(m);
      });
    });
    this.ready.catch(() => {});
  }

  request(req: Omit<ProbeRequest, 'id'>): Promise<ProbeReply> {
    const id = this.next++;
    return new Promise((resolve) => {
      if (this.child.exitCode !== null || !this.child.stdin?.writable) {
        resolve({ ok: false, error: 'helper exited' });
        return;
      }
      this.waiting.set(id, (r) => {
        this.waiting.delete(id);
        resolve(r);
      });
      this.child.stdin.write(`${JSON.stringify({ id, ...req })}\n`);
    });
  }

  /** One probe: can this namespace open `protocol` to host:port? */
  probe(host: string, port: number, protocol: ProbeProtocol, timeoutMs = 1000): Promise<ProbeReply> {
    return this.request({ op: protocol, host, port, timeoutMs });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.stdin?.end();
    const t = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(t);
  }
}

export interface MatrixPod {
  /** namespace/name, as the matrix labels it */
  key: string;
  ns: string;
  ip: string;
}

/** Every pod probes every pod (itself included); `limit` probes at once. Returns from → to → reachable. */
export async function probeAll(
  pods: MatrixPod[],
  helpers: Map<string, ProbeHelper>,
  port: number,
  protocol: ProbeProtocol,
  opts: { timeoutMs?: number; limit?: number } = {},
): Promise<Map<string, Map<string, boolean>>> {
  const out = new Map<string, Map<string, boolean>>();
  const jobs: (() => Promise<void>)[] = [];
  for (const from of pods) {
    const row = new Map<string, boolean>();
    out.set(from.key, row);
    for (const to of pods) {
      jobs.push(async () => {
        const r = await helpers.get(from.key)!.probe(to.ip, port, protocol, opts.timeoutMs ?? 1000);
        row.set(to.key, r.ok);
      });
    }
  }
  const limit = opts.limit ?? 24;
  let i = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, jobs.length) }, async () => {
      while (i < jobs.length) await jobs[i++]!();
    }),
  );
  return out;
}

/** The upstream netpol suite's rendering: a header of servers, one row per client, "." reachable, "X" blocked. */
export function renderMatrix(keys: string[], m: Map<string, Map<string, boolean>>): string {
  const lines = [['-', ...keys].join('\t')];
  for (const from of keys) lines.push([from, ...keys.map((to) => (m.get(from)?.get(to) ? '.' : 'X'))].join('\t'));
  return `${lines.join('\n')}\n`;
}
