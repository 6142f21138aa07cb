// `gannet explain PREFIX`: why a prefix is, or is not, in the kernel — asked of the local agent's status API
// (/api/v1/explain) and printed for a person (or --json for scripts).
import { parseArgs } from 'node:util';
import type { PrefixReport } from '../agent.js';
import { type CliIo, UsageError } from './cli-io.js';

export const EXPLAIN_HELP = `Usage: gannet explain PREFIX|ADDRESS [--api URL] [--json]

Why a prefix is, or is not, in this node's kernel: every path the peers sent for it (accepted by which import rule,
or rejected: the rule, an AS loop, a reflection loop, the max-prefix limit), the best-path decision and the step each
other path lost at, the kernel's answer (installed, or refused with its error), and to which peers the best path is
advertised and why not to the others. An address explains the longest route containing it.
  --api URL   the agent's status API (default http://127.0.0.1:9179)
  --json      the report as JSON
Exit status: 0 the prefix is in the kernel as BGP chose it, 1 it is not (or the agent cannot be asked), 2 usage.
`;

const ORIGIN = ['IGP', 'EGP', 'incomplete'];

export async function explainCommand(args: string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { help: { type: 'boolean', short: 'h' }, api: { type: 'string' }, json: { type: 'boolean' } },
      strict: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values as { help?: boolean; api?: string; json?: boolean };
  if (v.help) {
    io.out(EXPLAIN_HELP);
    return 0;
  }
  if (parsed.positionals.length !== 1) throw new UsageError('give one PREFIX (or address)');
  const base = (v.api ?? 'http://127.0.0.1:9179').replace(/\/+$/, '');
  let res: Response;
  try {
    res = await fetch(`${base}/api/v1/explain?prefix=${encodeURIComponent(parsed.positionals[0]!)}`, {
      signal: AbortSignal.timeout(5000),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new Error(`cannot reach the agent's status API at ${base} (${cause}); is the agent running? (--api URL)`);
  }
  const body = (await res.json()) as PrefixReport & { error?: string };
  if (!res.ok) throw new Error(body.error ?? `HTTP ${res.status}`);
  io.out(v.json ? `${JSON.stringify(body, null, 2)}\n` : renderExplain(body));
  return inKernel(body) ? 0 : 1;
}

function inKernel(r: PrefixReport): boolean {
  return r.kernel.desired && r.kernel.installed === true;
}

export function renderExplain(r: PrefixReport): string {
  const lines: string[] = [];
  const b = r.bgp;
  const best = b?.paths.find((p) => p.status === 'best');
  if (r.local) {
    lines.push(
      `${r.prefix}: this node's own pod CIDR, originated here; in the kernel as a blackhole${r.kernel.installed ? '' : ' — NOT installed'}`,
    );
  } else if (r.kernel.desired) {
    lines.push(
      r.kernel.installed
        ? `${r.prefix}: in the kernel via ${b?.nexthops.join(', ') || '?'}`
        : `${r.prefix}: NOT in the kernel: the kernel refuses it${r.kernel.error ? `: ${r.kernel.error}` : ''}`,
    );
  } else {
    lines.push(
      `${r.prefix}: not in the kernel: ${best ? 'the best path is not installed here' : 'no peer sent an accepted path for it'}`,
    );
  }
  if (b?.decision && best)
    lines.push(`best path ${best.peer ? `from ${best.peer}` : 'originated here'}: ${describeDecision(b.decision)}`);
  if (!b || b.paths.length === 0) {
    lines.push('', 'no peer sent this prefix (a peer may not have it, or it is filtered before we see it)');
  } else {
    lines.push('', `paths (${b.paths.length}):`);
    for (const p of b.paths) {
      const mark = p.status === 'best' || p.status === 'ecmp' ? '✓' : '✗';
      const from = p.peer ? `from ${p.peer} (${p.source})` : 'originated here';
      lines.push(
        `  ${mark} ${p.status.padEnd(8)} ${from}${p.nextHop ? ` next hop ${p.nextHop}` : ''}${p.stale ? ' [stale: peer restarting]' : ''}`,
      );
      if (p.status !== 'rejected' || p.nextHop) {
        const attrs = [
          `AS path ${p.asPath.join(' ') || '(empty)'}`,
          `local-pref ${p.localPref}`,
          `MED ${p.med}`,
          `origin ${ORIGIN[p.origin] ?? p.origin}`,
          p.communities ? `communities ${p.communities.join(' ')}` : '',
          p.largeCommunities ? `large ${p.largeCommunities.join(' ')}` : '',
          p.originatorId ? `originator ${p.originatorId}` : '',
          p.clusterList ? `cluster list ${p.clusterList.join(' ')}` : '',
        ].filter(Boolean);
        lines.push(`             ${attrs.join(', ')}`);
      }
      if (p.imported) lines.push(`             accepted: ${p.imported}`);
      if (p.why) lines.push(`             ${p.status === 'lost' ? 'lost: ' : ''}${p.why}`);
    }
  }
  if (b && b.exports.length > 0) {
    lines.push('', 'advertised:');
    for (const e of b.exports) {
      lines.push(
        `  ${e.peer}: ${e.status === 'sent' ? 'sent' : e.status === 'down' ? 'no session' : 'not sent'}${e.why ? ` — ${e.why}` : ''}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

function describeDecision(reason: string): string {
  const words: Record<string, string> = {
    'only-path': 'the only path',
    'nexthop-unreachable': 'the others have unreachable next hops',
    'local-origin': 'originated here',
    'local-pref': 'highest LOCAL_PREF',
    'as-path': 'shortest AS_PATH',
    origin: 'best ORIGIN',
    med: 'lowest MED',
    'ebgp-over-ibgp': 'eBGP over iBGP',
    multipath: 'equal paths, installed as ECMP',
    'router-id': 'lowest router ID (tie-break)',
    'cluster-list': 'shortest CLUSTER_LIST (tie-break)',
    'peer-address': 'lowest peer address (tie-break)',
  };
  return words[reason] ?? reason;
}
