// Public API of @gannet/cni: a curated list of named re-exports (see ../../../shared/STYLE.md).
// The plugin is an executable (src/main.ts → dist/bin/gannet-cni, built by scripts/build-bins.mjs); the library
// exports what other packages share with it: the node state file, the address store, names and codes.
export { CniCode, CniError } from './errors.js';
export { IpamStore, type IpamUsage, ipamUsage, type Reservation } from './ipam-store.js';
export {
  DEFAULT_DATA_DIR,
  DEFAULT_NODE_STATE_FILE,
  PLUGIN_TYPE,
  type PodMeta,
  podFromArgs,
  SUPPORTED_VERSIONS,
} from './netconf.js';
export { type NodeState, readNodeState } from './node-state.js';
export { checkPodCidr, type PodCidr } from './pod-cidr.js';
export { hostVethName } from './pod-network.js';
export { POD_GATEWAY, POD_GATEWAY6 } from './result.js';
