// `@gannet/routes/testing`: in-memory doubles for tests of the routes package and of its users (the agent).
export { FakeClock } from '@gannet/core/testing';
export { type MemoryRouteEntry, MemoryRouteTable } from './memory-route-table.js';
