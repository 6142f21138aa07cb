// Shared by the routes e2e suites: a throwaway namespace whose next hops resolve, and readers of its routing table.
import { type Netns, TestNet } from '../src/netns.js';

export interface KernelJsonRoute {
  type?: string;
  dst: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  metric?: number;
  flags?: string[];
  nexthops?: { gateway?: string; dev?: string; weight?: number }[];
}

/**
 * A namespace with a veth pair (v0 ↔ v1, both inside it) carrying 192.0.2.1/24 and 2001:db8::1/64, so gateways
 * 192.0.2.x and 2001:db8::x are directly connected; 198.51.100.0/24 is unreachable.
 */
export function routesNamespace(tag: string): { net: TestNet; ns: Netns } {
  const net = new TestNet(tag);
  try {
    const ns = net.ns('n');
    ns.ip('link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
    ns.ip('addr', 'add', '192.0.2.1/24', 'dev', 'v0');
    ns.ip('addr', 'add', '2001:db8::1/64', 'dev', 'v0', 'nodad');
    ns.ip('link', 'set', 'v0', 'up');
    ns.ip('link', 'set', 'v1', 'up');
    return { net, ns };
  } catch (err) {
    net.cleanupSync();
    throw err;
  }
}

/** `ip -j -N route show` in the namespace (IPv4, or IPv6 with family 6), with extra filter words. */
export function kernelRoutes(ns: Netns, family: 4 | 6, ...filter: string[]): KernelJsonRoute[] {
  const out = ns.run('ip', ['-j', '-N', ...(family === 6 ? ['-6'] : []), 'route', 'show', ...filter]);
  return out.trim() ? (JSON.parse(out) as KernelJsonRoute[]) : [];
}

/** Destinations of protocol `proto` in table `table`, both families, sorted. */
export function dstsOf(ns: Netns, proto: number, table = 'main'): string[] {
  return [4, 6]
    .flatMap((f) => kernelRoutes(ns, f as 4 | 6, 'table', table, 'proto', `${proto}`))
    .map((r) => r.dst)
    .sort();
}

/** Runs lines through `ip -batch -` in the namespace (throws on the first failure). */
export function ipBatch(ns: Netns, lines: readonly string[]): void {
  ns.run('ip', ['-batch', '-'], { input: `${lines.join('\n')}\n`, timeoutMs: 60_000 });
}
