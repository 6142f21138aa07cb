// Datapath cost of policy enforcement for the policy benchmark: pod-to-pod TCP throughput (iperf3) and new-connection
// rate between two Gannet-routed pods on one node, with (1) no ruleset, (2) Gannet's table for N policies, (3) a
// linear iptables ruleset for the same policies as iptables CNIs without ipsets build it: in FORWARD one jump per
// (policy, selected pod) into a chain with one rule per peer address, the server's own rules last (the worst case
// for a linear list; ports are left out, which only makes the linear variant cheaper).
import { spawnSync } from 'node:child_process';
import type { PolicyModel } from '@gannet/policy';
import { waitFor } from './netns.js';
import type { PolicyLab } from './policy-lab.js';

export const SERVER_IP = '10.245.0.2';
export const CLIENT_IP = '10.245.0.3';

/** The linear iptables-restore text for the ingress side of a compiled model; the server's pod comes last. */
export function linearIptables(model: PolicyModel, server: string): { text: string; rules: number } {
  const lines = ['*filter', ':FORWARD ACCEPT [0:0]'];
  const body: string[] = ['-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT'];
  const chainNames = new Map<string, string>();
  const ingress = [...model.sets.get('ingress-pods')!.elements].sort(
    ([a], [b]) => Number(a === server) - Number(b === server),
  );
  for (const [ip, verdict] of ingress) {
    const group = model.chains.get(verdict.replace(/^jump /, ''))!;
    for (const r of group.rules) {
      if (r.verdict.kind !== 'jump') continue;
      const pol = r.verdict.chain;
      let name = chainNames.get(pol);
      if (!name) {
        name = `GP${chainNames.size}`;
        chainNames.set(pol, name);
        lines.push(`:${name} - [0:0]`);
        for (const rule of model.chains.get(pol)!.rules) {
          const peer = rule.match.find((m) => m.kind === 'addr-in-set');
          if (peer?.kind !== 'addr-in-set') {
            body.push(`-A ${name} -j ACCEPT`);
            continue;
          }
          for (const src of model.sets.get(peer.set)!.elements.keys()) body.push(`-A ${name} -s ${src} -j ACCEPT`);
        }
      }
      body.push(`-A FORWARD -d ${ip} -j ${name}`);
    }
    body.push(`-A FORWARD -d ${ip} -j DROP`);
  }
  return { text: `${[...lines, ...body, 'COMMIT'].join('\n')}\n`, rules: body.length };
}

/** iperf3 -t seconds from client to server; Gbit/s. */
export function iperf(lab: PolicyLab, seconds: number): number {
  const ns = lab.podNs.get('bench/client')!.name;
  const r = spawnSync('ip', ['netns', 'exec', ns, 'iperf3', '-c', SERVER_IP, '-t', String(seconds), '-J'], {
    encoding: 'utf8',
    timeout: (seconds + 15) * 1000,
  });
  const bps = (JSON.parse(r.stdout || '{}') as { end?: { sum_received?: { bits_per_second?: number } } }).end
    ?.sum_received?.bits_per_second;
  if (!bps) throw new Error(`iperf3 failed: ${r.stderr || r.stdout.slice(0, 300)}`);
  return bps / 1e9;
}

const CONNECT_LOOP = `
const net = require('node:net');
const [host, port, ms] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
const end = Date.now() + ms;
let n = 0;
const one = () => {
  if (Date.now() >= end) { console.log(n); return; }
  const s = net.createConnection({ host, port }, () => { n++; s.resetAndDestroy(); one(); });
  s.on('error', (e) => { console.error(e.message); process.exit(1); });
};
one();
`;

/** New TCP connections per second from client to server (sequential connect + RST for `ms`: a RST leaves no
 * TIME_WAIT behind, so later rounds do not run out of ports). */
export function connectRate(lab: PolicyLab, ms: number): number {
  const ns = lab.podNs.get('bench/client')!.name;
  const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, '-e', CONNECT_LOOP, SERVER_IP, '80', String(ms)], {
    encoding: 'utf8',
    timeout: ms + 15_000,
  });
  if (r.status !== 0) throw new Error(`connect loop failed: ${r.stderr}`);
  return Number(r.stdout.trim()) / (ms / 1000);
}

/** Starts iperf3 -s and a TCP accept-and-close server on port 80 in the server pod. */
export async function startServers(lab: PolicyLab): Promise<void> {
  const ns = lab.podNs.get('bench/server')!;
  lab.net.spawn(ns, 'iperf3', ['-s', '-p', '5201']);
  const srv = "require('node:net').createServer((s) => { s.on('error', () => {}); s.end(); }).listen(80);";
  lab.net.spawn(ns, process.execPath, ['-e', srv]);
  const listening = () => {
    const out = ns.tryRun('ss', ['-Htln']).stdout;
    return out.includes(':5201') && /:80\s/.test(out);
  };
  await waitFor('bench servers listening', listening, { timeoutMs: 10_000, intervalMs: 100 });
}
