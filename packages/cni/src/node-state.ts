// The node state file the agent writes (default /run/gannet/node-state.json):
// { "nodeName": "node1", "podCIDRs": ["10.244.1.0/24"], "mtu": 1500, "updatedAt": "ISO-8601" }.
// When the netconf has no podCIDR(s) the plugin takes podCIDRs from here: one per family (IPv4, IPv6 or both).
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { CniCode, CniError } from './errors.js';
import { podCidrsOf } from './netconf.js';
import type { PodCidr } from './pod-cidr.js';

export interface NodeState {
  readonly nodeName: string;
  readonly podCIDRs: readonly string[];
  readonly mtu?: number;
  readonly updatedAt: string;
}

/** What the plugin takes from the node state: the pod CIDRs (one per family) and the agent's MTU, if it set one. */
export interface NodeNetwork {
  readonly podCIDRs: readonly PodCidr[];
  readonly mtu?: number;
}

function notReady(file: string, why: string): CniError {
  return new CniError(
    CniCode.TryAgainLater,
    `no pod CIDR for this node yet: ${why}; the gannet agent writes ${file} when it starts (or set podCIDR in the CNI config)`,
    `nodeStateFile ${file}`,
  );
}

const MAX_STATE_BYTES = 64 * 1024;

/**
 * Reads a small regular file, never blocking: opened O_NONBLOCK (a FIFO without a writer does not stall the open),
 * anything but a regular file refused (ENOTREG), at most 64 KiB (EFBIG beyond: /dev/zero ends at once).
 */
export function readSmallFile(path: string): string {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    if (!fstatSync(fd).isFile()) throw Object.assign(new Error(`${path} is not a regular file`), { code: 'ENOTREG' });
    const buf = Buffer.allocUnsafe(MAX_STATE_BYTES + 1);
    let n = 0;
    for (let got = 1; got > 0 && n <= MAX_STATE_BYTES; n += got) {
      got = readSync(fd, buf, n, MAX_STATE_BYTES + 1 - n, null);
    }
    if (n > MAX_STATE_BYTES) throw Object.assign(new Error(`${path} is over 64 KiB`), { code: 'EFBIG' });
    return buf.toString('utf8', 0, n);
  } finally {
    closeSync(fd);
  }
}

/** Reads the node's pod CIDRs from the agent's state file; code 11 when the agent has not written it (yet). */
export function readNodeState(file: string, read: (path: string) => string = readSmallFile): NodeNetwork {
  let text: string;
  try {
    text = read(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTREG' || code === 'EFBIG') {
      throw new CniError(
        CniCode.InvalidNetworkConfig,
        `nodeStateFile ${(err as Error).message}: not a node state file`,
      );
    }
    throw notReady(file, code === 'ENOENT' ? `${file} does not exist` : `cannot read ${file} (${code ?? err})`);
  }
  let state: Partial<NodeState>;
  try {
    state = JSON.parse(text) as Partial<NodeState>;
  } catch {
    throw notReady(file, `${file} is not valid JSON`);
  }
  const cidrs: unknown[] = Array.isArray(state?.podCIDRs) ? state.podCIDRs : [];
  if (cidrs.length === 0) throw notReady(file, `${file} lists no entry in podCIDRs`);
  const podCIDRs = podCidrsOf(
    cidrs.map((value, i) => ({ value, key: `podCIDRs[${i}] in ${file}` })),
    true,
  );
  const mtu = state.mtu;
  return Number.isInteger(mtu) && (mtu as number) >= 68 && (mtu as number) <= 65535
    ? { podCIDRs, mtu: mtu as number }
    : { podCIDRs };
}
