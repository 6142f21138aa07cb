// `pnpm bench [filter]`: runs every compiled benchmark (packages/*/dist/bench/*.bench.js, e2e/dist/bench/*.bench.js),
// one process each, in sequence. Each benchmark prints its figures beside a reference run made in the same process.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const filter = process.argv[2] ?? '';
const dirs = [
  ...readdirSync(join(root, 'packages')).map((p) => join(root, 'packages', p, 'dist', 'bench')),
  join(root, 'e2e', 'dist', 'bench'),
];
const files = dirs
  .filter((d) => existsSync(d))
  .flatMap((d) =>
    readdirSync(d)
      .filter((f) => f.endsWith('.bench.js'))
      .map((f) => join(d, f)),
  )
  .filter((f) => relative(root, f).includes(filter)); // the repository-relative path: a checkout named like a bench matches no more
if (files.length === 0) {
  console.error(`bench: no benchmark matches ${JSON.stringify(filter)}`);
  process.exit(1);
}
let failed = 0;
for (const f of files) {
  console.log(`\n=== ${relative(root, f)} ===`);
  const r = spawnSync(process.execPath, ['--expose-gc', f], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
