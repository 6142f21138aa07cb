// The gannet-cni executable: reads the network configuration from stdin and CNI_* from the environment, prints the
// result or the error JSON on stdout, exits 0 or 1. Bundled into a Node single executable (scripts/build-bins.mjs);
// when that build takes a V8 startup snapshot, main() becomes the snapshot's entry.
import { readFileSync, writeSync } from 'node:fs';
import { startupSnapshot } from 'node:v8';
import { LinuxPodNetwork } from './linux-pod-network.js';
import { runCni } from './plugin.js';

function readStdin(): string {
  try {
    return readFileSync(0, 'utf8');
  } catch {
    return ''; // no stdin (closed, or a terminal): parsing reports what is missing
  }
}

export function main(): void {
  const res = runCni({ env: process.env, stdin: readStdin() }, { network: new LinuxPodNetwork() });
  if (res.stdout) writeSync(1, res.stdout);
  process.exitCode = res.exitCode;
}

if (startupSnapshot?.isBuildingSnapshot()) startupSnapshot.setDeserializeMainFunction(main);
else main();
