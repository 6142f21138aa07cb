// Drives e2e/src/fake-apiserver-child.ts (the controller tests' fake Kubernetes API server, run in a namespace):
// put/remove objects, one answer line per command; and writes a kubeconfig for an agent in the same namespace.
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type Netns, type SpawnedProcess, sleep, type TestNet } from './netns.js';

const CHILD = fileURLToPath(new URL('./fake-apiserver-child.js', import.meta.url));

export class FakeApiChild {
  private readonly answers: ((line: string) => void)[] = [];
  private readonly urlPromise: Promise<string>;

  private constructor(readonly proc: SpawnedProcess) {
    let gotUrl!: (u: string) => void;
    this.urlPromise = new Promise((r) => (gotUrl = r));
    createInterface({ input: proc.child.stdout! }).on('line', (line) => {
      const m = JSON.parse(line) as { url?: string };
      if (m.url) gotUrl(m.url);
      else this.answers.shift()?.(line);
    });
  }

  /** Starts the server in `ns` (reachable there on 127.0.0.1) and waits until it listens (bounded: 20 s). */
  static async start(net: TestNet, ns: Netns): Promise<FakeApiChild & { url: string }> {
    const api = new FakeApiChild(net.spawn(ns, process.execPath, [CHILD], { stdio: ['pipe', 'pipe', 'pipe'] }));
    const url = await Promise.race([api.urlPromise, sleep(20_000).then(() => undefined)]);
    if (!url) throw new Error(`the fake API server did not start: ${api.proc.output()}`);
    return Object.assign(api, { url });
  }

  private send(cmd: object): Promise<void> {
    return new Promise((resolve, reject) => {
      this.answers.push((line) => {
        const m = JSON.parse(line) as { ok: boolean; error?: string };
        if (m.ok) resolve();
        else reject(new Error(m.error));
      });
      this.proc.child.stdin!.write(`${JSON.stringify(cmd)}\n`);
    });
  }

  put(plural: string, object: object): Promise<void> {
    return this.send({ op: 'put', plural, object });
  }

  remove(plural: string, name: string): Promise<void> {
    return this.send({ op: 'remove', plural, name });
  }
}

/** A kubeconfig for `url` (the fake server takes any token). */
export function writeKubeconfig(path: string, url: string): void {
  writeFileSync(
    path,
    `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "${url}", insecure-skip-tls-verify: true}}]\n` +
      'users: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n' +
      'current-context: x\n',
  );
}
