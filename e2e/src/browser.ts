// Debian's chromium, headless, driven by playwright-core, for the web view's tests. The browser can run inside a
// network namespace (to reach an agent's loopback-only status API there): playwright talks to it over a pipe, not a
// socket, so a wrapper that starts it under `ip netns exec` is all it takes.
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is missing (apt-get install chromium; scripts/setup.sh does)`;
}

export interface TestBrowser {
  browser: Browser;
  close(): Promise<void>;
}

/** Launches headless chromium, in network namespace `ns` when given. */
export async function launchBrowser(ns?: string): Promise<TestBrowser> {
  const dir = mkdtempSync(join(tmpdir(), 'gnt-browser-'));
  let executablePath = CHROMIUM;
  if (ns) {
    executablePath = join(dir, 'chromium-in-netns');
    writeFileSync(executablePath, `#!/bin/sh\nexec ip netns exec ${ns} ${CHROMIUM} "$@"\n`);
    chmodSync(executablePath, 0o755);
  }
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    // as root, chromium needs --no-sandbox; no GPU here
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    timeout: 60_000,
  });
  return {
    browser,
    async close() {
      await browser.close().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
