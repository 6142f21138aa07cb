export { Netns, type RunResult, type SpawnedProcess, sleep, TEST_NS_PREFIX, TestNet, waitFor } from './netns.js';
export { isRoot, requireRoot } from './root.js';
