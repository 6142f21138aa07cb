// Installs the CNI network configuration for the container runtime once this node's pod CIDR is known. Before that
// the node has no CNI configuration, so the runtime reports NetworkReady=false, the kubelet keeps the node NotReady
// and no pod is scheduled onto a network that would answer every ADD with "try again later".
//
// The DaemonSet gives the agent the conflist (its ConfigMap) and the host's /etc/cni/net.d through two variables:
// GANNET_CNI_CONFLIST (the file to install, its base name kept: 05-gannet.conflist sorts before 10-containerd-net,
// 10-calico and 05-cilium… so the runtime, which takes the first file by name, picks it) and GANNET_CNI_NET_DIR.
// Written as a temp file in the same directory (a name runtimes skip: no .conf/.conflist/.json ending) and renamed,
// so the runtime never reads half a file; not rewritten when unchanged (runtimes watch the directory). The names
// earlier versions installed (10-gannet.conflist) are removed when they hold a gannet-cni configuration.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/** Names earlier versions of Gannet installed the conflist under. */
export const OLD_CONFLIST_NAMES: readonly string[] = ['10-gannet.conflist'];

export interface ConflistTarget {
  /** The conflist to install (JSON). */
  readonly source: string;
  /** The runtime's CNI configuration directory. */
  readonly netDir: string;
}

export type ConflistOutcome = 'written' | 'unchanged' | 'waiting';

/** The target from GANNET_CNI_CONFLIST and GANNET_CNI_NET_DIR; undefined when either is unset (not installing). */
export function conflistTargetFromEnv(env: NodeJS.ProcessEnv): ConflistTarget | undefined {
  const source = env.GANNET_CNI_CONFLIST;
  const netDir = env.GANNET_CNI_NET_DIR;
  if (!source || !netDir) return undefined;
  return { source, netDir };
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** True when the file is a CNI config list whose first plugin is gannet-cni (ours to remove). */
function isGannetConflist(text: string): boolean {
  try {
    const conf = JSON.parse(text) as { plugins?: { type?: unknown }[]; type?: unknown };
    return conf.plugins?.[0]?.type === 'gannet-cni' || conf.type === 'gannet-cni';
  } catch {
    return false;
  }
}

/**
 * Installs the conflist when the node has an IPv4 pod CIDR ('waiting' otherwise: nothing written, nothing removed).
 * Throws (with the path) when the source is unreadable or not a gannet-cni conflist, or the directory is not
 * writable; the agent logs that and retries on the next state write.
 */
export function installConflist(target: ConflistTarget, podCIDRs: readonly string[]): ConflistOutcome {
  if (!podCIDRs.some((c) => !c.includes(':'))) return 'waiting';
  const text = readFileSync(target.source, 'utf8');
  if (!isGannetConflist(text)) {
    throw new Error(`${target.source} is not a CNI config list whose first plugin is gannet-cni`);
  }
  const name = basename(target.source);
  const dest = join(target.netDir, name);
  let outcome: ConflistOutcome = 'unchanged';
  if (readOrUndefined(dest) !== text) {
    const tmp = join(target.netDir, `.${name}.${process.pid}.tmp`);
    try {
      writeFileSync(tmp, text, { mode: 0o600 });
      renameSync(tmp, dest);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw new Error(`cannot install ${dest}: ${(err as Error).message}`, { cause: err });
    }
    outcome = 'written';
  }
  for (const old of OLD_CONFLIST_NAMES) {
    if (old === name) continue;
    const path = join(target.netDir, old);
    const content = readOrUndefined(path);
    if (content !== undefined && isGannetConflist(content)) rmSync(path, { force: true });
  }
  return outcome;
}
