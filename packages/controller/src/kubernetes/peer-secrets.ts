// TCP-MD5 passwords of BGPPeers (spec.password.secretKeyRef): read with a GET of that one Secret in the agent's
// namespace (RBAC: get on secrets in gannet-system only, no list or watch — the agent cannot enumerate them), cached,
// and read again every refreshMs so that a rotated password is picked up. A peer whose password cannot be read yet
// (not fetched, no such Secret or key, forbidden, not 1..80 bytes) is left out of the config and reported: peering
// without its password would never come up with a router that has one. The password never appears in a message.

import type { TimerHandle } from '@gannet/core';
import type { AgentConfig, PeerConfig } from '../config/types.js';
import type { Clock } from './clock.js';
import { KubernetesError } from './kubernetes-error.js';

export interface SecretObject {
  data?: Record<string, string>;
}

/** GET /api/v1/namespaces/{namespace}/secrets/{name}; rejects with the HTTP error. */
export type FetchSecret = (namespace: string, name: string) => Promise<SecretObject>;

interface Entry {
  data?: Record<string, string>;
  error?: string;
  inflight: boolean;
}

export const SECRET_REFRESH_MS = 60_000;

export class PeerSecrets {
  private readonly cache = new Map<string, Entry>();
  private timer: TimerHandle | undefined;
  private stopped = false;

  constructor(
    private readonly fetch: FetchSecret,
    private readonly clock: Clock,
    /** Something fetched changed what resolve() returns: derive again. */
    private readonly changed: () => void,
    private readonly refreshMs = SECRET_REFRESH_MS,
  ) {}

  /**
   * The config with each referenced password filled in; peers whose password is not readable are left out, each
   * with a problem naming the BGPPeer and the Secret. Starts the fetches it needs.
   */
  resolve(config: AgentConfig): { config: AgentConfig; problems: KubernetesError[] } {
    const problems: KubernetesError[] = [];
    const peers: PeerConfig[] = [];
    const used = new Set<string>();
    for (const p of config.peers) {
      const ref = p.passwordSecretRef;
      if (!ref) {
        peers.push(p);
        continue;
      }
      used.add(`${ref.namespace}/${ref.name}`);
      const what = `${p.source ?? p.address}: spec.password: Secret ${ref.namespace}/${ref.name} key ${ref.key}`;
      const entry = this.entry(ref.namespace, ref.name);
      const problem = (why: string) =>
        problems.push(new KubernetesError('ERR_GANNET_K8S_INVALID_OBJECT', `${what}: ${why}; the peer is left out`));
      if (entry.error !== undefined) problem(entry.error);
      else if (entry.data === undefined) {
        // being read (not reported: the config follows when it arrives)
      } else {
        const b64 = entry.data[ref.key];
        const text =
          b64 === undefined
            ? undefined
            : Buffer.from(b64, 'base64')
                .toString('utf8')
                .replace(/\r?\n$/, '');
        const bytes = text === undefined ? 0 : Buffer.byteLength(text, 'utf8');
        if (text === undefined) problem('no such key');
        else if (bytes === 0 || bytes > 80 || /[\r\n]/.test(text))
          problem(`the password must be 1..80 bytes on one line (it is ${bytes})`);
        else peers.push({ ...p, password: text });
      }
    }
    for (const key of [...this.cache.keys()]) if (!used.has(key)) this.cache.delete(key);
    this.arm();
    return { config: { ...config, peers }, problems };
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private entry(namespace: string, name: string): Entry {
    const key = `${namespace}/${name}`;
    let e = this.cache.get(key);
    if (!e) {
      e = { inflight: false };
      this.cache.set(key, e);
      this.load(namespace, name, e);
    }
    return e;
  }

  private load(namespace: string, name: string, e: Entry): void {
    if (e.inflight || this.stopped) return;
    e.inflight = true;
    const before = JSON.stringify([e.data, e.error]);
    this.fetch(namespace, name)
      .then(
        (s) => {
          e.data = s.data ?? {};
          e.error = undefined;
        },
        (err: { statusCode?: number; code?: number; message?: string }) => {
          const status = err.statusCode ?? err.code;
          e.error =
            status === 404
              ? 'no such Secret'
              : status === 403
                ? 'forbidden (RBAC: get on that Secret)'
                : String(err.message);
          // keep a password read before: a failed re-read must not drop a running session
          if (e.data !== undefined) e.error = undefined;
        },
      )
      .finally(() => {
        e.inflight = false;
        if (!this.stopped && JSON.stringify([e.data, e.error]) !== before) this.changed();
      });
  }

  /** Re-reads every cached Secret every refreshMs while some are cached. */
  private arm(): void {
    if (this.timer !== undefined || this.stopped || this.cache.size === 0) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      for (const [key, e] of this.cache) {
        const [namespace = '', name = ''] = key.split('/');
        this.load(namespace, name, e);
      }
      this.arm();
    }, this.refreshMs);
  }
}
