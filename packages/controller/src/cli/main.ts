// The `gannet` command line: agent, status, lab. Each command has --help; errors are one line and a non-zero exit.
import { parseArgs } from 'node:util';
import { loadConfigFile } from '../config/load-config.js';
import { createLogger, LOG_LEVELS, type LogLevel } from '../log.js';
import { fetchStatus, renderStatus } from './status.js';

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const stdio: CliIo = {
  out: (t) => {
    if (!process.stdout.destroyed) process.stdout.write(t);
  },
  err: (t) => {
    if (!process.stderr.destroyed) process.stderr.write(t);
  },
};

/**
 * A reader that goes away (`gannet status | head`) ends our output, not the command, and never prints a stack trace:
 * Node ignores SIGPIPE, so the closed pipe arrives as an EPIPE 'error' on the stream, which would otherwise be thrown.
 * The agent keeps running whatever happens to its stdout or stderr (a log collector restarting must not stop routing).
 */
export function ignoreClosedPipes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
    });
  }
}

/** The exit statuses of every command (README "Running the agent", `gannet --help`). */
export const EXIT = {
  /** Done; for the agent: stopped by SIGTERM/SIGINT. */
  ok: 0,
  /** A runtime error, in one line on stderr: bad config, a part of the agent that cannot start, no agent to ask. */
  error: 1,
  /** A usage error: unknown command or option, missing argument. */
  usage: 2,
  /** The agent stopped gracefully to restart with a new node identity (ASN, router ID, listen port): restart it. */
  restart: 3,
} as const;

export class UsageError extends Error {}

const HELP: Record<string, string> = {
  main: `gannet — native-routing Kubernetes CNI with an embedded BGP speaker

Usage:
  gannet agent --config FILE                 run the node agent, config from a YAML file
  gannet agent --kubernetes [--kubeconfig F] run the node agent, config from the Kubernetes API (NODE_NAME)
  gannet status [--api URL] [--json]         sessions and routes of the local agent
  gannet lab up [--nodes N] [--router frr|bird|none] [--pods-per-node K]
  gannet lab status | gannet lab down        the lab: nodes, router and pods as network namespaces

Run 'gannet COMMAND --help' for a command's options.

Exit status: 0 done (the agent: stopped by SIGTERM/SIGINT); 1 an error, told in one line on stderr (bad config, a part
of the agent that cannot start, no agent to ask); 2 a usage error; 3 the agent stopped gracefully to apply a new node
identity (ASN, router ID, listen port) and wants to be started again (the kubelet or systemd's Restart= does that).
`,
  agent: `Usage: gannet agent (--config FILE | --kubernetes [--kubeconfig FILE]) [options]

Runs the node agent: BGP sessions, kernel routes, the status API and metrics.
  --config FILE         standalone mode: read the YAML config (see README); SIGHUP re-reads it
  --kubernetes          Kubernetes mode: Nodes, BGPPeer and BGPConfiguration from the API server
  --kubeconfig FILE     kubeconfig for Kubernetes mode (default: in-cluster service account)
  --log-level LEVEL     error, warn, info (default) or debug
  --log-format FORMAT   json (default when not a TTY) or text
  --check               validate the config and exit
SIGTERM/SIGINT stop gracefully: peers keep our routes (graceful restart), kernel routes stay.
`,
  status: `Usage: gannet status [--api URL] [--json]

Shows the local agent's BGP sessions and routes.
  --api URL   the agent's status API (default http://127.0.0.1:9179)
  --json      print {ready, peers, routes} as JSON
`,
};

export async function main(argv: string[], io: CliIo = stdio): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.out(HELP.main!);
        return command === undefined ? 2 : 0;
      case '--version':
      case 'version':
        io.out(`gannet ${process.env.GANNET_VERSION ?? '0.1.0'} (node ${process.version})\n`);
        return 0;
      case 'agent':
        return await agentCommand(rest, io);
      case 'status':
        return await statusCommand(rest, io);
      case 'lab': {
        const { labCommand } = await import('../lab/lab-command.js');
        return await labCommand(rest, io);
      }
      default:
        throw new UsageError(`unknown command "${command}" (try gannet --help)`);
    }
  } catch (err) {
    const e = err as Error;
    io.err(`gannet${command && !command.startsWith('-') ? ` ${command}` : ''}: ${e.message}\n`);
    return e instanceof UsageError ? EXIT.usage : EXIT.error;
  }
}

function parse<T extends Record<string, { type: 'string' | 'boolean'; short?: string }>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options: { help: { type: 'boolean', short: 'h' }, ...options }, strict: true }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

async function agentCommand(args: string[], io: CliIo): Promise<number> {
  const v = parse(args, {
    config: { type: 'string', short: 'c' },
    kubernetes: { type: 'boolean' },
    kubeconfig: { type: 'string' },
    'log-level': { type: 'string' },
    'log-format': { type: 'string' },
    check: { type: 'boolean' },
  });
  if (v.help) {
    io.out(HELP.agent!);
    return 0;
  }
  if (!v.config === !v.kubernetes) throw new UsageError('give exactly one of --config FILE or --kubernetes');
  if (v.kubeconfig && !v.kubernetes) throw new UsageError('--kubeconfig goes with --kubernetes');
  const level = (v['log-level'] ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(level)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  const format = v['log-format'] as 'json' | 'text' | undefined;
  if (format !== undefined && format !== 'json' && format !== 'text') {
    throw new UsageError('--log-format must be json or text');
  }
  const logger = createLogger({ level, ...(format ? { format } : {}) });
  const { runAgent } = await import('../run-agent.js');

  let handle: Awaited<ReturnType<typeof runAgent>>;
  if (v.config) {
    const file = v.config;
    const config = loadConfigFile(file);
    if (v.check) {
      io.out(`${file}: ok (${config.peers.length} peers, pod CIDRs ${config.podCIDRs.join(', ')})\n`);
      return 0;
    }
    handle = await runAgent({ config, logger, reload: () => loadConfigFile(file) });
  } else {
    const { startKubernetesMode } = await import('../kubernetes-mode.js');
    const k8s = await startKubernetesMode({ ...(v.kubeconfig ? { kubeconfig: v.kubeconfig } : {}), logger });
    if (v.check) {
      io.out(`kubernetes: ok (node ${k8s.config.nodeName}, ${k8s.config.peers.length} peers)\n`);
      k8s.stop();
      return 0;
    }
    handle = await runAgent({ config: k8s.config, logger, subscribe: k8s.subscribe });
    k8s.reportStatus(handle.peers);
    void handle.done.then(() => k8s.stop());
  }
  const onSignal = (sig: NodeJS.Signals) => {
    logger.info(`${sig} received`);
    void handle.stop();
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  await handle.done;
  // Let winston flush before the process ends.
  await new Promise((r) => setTimeout(r, 50));
  return 0;
}

async function statusCommand(args: string[], io: CliIo): Promise<number> {
  const v = parse(args, { api: { type: 'string' }, json: { type: 'boolean' } });
  if (v.help) {
    io.out(HELP.status!);
    return 0;
  }
  const report = await fetchStatus(v.api ?? 'http://127.0.0.1:9179');
  io.out(v.json ? `${JSON.stringify(report, null, 2)}\n` : renderStatus(report));
  return 0;
}
