// Loads the gannet-sockopt addon (native/gannet-sockopt.c, compiled by scripts/build-native.mjs into
// dist/native/gannet-sockopt.node). Under Node.js it is the file beside the compiled package; inside the single
// executable (dist/bin/gannet) it is the SEA asset of that name: written to a private temporary directory, opened
// with process.dlopen, and unlinked at once (the mapping stays), as Node's documentation suggests for native addons
// in single executables.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getAsset, isSea } from 'node:sea';
import { fileURLToPath } from 'node:url';
import { BgpError } from '../errors.js';

/** The addon's functions as C exports them (argument checks are socket-options.ts's). */
export interface SockoptAddon {
  socket(family: number): number;
  close(fd: number): void;
  md5(fd: number, address: string, prefixLength: number, key: Buffer): void;
  setTtl(fd: number, family: number, ttl: number): void;
  getTtl(fd: number, family: number): number;
  setMinTtl(fd: number, family: number, minTtl: number): void;
  getMinTtl(fd: number, family: number): number;
  /** Drops received datagrams with a TTL / hop limit below minTtl (a BPF socket filter; BFD, RFC 5881 §5). */
  ttlFilter?(fd: number, minTtl: number): void;
}

/** The addon's file name, and its SEA asset's name (scripts/build-bins.mjs). */
export const SOCKOPT_ADDON = 'gannet-sockopt.node';

function dlopen(file: string): SockoptAddon {
  const module = { exports: {} as SockoptAddon };
  process.dlopen(module, file);
  return module.exports;
}

function fromSea(): SockoptAddon {
  const bytes = new Uint8Array(getAsset(SOCKOPT_ADDON));
  const dir = mkdtempSync(join(tmpdir(), 'gannet-sockopt-'));
  try {
    const file = join(dir, SOCKOPT_ADDON);
    writeFileSync(file, bytes, { mode: 0o500 });
    return dlopen(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function besidePackage(): SockoptAddon {
  // dist/src/session/native-addon.js → dist/native/gannet-sockopt.node
  const url = import.meta.url;
  if (!url) throw new Error('no module URL (a bundle outside the single executable)');
  return dlopen(fileURLToPath(new URL(`../../native/${SOCKOPT_ADDON}`, url)));
}

/** Loads the addon (once per call: the caller caches). Throws BgpError ERR_GANNET_BGP_SOCKET_OPTIONS_UNAVAILABLE. */
export function loadSockoptAddon(): SockoptAddon {
  try {
    return isSea() ? fromSea() : besidePackage();
  } catch (err) {
    throw new BgpError(
      'socket-options-unavailable',
      `cannot load ${SOCKOPT_ADDON} (TCP-MD5 and TTL socket options): ${(err as Error).message}; ` +
        'it is built by `pnpm build` (scripts/build-native.mjs, needs a C compiler)',
      { cause: err },
    );
  }
}
