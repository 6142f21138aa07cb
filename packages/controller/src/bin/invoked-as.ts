// The names the single executable answers to (./multi-call.ts).

/** The name the program was invoked under: the runtime execs plugins by their path, e.g. /opt/cni/bin/gannet-cni. */
export function invokedAs(argv0: string): string {
  return argv0.slice(argv0.lastIndexOf('/') + 1);
}

/** The CNI plugin's names: `gannet-cni` and copies kept beside it with a suffix (gannet-cni.new, gannet-cni-1.2). */
export function isCniName(name: string): boolean {
  return name === 'gannet-cni' || name.startsWith('gannet-cni.') || name.startsWith('gannet-cni-');
}
