// One list of Nodes, BGPPeers and BGPConfigurations (for `gannet router-config --kubernetes`): the same objects the
// agent's reflectors hold, read once with the user's credentials.
import type { KubeConfig } from '@kubernetes/client-node';
import {
  BGP_CONFIGURATIONS,
  BGP_PEERS,
  type BgpConfigurationObject,
  type BgpPeerObject,
  GANNET_GROUP,
  GANNET_VERSION,
  type NodeObject,
} from '../kubernetes/resources.js';
import { WatchClient } from '../kubernetes/watch-client.js';

export interface ListedCluster {
  nodes: NodeObject[];
  peers: BgpPeerObject[];
  configurations: BgpConfigurationObject[];
}

export async function listClusterSnapshot(kc: KubeConfig): Promise<ListedCluster> {
  const client = new WatchClient(kc);
  client.listTimeoutMs = 30_000;
  const base = `/apis/${GANNET_GROUP}/${GANNET_VERSION}`;
  const list = async <T>(path: string) => (await client.list<{ items?: T[] }>(path, {})).items ?? [];
  try {
    const [nodes, peers, configurations] = await Promise.all([
      list<NodeObject>('/api/v1/nodes'),
      list<BgpPeerObject>(`${base}/${BGP_PEERS}`),
      list<BgpConfigurationObject>(`${base}/${BGP_CONFIGURATIONS}`),
    ]);
    return { nodes, peers, configurations };
  } finally {
    client.destroy();
  }
}
