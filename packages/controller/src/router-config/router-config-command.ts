// `gannet router-config --vendor frr|bird|junos|eos (--config FILE… | --kubernetes)`: prints what the top-of-rack
// router needs to peer with the node(s). From files: one agent config per node (repeat --config). From the API: every
// Node's config as its agent would derive it (Nodes, BGPPeers, the `default` BGPConfiguration), listed once.
import { parseArgs } from 'node:util';
import { type CliIo, UsageError } from '../cli/cli-io.js';
import { loadConfigFile } from '../config/load-config.js';
import type { AgentConfig } from '../config/types.js';
import { planRouters } from './plan.js';
import { renderRouterConfig, VENDORS, type Vendor } from './render.js';

export const ROUTER_CONFIG_HELP = `Usage: gannet router-config --vendor frr|bird|junos|eos (--config FILE... | --kubernetes [--kubeconfig F])
                            [--router ADDRESS] [--json]

Prints the neighbour configuration a router needs to peer with Gannet nodes: for each node a neighbour with its ASN
and address, an inbound filter accepting exactly the node's pod CIDRs, a max-prefix limit, and the password, BFD and
TTL settings when the node's peer entry has them. One block per router the nodes peer with (mesh peers left out).
  --vendor V        frr, bird (BIRD 2), junos or eos
  --config FILE     a node's agent config (standalone mode); repeat it for several nodes
  --kubernetes      every Node of the cluster, as its agent derives its config from the API
  --kubeconfig F    kubeconfig for --kubernetes (default: in-cluster, then KUBECONFIG / ~/.kube/config)
  --router ADDRESS  only the router with this address
  --json            print the plan (routers, neighbours) as JSON instead of a configuration
`;

export async function routerConfigCommand(args: string[], io: CliIo): Promise<number> {
  let v: Record<string, string | boolean | string[] | undefined>;
  try {
    v = parseArgs({
      args,
      options: {
        help: { type: 'boolean', short: 'h' },
        vendor: { type: 'string' },
        config: { type: 'string', short: 'c', multiple: true },
        kubernetes: { type: 'boolean' },
        kubeconfig: { type: 'string' },
        router: { type: 'string' },
        json: { type: 'boolean' },
      },
      strict: true,
    }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (v.help) {
    io.out(ROUTER_CONFIG_HELP);
    return 0;
  }
  const vendor = v.vendor as string | undefined;
  if (!v.json && (vendor === undefined || !(VENDORS as readonly string[]).includes(vendor))) {
    throw new UsageError(`--vendor must be one of ${VENDORS.join(', ')}`);
  }
  const files = (v.config as string[] | undefined) ?? [];
  if (files.length > 0 === Boolean(v.kubernetes))
    throw new UsageError('give --config FILE (one or more) or --kubernetes');
  if (v.kubeconfig !== undefined && !v.kubernetes) throw new UsageError('--kubeconfig goes with --kubernetes');
  const configs = v.kubernetes
    ? await configsFromKubernetes(v.kubeconfig as string | undefined)
    : files.map((f) => loadConfigFile(f));
  const plans = planRouters(configs, v.router !== undefined ? { router: v.router as string } : {});
  if (plans.length === 0) {
    throw new Error(
      v.router !== undefined
        ? `no node peers with router ${v.router}`
        : 'the nodes have no router peers (only mesh peers, or none)',
    );
  }
  io.out(v.json ? `${JSON.stringify({ routers: plans }, null, 2)}\n` : renderRouterConfig(vendor as Vendor, plans));
  return 0;
}

/** Every Node's AgentConfig as the agents would derive it; Nodes not ready yet (no InternalIP, no podCIDR) skipped. */
async function configsFromKubernetes(kubeconfig: string | undefined): Promise<AgentConfig[]> {
  const { loadKubeConfig } = await import('../kubernetes/kube-config.js');
  const { listClusterSnapshot } = await import('./kubernetes-snapshot.js');
  const snapshot = await listClusterSnapshot(loadKubeConfig(kubeconfig));
  const { deriveAgentConfig } = await import('../kubernetes/derive-config.js');
  const out: AgentConfig[] = [];
  for (const node of snapshot.nodes) {
    const name = node.metadata?.name ?? '';
    const d = deriveAgentConfig({ ...snapshot, nodeName: name, apiListen: '127.0.0.1:9179', listenAddress: '0.0.0.0' });
    if (d.config) out.push(d.config);
  }
  return out;
}
