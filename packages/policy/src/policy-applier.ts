// Installs compiled policy with nft: the first apply (and any apply after a failure) replaces the whole table in one
// transaction; later ones send only the delta against what was applied. A bad input or a refused transaction throws
// and leaves the last good ruleset in place (in the kernel and here).
import { compileChecked } from './compile.js';
import { updatePods } from './incremental.js';
import type { PolicyModel } from './model.js';
import type { NftRunner } from './nft-runner.js';
import { PolicyError } from './policy-error.js';
import { renderDelta, renderFull, renderRemove } from './render.js';
import type { PolicyInput } from './types.js';
import { type CheckedInput, checkInput } from './validate-input.js';

export interface ApplyResult {
  /** `full`: the whole table was written; `delta`: only changes; `none`: nothing had changed. */
  mode: 'full' | 'delta' | 'none';
  /** True when only pods changed and the model was updated in place of a full compile. */
  incremental: boolean;
  /** Lines of the nft script sent. */
  scriptLines: number;
  compileMs: number;
  nftMs: number;
}

export interface PolicyStatus {
  applied: boolean;
  policies: number;
  selectedPods: number;
  rules: number;
  lastApplyMs: number | undefined;
  applyErrors: number;
  lastError: string | undefined;
}

export class PolicyApplier {
  private applied: PolicyModel | undefined;
  private appliedInput: CheckedInput | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private errors = 0;
  private lastError: string | undefined;
  private lastApplyMs: number | undefined;

  constructor(private readonly nft: NftRunner) {}

  /** Compiles `input` and makes the kernel match it. Calls are serialised. */
  apply(input: PolicyInput): Promise<ApplyResult> {
    return this.serial(() => this.applyNow(input));
  }

  /** Deletes `table inet gannet` (nothing else); a no-op when it is not there. */
  remove(): Promise<void> {
    return this.serial(async () => {
      await this.nft.run(renderRemove());
      this.applied = undefined;
      this.appliedInput = undefined;
    });
  }

  /**
   * The model last applied successfully, if any. Read-only, and only until the next apply(): a pod-only change edits
   * it in place (see incremental.ts).
   */
  current(): PolicyModel | undefined {
    return this.applied;
  }

  status(): PolicyStatus {
    const s = this.applied?.stats;
    return {
      applied: this.applied !== undefined,
      policies: s?.policies ?? 0,
      selectedPods: s?.selectedPods ?? 0,
      rules: s?.rules ?? 0,
      lastApplyMs: this.lastApplyMs,
      applyErrors: this.errors,
      lastError: this.lastError,
    };
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }

  private async applyNow(input: PolicyInput): Promise<ApplyResult> {
    const t0 = performance.now();
    let model: PolicyModel;
    let checked: CheckedInput;
    let incremental = false;
    let script: string;
    const hadApplied = this.applied !== undefined;
    try {
      checked = checkInput(input);
      const prev = this.applied;
      const fast = prev && this.appliedInput ? updatePods(prev, this.appliedInput, checked) : undefined;
      if (fast) {
        // `prev` was edited in place: until nft has taken the delta, no model is known to match the kernel.
        this.applied = undefined;
        script = fast.script;
        model = fast.model;
        incremental = true;
      } else {
        model = compileChecked(checked);
        script = prev ? renderDelta(prev, model) : renderFull(model);
      }
    } catch (err) {
      this.fail(err);
      throw err;
    }
    const t1 = performance.now();
    if (script === '') {
      this.applied = model;
      this.appliedInput = checked;
      return { mode: 'none', incremental, scriptLines: 0, compileMs: t1 - t0, nftMs: 0 };
    }
    try {
      await this.nft.run(script);
    } catch (err) {
      // The transaction is all or nothing, but resynchronise with a full table next time in any case.
      this.applied = undefined;
      this.fail(err);
      throw err;
    }
    const t2 = performance.now();
    const mode = hadApplied ? 'delta' : 'full';
    this.applied = model;
    this.appliedInput = checked;
    this.lastApplyMs = t2 - t0;
    this.lastError = undefined;
    return { mode, incremental, scriptLines: script.split('\n').length - 1, compileMs: t1 - t0, nftMs: t2 - t1 };
  }

  private fail(err: unknown): void {
    this.errors++;
    this.lastError = err instanceof PolicyError ? err.message : String(err);
  }
}
