// `@gannet/core/testing`: the test doubles of the core seams.
export { FakeClock } from './fake-clock.js';
