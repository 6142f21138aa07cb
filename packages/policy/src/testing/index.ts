// In-memory doubles and fixtures for tests of code that uses @gannet/policy.
export { evaluateForward, evaluateMasquerade, type Packet } from './evaluate.js';
export { MemoryNftRunner } from './memory-nft-runner.js';
export {
  netpol,
  WORLD_CLUSTER_CIDR,
  WORLD_NAMESPACES,
  WORLD_NODE_ADDRESS,
  WORLD_PODS,
  WORLD_PORTS,
  worldInput,
  worldIp,
  worldPods,
} from './netpol-world.js';
export { type Probe, TRUTH_TABLE, type TruthCase } from './truth-table.js';
