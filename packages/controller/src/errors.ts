// One base class for the controller's errors, each with a stable code (ERR_GANNET_*).
export class GannetError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

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
