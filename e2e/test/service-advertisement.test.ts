// Service addresses over BGP, end to end: two nodes run `gannet agent --kubernetes` (each against its own copy of the
// fake API server, the same objects put into both, as every agent watches the same cluster), a third runs standalone
// with a static `advertise:` list; all peer eBGP with an FRR ToR on one bridge. The ToR learns the ClusterIP range
// from both Kubernetes nodes, an eTP Local LoadBalancer /32 only from the node holding the endpoint — moving when the
// endpoint moves —, an eTP Cluster /32 from both, never an address outside the configured lists, and the standalone
// node's static prefix.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Frr, startFrr } from '../src/daemons.js';
import { FakeApiChild, writeKubeconfig } from '../src/fake-api-client.js';
import { type Netns, type SpawnedProcess, TestNet, waitFor } from '../src/netns.js';
import { requireRoot } from '../src/root.js';

const GANNET = fileURLToPath(new URL('../../../packages/controller/dist/src/bin/gannet.js', import.meta.url));
const TOR = '172.31.0.254';
const NODES = [
  { name: 'node1', address: '172.31.0.1', pods: '10.244.1.0/24' },
  { name: 'node2', address: '172.31.0.2', pods: '10.244.2.0/24' },
  { name: 'node3', address: '172.31.0.3', pods: '10.244.3.0/24' }, // standalone
];

const FRR_CONF = `frr defaults traditional
hostname tor
log stdout informational
!
router bgp 65000
 bgp router-id ${TOR}
 no bgp ebgp-requires-policy
 bgp bestpath as-path multipath-relax
${NODES.map((n) => ` neighbor ${n.address} remote-as 64512\n neighbor ${n.address} timers 1 3\n neighbor ${n.address} timers connect 1\n`).join('')} !
 address-family ipv4 unicast
  maximum-paths 8
 exit-address-family
!
`;

function slice(service: string, nodes: string[]) {
  return {
    metadata: { name: `${service}-1`, namespace: 'shop', labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    endpoints: nodes.map((n, i) => ({
      addresses: [`10.244.${i + 1}.9`],
      nodeName: n,
      conditions: { ready: true, serving: true, terminating: false },
    })),
  };
}

function lbService(name: string, ip: string, local: boolean) {
  return {
    metadata: { name, namespace: 'shop' },
    spec: { type: 'LoadBalancer', clusterIP: '10.96.0.20', externalTrafficPolicy: local ? 'Local' : 'Cluster' },
    status: { loadBalancer: { ingress: [{ ip }] } },
  };
}

describe('e2e: Service addresses over BGP to an FRR ToR (Kubernetes mode and standalone advertise)', function () {
  this.timeout(120_000);
  let net: TestNet;
  let dir: string;
  let frr: Frr;
  const apis: (FakeApiChild & { url: string })[] = [];
  const agents: SpawnedProcess[] = [];

  /** Every path FRR has for `prefix`: the next hops (sorted), or [] when it has none. */
  const fromNodes = (prefix: string): string[] => {
    const out = JSON.parse(frr.vtysh(`show bgp ipv4 unicast ${prefix} json`)) as {
      paths?: { nexthops?: { ip: string }[] }[];
    };
    return (out.paths ?? []).map((p) => p.nexthops?.[0]?.ip ?? '?').sort();
  };
  const putAll = async (plural: string, obj: object) => {
    for (const a of apis) await a.put(plural, obj);
  };
  const expectPaths = (prefix: string, want: string[], what: string) =>
    waitFor(`${what}: ${prefix} from ${want.join(', ') || 'nobody'}`, () => fromNodes(prefix).join() === want.join(), {
      timeoutMs: 20_000,
    }).catch((e: Error) => {
      throw new Error(
        `${e.message} (FRR has: ${fromNodes(prefix).join(', ')})\n${agents.map((a) => a.output().slice(-1500)).join('\n---\n')}`,
      );
    });

  function startAgent(ns: Netns, args: string[], env: Record<string, string> = {}): SpawnedProcess {
    // `ip netns exec` gives the agent a private mount namespace: a tmpfs over /run keeps its node state and saved
    // config (/run/gannet/…) off the host's /run.
    const p = net.spawn(
      ns,
      'sh',
      ['-c', 'mount -t tmpfs gannet-e2e /run && exec "$@"', 'sh', process.execPath, GANNET, 'agent', ...args],
      { env: { ...process.env, ...env } },
    );
    agents.push(p);
    return p;
  }

  before(async function () {
    requireRoot(this);
    dir = mkdtempSync(join(tmpdir(), 'gannet-svc-e2e-'));
    net = new TestNet('svc');
    const tor = net.ns('tor');
    tor.ip('link', 'add', 'br0', 'type', 'bridge');
    tor.ip('addr', 'add', `${TOR}/24`, 'dev', 'br0');
    tor.ip('link', 'set', 'br0', 'up');
    const nss = NODES.map((n, i) => {
      const ns = net.ns(`n${i + 1}`);
      net.link(ns, 'eth0', tor, `p${i + 1}`, `${n.address}/24`);
      tor.ip('link', 'set', `p${i + 1}`, 'master', 'br0');
      return ns;
    });
    frr = await startFrr(net, tor, FRR_CONF);
    // Two Kubernetes nodes, each with its own fake API server holding the same cluster.
    for (const ns of nss.slice(0, 2)) apis.push(await FakeApiChild.start(net, ns));
    for (const n of NODES.slice(0, 2)) {
      await putAll('nodes', {
        metadata: { name: n.name, labels: { 'kubernetes.io/hostname': n.name } },
        spec: { podCIDR: n.pods, podCIDRs: [n.pods] },
        status: { addresses: [{ type: 'InternalIP', address: n.address }] },
      });
    }
    await putAll('bgpconfigurations', {
      metadata: { name: 'default' },
      spec: {
        asn: 64512,
        nodeToNodeMesh: false,
        clusterCIDRs: ['10.244.0.0/16'],
        serviceClusterIPs: ['10.96.0.0/12'],
        serviceLoadBalancerIPs: ['198.51.100.0/24'],
      },
    });
    await putAll('bgppeers', { metadata: { name: 'tor' }, spec: { peerAddress: TOR, asn: 65000, holdTime: 3 } });
    await putAll('services', lbService('web', '198.51.100.7', true));
    await putAll('services', lbService('typo', '203.0.113.9', false)); // outside serviceLoadBalancerIPs
    await putAll('endpointslices', slice('web', ['node1']));
    await putAll('endpointslices', slice('typo', ['node1', 'node2']));
    for (const [i, n] of NODES.slice(0, 2).entries()) {
      const kubeconfig = join(dir, `kubeconfig-${n.name}`);
      writeKubeconfig(kubeconfig, apis[i]!.url);
      startAgent(nss[i]!, ['--kubernetes', '--kubeconfig', kubeconfig, '--log-format', 'json'], { NODE_NAME: n.name });
    }
    // The standalone node: a static advertise list.
    const n3 = NODES[2]!;
    const config = join(dir, 'node3.yaml');
    writeFileSync(
      config,
      `nodeName: node3\nasn: 64512\nrouterId: ${n3.address}\npodCIDRs: [${n3.pods}]\nclusterCIDRs: [10.244.0.0/16]\n` +
        `nodeStateFile: ${dir}/node3-state.json\nadvertise: [198.51.100.50/32]\n` +
        `peers:\n  - { address: ${TOR}, asn: 65000, holdTime: 3 }\n`,
    );
    startAgent(nss[2]!, ['--config', config, '--log-format', 'json']);
  });

  after(async () => {
    await frr?.stop();
    await net?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the ClusterIP range from both Kubernetes nodes; the pod CIDRs as before', async () => {
    await expectPaths('10.96.0.0/12', ['172.31.0.1', '172.31.0.2'], 'ClusterIP range');
    await expectPaths('10.244.1.0/24', ['172.31.0.1'], 'pod CIDR');
  });

  it('an eTP Local LoadBalancer /32 only from the node with the endpoint, moving with it', async () => {
    await expectPaths('198.51.100.7/32', ['172.31.0.1'], 'endpoint on node1');
    await putAll('endpointslices', slice('web', ['node2']));
    await expectPaths('198.51.100.7/32', ['172.31.0.2'], 'endpoint moved to node2');
    await putAll('endpointslices', slice('web', []));
    await expectPaths('198.51.100.7/32', [], 'no endpoint left');
    await putAll('endpointslices', slice('web', ['node1', 'node2']));
    await expectPaths('198.51.100.7/32', ['172.31.0.1', '172.31.0.2'], 'endpoints on both');
  });

  it('an eTP Cluster /32 from every node; an address outside the lists never reaches the ToR', async () => {
    await putAll('services', lbService('api', '198.51.100.8', false));
    await putAll('endpointslices', slice('api', ['node2']));
    await expectPaths('198.51.100.8/32', ['172.31.0.1', '172.31.0.2'], 'eTP Cluster');
    assert.deepEqual(fromNodes('203.0.113.9/32'), [], 'the list guard');
  });

  it('standalone: the static advertise list reaches the ToR', async () => {
    await expectPaths('198.51.100.50/32', ['172.31.0.3'], 'standalone advertise');
  });
});
