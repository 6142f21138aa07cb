// Standalone mode's policy inputs, from the agent's config file.
import type { AgentConfig } from '../config/types.js';
import { PolicyFileSource } from './file-source.js';
import type { PolicyInputSource } from './input-source.js';

/** The sources of a standalone agent, and how they follow a re-read config (SIGHUP). */
export function standalonePolicySources(config: AgentConfig): {
  sources: PolicyInputSource[];
  onConfig: (next: AgentConfig) => void;
} {
  const files = new PolicyFileSource({ files: config.policy?.files ?? [] });
  return {
    sources: [files],
    onConfig: (next) => files.setFiles(next.policy?.files ?? []),
  };
}
