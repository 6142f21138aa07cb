// The repository root, for tests that read deploy/ and docs/.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest directory above this file (or else the working directory) with the workspace file. */
export function repoRoot(): string {
  for (const start of [dirname(fileURLToPath(import.meta.url)), process.cwd()]) {
    for (let dir = start; dir !== dirname(dir); dir = dirname(dir)) {
      if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    }
  }
  throw new Error('cannot find the repository root (pnpm-workspace.yaml)');
}
