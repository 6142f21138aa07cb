// The one place that runs `nft`: a narrow interface so the applier's tests use an in-memory double.
import { spawn } from 'node:child_process';
import { PolicyError } from './policy-error.js';

export interface NftRunner {
  /** Runs an nft script (`nft -f -`) as one transaction; rejects with PolicyError NFT_MISSING or NFT_FAILED. */
  run(script: string): Promise<void>;
  /** `nft list table inet gannet` output, or undefined when the table does not exist. */
  listTable(): Promise<string | undefined>;
}

export interface ExecNftRunnerOptions {
  /** The nft binary (default `nft`, looked up on PATH). */
  nftPath?: string;
  /** Run inside this network namespace (`ip netns exec NAME nft …`): for tests and the lab. */
  netns?: string;
  /** Kill nft after this long (default 30 s). */
  timeoutMs?: number;
}

interface Outcome {
  status: number | null;
  stdout: string;
  stderr: string;
}

export class ExecNftRunner implements NftRunner {
  constructor(private readonly opts: ExecNftRunnerOptions = {}) {}

  async run(script: string): Promise<void> {
    const r = await this.exec(['-f', '-'], script);
    if (r.status !== 0) {
      const msg = r.stderr.trim() || `exit status ${r.status}`;
      throw new PolicyError('ERR_GANNET_POLICY_NFT_FAILED', `nft refused the ruleset: ${firstLines(msg)}`, {
        nftMessage: msg,
      });
    }
  }

  async listTable(): Promise<string | undefined> {
    const r = await this.exec(['list', 'table', 'inet', 'gannet'], '');
    if (r.status === 0) return r.stdout;
    if (/No such file or directory/.test(r.stderr)) return undefined;
    throw new PolicyError('ERR_GANNET_POLICY_NFT_FAILED', `nft list table failed: ${firstLines(r.stderr)}`, {
      nftMessage: r.stderr,
    });
  }

  private exec(args: string[], input: string): Promise<Outcome> {
    const nft = this.opts.nftPath ?? 'nft';
    const [cmd, argv] = this.opts.netns ? ['ip', ['netns', 'exec', this.opts.netns, nft, ...args]] : [nft, args];
    return new Promise((resolve, reject) => {
      const child = spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'pipe'], timeout: this.opts.timeoutMs ?? 30_000 });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.stdin.on('error', () => {}); // EPIPE when nft exits early; its status says why
      child.once('error', (err: NodeJS.ErrnoException) => {
        const code = err.code === 'ENOENT' ? 'ERR_GANNET_POLICY_NFT_MISSING' : 'ERR_GANNET_POLICY_NFT_FAILED';
        reject(
          new PolicyError(code, `cannot run ${cmd}: ${err.message} (is the nftables package installed?)`, {
            cause: err,
          }),
        );
      });
      child.once('close', (status) => {
        // `ip netns exec` reports a missing binary itself (status 1 or 255 depending on the iproute2 version).
        if (this.opts.netns && status !== 0 && /^exec of "[^"]*" failed: No such file/.test(stderr)) {
          reject(
            new PolicyError(
              'ERR_GANNET_POLICY_NFT_MISSING',
              `cannot run ${nft}: ${stderr.trim()} (is nftables installed?)`,
            ),
          );
          return;
        }
        resolve({ status, stdout, stderr });
      });
      child.stdin.end(input);
    });
  }
}

function firstLines(s: string): string {
  const lines = s.trim().split('\n');
  return lines.length <= 6 ? lines.join('\n') : `${lines.slice(0, 6).join('\n')}\n… (${lines.length - 6} more lines)`;
}
