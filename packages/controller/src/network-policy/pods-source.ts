// Standalone mode's pods. The pods this node wires come from gannet-cni's address store: every claim names its
// address, and the pod (namespace, name, uid) when the runtime passed K8S_POD_* in CNI_ARGS. Labels, named container
// ports and the pods of other nodes (peers of selectors) come from `policy.podsFile`, a YAML file that the lab (or
// whatever stands in for the API server) writes:
//
//   pods:
//     - { namespace: x, name: a, node: node1, ips: [10.244.1.2], labels: {pod: a},
//         ports: [{name: http, containerPort: 80, protocol: TCP}], hostNetwork: false }
//
// An optional `nodes: [{name, addresses: [...]}]` lists the cluster's node addresses (never NATed). A local pod (a
// claim in the store) takes the labels and ports of the entry with its namespace and name; an entry of
// another node (or with no node, when its IPs are not claimed here) is a remote pod. A store claim without pod
// metadata (a runtime that gave no CNI_ARGS) is a pod of namespace `default` named after its container ID, without
// labels. Both places are watched; a pods file that does not parse keeps its last good content (reported).
import { type FSWatcher, readFileSync, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import { IpamStore } from '@gannet/cni';
import { type Clock, ipFamilyOf, systemClock, type TimerHandle } from '@gannet/core';
import type { PodInfo } from '@gannet/policy';
import { isIPv4 } from '../net.js';
import type { PolicyInputSource, PolicyObjects } from './input-source.js';
import { type PodEntry, parsePodsDocument } from './pods-file.js';

export interface LocalPodsSourceOptions {
  nodeName: string;
  /** gannet-cni's store: its `dataDir` and network `name` (the agent's `ipam` keys). */
  dataDir: string;
  network: string;
  podsFile?: string;
  /** Re-read both as well this often (a missed notification; the store directory appearing). Default 2 s. */
  pollMs?: number;
  clock?: Clock;
  watch?: boolean;
}

export class LocalPodsSource implements PolicyInputSource {
  readonly name = 'pods';
  private readonly store: IpamStore;
  private readonly clock: Clock;
  private changed: () => void = () => {};
  private watchers: FSWatcher[] = [];
  private storeWatched = false;
  private poll: TimerHandle | undefined;
  private storeKey = '';
  private storeProblem: string | undefined;
  private claims: { ip: string; namespace: string; name: string }[] = [];
  private fileText: string | undefined;
  private fileProblem: string | undefined;
  private fileRead = false;
  private entries: PodEntry[] = [];
  private nodeAddresses: string[] = [];
  private pods: PodInfo[] = [];

  constructor(private readonly opts: LocalPodsSourceOptions) {
    this.store = new IpamStore(opts.dataDir, opts.network);
    this.clock = opts.clock ?? systemClock;
  }

  start(changed: () => void): void {
    this.changed = changed;
    this.reload();
    if (this.opts.watch !== false) {
      this.storeWatched = this.watchDir(this.store.dir, () => true);
      this.watchDir(dirname(this.store.dir), (n) => {
        // the store appears with the first pod: watch it from then on
        if (n === basename(this.store.dir) && !this.storeWatched) {
          this.storeWatched = this.watchDir(this.store.dir, () => true);
        }
        return n === basename(this.store.dir);
      });
      const f = this.opts.podsFile;
      if (f) this.watchDir(dirname(f), (n) => n === basename(f));
    }
    this.schedulePoll();
  }

  stop(): void {
    for (const w of this.watchers) w.close();
    this.watchers = [];
    if (this.poll) this.clock.clearTimeout(this.poll);
    this.poll = undefined;
    this.changed = () => {};
  }

  objects(): PolicyObjects {
    return { pods: this.pods, nodeAddresses: this.nodeAddresses };
  }

  synced(): boolean {
    return this.opts.podsFile === undefined || this.fileRead;
  }

  problems(): string[] {
    return [this.storeProblem, this.fileProblem].filter((p): p is string => p !== undefined);
  }

  /** Reads the store and the pods file again; calls back when the pods changed. */
  reload(): void {
    const a = this.readStore();
    const b = this.readFile();
    if (a || b) {
      this.build();
      this.changed();
    }
  }

  private readStore(): boolean {
    let claims: { ip: string; namespace: string; name: string }[];
    try {
      // IPv4 claims only, as the pods file's IPs (isIPv4 below): a dual-stack pod's IPv6 claim is a second claim of
      // the same pod, which the policy model does not take yet (docs/dual-stack.md)
      claims = this.store
        .list()
        .filter((r) => ipFamilyOf(r.address) === 4)
        .map((r) => ({
          ip: r.address,
          namespace: r.pod?.namespace ?? 'default',
          name: r.pod?.name ?? (r.containerId || `unknown-${r.address}`),
        }));
      this.storeProblem = undefined;
    } catch (err) {
      const problem = `cannot read the CNI address store: ${(err as Error).message}`;
      const changed = problem !== this.storeProblem;
      this.storeProblem = problem;
      return changed;
    }
    claims.sort((x, y) => (x.ip < y.ip ? -1 : x.ip > y.ip ? 1 : 0));
    const key = claims.map((c) => `${c.ip} ${c.namespace}/${c.name}`).join('\n');
    if (key === this.storeKey) return false;
    this.storeKey = key;
    this.claims = claims;
    return true;
  }

  private readFile(): boolean {
    const file = this.opts.podsFile;
    if (!file) return false;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      const problem = `cannot read ${file}: ${(err as Error).message}`;
      const changed = problem !== this.fileProblem;
      this.fileProblem = problem;
      this.fileText = undefined;
      return changed;
    }
    if (text === this.fileText) return false;
    this.fileText = text;
    try {
      const doc = parsePodsDocument(text, file);
      this.entries = doc.pods;
      this.nodeAddresses = doc.nodeAddresses.filter((a) => isIPv4(a));
      this.fileProblem = undefined;
      this.fileRead = true;
    } catch (err) {
      this.fileProblem = `${(err as Error).message}${this.fileRead ? ' (its last good content stays)' : ''}`;
    }
    return true;
  }

  private build(): void {
    const byName = new Map(this.entries.map((e) => [`${e.namespace}/${e.name}`, e]));
    const localIps = new Set(this.claims.map((c) => c.ip));
    const pods: PodInfo[] = [];
    const seen = new Set<string>();
    for (const c of this.claims) {
      const key = `${c.namespace}/${c.name}`;
      const e = byName.get(key);
      seen.add(key);
      pods.push({
        namespace: c.namespace,
        name: c.name,
        ips: [c.ip],
        local: true,
        ...(e?.labels && { labels: e.labels }),
        ...(e?.ports && { ports: e.ports }),
      });
    }
    for (const e of this.entries) {
      const key = `${e.namespace}/${e.name}`;
      if (seen.has(key)) continue;
      // this node's entry without a claim: not wired (yet, or any more) — its address is nobody's here
      if (e.node === this.opts.nodeName && !e.hostNetwork) continue;
      const ips = e.ips.filter((ip) => isIPv4(ip) && !localIps.has(ip));
      if (ips.length === 0 && !e.hostNetwork) continue;
      pods.push({
        namespace: e.namespace,
        name: e.name,
        ips,
        local: false,
        ...(e.labels && { labels: e.labels }),
        ...(e.ports && { ports: e.ports }),
        ...(e.hostNetwork && { hostNetwork: true }),
      });
    }
    this.pods = pods;
  }

  private watchDir(dir: string, relevant: (name: string) => boolean): boolean {
    try {
      const w = watch(dir, { persistent: false }, (_event, name) => {
        if (name === null || relevant(String(name))) this.reload();
      });
      w.on('error', () => {}); // gone: the poll carries on
      this.watchers.push(w);
      return true;
    } catch {
      return false; // not there (yet): the poll reads it when it appears
    }
  }

  private schedulePoll(): void {
    this.poll = this.clock.setTimeout(() => {
      this.reload();
      this.schedulePoll();
    }, this.opts.pollMs ?? 2000);
  }
}
