// Standalone mode's policy inputs, from the agent's config file.

import { DEFAULT_DATA_DIR } from '@gannet/cni';
import type { AgentConfig } from '../config/types.js';
import { PolicyFileSource } from './file-source.js';
import type { PolicyInputSource } from './input-source.js';
import { LocalPodsSource } from './pods-source.js';

/** The sources of a standalone agent, and how they follow a re-read config (SIGHUP). */
export function standalonePolicySources(config: AgentConfig): {
  sources: PolicyInputSource[];
  onConfig: (next: AgentConfig) => void;
} {
  const files = new PolicyFileSource({ files: config.policy?.files ?? [] });
  const pods = new LocalPodsSource({
    nodeName: config.nodeName,
    dataDir: config.ipam?.dataDir ?? DEFAULT_DATA_DIR,
    network: config.ipam?.network ?? 'gannet',
    ...(config.policy?.podsFile && { podsFile: config.policy.podsFile }),
  });
  return {
    // a new podsFile or store takes a restart (they name where pods are, which changes with the node's setup)
    sources: [files, pods],
    onConfig: (next) => files.setFiles(next.policy?.files ?? []),
  };
}
