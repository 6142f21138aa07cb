// Standalone mode's policies: the config's `policy.files`, standard Kubernetes YAML (NetworkPolicy and Namespace
// documents), watched for changes. A file that cannot be read or parsed keeps the objects last read from it (the
// running ruleset stays as it was) and is reported, with file, line, object and field, in problems(). Until every
// file has been read once, the source is not synced and the engine applies nothing: an agent restarting with a broken
// file leaves the previous agent's table in the kernel rather than one without its policies.
import { type FSWatcher, readFileSync, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import { type Clock, systemClock, type TimerHandle } from '@gannet/core';
import { MAX_POLICY_DOCUMENT_BYTES, type PolicyDocuments, parsePolicyDocuments } from '@gannet/policy';
import type { PolicyInputSource, PolicyObjects } from './input-source.js';

/** `gannet agent --check`: reads and parses every file; throws the first problem; returns the policy count. */
export function checkPolicyFiles(files: string[]): number {
  const source = new PolicyFileSource({ files, watch: false });
  source.reload();
  const problem = source.problems()[0];
  if (problem) throw new Error(problem);
  return source.objects().policies?.length ?? 0;
}

export interface PolicyFileSourceOptions {
  files: string[];
  /** Re-read every file this often as well, in case a change notification was missed (default 5 s). */
  pollMs?: number;
  clock?: Clock;
  /** Tests: no fs.watch (the poll and reload() only). */
  watch?: boolean;
}

interface FileState {
  text: string | undefined;
  docs: PolicyDocuments | undefined;
  problem: string | undefined;
}

export class PolicyFileSource implements PolicyInputSource {
  readonly name = 'policy files';
  private files: string[];
  private readonly state = new Map<string, FileState>();
  private watchers: FSWatcher[] = [];
  private poll: TimerHandle | undefined;
  private changed: () => void = () => {};
  private merged: PolicyObjects = { policies: [], namespaces: [] };
  private conflict: string | undefined;
  private readonly clock: Clock;

  constructor(private readonly opts: PolicyFileSourceOptions) {
    this.files = [...opts.files];
    this.clock = opts.clock ?? systemClock;
  }

  start(changed: () => void): void {
    this.changed = changed;
    this.reload();
    this.watchAll();
    this.schedulePoll();
  }

  stop(): void {
    for (const w of this.watchers) w.close();
    this.watchers = [];
    if (this.poll) this.clock.clearTimeout(this.poll);
    this.poll = undefined;
    this.changed = () => {};
  }

  /** A new list of files (SIGHUP). */
  setFiles(files: string[]): void {
    if (files.length === this.files.length && files.every((f, i) => f === this.files[i])) return;
    this.files = [...files];
    for (const f of [...this.state.keys()]) if (!files.includes(f)) this.state.delete(f);
    for (const w of this.watchers) w.close();
    this.watchers = [];
    this.reload();
    this.watchAll();
  }

  /** Reads every file again; calls back when what they define changed. */
  reload(): void {
    let any = false;
    for (const file of this.files) any = this.read(file) || any;
    if (any) {
      this.merge();
      this.changed();
    }
  }

  objects(): PolicyObjects {
    return this.merged;
  }

  synced(): boolean {
    return this.files.every((f) => this.state.get(f)?.docs !== undefined);
  }

  problems(): string[] {
    const out = this.files.flatMap((f) => {
      const st = this.state.get(f);
      if (!st?.problem) return [];
      return [st.docs ? `${st.problem} (the file's last good policies stay)` : st.problem];
    });
    if (this.conflict) out.push(this.conflict);
    return out;
  }

  /** True when the file's objects (or its problem) changed. */
  private read(file: string): boolean {
    const st = this.state.get(file) ?? { text: undefined, docs: undefined, problem: undefined };
    this.state.set(file, st);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
      if (text.length > MAX_POLICY_DOCUMENT_BYTES) throw new Error(`larger than ${MAX_POLICY_DOCUMENT_BYTES} bytes`);
    } catch (err) {
      const problem = `cannot read ${file}: ${(err as Error).message}`;
      const changed = problem !== st.problem;
      st.problem = problem;
      st.text = undefined;
      return changed;
    }
    if (text === st.text) return false;
    st.text = text;
    try {
      st.docs = parsePolicyDocuments(text, { source: file, defaultNamespace: 'default' });
      st.problem = undefined;
    } catch (err) {
      st.problem = (err as Error).message;
    }
    return true;
  }

  private merge(): void {
    const policies = new Map<string, { file: string; policy: PolicyDocuments['policies'][number] }>();
    const namespaces = new Map<string, PolicyDocuments['namespaces'][number]>();
    this.conflict = undefined;
    for (const file of this.files) {
      const docs = this.state.get(file)?.docs;
      if (!docs) continue;
      for (const p of docs.policies) {
        const key = `${p.metadata.namespace}/${p.metadata.name}`;
        const prev = policies.get(key);
        if (prev) {
          this.conflict ??= `NetworkPolicy ${key} is defined in both ${prev.file} and ${file}: the first one counts`;
          continue;
        }
        policies.set(key, { file, policy: p });
      }
      for (const n of docs.namespaces) namespaces.set(n.name, n);
    }
    this.merged = { policies: [...policies.values()].map((e) => e.policy), namespaces: [...namespaces.values()] };
  }

  private watchAll(): void {
    if (this.opts.watch === false) return;
    for (const dir of new Set(this.files.map((f) => dirname(f)))) {
      const names = new Set(this.files.filter((f) => dirname(f) === dir).map((f) => basename(f)));
      try {
        const w = watch(dir, { persistent: false }, (_event, name) => {
          if (name === null || names.has(String(name))) this.reload();
        });
        w.on('error', () => {}); // the directory went away: the poll still reads (and reports) the files
        this.watchers.push(w);
      } catch {
        // a missing directory: reported through the file's problem; the poll picks the file up when it appears
      }
    }
  }

  private schedulePoll(): void {
    this.poll = this.clock.setTimeout(() => {
      this.reload();
      this.schedulePoll();
    }, this.opts.pollMs ?? 5000);
  }
}
