// Entry point of dist/bin/gannet.
import { ignoreClosedPipes, main } from '../cli/main.js';

ignoreClosedPipes();
const code = await main(process.argv.slice(2));
process.exitCode = code;
// Every command ends by letting the event loop drain (proof that nothing was left running). Should a request to a
// hung peer or API server still hold it, the process ends anyway: an agent that stopped must not linger without
// routing, out of its supervisor's reach. unref: this timer alone keeps nothing alive.
setTimeout(() => process.exit(code), 5000).unref();
