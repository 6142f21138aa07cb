// How the `gannet` program runs itself again (the lab's agents, `gannet status` inside a lab node): the single
// executable is its own command; under Node.js it is node with the agent's flags and the compiled entry.
import { dirname, resolve } from 'node:path';
import { isSea } from 'node:sea';
import { fileURLToPath } from 'node:url';

/** The agent's V8 flags: a smaller young generation cuts its peak RSS with a full table by ~20% at no measurable
 * rate cost (e2e/bench/bgp-ingest.bench.ts). The single executable has them in its SEA config (build-bins.mjs). */
export const AGENT_NODE_FLAGS = ['--max-semi-space-size=8'];

export interface SelfCommand {
  file: string;
  /** Arguments before the command's own (`agent …`, `status …`). */
  args: string[];
}

export function gannetCommand(): SelfCommand {
  if (isSea()) return { file: process.execPath, args: [] };
  const entry = resolve(dirname(fileURLToPath(import.meta.url)), 'gannet.js');
  return { file: process.execPath, args: [...AGENT_NODE_FLAGS, entry] };
}

/** The directory of gannet-cni: beside the single executable, or the repository's dist/bin under Node.js. */
export function defaultBinDir(): string {
  if (isSea()) return dirname(process.execPath);
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../../../../dist/bin');
}
