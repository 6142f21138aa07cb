// Entry point of the single executable dist/bin/gannet (scripts/build-bins.mjs): one program, two names. Invoked as
// `gannet-cni` (a copy or a link under that name, as the DaemonSet's init container installs it in /opt/cni/bin) it
// is the CNI plugin; under any other name, the `gannet` CLI and agent.
//
// The container runtime execs the plugin for every pod, so its start-up must stay as cheap as a CNI-only
// executable's. The executable's main script is therefore this dispatcher and the plugin only (≈ 25 kB); the CLI
// and agent (≈ 3 MB bundled) are a SEA asset with its own V8 code cache, read and compiled only on the agent's path.
// A single 3 MB main script made every plugin start ≈ 10 ms slower (scripts/build-bins.mjs). The agent's V8 flags
// come from the SEA config (execArgv), as `node --max-semi-space-size=8` gave them before.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { getAsset } from 'node:sea';
import { Script } from 'node:vm';
import { invokedAs, isCniName } from './invoked-as.js';

/** The SEA assets of the CLI and agent bundle and its code cache (scripts/build-bins.mjs writes both). */
export const AGENT_ASSET = 'gannet.cjs';
export const AGENT_CACHE_ASSET = 'gannet.cjs.cache';

/** The parameters the bundle's CommonJS wrapper takes (scripts/build-bins.mjs wraps the asset in them). */
type CjsWrapper = (
  exports: object,
  require: NodeJS.Require,
  module: { exports: object },
  file: string,
  dir: string,
) => void;

/** Runs the CLI and agent bundle: compiled from the asset with its code cache (GANNET_SEA_DEBUG=1 tells if V8 took it). */
function runGannetAsset(): void {
  const source = new TextDecoder().decode(getAsset(AGENT_ASSET));
  const cachedData = new Uint8Array(getAsset(AGENT_CACHE_ASSET));
  const script = new Script(source, { filename: AGENT_ASSET, cachedData });
  if (process.env.GANNET_SEA_DEBUG === '1')
    process.stderr.write(
      `gannet: code cache of ${AGENT_ASSET} ${script.cachedDataRejected ? 'rejected' : 'accepted'}; execArgv ${process.execArgv.join(' ')}\n`,
    );
  const wrapper = script.runInThisContext() as CjsWrapper;
  const module = { exports: {} as { runGannet?: (argv: readonly string[]) => Promise<void> } };
  wrapper(module.exports, createRequire(process.execPath), module, process.execPath, dirname(process.execPath));
  void module.exports.runGannet?.(process.argv.slice(2));
}

// process.argv0 is argv[0] as the caller passed it (process.argv[0] and execPath are the resolved executable, which
// for a symbolic link is the target's name)
if (isCniName(invokedAs(process.argv0))) {
  void import('@gannet/cni/main');
} else {
  runGannetAsset();
}
