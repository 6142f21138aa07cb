// Runs CNI plugins the way a container runtime does: exec the binary inside the node's namespace with the CNI_*
// variables and PATH only, the network configuration on stdin; chains a conflist by injecting prevResult.
// Shared by the cni-*.test.ts suites and e2e/bench/cni.bench.ts.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The single executable that `pnpm build` writes. */
export const GANNET_CNI = fileURLToPath(new URL('../../../dist/bin/gannet-cni', import.meta.url));
export const REFERENCE_PLUGINS = '/usr/lib/cni';
/** The PATH a runtime passes; deliberately without Node.js. */
export const RUNTIME_PATH = '/usr/local/sbin:/usr/sbin:/sbin:/usr/bin:/bin';

export function requireGannetCni(): string {
  if (!existsSync(GANNET_CNI)) {
    throw new Error(`${GANNET_CNI} is missing: run \`pnpm build\` (tsc -b && node scripts/build-bins.mjs) first`);
  }
  return GANNET_CNI;
}

export interface PluginCall {
  /** The plugin executable. */
  readonly bin: string;
  /** Name of the node's network namespace (the plugin runs there: the "host" side). */
  readonly nodeNs: string;
  readonly command: 'ADD' | 'DEL' | 'CHECK' | 'VERSION' | 'GC' | 'STATUS';
  readonly containerId?: string;
  /** CNI_NETNS, a path like /run/netns/NAME. */
  readonly netns?: string;
  readonly ifname?: string;
  readonly conf: unknown;
  /** Extra environment (for example the crash-injection hook). */
  readonly extraEnv?: Record<string, string>;
}

export interface PluginReply {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as JSON, when it is JSON. */
  readonly json: Record<string, unknown> | undefined;
  readonly ms: number;
}

export function pluginEnv(call: PluginCall): Record<string, string> {
  const env: Record<string, string> = {
    PATH: RUNTIME_PATH,
    CNI_COMMAND: call.command,
    CNI_PATH: REFERENCE_PLUGINS,
    ...call.extraEnv,
  };
  if (call.containerId !== undefined) env.CNI_CONTAINERID = call.containerId;
  if (call.netns !== undefined) env.CNI_NETNS = call.netns;
  if (call.ifname !== undefined) env.CNI_IFNAME = call.ifname;
  return env;
}

/**
 * Execs the plugin inside the node namespace (`nsenter --net=/run/netns/NODE`, which execs the plugin with exactly
 * the environment given). Resolves when it exits; the timing covers nsenter + plugin.
 */
export function execPlugin(call: PluginCall): Promise<PluginReply> {
  const stdin = typeof call.conf === 'string' ? call.conf : JSON.stringify(call.conf);
  const start = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn('/usr/bin/nsenter', [`--net=/run/netns/${call.nodeNs}`, call.bin], {
        env: pluginEnv(call),
        stdio: ['pipe', 'pipe', 'pipe'],
      });
    } catch (err) {
      reject(err);
      return;
    }
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr?.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000); // generous: 200 DELs serialise on the kernel
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (status, signal) => {
      clearTimeout(timer);
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      let json: Record<string, unknown> | undefined;
      try {
        json = stdout.trim() ? (JSON.parse(stdout) as Record<string, unknown>) : undefined;
      } catch {
        json = undefined;
      }
      resolve({ status, signal, stdout, stderr, json, ms });
    });
    child.stdin?.on('error', () => {}); // EPIPE: a program that exits without reading stdin (hello, VERSION)
    child.stdin?.end(stdin);
  });
}

export interface ConfList {
  readonly cniVersion: string;
  readonly name: string;
  readonly plugins: readonly Record<string, unknown>[];
}

function pluginBin(type: string): string {
  return type === 'gannet-cni' ? GANNET_CNI : `${REFERENCE_PLUGINS}/${type}`;
}

/** The netconf a runtime derives for one plugin of a conflist (spec "Deriving execution configuration"). */
export function derivedConf(
  list: ConfList,
  plugin: Record<string, unknown>,
  prevResult: unknown,
  runtimeConfig: Record<string, unknown>,
): Record<string, unknown> {
  const caps = (plugin.capabilities ?? {}) as Record<string, boolean>;
  const rc: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(runtimeConfig)) if (caps[k]) rc[k] = v;
  const { capabilities: _drop, ...rest } = plugin;
  return {
    ...rest,
    cniVersion: list.cniVersion,
    name: list.name,
    ...(Object.keys(rc).length > 0 && { runtimeConfig: rc }),
    ...(prevResult !== undefined && { prevResult }),
  };
}

export interface Attach {
  readonly nodeNs: string;
  readonly containerId: string;
  readonly netns: string;
  readonly ifname: string;
  readonly runtimeConfig?: Record<string, unknown>;
}

async function mustSucceed(type: string, command: string, p: Promise<PluginReply>): Promise<PluginReply> {
  const r = await p;
  if (r.status !== 0) throw new Error(`${type} ${command} failed (${r.status ?? r.signal}): ${r.stdout} ${r.stderr}`);
  return r;
}

/** ADD through a conflist: each plugin in order, the previous result injected; returns the final result. */
export async function chainAdd(list: ConfList, a: Attach): Promise<Record<string, unknown>> {
  let prev: Record<string, unknown> | undefined;
  for (const plugin of list.plugins) {
    const type = String(plugin.type);
    const conf = derivedConf(list, plugin, prev, a.runtimeConfig ?? {});
    const r = await mustSucceed(type, 'ADD', execPlugin({ bin: pluginBin(type), command: 'ADD', ...a, conf }));
    if (!r.json) throw new Error(`${type} ADD printed no result: ${r.stdout}`);
    prev = r.json;
  }
  if (!prev) throw new Error('empty conflist');
  return prev;
}

/** CHECK through a conflist: each plugin in order with the final ADD result; returns each plugin's reply. */
export async function chainCheck(
  list: ConfList,
  a: Attach,
  result: unknown,
): Promise<{ type: string; reply: PluginReply }[]> {
  const replies: { type: string; reply: PluginReply }[] = [];
  for (const plugin of list.plugins) {
    const type = String(plugin.type);
    const conf = derivedConf(list, plugin, result, a.runtimeConfig ?? {});
    replies.push({ type, reply: await execPlugin({ bin: pluginBin(type), command: 'CHECK', ...a, conf }) });
  }
  return replies;
}

/** DEL through a conflist: plugins in reverse order, with the final ADD result when known. */
export async function chainDel(list: ConfList, a: Attach, result?: unknown): Promise<void> {
  for (const plugin of [...list.plugins].reverse()) {
    const type = String(plugin.type);
    const conf = derivedConf(list, plugin, result, a.runtimeConfig ?? {});
    await mustSucceed(type, 'DEL', execPlugin({ bin: pluginBin(type), command: 'DEL', ...a, conf }));
  }
}

/** The first IP address of an ADD reply's result, without its prefix length ('' when there is none). */
export function podAddress(reply: PluginReply): string {
  const ips = reply.json?.ips as { address?: string }[] | undefined;
  return ips?.[0]?.address?.split('/')[0] ?? '';
}
