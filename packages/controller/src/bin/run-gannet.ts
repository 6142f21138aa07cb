// The `gannet` command run as a program: from dist/bin/gannet (the single executable) or `node …/bin/gannet.js`.
import { ignoreClosedPipes, main } from '../cli/main.js';

export async function runGannet(argv: readonly string[]): Promise<void> {
  ignoreClosedPipes();
  const code = await main([...argv]);
  process.exitCode = code;
  // Every command ends by letting the event loop drain (proof that nothing was left running). Should a request to a
  // hung peer or API server still hold it, the process ends anyway: an agent that stopped must not linger without
  // routing, out of its supervisor's reach. unref: this timer alone keeps nothing alive.
  setTimeout(() => process.exit(code), 5000).unref();
}
