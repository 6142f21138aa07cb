// The last configuration Kubernetes mode derived, kept on the node so that an agent (re)starting while the API server
// is away can bring BGP up from it. /run is a tmpfs: the file lives as long as the node's boot, which is what makes it
// trustworthy (a Node's pod CIDR never changes while it exists; a reboot re-registers and starts empty).
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AgentConfig } from '../config/types.js';

export const DEFAULT_SAVED_CONFIG_FILE = '/run/gannet/kubernetes-config.json';

const FORMAT = 'gannet.dev/saved-config/v1';

export interface SavedConfig {
  config: AgentConfig;
  /** When it was derived from the API (ISO 8601). */
  savedAt: string;
}

/**
 * Atomic: a temp file in the same directory, mode 0600 (it names peers and addresses), flushed, then renamed over the
 * old one — a crash leaves the old file or the new one, never half of one.
 */
export function writeSavedConfig(path: string, config: AgentConfig, now = new Date()): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  const body = `${JSON.stringify({ format: FORMAT, savedAt: now.toISOString(), config })}\n`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, body);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

/**
 * The saved config for `nodeName`, or undefined when there is none. A file that is not ours, of another node, or not
 * a complete config throws an Error saying so (the caller logs it and goes on without).
 */
export function readSavedConfig(path: string, nodeName: string): SavedConfig | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let doc: { format?: unknown; savedAt?: unknown; config?: Partial<AgentConfig> };
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new Error(`${path}: not JSON (${(err as Error).message})`);
  }
  if (doc?.format !== FORMAT) throw new Error(`${path}: not a saved Gannet config (format ${String(doc?.format)})`);
  const c = doc.config;
  const complete =
    typeof c === 'object' &&
    c !== null &&
    typeof c.nodeName === 'string' &&
    Number.isInteger(c.asn) &&
    typeof c.routerId === 'string' &&
    Array.isArray(c.podCIDRs) &&
    c.podCIDRs.length > 0 &&
    Array.isArray(c.clusterCIDRs) &&
    Array.isArray(c.peers) &&
    typeof c.listen?.address === 'string' &&
    Number.isInteger(c.listen?.port) &&
    typeof c.api?.listen === 'string';
  if (!complete) throw new Error(`${path}: an incomplete config`);
  if (c.nodeName !== nodeName) throw new Error(`${path}: saved for node ${c.nodeName}, not ${nodeName}`);
  return { config: c as AgentConfig, savedAt: typeof doc.savedAt === 'string' ? doc.savedAt : 'unknown' };
}
