// Entry point of `node packages/controller/dist/src/bin/gannet.js` (the lab's agents, tests, benchmarks' reference).
// dist/bin/gannet is the single executable built from ./multi-call.ts.
import { runGannet } from './run-gannet.js';

await runGannet(process.argv.slice(2));
