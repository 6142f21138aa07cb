// Writes the node state file that gannet-cni reads when its netconf has no podCIDR (format owned by @gannet/cni).
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { DEFAULT_NODE_STATE_FILE, type NodeState } from '@gannet/cni';

export { DEFAULT_NODE_STATE_FILE };

/** Written atomically (temp file + rename) so the plugin never reads half a file. */
export function writeNodeState(path: string, state: Omit<NodeState, 'updatedAt'>, now = new Date()): NodeState {
  const full: NodeState = { ...state, updatedAt: now.toISOString() };
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(full, null, 2)}\n`, { mode: 0o644 });
  renameSync(tmp, path);
  return full;
}
