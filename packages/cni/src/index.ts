// Public API of @gannet/cni: a curated list of named re-exports (see ../../../shared/STYLE.md).
export { CniCode, CniError } from './errors.js';
export { IpamStore, type IpamUsage, ipamUsage, type Reservation } from './ipam-store.js';
export { LinuxPodNetwork } from './linux-pod-network.js';
export {
  type Attachment,
  type CniVersion,
  DEFAULT_DATA_DIR,
  DEFAULT_NODE_STATE_FILE,
  type NetConf,
  parseNetConf,
  SUPPORTED_VERSIONS,
} from './netconf.js';
export { type NodeState, readNodeState } from './node-state.js';
export { type CniRequest, type CniResponse, runCni } from './plugin.js';
export { hostVethName, type PodNetwork, type PodWiring } from './pod-network.js';
export { buildResult, type CniResult, POD_GATEWAY } from './result.js';
