// Entry point of dist/bin/gannet.
import { ignoreClosedPipes, main } from '../cli/main.js';

ignoreClosedPipes();
process.exitCode = await main(process.argv.slice(2));
