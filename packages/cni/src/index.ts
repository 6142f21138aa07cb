// Public API of @gannet/cni: a curated list of named re-exports (see ../../../shared/STYLE.md).
// The executable itself is src/main.ts, built into dist/bin/gannet-cni by scripts/build-bins.mjs.
export { CniCode, CniError } from './errors.js';
export { IpamStore, type IpamUsage, ipamUsage } from './ipam-store.js';
export { DEFAULT_DATA_DIR, DEFAULT_NODE_STATE_FILE, PLUGIN_TYPE, SUPPORTED_VERSIONS } from './netconf.js';
export { type NodeState, readNodeState } from './node-state.js';
export { type CniRequest, type CniResponse, runCni } from './plugin.js';
export { hostVethName } from './pod-network.js';
export { POD_GATEWAY } from './result.js';
