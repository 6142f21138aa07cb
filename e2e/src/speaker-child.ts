// Drives speaker-process.js from a test: spawn it inside a namespace, send commands, wait for events.
import { fileURLToPath } from 'node:url';
import type { Netns, SpawnedProcess, TestNet } from './netns.js';
import { waitFor } from './netns.js';
import type { SpeakerCommand, SpeakerProcessConfig } from './speaker-process.js';

export interface ChildEvent {
  type: string;
  [key: string]: unknown;
}

const SCRIPT = fileURLToPath(new URL('./speaker-process.js', import.meta.url));

export class SpeakerChild {
  readonly events: ChildEvent[] = [];
  private buf = '';

  private constructor(readonly proc: SpawnedProcess) {
    proc.child.stdout?.on('data', (chunk: Buffer) => {
      this.buf += chunk.toString();
      for (let i = this.buf.indexOf('\n'); i >= 0; i = this.buf.indexOf('\n')) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        try {
          this.events.push(JSON.parse(line) as ChildEvent);
        } catch {
          this.events.push({ type: 'garbage', line });
        }
      }
    });
  }

  /** Starts a speaker process in `ns` and waits until it listens. */
  static async start(
    net: TestNet,
    ns: Netns,
    cfg: SpeakerProcessConfig,
    nodeArgs: string[] = [],
  ): Promise<SpeakerChild> {
    const proc = net.spawn(ns, process.execPath, [...nodeArgs, SCRIPT, JSON.stringify(cfg)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const child = new SpeakerChild(proc);
    await child.waitEvent('speaker started', (e) => e.type === 'started', 15_000);
    return child;
  }

  get pid(): number {
    return this.proc.pid;
  }

  send(c: SpeakerCommand): void {
    this.proc.child.stdin?.write(`${JSON.stringify(c)}\n`);
  }

  /** Waits for an event (from `from` on) matching `pred`, and returns it. */
  async waitEvent(what: string, pred: (e: ChildEvent) => boolean, timeoutMs = 20_000, from = 0): Promise<ChildEvent> {
    let found: ChildEvent | undefined;
    const fatal = () => this.events.find((e) => e.type === 'fatal');
    await waitFor(
      what,
      () => {
        if (fatal()) throw new Error(`speaker process failed: ${String(fatal()?.message)}`);
        found = this.events.slice(from).find(pred);
        return found !== undefined;
      },
      { timeoutMs, intervalMs: 20 },
    ).catch((err: Error) => {
      throw new Error(`${err.message}\nspeaker output:\n${this.proc.output().slice(-3000)}`);
    });
    return found as ChildEvent;
  }

  /** Sends a command and waits for the reply of `type`. */
  async request<T extends ChildEvent>(c: SpeakerCommand, type: string): Promise<T> {
    const from = this.events.length;
    this.send(c);
    return (await this.waitEvent(`${type} reply`, (e) => e.type === type, 10_000, from)) as T;
  }

  async peer(address: string): Promise<Record<string, unknown> | undefined> {
    const r = await this.request<{ type: string; peers: Record<string, unknown>[] }>({ cmd: 'peers' }, 'peers');
    return r.peers.find((p) => p.address === address);
  }

  async peerState(address: string): Promise<string | undefined> {
    return (await this.peer(address))?.state as string | undefined;
  }

  async routes(): Promise<{ prefix: string; nexthops: string[]; best: { source: string } }[]> {
    const r = await this.request<{ type: string; routes: [] }>({ cmd: 'routes' }, 'routes');
    return r.routes;
  }

  /** Stops the speaker (graceful: no NOTIFICATION) and waits for the process to exit. */
  async stop(graceful = false): Promise<void> {
    this.send({ cmd: 'stop', graceful });
    await Promise.race([this.proc.exited, new Promise((r) => setTimeout(r, 5_000))]);
  }
}
