// After `tsc -b`: writes the executables of ../shared/DESIGN.md into dist/bin/.
// Each row names a compiled entry point; rows are added as the packages that own them land.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, linkSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildNative } from './build-native.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const binDir = join(root, 'dist', 'bin');

/**
 * kind 'sea': a Node single executable application (runs without Node.js installed): the entry is bundled by esbuild
 * into one CommonJS file, then injected with postject into a copy of the building Node binary (nothing is
 * downloaded). `snapshot` builds a V8 startup snapshot of the bundle (the entry must then call
 * v8.startupSnapshot.setDeserializeMainFunction); otherwise V8's code cache is embedded. `execArgv`: the Node.js flags
 * the executable starts with (the SEA config's execArgv; NODE_OPTIONS still adds to them). `links`: more names of
 * the same executable (hard links), the entry dispatching on the name it was invoked under. `files`: more SEA assets,
 * files as they are (the native addons of scripts/build-native.mjs, which the code dlopens from a temporary copy).
 */
// gannet: one executable is the agent and CLI and, invoked as gannet-cni, the CNI plugin (multi-call.ts). Code cache,
// no snapshot: on Node 24 a user-land startup snapshot starts 3–5 ms slower than the built-in snapshot plus an
// embedded code cache (measured on a hello world and on gannet-cni). The agent's flag: a smaller young generation
// cuts its peak RSS with a full table by ~20% at no measurable rate cost (e2e/bench/bgp-ingest.bench.ts); the lab
// passes the same flag when it runs the agent under Node.js (packages/controller/src/bin/self.ts).
const bins = [
  {
    name: 'gannet',
    kind: 'sea',
    entry: 'packages/controller/dist/src/bin/multi-call.js',
    // the CLI and agent: an asset compiled only when invoked as gannet (multi-call.ts reads these names)
    // the BFD worker thread's code (packages/controller/src/adapters/bgp-speaker.ts reads this asset name)
    bundles: [
      { asset: 'gannet.cjs', entry: 'packages/controller/dist/src/bin/run-gannet.js' },
      { asset: 'bfd-worker.cjs', entry: 'packages/bgp/dist/src/bfd/bfd-worker-main.js' },
    ],
    execArgv: ['--max-semi-space-size=8'],
    links: ['gannet-cni'],
    // TCP-MD5 / TTL / GTSM socket options (packages/bgp/src/session/native-addon.ts reads this asset name)
    files: [{ asset: 'gannet-sockopt.node', file: 'packages/bgp/dist/native/gannet-sockopt.node' }],
  },
];

/** The SEA fuse Node 24 looks for (from Node's single-executable-applications documentation). */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/**
 * A copy of the building Node binary without its symbol table (`strip`, from binutils, when installed: 127 → 109 MB;
 * the dynamic symbols stay). Stripped before the blob is injected: postject's note section must survive untouched.
 */
function copyNode(out, env) {
  try {
    execFileSync('strip', ['--strip-all', '-o', out, process.execPath], { stdio: 'pipe', env });
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
    copyFileSync(process.execPath, out); // no binutils: the executable keeps the symbols
  }
}

/** Builds a single executable `out` from an ESM entry. Exported for benchmarks that build a reference the same way. */
export async function buildSea({
  entry,
  out,
  snapshot = false,
  execArgv,
  bundles = [],
  files = [],
  workDir = join(root, 'dist', 'sea'),
}) {
  const { build } = await import('esbuild');
  const name = relative(root, out).replaceAll('/', '_');
  mkdirSync(workDir, { recursive: true });
  const bundle = join(workDir, `${name}.cjs`);
  const blob = join(workDir, `${name}.blob`);
  const config = join(workDir, `${name}.sea.json`);
  await build({
    entryPoints: [entry],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'iife', // the snapshot builder runs the script without `module`
    target: 'node24',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    // import.meta.url is read only where the program runs under Node.js, never inside the executable (node:sea)
    logOverride: { 'empty-import-meta': 'silent' },
  });
  // the env of the code cache's compilation: the executable's flags (V8 rejects a cache made under other flags)
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  const assets = {};
  for (const b of bundles) {
    const file = join(workDir, `${name}.${b.asset}`);
    await build({
      entryPoints: [join(root, b.entry)],
      outfile: file,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node24',
      minify: true,
      legalComments: 'none',
      logLevel: 'warning',
      logOverride: { 'empty-import-meta': 'silent' },
      // the module wrapper: runInThisContext of the asset returns this function (multi-call.ts calls it)
      banner: { js: '(function (exports, require, module, __filename, __dirname) {' },
      footer: { js: '})' },
    });
    // V8's code cache of the wrapper's compilation, made by this Node binary under the executable's flags
    const produce = `const fs=require('node:fs');const vm=require('node:vm');const f=process.argv[1];fs.writeFileSync(f+'.cache',new vm.Script(fs.readFileSync(f,'utf8'),{filename:${JSON.stringify(b.asset)}}).createCachedData())`;
    execFileSync(process.execPath, [...(execArgv ?? []), '-e', produce, file], { stdio: 'pipe', env });
    assets[b.asset] = file;
    assets[`${b.asset}.cache`] = `${file}.cache`;
  }
  for (const f of files) assets[f.asset] = join(root, f.file);
  writeFileSync(
    config,
    JSON.stringify({
      main: bundle,
      output: blob,
      disableExperimentalSEAWarning: true,
      useSnapshot: snapshot,
      useCodeCache: !snapshot,
      ...(execArgv ? { execArgv } : {}),
      ...(Object.keys(assets).length > 0 ? { assets } : {}),
    }),
  );
  // a clean environment: NODE_OPTIONS or NODE_EXTRA_CA_CERTS of the build must not leak into the snapshot
  execFileSync(process.execPath, ['--experimental-sea-config', config], { stdio: 'pipe', env });
  rmSync(out, { force: true });
  copyNode(out, env);
  const postject = join(root, 'node_modules', 'postject', 'dist', 'cli.js');
  execFileSync(process.execPath, [postject, out, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE], {
    stdio: 'pipe',
    env,
  });
  chmodSync(out, 0o755);
}

async function main() {
  buildNative();
  mkdirSync(binDir, { recursive: true });
  for (const bin of bins) {
    const entry = join(root, bin.entry);
    if (!existsSync(entry)) throw new Error(`build-bins: ${bin.name}: entry ${bin.entry} was not built`);
    const out = join(binDir, bin.name);
    await buildSea({
      entry,
      out,
      snapshot: bin.snapshot,
      execArgv: bin.execArgv,
      bundles: bin.bundles,
      files: bin.files,
    });
    for (const name of bin.links ?? []) {
      rmSync(join(binDir, name), { force: true });
      linkSync(out, join(binDir, name));
    }
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
