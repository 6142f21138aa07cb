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
 * Step hooks, from the environment (runtimes set neither):
 * - GANNET_CNI_TRACE=1 prints each step with the milliseconds since the process started to stderr;
 * - GANNET_CNI_TEST_CRASH_AFTER=<step> makes the plugin SIGKILL itself after that step (reserved, veth, sysctls,
 *   routed, veth-removed), as a power loss or an OOM kill would: the e2e tests' crash injection.
 */
function stepHook(): ((step: string) => void) | undefined {
  const trace = process.env.GANNET_CNI_TRACE === '1';
  const crashAt = process.env.GANNET_CNI_TEST_CRASH_AFTER;
  if (!trace && !crashAt) return undefined;
  return (step) => {
    if (trace) writeSync(2, `gannet-cni: ${step} at ${performance.now().toFixed(1)} ms\n`);
    if (step === crashAt) process.kill(process.pid, 'SIGKILL');
  };
}

export function main(): void {
  const onStep = stepHook();
  const network = new LinuxPodNetwork(onStep ? { onStep } : {});
  const res = runCni({ env: process.env, stdin: readStdin() }, onStep ? { network, onStep } : { network });
  onStep?.('done');
  if (res.stdout) writeSync(1, res.stdout);
  // exit at once: everything is written (writeSync) and nothing is pending; skipping the orderly teardown of the
  // environment and heap saves ~1 ms per run
  process.exit(res.exitCode);
}

main();
