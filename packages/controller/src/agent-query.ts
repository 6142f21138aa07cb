// Asks a Gannet agent's status API from inside a network namespace ('' is this process's own): the lab's status and
// convergence checks, `gannet doctor` and `gannet lab web` all read agents this one way. With curl, one short process
// makes the three reads (polling 16 nodes with `gannet status`, a Node process each, kept two cores busy); without
// curl, `gannet status --json`.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import type { RouteView } from './agent.js';
import type { PeerView } from './api/server.js';
import { gannetCommand } from './bin/self.js';

const execFileP = promisify(execFile);

export interface AgentAnswer {
  ready: boolean;
  peers: PeerView[];
  routes: RouteView[];
}

const CURL_SEPARATOR = '\n--gannet-lab--';

async function run(ns: string, file: string, args: string[]): Promise<string> {
  const [cmd, all] = ns ? ['ip', ['netns', 'exec', ns, file, ...args]] : [file, args];
  const { stdout } = await execFileP(cmd, all, { encoding: 'utf8', timeout: 10_000, maxBuffer: 256 * 1024 * 1024 });
  return stdout;
}

/** Rejects when the agent does not answer. `api` is host:port as the agent listens inside `ns`. */
export async function queryAgent(ns: string, api = '127.0.0.1:9179'): Promise<AgentAnswer> {
  const base = `http://${api}`;
  if (hasCurl()) {
    const out = await run(ns, 'curl', [
      '-s',
      '-m',
      '5',
      '-w',
      `${CURL_SEPARATOR}%{http_code}\n`,
      `${base}/api/v1/peers`,
      `${base}/api/v1/routes`,
      `${base}/readyz`,
    ]);
    const parts = out.split(CURL_SEPARATOR);
    const code = (i: number) => Number(/^(\d+)/.exec(parts[i + 1] ?? '')?.[1] ?? 0);
    const body = (i: number) => (i === 0 ? parts[0]! : parts[i]!.replace(/^\d+\n/, ''));
    if (code(0) !== 200 || code(1) !== 200)
      throw new Error(`agent in ${ns || 'this namespace'} answered ${code(0)}/${code(1)}`);
    return {
      peers: JSON.parse(body(0)) as PeerView[],
      routes: JSON.parse(body(1)) as RouteView[],
      ready: code(2) === 200,
    };
  }
  const gannet = gannetCommand();
  const r = JSON.parse(await run(ns, gannet.file, [...gannet.args, 'status', '--json', '--api', base])) as AgentAnswer;
  return { ready: r.ready, peers: r.peers ?? [], routes: r.routes ?? [] };
}

let curl: boolean | undefined;
function hasCurl(): boolean {
  curl ??= ['/usr/bin/curl', '/bin/curl', '/usr/local/bin/curl'].some((f) => existsSync(f));
  return curl;
}
