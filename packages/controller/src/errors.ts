// The controller's errors, on @gannet/core's one base class with a stable code (ERR_GANNET_*).
import { GannetError } from '@gannet/core';

export { GannetError };

/** A configuration problem; `key` is the dotted path (peers[0].asn) and `line` 1-based when known. */
export class ConfigError extends GannetError {
  constructor(
    message: string,
    readonly key?: string,
    readonly line?: number,
    readonly file?: string,
  ) {
    const where = file ? (line !== undefined ? `${file}:${line}` : file) : line !== undefined ? `line ${line}` : '';
    super('ERR_GANNET_CONFIG', `${where ? `${where}: ` : ''}${key ? `${key}: ` : ''}${message}`);
  }
}
