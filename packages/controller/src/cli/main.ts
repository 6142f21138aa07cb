// The `gannet` command line: agent, status, lab. Each command has --help; errors are one line and a non-zero exit.
import { parseArgs } from 'node:util';
import { loadConfigFile } from '../config/load-config.js';
import { configFileWarnings } from '../config/peer-transport-config.js';
import type { AgentConfig } from '../config/types.js';
import type { FirstConfig, KubernetesMode, KubernetesModeOptions } from '../kubernetes-mode.js';
import { createLogger, LOG_LEVELS, type LogLevel } from '../log.js';
import { type CliIo, UsageError } from './cli-io.js';
import { DEFAULT_ROUTES_SHOWN, fetchStatus, renderStatus } from './status.js';

export type { CliIo };
export { UsageError };

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

const HELP: Record<string, string> = {
  main: `gannet — native-routing Kubernetes CNI with an embedded BGP speaker

Usage:
  gannet agent --config FILE                 run the node agent, config from a YAML file
  gannet agent --kubernetes [--kubeconfig F] run the node agent, config from the Kubernetes API (NODE_NAME)
  gannet status [--api URL] [--all] [--json] sessions and routes of the local agent
  gannet lab up [--nodes N] [--router frr|bird|none] [--pods-per-node K]
  gannet lab status | gannet lab down        the lab: nodes, router and pods as network namespaces
  gannet explain PREFIX [--api URL] [--json]  why a prefix is, or is not, in the kernel
  gannet doctor SRC DST [--lab NAME]        walk the path between two pods, name the first broken hop
  gannet router-config --vendor V (--config FILE | --kubernetes)
                                             what a ToR router needs to peer with the nodes (frr, bird, junos, eos)

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
  --api-listen H:P      Kubernetes mode: the status API's address (default 127.0.0.1:9179; standalone: api.listen)
  --saved-config FILE   Kubernetes mode: the last derived config, kept to start BGP from while the API server is
                        away (default /run/gannet/kubernetes-config.json)
  --no-network-policy   Kubernetes mode: do not watch Pods, Namespaces, NetworkPolicies nor write nftables (another
                        engine enforces NetworkPolicy); routing is unchanged
  --log-level LEVEL     error, warn, info (default) or debug
  --log-format FORMAT   json (default when not a TTY) or text
  --check               validate the config and exit (Kubernetes mode: wait up to 30 s for the API's)
The status API listens first: /healthz answers at once, /readyz answers 503 with what is missing until ready.
Any part that cannot start (status API or BGP port busy, address not local, unusable router ID) stops the others
again and the agent exits 1 with one line. SIGTERM/SIGINT stop gracefully: peers keep our routes (graceful
restart), kernel routes stay; exit 0. A new node identity (ASN, router ID, listen port) stops gracefully too,
with exit 3: start the agent again (the kubelet does) to run with it.
`,
  status: `Usage: gannet status [--api URL] [--all | --routes N] [--json]

Shows the local agent's BGP sessions, route counts and the first routes.
  --api URL    the agent's status API (default http://127.0.0.1:9179)
  --routes N   list the first N routes (default 20, at most 10000)
  --all        list every route
  --json       print {api, ready, peers, summary, routes} as JSON, with every route
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
      case 'explain': {
        const { explainCommand } = await import('./explain.js');
        return await explainCommand(rest, io);
      }
      case 'doctor': {
        const { doctorCommand } = await import('../doctor/doctor-command.js');
        return await doctorCommand(rest, io);
      }
      case 'router-config': {
        const { routerConfigCommand } = await import('../router-config/router-config-command.js');
        return await routerConfigCommand(rest, io);
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
    'api-listen': { type: 'string' },
    'saved-config': { type: 'string' },
    'no-network-policy': { type: 'boolean' },
    'log-level': { type: 'string' },
    'log-format': { type: 'string' },
    check: { type: 'boolean' },
  });
  if (v.help) {
    io.out(HELP.agent!);
    return EXIT.ok;
  }
  if (!v.config === !v.kubernetes) throw new UsageError('give exactly one of --config FILE or --kubernetes');
  for (const k of ['kubeconfig', 'api-listen', 'saved-config', 'no-network-policy'] as const) {
    if (v[k] !== undefined && !v.kubernetes) throw new UsageError(`--${k} goes with --kubernetes`);
  }
  const level = (v['log-level'] ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(level)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  const format = v['log-format'] as 'json' | 'text' | undefined;
  if (format !== undefined && format !== 'json' && format !== 'text') {
    throw new UsageError('--log-format must be json or text');
  }
  const logger = createLogger({ level, ...(format ? { format } : {}) });
  const { runAgent } = await import('../run-agent.js');
  // Loaded only in Kubernetes mode (the client library is large).
  const startKubernetesMode = async (o: KubernetesModeOptions) =>
    (await import('../kubernetes-mode.js')).startKubernetesMode(o);
  const k8sOptions = {
    ...(v.kubeconfig ? { kubeconfig: v.kubeconfig } : {}),
    ...(v['saved-config'] ? { savedConfigFile: v['saved-config'] } : {}),
    ...(v['no-network-policy'] ? { networkPolicy: false } : {}),
    apiListen: v['api-listen'] ?? '127.0.0.1:9179',
    logger,
  };
  const config = v.config ? loadConfigFile(v.config) : undefined;
  // a TCP-MD5 password in a file every user can read (the config file, a passwordFile): said, not refused
  const modeWarnings = (c: AgentConfig): AgentConfig => {
    for (const w of configFileWarnings(v.config ?? '', c)) logger.warn(w);
    return c;
  };
  if (config) modeWarnings(config);
  if (v.check) {
    if (config) {
      const { checkPolicyFiles } = await import('../network-policy/file-source.js');
      const policies = checkPolicyFiles(config.policy?.files ?? []);
      const extra = config.policy?.files?.length ? `, ${policies} network policies` : '';
      io.out(`${v.config}: ok (${config.peers.length} peers, pod CIDRs ${config.podCIDRs.join(', ')}${extra})\n`);
      return EXIT.ok;
    }
    return await checkKubernetes(
      await startKubernetesMode({ ...k8sOptions, savedConfigFile: false, networkPolicy: false }),
      io,
    );
  }

  // Signals first: a SIGTERM at any moment of the start ends the process cleanly, with nothing left half started.
  let stopRequested = false;
  let onStop: (() => void) | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    logger.info(`${sig} received`);
    stopRequested = true;
    onStop?.();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    let handle: Awaited<ReturnType<typeof runAgent>>;
    if (config) {
      const file = v.config!;
      const { standalonePolicySources } = await import('../network-policy/standalone.js');
      handle = await runAgent({
        config,
        logger,
        reload: () => modeWarnings(loadConfigFile(file)),
        policy: standalonePolicySources(config),
      });
    } else {
      // Liveness before readiness: the status API listens before the API server has said anything.
      const { openStatusApi } = await import('../status-api.js');
      const statusApi = await openStatusApi({ listen: k8sOptions.apiListen, logger });
      let k8s: KubernetesMode;
      let first: FirstConfig;
      try {
        k8s = await startKubernetesMode(k8sOptions);
        statusApi.hub.addCheck(k8s.notReady);
        onStop = () => k8s.stop();
        first = await k8s.firstConfig;
      } catch (err) {
        await statusApi.close();
        if (stopRequested) return EXIT.ok;
        throw err;
      }
      try {
        handle = await runAgent({
          config: first.config,
          logger,
          subscribe: k8s.subscribe,
          statusApi,
          ...(k8s.policySources.length > 0 ? { policy: { sources: k8s.policySources } } : {}),
        });
      } catch (err) {
        k8s.stop();
        throw err;
      }
      k8s.reportStatus(handle.peers, () => statusApi.hub.policy());
      void handle.done.then(() => k8s.stop());
    }
    onStop = () => void handle.stop();
    if (stopRequested) onStop();
    const code = await handle.done;
    // Let winston flush before the process ends.
    await new Promise((r) => setTimeout(r, 50));
    return code;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}

/** `gannet agent --kubernetes --check`: the API's config for this node, within 30 s, or what is missing. */
async function checkKubernetes(k8s: KubernetesMode, io: CliIo): Promise<number> {
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    k8s.stop();
  }, 30_000);
  try {
    const { config } = await k8s.firstConfig;
    io.out(`kubernetes: ok (node ${config.nodeName}, ${config.peers.length} peers)\n`);
    return EXIT.ok;
  } catch (err) {
    if (!timedOut) throw err;
    throw new Error(`no configuration from the Kubernetes API within 30 s: ${k8s.notReady().join('; ')}`);
  } finally {
    clearTimeout(timer);
    k8s.stop();
  }
}

async function statusCommand(args: string[], io: CliIo): Promise<number> {
  const v = parse(args, {
    api: { type: 'string' },
    json: { type: 'boolean' },
    all: { type: 'boolean' },
    routes: { type: 'string' },
  });
  if (v.help) {
    io.out(HELP.status!);
    return 0;
  }
  let routes: number | 'all' = v.all || v.json ? 'all' : DEFAULT_ROUTES_SHOWN;
  if (v.routes !== undefined) {
    const n = Number(v.routes);
    if (!/^\d+$/.test(v.routes) || n < 1 || n > 10_000) throw new UsageError(`--routes: ${v.routes} (1 to 10000)`);
    if (v.all) throw new UsageError('--routes and --all do not go together');
    routes = v.json ? 'all' : n;
  }
  const report = await fetchStatus(v.api ?? 'http://127.0.0.1:9179', { routes });
  io.out(v.json ? `${JSON.stringify(report, null, 2)}\n` : renderStatus(report));
  return 0;
}
