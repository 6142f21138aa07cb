// Cluster fixtures for the Kubernetes benchmarks: Nodes the size of real ones, the shared fake API server, and the
// figures it counts.
import { FakeApiServer } from '../test/kubernetes/fake-apiserver.js';
import type { FakeClock } from '../test/kubernetes/helpers.js';
import { RESOURCES } from '../test/kubernetes/helpers.js';

/** A Node as kubelet registers it (labels, annotations, conditions, capacity, images): about 4 KB of JSON. */
export function realisticNode(i: number): Record<string, unknown> {
  const name = `node-${String(i).padStart(5, '0')}`;
  const ip = `172.${16 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
  const cidr = `10.${64 + (i >> 8)}.${i & 255}.0/24`;
  const now = '2026-12-01T00:00:00Z';
  return {
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'node.kubernetes.io/instance-type': 'm6i.xlarge',
        'topology.kubernetes.io/region': 'eu-west-1',
        'topology.kubernetes.io/zone': `eu-west-1${'abc'[i % 3]}`,
        rack: `r${i % 40}`,
      },
      annotations: {
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
        'kubeadm.alpha.kubernetes.io/cri-socket': 'unix:///run/containerd/containerd.sock',
      },
    },
    spec: { podCIDR: cidr, podCIDRs: [cidr], providerID: `aws:///eu-west-1a/i-${(1e15 + i).toString(16)}` },
    status: {
      addresses: [
        { type: 'InternalIP', address: ip },
        { type: 'Hostname', address: name },
      ],
      capacity: { cpu: '4', memory: '16225124Ki', pods: '110', 'ephemeral-storage': '101430960Ki' },
      allocatable: { cpu: '3920m', memory: '15304548Ki', pods: '110', 'ephemeral-storage': '93478772582' },
      conditions: ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready'].map((type) => ({
        type,
        status: type === 'Ready' ? 'True' : 'False',
        lastHeartbeatTime: now,
        lastTransitionTime: now,
        reason: `Kubelet${type === 'Ready' ? 'Ready' : `HasNo${type}`}`,
        message: `kubelet ${type === 'Ready' ? 'is posting ready status' : `has no ${type}`}`,
      })),
      nodeInfo: {
        machineID: 'ec2a7f4c9b2d4e0f8a1b2c3d4e5f6a7b',
        systemUUID: 'ec2a7f4c-9b2d-4e0f-8a1b-2c3d4e5f6a7b',
        bootID: '0f8a1b2c-3d4e-5f6a-7b8c-9d0e1f2a3b4c',
        kernelVersion: '6.1.0-28-cloud-amd64',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        containerRuntimeVersion: 'containerd://1.7.24',
        kubeletVersion: 'v1.31.4',
        kubeProxyVersion: 'v1.31.4',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
      images: Array.from({ length: 12 }, (_, k) => ({
        names: [
          `registry.k8s.io/image-${k}@sha256:${(k * 7919 + 1).toString(16).padStart(64, '0')}`,
          `registry.k8s.io/image-${k}:v1.${k}.0`,
        ],
        sizeBytes: 10_000_000 + k * 1_234_567,
      })),
    },
  };
}

/** A Node with only what Gannet reads (for figures that do not depend on the objects' size). */
export function smallNode(i: number): Record<string, unknown> {
  const n = realisticNode(i) as {
    metadata: { name: string; labels: unknown };
    spec: unknown;
    status: { addresses: unknown };
  };
  return {
    metadata: { name: n.metadata.name, labels: n.metadata.labels },
    spec: n.spec,
    status: { addresses: n.status.addresses },
  };
}

export async function cluster(
  nodes: number,
  clock?: FakeClock,
  make: (i: number) => Record<string, unknown> = realisticNode,
): Promise<FakeApiServer> {
  const server = await FakeApiServer.start(RESOURCES, { audit: false, gc: false, ...(clock ? { clock } : {}) });
  for (let i = 0; i < nodes; i++) server.put('nodes', make(i));
  server.put('bgpconfigurations', {
    metadata: { name: 'default' },
    spec: { asn: 64512, clusterCIDRs: ['10.64.0.0/10'], nodeToNodeMesh: false },
  });
  for (let r = 0; r < 4; r++) {
    server.put('bgppeers', {
      metadata: { name: `tor-r${r}` },
      spec: { peerAddress: `192.0.2.${r + 1}`, asn: 65000 + r, nodeSelector: `rack == r${r}` },
    });
  }
  return server;
}

/** A write no watched resource sees (leases, events in a real cluster): every watcher is behind afterwards. */
export function churn(server: FakeApiServer): void {
  server.put('gannetnodestatuses', { metadata: { name: `churn-${server.resourceVersion}` } });
}

export const mb = (bytes: number) => (bytes / 1048576).toFixed(1);
export const gc = (): void => {
  const g = (globalThis as { gc?: () => void }).gc;
  g?.();
  g?.();
};

export async function until(check: () => boolean, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

export function row(cells: (string | number)[], widths: number[]): string {
  return cells.map((c, i) => String(c).padStart(widths[i] ?? 12)).join('  ');
}
