// e2e tests need root and real network namespaces. Without root they skip, loudly.
import type { Context } from 'mocha';

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

let warned = false;

/** Call from a suite's `before`: skips the suite with a visible warning when not running as root. */
export function requireRoot(ctx: Context): void {
  if (isRoot()) return;
  if (!warned) {
    warned = true;
    console.warn(
      '\n  ***************************************************************************\n' +
        '  *  SKIPPING e2e tests: they need root (network namespaces, kernel routes). *\n' +
        '  *  Run the README test command as root to run them.                       *\n' +
        '  ***************************************************************************\n',
    );
  }
  ctx.skip();
}
