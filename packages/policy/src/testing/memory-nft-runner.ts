// In-memory NftRunner for unit tests: records every script, and fails or pretends nft is missing on demand.
import type { NftRunner } from '../nft-runner.js';
import { PolicyError } from '../policy-error.js';

export class MemoryNftRunner implements NftRunner {
  readonly scripts: string[] = [];
  private failures: string[] = [];
  missing = false;
  /** What listTable() returns: the last full table written, or undefined after a remove. */
  private table: string | undefined;

  /** The next run() fails with this nft message (queued: one per call). */
  failNext(message: string): void {
    this.failures.push(message);
  }

  async run(script: string): Promise<void> {
    if (this.missing) throw new PolicyError('ERR_GANNET_POLICY_NFT_MISSING', 'cannot run nft: spawn nft ENOENT');
    const f = this.failures.shift();
    if (f !== undefined) {
      throw new PolicyError('ERR_GANNET_POLICY_NFT_FAILED', `nft refused the ruleset: ${f}`, { nftMessage: f });
    }
    this.scripts.push(script);
    if (/^table inet gannet \{$/m.test(script)) this.table = script.slice(script.indexOf('table inet gannet {'));
    else if (/^delete table inet gannet$/m.test(script)) this.table = undefined;
  }

  async listTable(): Promise<string | undefined> {
    return this.table;
  }
}
