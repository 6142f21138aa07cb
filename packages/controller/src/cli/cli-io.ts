// What every command of the CLI shares: where it writes, and the error that means "bad usage" (exit status 2).
// Its own module so that the commands (lab-command.ts) and the dispatcher (main.ts) do not import each other.
import { GannetError } from '@gannet/core';

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** Bad arguments: the CLI prints the message and exits with status 2. */
export class UsageError extends GannetError<'ERR_GANNET_CLI_USAGE'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_GANNET_CLI_USAGE', message, options);
  }
}
