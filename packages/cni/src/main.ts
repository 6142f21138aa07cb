// The gannet-cni executable: reads the network configuration from stdin and CNI_* from the environment, prints the
// result or the error JSON on stdout, exits 0 or 1. Bundled into a Node single executable (scripts/build-bins.mjs)
// with V8's code cache embedded. (A V8 startup snapshot of this bundle was measured 3–5 ms slower to start than the
// code cache on Node 24, as was one of a hello world, so the build does not use one; node:v8 is not even imported.)
import { readFileSync, writeSync } from 'node:fs';
import { LinuxPodNetwork } from './linux-pod-network.js';
import { runCni } from './plugin.js';

function readStdin(): string {
  try {
    return readFileSync(0, 'utf8');
  } catch {
    return ''; // no stdin (closed, or a terminal): parsing reports what is missing
  }
}

/**
 * Crash injection for the e2e tests: GANNET_CNI_TEST_CRASH_AFTER=<step> makes the plugin SIGKILL itself after that
 * step (reserved, veth, sysctls, routed, veth-removed), as a power loss or an OOM kill would. Runtimes never set it.
 */
function crashHook(): ((step: string) => void) | undefined {
  const at = process.env.GANNET_CNI_TEST_CRASH_AFTER;
  if (!at) return undefined;
  return (step) => {
    if (step === at) process.kill(process.pid, 'SIGKILL');
  };
}

export async function main(): Promise<void> {
  const onStep = crashHook();
  const network = new LinuxPodNetwork(onStep ? { onStep } : {});
  const res = await runCni({ env: process.env, stdin: readStdin() }, onStep ? { network, onStep } : { network });
  if (res.stdout) writeSync(1, res.stdout);
  process.exitCode = res.exitCode;
}

void main();
